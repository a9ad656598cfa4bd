"""The public verification's hot path on SQL: autocommit reads on an engine of their own.

`verify` is one indexed lookup by certificate number returning only public columns; it neither
waits for writers nor makes them wait (the unit-of-work engine opens every SQLite transaction
with BEGIN IMMEDIATE, the write lock). `search` is the public query: by number (uq_cases_number),
by credit code (uq_organisations_credit_code, then ix_cases_organisation) or by a part of the
holder's name (LIKE over the public cases: no b-tree serves a substring); then, for the page's
few cases, their state-changing events and open surveillance deadline, each by its case index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from storage.certificate_trail import ISSUING, replaced
from storage.public_records import like_pattern, one_key, status_entry
from storage.sql.engines import SQLITE_BUSY_TIMEOUT_S, parse_url
from storage.sql.sql_errors import translated
from storage.sql.tables import CaseRow, DeadlineRow, EventRow, OrganisationRow
from workflows.model import DeadlineKind, StarLevel, State
from workflows.numbering import case_id_of
from workflows.read_ports import PublicCertificate, PublicRecord, Replaced

_VERIFY = sa.text(
    "SELECT number, holder, scope, state, star_level, issued_on, expires_on, "
    "last_surveillance_on, amendments FROM cases WHERE number = :number LIMIT 1"
).columns(
    sa.column("number", sa.String),
    sa.column("holder", sa.String),
    sa.column("scope", sa.String),
    sa.column("state", sa.String),
    sa.column("star_level", sa.String),
    sa.column("issued_on", sa.Date),
    sa.column("expires_on", sa.Date),
    sa.column("last_surveillance_on", sa.Date),
    sa.column("amendments", sa.Integer),
)
"""Plain SQL on the uq_cases_number index: the hot path skips statement building and adaptation."""


_ISSUED = (
    select(EventRow.data)
    .where(col(EventRow.case_id) == sa.bindparam("case_id"), col(EventRow.trigger).in_(ISSUING))
    .order_by(col(EventRow.seq))
)
"""What each issuing event recorded (its `number`, `decided_on`), in the case's order."""


