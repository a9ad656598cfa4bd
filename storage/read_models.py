"""Read-only queries the API and console need beyond the repositories: search, feeds, lookups.

They read committed rows in one statement each and never write. `verify_row` is the hot path of
public verification: one indexed lookup by certificate number returning only public columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from storage import checks, mapping
from storage.database import SQLITE_BUSY_TIMEOUT_S, parse_url
from storage.formats import utc
from storage.sql import SqlUnitOfWork
from storage.tables import CaseRow, DeadlineRow, EventRow, OrganisationRow
from workflows.errors import CaseNotFound
from workflows.model import Case, Deadline, Event, Organisation, StarLevel, State
from workflows.numbering import case_id_of


@dataclass(frozen=True)
class PublicCertificate:
    """Exactly what the public may see of a certificate."""

    number: str
    holder: str
    scope: str
    state: State
    star_level: StarLevel | None
    issued_on: date | None
    expires_on: date | None
    last_surveillance_on: date | None


@dataclass(frozen=True)
class CaseEvent:
    event: Event
    number: str | None
    holder: str
    scope: str
    star_level: StarLevel | None


@dataclass(frozen=True)
class CaseDeadline:
    deadline: Deadline
    number: str | None
    holder: str
    state: State


_VERIFY = sa.text(
    "SELECT number, holder, scope, state, star_level, issued_on, expires_on, "
    "last_surveillance_on FROM cases WHERE number = :number LIMIT 1"
).columns(
    sa.column("number", sa.String),
    sa.column("holder", sa.String),
    sa.column("scope", sa.String),
    sa.column("state", sa.String),
    sa.column("star_level", sa.String),
    sa.column("issued_on", sa.Date),
    sa.column("expires_on", sa.Date),
    sa.column("last_surveillance_on", sa.Date),
)
"""Plain SQL on the uq_cases_number index: the hot path skips statement building and adaptation."""


@dataclass(frozen=True)
class Replaced:
    """A certificate number a renewal replaced: which case holds it and its number now."""

    number: str
    case_id: int
    replaced_on: date | None
    current: str | None


_ISSUING = ("certify", "recertify", "restore_after_expiry")
"""The events that issue a certificate (they record its `number` and `decided_on`)."""

_ISSUED = (
    select(EventRow.data)
    .where(col(EventRow.case_id) == sa.bindparam("case_id"), col(EventRow.trigger).in_(_ISSUING))
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
    with engine.connect() as conn:
        issued = [data or {} for data in conn.execute(_ISSUED, {"case_id": case_id}).scalars()]
        current = conn.execute(
            sa.text("SELECT number FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar()
    numbers = [data.get("number") for data in issued]
    if current == number or number not in numbers:
        return None
    renewal = issued[numbers.index(number) + 1 :]
    on = renewal[0].get("decided_on") if renewal else None
    return Replaced(number, case_id, None if on is None else date.fromisoformat(on), current)


def case_holding(uow_factory: Callable[[], SqlUnitOfWork], engine: Engine, number: str) -> Case:
    """The case holding certificate `number`, or holding it before a renewal renumbered it."""
    try:
        with uow_factory() as uow:
            return uow.cases.by_number(number)
    except CaseNotFound:
        replaced = replaced_number(engine, number)  # after the unit of work: its own connection
        if replaced is None:
            raise
    with uow_factory() as uow:
        return uow.cases.get(replaced.case_id)


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
    return PublicCertificate(
        number=str(row[0]),
        holder=row[1],
        scope=row[2],
        state=State(row[3]),
        star_level=None if row[4] is None else StarLevel(row[4]),
        issued_on=row[5],
        expires_on=row[6],
        last_surveillance_on=row[7],
    )


def search_cases(
    uow: SqlUnitOfWork,
    *,
    text: str | None = None,
    state: State | None = None,
    star_level: StarLevel | None = None,
    only_ids: Sequence[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """Cases matching all filters, in id order, one page of them and the total count.

    `text` matches a certificate number exactly or the holder's name or the number as a
    case-insensitive substring.
    """
    checks.page(limit, offset)
    where: list[ColumnElement[bool]] = []
    if text:
        pattern = f"%{_escape_like(text.strip().lower())}%"
        where.append(
            or_(
                col(CaseRow.number) == text.strip(),
                func.lower(CaseRow.holder).like(pattern, escape="\\"),
                func.lower(col(CaseRow.number)).like(pattern, escape="\\"),
            )
        )
    if state is not None:
        where.append(col(CaseRow.state) == str(state))
    if star_level is not None:
        where.append(col(CaseRow.star_level) == str(star_level))
    if only_ids is not None:
        where.append(col(CaseRow.id).in_(list(only_ids)))
    total = uow.session.exec(select(func.count()).select_from(CaseRow).where(*where)).one()
    stmt = select(CaseRow).where(*where).order_by(col(CaseRow.id)).offset(offset).limit(limit)
    return [mapping.case(r) for r in uow.rows(stmt)], int(total)


def recent_events(
    uow: SqlUnitOfWork, triggers: Sequence[str], limit: int, since: datetime | None = None
) -> list[CaseEvent]:
    """The latest events of the given triggers, newest first, with their certificate's fields."""
    checks.page(limit, 0)
    stmt = (
        select(EventRow, CaseRow)
        .join(CaseRow, col(CaseRow.id) == col(EventRow.case_id))
        .where(col(EventRow.trigger).in_(list(triggers)))
        .order_by(col(EventRow.id).desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(col(EventRow.at) >= utc(since, "since"))
    rows = uow.session.exec(stmt).all()
    then = _certificate_after_each_event(uow, {e.case_id for e, _case in rows})
    found = []
    for event_row, case_row in rows:
        number, star = then.get((event_row.case_id, event_row.seq), (None, None))
        found.append(
            CaseEvent(
                event=mapping.event(event_row),
                number=number,
                holder=case_row.holder,
                scope=case_row.scope,
                star_level=None if star is None else StarLevel(star),
            )
        )
    return found


def _certificate_after_each_event(
    uow: SqlUnitOfWork, case_ids: set[int]
) -> dict[tuple[int, int], tuple[str | None, str | None]]:
    """(case, seq) -> the certificate number and star level right after that event.

    What an announcement of a past event shows: a renewal's new number or a re-banding since
    must not rewrite it. Replayed from the cases' trails (issuing events record the number;
    every scored event that re-bands records the star level).
    """
    if not case_ids:
        return {}
    stmt = (
        select(EventRow.case_id, EventRow.seq, EventRow.trigger, EventRow.data)
        .where(col(EventRow.case_id).in_(sorted(case_ids)))
        .order_by(col(EventRow.case_id), col(EventRow.seq))
    )
    then: dict[tuple[int, int], tuple[str | None, str | None]] = {}
    current: dict[int, tuple[str | None, str | None]] = {}
    for case_id, seq, trigger, data in uow.session.exec(stmt).all():
        number, star = current.get(case_id, (None, None))
        data = data or {}
        if trigger in _ISSUING:
            number = data.get("number", number)
        score = data.get("score")
        if trigger in (*_ISSUING, "surveil", "restore") and isinstance(score, dict):
            star = score.get("star_level", star)
        current[case_id] = then[(case_id, seq)] = (number, star)
    return then


def open_deadlines_between(
    uow: SqlUnitOfWork, start: datetime | None, end: datetime, limit: int
) -> list[CaseDeadline]:
    """Open deadlines due in [start, end] (from the earliest when start is None), due order."""
    checks.page(limit, 0)
    stmt = (
        select(DeadlineRow, CaseRow)
        .join(CaseRow, col(CaseRow.id) == col(DeadlineRow.case_id))
        .where(col(DeadlineRow.done_at).is_(None), col(DeadlineRow.due_at) <= utc(end, "end"))
        .order_by(col(DeadlineRow.due_at), col(DeadlineRow.id))
        .limit(limit)
    )
    if start is not None:
        stmt = stmt.where(col(DeadlineRow.due_at) > utc(start, "start"))
    return [
        CaseDeadline(
            deadline=mapping.deadline(d), number=c.number, holder=c.holder, state=State(c.state)
        )
        for d, c in uow.session.exec(stmt).all()
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = [
    "CaseDeadline",
    "CaseEvent",
    "PublicCertificate",
    "make_read_engine",
    "open_deadlines_between",
    "recent_events",
    "register",
    "search_cases",
    "verify_row",
]


@dataclass(frozen=True)
class RegisterEntry:
    case: Case
    organisation: Organisation
    first_issued_on: date | None  # the first certificate's decision; renewals keep it


def cases_of_organisation(uow: SqlUnitOfWork, organisation_id: int) -> list[Case]:
    """The organisation's cases, oldest first (ix_cases_organisation)."""
    stmt = (
        select(CaseRow)
        .where(col(CaseRow.organisation_id) == organisation_id)
        .order_by(col(CaseRow.id))
    )
    return [mapping.case(row) for row in uow.rows(stmt)]


def register(uow: SqlUnitOfWork) -> list[RegisterEntry]:
    """Every case holding a certificate number, with its organisation, in id order."""
    first = (
        select(
            col(EventRow.case_id).label("case_id"),
            func.min(col(EventRow.data)["decided_on"].as_string()).label("decided_on"),
        )
        .where(col(EventRow.trigger) == "certify")
        .group_by(col(EventRow.case_id))
        .subquery()
    )
    stmt = (
        select(CaseRow, OrganisationRow, first.c.decided_on)
        .join(OrganisationRow, col(OrganisationRow.id) == col(CaseRow.organisation_id))
        .outerjoin(first, first.c.case_id == col(CaseRow.id))
        .where(col(CaseRow.number).is_not(None))
        .order_by(col(CaseRow.id))
    )
    return [
        RegisterEntry(
            mapping.case(k), mapping.organisation(o), date.fromisoformat(d) if d else k.issued_on
        )
        for k, o, d in uow.session.exec(stmt).all()
    ]
