"""In-memory repositories of a case's own records: organisations, applications, audits, cases,
events."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from operator import attrgetter

from storage import checks
from storage.formats import (
    decimal_from_text,
    decimal_text,
    plain_json,
    sheet_from_json,
    sheet_to_json,
    utc,
)
from storage.memory.memory_tables import MemoryRepository, sorted_by
from workflows.errors import (
    ApplicationNotFound,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    OrganisationNotFound,
)
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    ChainHead,
    Event,
    IndicatorResult,
    Organisation,
    ScoreSheet,
    StarLevel,
    State,
    SuspensionCause,
)

_ID = attrgetter("id")
_SEQ = attrgetter("seq")


class MemoryOrganisations(MemoryRepository):
    def add(self, organisation: Organisation) -> Organisation:
        checks.new_row(organisation.id, "organisation")
        checks.text(organisation.name, "organisation.name")
        checks.text(organisation.credit_code, "organisation.credit_code")
        existing = self.by_credit_code(organisation.credit_code)
        if existing is not None:
            raise InvalidInput(
                "credit_code",
                f"{organisation.credit_code} is already registered (organisation {existing.id})",
            )
        stored = replace(organisation, id=self._uow.store.next_id("organisations"))
        self._uow.put("organisations", stored.id, stored)
        return stored

    def get(self, organisation_id: int) -> Organisation:
        found = self._uow.data.organisations.get(organisation_id)
        if found is None:
            raise OrganisationNotFound(f"organisation {organisation_id} not found")
        return found

    def by_credit_code(self, credit_code: str) -> Organisation | None:
        return self._uow.data.organisation_coded(credit_code)

    def set_contact_email(self, organisation_id: int, email: str | None) -> Organisation:
        if email is not None:
            checks.text(email, "organisation.contact_email")
        stored = replace(self.get(organisation_id), contact_email=email)
        self._uow.put("organisations", organisation_id, stored)
        return stored


class MemoryApplications(MemoryRepository):
    def add(self, application: Application) -> Application:
        checks.new_row(application.id, "application")
        checks.text(application.scope, "application.scope")
        if application.organisation_id not in self._uow.data.organisations:
            raise OrganisationNotFound(f"organisation {application.organisation_id} not found")
        stored = replace(application, id=self._uow.store.next_id("applications"))
        self._uow.put("applications", stored.id, stored)
        return stored

    def get(self, application_id: int) -> Application:
        found = self._uow.data.applications.get(application_id)
        if found is None:
            raise ApplicationNotFound(f"application {application_id} not found")
        return found


class MemoryAudits(MemoryRepository):
    def add(self, audit: Audit) -> Audit:
        checks.new_row(audit.id, "audit")
        checks.member(audit.kind, AuditKind, "audit.kind")
        checks.text(audit.auditor, "audit.auditor")
        self._case(audit.case_id)
        sheet = None if audit.sheet is None else _normal_sheet(audit.sheet)
        stored = Audit(
            self._uow.store.next_id("audits"), audit.case_id, audit.kind, audit.audit_date,
            audit.auditor, sheet,
        )  # fmt: skip
        self._uow.put("audits", stored.id, stored)
        return stored

    def for_case(self, case_id: int) -> Sequence[Audit]:
        """The case's audits in the order they were recorded."""
        return sorted(self._uow.data.of_case("audits", case_id), key=_ID)

    def latest_date(self, case_id: int) -> date | None:
        return max((a.audit_date for a in self.for_case(case_id)), default=None)


def _normal_sheet(sheet: ScoreSheet) -> ScoreSheet:
    """`sheet` as the SQL backend reads it back (storage.formats' JSON document): indicator
    codes in order, the same values. A sheet of plain points and samples keeps its results (they
    are immutable: a Decimal read back from its text is the same number, digits and all); any
    other goes through the document itself."""
    results = sheet.results
    codes = sorted(results)
    for code in codes:
        result = results[code]
        points = result.points
        plain_points = points is None or (type(points) is Decimal and points.is_finite())
        plain = type(result) is IndicatorResult and result.items is None and plain_points
        if type(code) is not str or not code or not plain:
            return sheet_from_json(sheet_to_json(sheet))
    return ScoreSheet(
        results={code: results[code] for code in codes},
        excluded=frozenset(sorted(sheet.excluded)),
        special_deductions=tuple(sheet.special_deductions),
        special_bonus=sheet.special_bonus,
    )