def replaced_number(engine: Engine, number: str) -> Replaced | None:
    """`number` if it was issued once and a renewal has since given its case another number.

    Numbers carry their case id (workflows.numbering), so this reads one case's trail, by index.
    """
    case_id = case_id_of(number)
    if case_id is None:
        return None
    with translated(), engine.connect() as conn:
        issued = [data or {} for data in conn.execute(_ISSUED, {"case_id": case_id}).scalars()]
        current = conn.execute(
            sa.text("SELECT number FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar()
    return replaced(number, case_id, issued, current)


def make_read_engine(url: str) -> Engine:
    """An engine for single-statement reads: autocommit, so a read never opens a transaction.

    The unit-of-work engine opens every SQLite transaction with BEGIN IMMEDIATE (the write
    lock); public lookups must neither wait for writers nor make them wait.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sa.create_engine(
            parsed,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
    # No pre-ping (it doubles the round trips); verify_row retries once on a dropped connection.
    return sa.create_engine(parsed, isolation_level="AUTOCOMMIT", pool_size=10)


def verify_row(engine: Engine, number: str) -> PublicCertificate | None:
    """The public fields of certificate `number`, or None; one indexed single-statement read."""
    with translated():
        try:
            with engine.connect() as conn:
                row = conn.execute(_VERIFY, {"number": number}).first()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            with engine.connect() as conn:  # the pool dropped a dead connection: once more
                row = conn.execute(_VERIFY, {"number": number}).first()
    if row is None:
        return None
    return _certificate(row, 0, row[8])


_PUBLIC = tuple(
    col(c)
    for c in (
        CaseRow.id,
        CaseRow.number,
        CaseRow.holder,
        CaseRow.scope,
        CaseRow.state,
        CaseRow.star_level,
        CaseRow.issued_on,
        CaseRow.expires_on,
        CaseRow.last_surveillance_on,
        CaseRow.suspended_on,
        CaseRow.amendments,
    )
)


def public_cases(
    number: str | None, holder: str | None, credit_code: str | None, states: Collection[State]
) -> sa.Select[*tuple[Any, ...]]:
    """The public cases the one key finds (a WHERE over cases, joined to organisations for a
    credit code)."""
    key, value = one_key(number, holder, credit_code)
    query = sa.select(*_PUBLIC).where(
        col(CaseRow.number).is_not(None), col(CaseRow.state).in_([str(s) for s in states])
    )
    if key == "number":
        return query.where(col(CaseRow.number) == value)
    if key == "credit_code":
        return query.join(
            OrganisationRow, col(OrganisationRow.id) == col(CaseRow.organisation_id)
        ).where(col(OrganisationRow.credit_code) == value)
    return query.where(
        sa.func.lower(col(CaseRow.holder)).like(sa.func.lower(like_pattern(value)), escape="\\")
    )


def _entries(conn: Connection, ids: list[int]) -> dict[int, list[tuple[str, datetime, Any]]]:
    """Each case's state-changing events (to_state, at, data), in sequence order."""
    rows = conn.execute(
        sa.select(
            col(EventRow.case_id), col(EventRow.to_state), col(EventRow.at), col(EventRow.data)
        )
        .where(
            col(EventRow.case_id).in_(ids),
            sa.or_(
                col(EventRow.from_state).is_(None),
                col(EventRow.from_state) != col(EventRow.to_state),
            ),
        )
        .order_by(col(EventRow.case_id), col(EventRow.seq))
    )
    trail: dict[int, list[tuple[str, datetime, Any]]] = defaultdict(list)
    for case_id, to_state, at, data in rows:
        trail[case_id].append((to_state, at, data))
    return trail


def _surveillance_due(conn: Connection, ids: list[int]) -> dict[int, datetime]:
    rows = conn.execute(
        sa.select(col(DeadlineRow.case_id), sa.func.min(col(DeadlineRow.due_at)))
        .where(
            col(DeadlineRow.case_id).in_(ids),
            col(DeadlineRow.done_at).is_(None),
            col(DeadlineRow.kind) == str(DeadlineKind.SURVEILLANCE_DUE),
        )
        .group_by(col(DeadlineRow.case_id))
    )
    return {case_id: due for case_id, due in rows}


def search_rows(
    engine: Engine,
    *,
    number: str | None,
    holder: str | None,
    credit_code: str | None,
    states: Collection[State],
    limit: int,
    offset: int,
) -> tuple[list[PublicRecord], int]:
    """One page of the public query's certificates, in number order, and how many there are."""
    found = public_cases(number, holder, credit_code, states)
    with translated(), engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(found.subquery())).scalar_one()
        rows = conn.execute(found.order_by(col(CaseRow.number)).limit(limit).offset(offset)).all()
        ids = [row[0] for row in rows]
        trail = _entries(conn, ids) if ids else {}
        due = _surveillance_due(conn, ids) if ids else {}
    records = []
    for row in rows:
        entered_at, effective_on = status_entry(trail.get(row[0], []), row[4])
        certificate = _certificate(row, 1, row[10])
        records.append(PublicRecord(certificate, row[9], entered_at, effective_on, due.get(row[0])))
    return records, int(total)


class SqlPublicLookups:
    """`PublicLookups` on an autocommit engine of its own (connects on first use)."""

    def __init__(self, url: str) -> None:
        self.engine = make_read_engine(url)

    def verify(self, number: str) -> PublicCertificate | None:
        return verify_row(self.engine, number)

    def replaced_number(self, number: str) -> Replaced | None:
        return replaced_number(self.engine, number)

    def search(
        self,
        *,
        number: str | None = None,
        holder: str | None = None,
        credit_code: str | None = None,
        states: Collection[State],
        limit: int,
        offset: int = 0,
    ) -> tuple[list[PublicRecord], int]:
        return search_rows(
            self.engine,
            number=number,
            holder=holder,
            credit_code=credit_code,
            states=states,
            limit=limit,
            offset=offset,
        )

    def close(self) -> None:
        self.engine.dispose()


def _certificate(row: Any, at: int, amendments: int) -> PublicCertificate:
    """A certificate from a row whose public columns start at column `at` (number, holder,
    scope, state, star level, issued, expires, last surveillance), at version `amendments`."""
    number, holder, scope, state, star, issued, expires, surveyed = row[at : at + 8]
    return PublicCertificate(
        number=str(number),
        holder=holder,
        scope=scope,
        state=State(state),
        star_level=None if star is None else StarLevel(star),
        issued_on=issued,
        expires_on=expires,
        last_surveillance_on=surveyed,
        amendments=int(amendments or 0),
    )
