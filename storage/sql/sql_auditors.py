"""The auditor register in the `auditor*` tables, each read or write a short transaction.

An update replaces the auditor's areas, languages, ranges and relations whole (a record holds a
handful of each) under the version check, and appends its history entry in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NoReturn

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from storage.formats import utc
from storage.sql.sql_errors import translated
from storage.sql.statements import table
from storage.sql.tables import (
    AuditorAreaRow,
    AuditorChangeRow,
    AuditorLanguageRow,
    AuditorRelationRow,
    AuditorRow,
    AuditorUnavailabilityRow,
    OrganisationRow,
)
from workflows.auditors import (
    Auditor,
    AuditorChange,
    AuditorNotFound,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
)
from workflows.errors import ConcurrencyConflict, InvalidInput

AUDITORS = table(AuditorRow)
AREAS = table(AuditorAreaRow)
LANGUAGES = table(AuditorLanguageRow)
UNAVAILABLE = table(AuditorUnavailabilityRow)
RELATIONS = table(AuditorRelationRow)
CHANGES = table(AuditorChangeRow)
ORGANISATIONS = table(OrganisationRow)
PARTS = (AREAS, LANGUAGES, UNAVAILABLE, RELATIONS)


class SqlAuditors:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        with _writing(self.engine) as conn:
            values = insert(AUDITORS).values(**_head(auditor), version=0)
            found = conn.execute(values).inserted_primary_key
            assert found is not None
            stored = replace(auditor, id=int(found[0]), version=0)
            self._write_parts(conn, stored)
            self._append(conn, replace(change, auditor_id=stored.id or 0))
        return stored

    def save(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        assert auditor.id is not None
        a = AUDITORS.c
        with _writing(self.engine) as conn:
            moved = conn.execute(
                update(AUDITORS)
                .where(a.id == auditor.id, a.version == auditor.version)
                .values(**_head(auditor), version=auditor.version + 1)
            ).rowcount
            if moved != 1:
                _load(conn, [auditor.id])  # not found, or another writer got there first
                raise ConcurrencyConflict(f"auditor {auditor.id} was changed by someone else")
            for part in PARTS:
                conn.execute(delete(part).where(part.c.auditor_id == auditor.id))
            stored = replace(auditor, version=auditor.version + 1)
            self._write_parts(conn, stored)
            self._append(conn, replace(change, auditor_id=auditor.id))
        return stored

    def get(self, auditor_id: int) -> Auditor:
        with translated(), self.engine.begin() as conn:
            return _load(conn, [auditor_id])[0]

    def by_registration(self, registration: str) -> Auditor | None:
        a = AUDITORS.c
        with translated(), self.engine.begin() as conn:
            found = conn.execute(select(a.id).where(a.registration == registration)).scalar()
            return None if found is None else _load(conn, [found])[0]

    def list(self) -> Sequence[Auditor]:
        with translated(), self.engine.begin() as conn:
            return _load(conn, None)

    def history(self, auditor_id: int) -> Sequence[AuditorChange]:
        c = CHANGES.c
        query = select(CHANGES).where(c.auditor_id == auditor_id).order_by(c.id)
        with translated(), self.engine.begin() as conn:
            return [
                AuditorChange(r.id, r.auditor_id, utc(r.at, "at"), r.by, r.action, r.changes)
                for r in conn.execute(query)
            ]

    def missing_organisations(self, ids: Iterable[int]) -> frozenset[int]:
        wanted = set(ids)
        if not wanted:
            return frozenset()
        o = ORGANISATIONS.c
        with translated(), self.engine.begin() as conn:
            held = set(conn.execute(select(o.id).where(o.id.in_(wanted))).scalars())
        return frozenset(wanted - held)

    # --- inside a transaction --------------------------------------------------------------

    @staticmethod
    def _write_parts(conn: Connection, auditor: Auditor) -> None:
        aid = auditor.id
        rows: list[tuple[Any, list[dict[str, Any]]]] = [
            (AREAS, [{"auditor_id": aid, "area": x} for x in auditor.areas]),
            (LANGUAGES, [{"auditor_id": aid, "language": x} for x in auditor.languages]),
            (
                UNAVAILABLE,
                [
                    {"auditor_id": aid, "starts_on": s.starts_on, "ends_on": s.ends_on}
                    for s in auditor.unavailable
                ],
            ),
            (
                RELATIONS,
                [
                    {
                        "auditor_id": aid,
                        "organisation_id": r.organisation_id,
                        "kind": r.kind.value,
                        "starts_on": r.starts_on,
                        "ends_on": r.ends_on,
                    }
                    for r in auditor.relations
                ],
            ),
        ]
        for part, values in rows:
            if values:
                conn.execute(insert(part), values)

    @staticmethod
    def _append(conn: Connection, change: AuditorChange) -> None:
        conn.execute(
            insert(CHANGES).values(
                auditor_id=change.auditor_id,
                at=utc(change.at, "at"),
                by=change.by,
                action=change.action,
                changes=dict(change.changes),
            )
        )


def _load(conn: Connection, ids: list[int] | None) -> list[Auditor]:
    """The auditors with `ids` (every one when None), by id; AuditorNotFound for a missing one."""
    a = AUDITORS.c
    heads = select(AUDITORS).order_by(a.id)
    if ids is not None:
        heads = heads.where(a.id.in_(ids))
    found = list(conn.execute(heads))
    if ids is not None and len(found) != len(set(ids)):
        missing = sorted(set(ids) - {r.id for r in found})
        raise AuditorNotFound(f"auditor {missing[0]} not found")
    parts: dict[str, dict[int, list[Row[Any]]]] = {}
    for name, part, order in (
        ("areas", AREAS, AREAS.c.area),
        ("languages", LANGUAGES, LANGUAGES.c.language),
        ("unavailable", UNAVAILABLE, UNAVAILABLE.c.starts_on),
        ("relations", RELATIONS, RELATIONS.c.id),
    ):
        query = select(part).order_by(part.c.auditor_id, order)
        if ids is not None:
            query = query.where(part.c.auditor_id.in_(ids))
        grouped: dict[int, list[Row[Any]]] = defaultdict(list)
        for row in conn.execute(query):
            grouped[row.auditor_id].append(row)
        parts[name] = grouped
    return [_auditor(row, {k: v.get(row.id, []) for k, v in parts.items()}) for row in found]


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction; a unique registration or a relation's organisation that a racing
    writer made wrong is refused as bad input, other failures as starcert's storage errors."""
    with translated():
        try:
            with engine.begin() as conn:
                yield conn
        except IntegrityError as error:
            _refuse(error)


def _refuse(error: IntegrityError) -> NoReturn:
    said = str(error.orig)
    if "registration" in said:
        raise InvalidInput("registration", "already registered to another auditor") from error
    raise InvalidInput("relations", "an organisation it names is not registered") from error


def _head(auditor: Auditor) -> dict[str, Any]:
    q = auditor.qualification
    return {
        "name": auditor.name,
        "registration": q.registration,
        "grade": q.grade.value,
        "registered_on": q.registered_on,
        "valid_until": q.valid_until,
    }


def _auditor(row: Row[Any], parts: dict[str, list[Row[Any]]]) -> Auditor:
    return Auditor(
        id=row.id,
        name=row.name,
        qualification=Qualification(
            row.registration, Grade(row.grade), row.registered_on, row.valid_until
        ),
        areas=tuple(r.area for r in parts["areas"]),
        languages=tuple(r.language for r in parts["languages"]),
        unavailable=tuple(Unavailability(r.starts_on, r.ends_on) for r in parts["unavailable"]),
        relations=tuple(
            sorted(
                Relation(r.organisation_id, RelationKind(r.kind), r.starts_on, r.ends_on)
                for r in parts["relations"]
            )
        ),
        version=row.version,
    )
