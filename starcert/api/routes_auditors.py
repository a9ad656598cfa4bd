"""The auditor register under /api/auditors: list, get, create, update.

Who may: operators keep the register (they plan audits and answer for the body's records of
competence and impartiality), and read it; auditors read it too, to see the qualifications,
areas and availability of the colleagues they are teamed with. Viewers, rule authors and
admins do not: the records hold personal data (unavailable dates) and impartiality declarations
(relations with clients) that their work does not need.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, StrictStr

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, require
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.api.schemas import Day, Id, _In, _Out
from workflows.auditors import (
    Auditor,
    AuditorEdit,
    AuditorQuery,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
    qualification_status,
)
from workflows.errors import InvalidInput

router = APIRouter(prefix="/api/auditors", responses=ERROR_RESPONSES, tags=["auditors"])

Keeper = Annotated[Principal, Depends(require(Role.OPERATOR))]
Reader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.AUDITOR))]
AuditorId = Annotated[int, Path(ge=1, le=2**62)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Code = Annotated[StrictStr, Field(min_length=1, max_length=100)]
Items = Annotated[tuple[Code, ...], Field(max_length=100)]


class RangeIn(_In):
    starts_on: Day = Field(alias="from")
    ends_on: Day = Field(alias="to")

    def value(self) -> Unavailability:
        return Unavailability(self.starts_on, self.ends_on)


class RelationIn(_In):
    organisation_id: Id
    kind: RelationKind
    starts_on: Day = Field(alias="from")
    ends_on: Day | None = Field(default=None, alias="to", description="null while it lasts")

    def value(self) -> Relation:
        return Relation(self.organisation_id, self.kind, self.starts_on, self.ends_on)


Ranges = Annotated[tuple[RangeIn, ...], Field(max_length=100)]
Relations = Annotated[tuple[RelationIn, ...], Field(max_length=100)]


class AuditorIn(_In):
    name: Name
    registration: Code
    grade: Grade
    registered_on: Day
    valid_until: Day
    areas: Items = ()
    languages: Items = ()
    unavailable: Ranges = ()
    relations: Relations = ()


class AuditorUpdate(_In):
    """Only what is given changes; lists are added to or removed from."""

    name: Name | None = None
    registration: Code | None = None
    grade: Grade | None = None
    registered_on: Day | None = None
    valid_until: Day | None = None
    add_areas: Items = ()
    remove_areas: Items = ()
    add_languages: Items = ()
    remove_languages: Items = ()
    add_unavailable: Ranges = ()
    remove_unavailable: Ranges = ()
    add_relations: Relations = ()
    remove_relations: Relations = ()
    expected_version: int | None = Field(
        default=None, ge=0, le=2**62, description="the version seen; another is a 409"
    )


class RangeOut(_Out):
    starts_on: date = Field(serialization_alias="from")
    ends_on: date = Field(serialization_alias="to")


class RelationOut(_Out):
    organisation_id: int
    kind: str
    starts_on: date = Field(serialization_alias="from")
    ends_on: date | None = Field(serialization_alias="to")


class AuditorOut(_Out):
    id: int
    name: str
    registration: str
    grade: str
    registered_on: date
    valid_until: date
    status: str = Field(description="valid, expiring (within the configured days) or lapsed")
    areas: list[str]
    languages: list[str]
    unavailable: list[RangeOut]
    relations: list[RelationOut]
    version: int


class ChangeOut(_Out):
    at: datetime
    by: str
    action: str
    changes: dict[str, Any]


class AuditorDetail(AuditorOut):
    history: list[ChangeOut]


def auditor_out(request: Request, auditor: Auditor) -> dict[str, Any]:
    application = application_of(request)
    today = application.clock.now().astimezone(application.config.zone).date()
    q = auditor.qualification
    assert auditor.id is not None
    status = qualification_status(auditor, today, application.config.auditors.expiring_days)
    return {
        "id": auditor.id,
        "name": auditor.name,
        "registration": q.registration,
        "grade": q.grade.value,
        "registered_on": q.registered_on,
        "valid_until": q.valid_until,
        "status": status.value,
        "areas": list(auditor.areas),
        "languages": list(auditor.languages),
        "unavailable": [
            RangeOut(starts_on=s.starts_on, ends_on=s.ends_on) for s in auditor.unavailable
        ],
        "relations": [
            RelationOut(
                organisation_id=r.organisation_id,
                kind=r.kind.value,
                starts_on=r.starts_on,
                ends_on=r.ends_on,
            )
            for r in auditor.relations
        ],
        "version": auditor.version,
    }


def _detail(request: Request, auditor_id: int) -> AuditorDetail:
    service = application_of(request).auditors
    auditor = service.get(auditor_id)
    history = [
        ChangeOut(at=h.at, by=h.by, action=h.action, changes=dict(h.changes))
        for h in service.history(auditor_id)
    ]
    return AuditorDetail(**auditor_out(request, auditor), history=history)


@router.get("", response_model=list[AuditorOut], response_model_by_alias=True)
def list_auditors(
    request: Request,
    who: Reader,
    area: Annotated[str | None, Query(max_length=100, description="qualified in this area")] = None,
    grade: Grade | None = None,
    qualified_on: Annotated[Day | None, Query(description="qualification valid that day")] = None,
    available_on: Annotated[Day | None, Query(description="not unavailable that day")] = None,
) -> list[AuditorOut]:
    """Auditors by id, filtered by area, grade, qualification or availability on a day."""
    query = AuditorQuery(area, grade, qualified_on, available_on)
    found = application_of(request).auditors.list(query)
    return [AuditorOut(**auditor_out(request, a)) for a in found]


@router.get("/{auditor_id}", response_model=AuditorDetail, response_model_by_alias=True)
def get_auditor(auditor_id: AuditorId, request: Request, who: Reader) -> AuditorDetail:
    """An auditor and the history of their record (who changed what, when)."""
    return _detail(request, auditor_id)


@router.post("", status_code=201, response_model=AuditorDetail, response_model_by_alias=True)
def add_auditor(body: AuditorIn, request: Request, who: Keeper) -> AuditorDetail:
    """Register an auditor; the change is recorded as the caller's."""
    auditor = Auditor(
        None,
        body.name,
        Qualification(body.registration, body.grade, body.registered_on, body.valid_until),
        areas=tuple(body.areas),
        languages=tuple(body.languages),
        unavailable=tuple(s.value() for s in body.unavailable),
        relations=tuple(r.value() for r in body.relations),
    )
    added = application_of(request).auditors.add(auditor, who.name)
    assert added.id is not None
    return _detail(request, added.id)