def _normal_case(case: Case, stored: Case | None = None) -> Case:
    """`case` as the SQL backend stores it (a copy); a score the `stored` row holds is kept."""
    checks.member(case.state, State, "case.state")
    checks.text(case.holder, "case.holder")
    checks.text(case.scope, "case.scope")
    if case.star_level is not None:
        checks.member(case.star_level, StarLevel, "case.star_level")
    if case.suspension_cause is not None:
        checks.member(case.suspension_cause, SuspensionCause, "case.suspension_cause")
    normal = case.copy()
    if stored is None or case.final_score is not stored.final_score:
        normal.final_score = decimal_from_text(decimal_text(case.final_score, "case.final_score"))
    return normal


class MemoryCases(MemoryRepository):
    def add(self, case: Case) -> Case:
        checks.new_row(case.id, "case")
        if case.organisation_id not in self._uow.data.organisations:
            raise OrganisationNotFound(f"organisation {case.organisation_id} not found")
        if case.application_id not in self._uow.data.applications:
            raise ApplicationNotFound(f"application {case.application_id} not found")
        stored = _normal_case(case)
        stored.id = self._uow.store.next_id("cases")
        self._unique_number(stored)
        self._uow.put("cases", stored.id, stored)
        return stored.copy()

    def read_ahead(self, case_ids: Collection[int]) -> None:
        """Nothing to gain in memory: every read is a lookup already."""

    def get(self, case_id: int) -> Case:
        return self._case(case_id).copy()

    def by_number(self, number: str) -> Case:
        case = self._uow.data.case_numbered(number)
        if case is None:
            raise CaseNotFound(f"no case holds certificate {number}")
        return case.copy()

    def save(self, case: Case) -> None:
        """Write `case` if its stored version is still `case.version`; bumps `case.version`."""
        if case.id is None:
            raise InvalidInput("case.id", "a case must be added before it is saved")
        stored = self._case(case.id)
        if stored.version != case.version:
            raise ConcurrencyConflict(
                f"case {case.id} was changed by another writer (expected version {case.version}, "
                f"stored {stored.version}); retry"
            )
        updated = _normal_case(case, stored)
        updated.version += 1
        self._unique_number(updated)
        self._uow.put("cases", case.id, updated)
        case.version += 1

    def _unique_number(self, case: Case) -> None:
        if case.number is None:
            return
        other = self._uow.data.case_numbered(case.number)
        if other is not None and other.id != case.id:
            raise InvalidInput(
                "number", f"certificate {case.number} is already held by case {other.id}"
            )

    def list(
        self,
        *,
        state: State | None = None,
        star_level: StarLevel | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Case]:
        """Cases in id order, optionally only one state and/or star level; `limit`/`offset` page."""
        checks.page(limit, offset)
        found = [
            replace(c)
            for c in sorted_by(self._uow.data.cases.values(), key=lambda c: c.id)
            if (state is None or c.state == state)
            and (star_level is None or c.star_level == star_level)
        ]
        end = None if limit is None else offset + limit
        return found[offset:end]


class MemoryEventLog(MemoryRepository):
    def append(self, event: Event) -> Event:
        """Add the next event of a case; a (case, seq) already taken is a ConcurrencyConflict."""
        self._case(event.case_id)
        checks.member(event.to_state, State, "event.to_state")
        if event.from_state is not None:
            checks.member(event.from_state, State, "event.from_state")
        if event.seq < 1:
            raise InvalidInput("event.seq", f"must be 1 or more (got {event.seq})")
        key = (event.case_id, event.seq)
        if key in self._uow.data.events:
            raise ConcurrencyConflict(
                f"case {event.case_id} already has event {event.seq}: another writer appended first"
            )
        stored = Event(
            event.case_id, event.seq, utc(event.at, "event.at"), event.actor, event.trigger,
            event.from_state, event.to_state, event.reason, event.rule_version, event.rule_hash,
            plain_json(event.data, "event.data"), event.prev_hash, event.hash,
        )  # fmt: skip
        self._uow.put("events", key, stored)
        return stored

    def head(self, case_id: int) -> ChainHead | None:
        newest = self._uow.data.head(case_id)
        return None if newest is None else ChainHead(newest.seq, newest.hash)

    def for_case(self, case_id: int) -> Sequence[Event]:
        """The case's events in sequence order."""
        return sorted(self._uow.data.of_case("events", case_id), key=_SEQ)

    def last(self, case_id: int) -> Event | None:
        return self._uow.data.head(case_id)

    def all_case_ids(self) -> Iterator[int]:
        """Ids of every case on record or named by an event, ascending."""
        return iter(sorted({cid for cid, _ in self._uow.data.events} | set(self._uow.data.cases)))