@router.patch("/{auditor_id}", response_model=AuditorDetail, response_model_by_alias=True)
def update_auditor(
    auditor_id: AuditorId, body: AuditorUpdate, request: Request, who: Keeper
) -> AuditorDetail:
    """Change an auditor's record; the change is kept in their history as the caller's."""
    edit = AuditorEdit(
        name=body.name,
        registration=body.registration,
        grade=body.grade,
        registered_on=body.registered_on,
        valid_until=body.valid_until,
        add_areas=tuple(body.add_areas),
        remove_areas=tuple(body.remove_areas),
        add_languages=tuple(body.add_languages),
        remove_languages=tuple(body.remove_languages),
        add_unavailable=tuple(s.value() for s in body.add_unavailable),
        remove_unavailable=tuple(s.value() for s in body.remove_unavailable),
        add_relations=tuple(r.value() for r in body.add_relations),
        remove_relations=tuple(r.value() for r in body.remove_relations),
    )
    service = application_of(request).auditors
    try:
        service.update(auditor_id, edit, who.name, body.expected_version)
    except InvalidInput as exc:
        if exc.field in ("areas", "languages", "unavailable", "relations"):
            raise InvalidInput(f"add_{exc.field}", exc.message) from None
        raise
    return _detail(request, auditor_id)
