"""The SQL backend (SQLite or PostgreSQL): repositories over one session per unit of work.

`with SqlUnitOfWork(engine) as uow: ...; uow.commit()` is one database transaction; leaving the
block without commit (or by an exception) rolls it back, and a process killed inside it leaves the
database as it was, since nothing is written outside a transaction. On SQLite the transaction is
`BEGIN IMMEDIATE` (see storage.database), so writers take turns; on PostgreSQL writers of
different rows run side by side and the version check and `SKIP LOCKED` keep them apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage import checks, mapping
from storage.accounts import SqlAccounts
from storage.formats import from_stored, utc
from storage.outbox import SqlOutbox
from storage.rule_versions import SqlRuleVersions
from storage.tables import ApplicationRow, AuditRow, CaseRow, DeadlineRow, EventRow, OrganisationRow
from workflows.errors import (
    ApplicationNotFound,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    OrganisationNotFound,
)
from workflows.model import (
    Application,
    Audit,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    StarLevel,
    State,
)
from workflows.ports import (
    AccountRepository,
    ApplicationRepository,
    AuditRepository,
    CaseRepository,
    DeadlineRepository,
    EventLog,
    NotificationOutbox,
    OrganisationRepository,
    RuleVersionRepository,
)

R = TypeVar("R", bound=SQLModel)


class SqlUnitOfWork:
    """One transaction on `engine`; repositories are usable only inside `with`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None
        self.organisations: OrganisationRepository = SqlOrganisations(self)
        self.applications: ApplicationRepository = SqlApplications(self)
        self.audits: AuditRepository = SqlAudits(self)
        self.cases: CaseRepository = SqlCases(self)
        self.deadlines: DeadlineRepository = SqlDeadlines(self)
        self.events: EventLog = SqlEventLog(self)
        self.accounts: AccountRepository = SqlAccounts(self)
        self.notifications: NotificationOutbox = SqlOutbox(self)
        self.rule_versions: RuleVersionRepository = SqlRuleVersions(self)

    def __enter__(self) -> Self:
        self._session = Session(self.engine, expire_on_commit=False, autoflush=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- helpers for the repositories ----------------------------------------------------------

    def rows(self, stmt: SelectOfScalar[R]) -> list[R]:
        """Fresh rows (never stale copies from the session's identity map)."""
        return list(self.session.exec(stmt.execution_options(populate_existing=True)).all())

    def first(self, stmt: SelectOfScalar[R]) -> R | None:
        found = self.rows(stmt.limit(1))
        return found[0] if found else None

    def insert(self, row: R) -> R:
        """INSERT now (so constraint errors surface here) and return the row with its id."""
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            self.session.rollback()
            _raise_integrity(exc)
        return row

    def exists(self, table: type[SQLModel], row_id: int) -> bool:
        return self.session.get(table, row_id) is not None

    def exists_case(self, case_id: int) -> bool:
        return self.exists(CaseRow, case_id)


def _raise_integrity(exc: IntegrityError) -> NoReturn:
    """A constraint race lost to another transaction, as the error the contract names.

    The transaction is already rolled back: on PostgreSQL a failed statement poisons it.
    """
    text = str(exc.orig)
    if "credit_code" in text:
        raise InvalidInput("credit_code", "already registered by another writer") from exc
    if "uq_cases_number" in text or "cases.number" in text:
        raise InvalidInput("number", "certificate number already held by another case") from exc
    if "uq_events_case_seq" in text or "events.case_id, events.seq" in text:
        raise ConcurrencyConflict("another writer appended this event first; retry") from exc
    raise ConcurrencyConflict(f"the write conflicted with another transaction: {text}") from exc


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _need_case(self, case_id: int) -> None:
        if not self._uow.exists(CaseRow, case_id):
            raise CaseNotFound(f"case {case_id} not found")


class SqlOrganisations(_Repo):
    def add(self, organisation: Organisation) -> Organisation:
        row = mapping.organisation_row(organisation)
        existing = self.by_credit_code(organisation.credit_code)
        if existing is not None:
            raise InvalidInput(
                "credit_code",
                f"{organisation.credit_code} is already registered (organisation {existing.id})",
            )
        return mapping.organisation(self._uow.insert(row))

    def get(self, organisation_id: int) -> Organisation:
        row = self._uow.first(select(OrganisationRow).where(OrganisationRow.id == organisation_id))
        if row is None:
            raise OrganisationNotFound(f"organisation {organisation_id} not found")
        return mapping.organisation(row)

    def by_credit_code(self, credit_code: str) -> Organisation | None:
        row = self._uow.first(
            select(OrganisationRow).where(OrganisationRow.credit_code == credit_code)
        )
        return None if row is None else mapping.organisation(row)


class SqlApplications(_Repo):
    def add(self, application: Application) -> Application:
        row = mapping.application_row(application)
        if not self._uow.exists(OrganisationRow, application.organisation_id):
            raise OrganisationNotFound(f"organisation {application.organisation_id} not found")
        return mapping.application(self._uow.insert(row))

    def get(self, application_id: int) -> Application:
        row = self._uow.first(select(ApplicationRow).where(ApplicationRow.id == application_id))
        if row is None:
            raise ApplicationNotFound(f"application {application_id} not found")
        return mapping.application(row)


class SqlAudits(_Repo):
    def add(self, audit: Audit) -> Audit:
        row = mapping.audit_row(audit)
        self._need_case(audit.case_id)
        return mapping.audit(self._uow.insert(row))

    def for_case(self, case_id: int) -> Sequence[Audit]:
        """The case's audits in the order they were recorded."""
        stmt = select(AuditRow).where(AuditRow.case_id == case_id).order_by(col(AuditRow.id))
        return [mapping.audit(r) for r in self._uow.rows(stmt)]


class SqlCases(_Repo):
    def add(self, case: Case) -> Case:
        checks.new_row(case.id, "case")
        values = mapping.case_values(case)
        if not self._uow.exists(OrganisationRow, case.organisation_id):
            raise OrganisationNotFound(f"organisation {case.organisation_id} not found")
        if not self._uow.exists(ApplicationRow, case.application_id):
            raise ApplicationNotFound(f"application {case.application_id} not found")
        self._unique_number(case.number, None)
        row = self._uow.insert(CaseRow(**values, version=case.version))
        return mapping.case(row)

    def get(self, case_id: int) -> Case:
        row = self._uow.first(select(CaseRow).where(CaseRow.id == case_id))
        if row is None:
            raise CaseNotFound(f"case {case_id} not found")
        return mapping.case(row)

    def by_number(self, number: str) -> Case:
        row = self._uow.first(select(CaseRow).where(CaseRow.number == number))
        if row is None:
            raise CaseNotFound(f"no case holds certificate {number}")
        return mapping.case(row)

    def save(self, case: Case) -> None:
        """`UPDATE ... SET ..., version = version + 1 WHERE id = :id AND version = :expected`.

        Zero rows matched means another writer saved first (or the case is gone):
        ConcurrencyConflict / CaseNotFound, and the caller's unit of work must roll back.
        On success `case.version` is bumped to the stored one.
        """
        if case.id is None:
            raise InvalidInput("case.id", "a case must be added before it is saved")
        values = mapping.case_values(case)
        self._unique_number(case.number, case.id)
        stmt = (
            update(CaseRow)
            .where(col(CaseRow.id) == case.id, col(CaseRow.version) == case.version)
            .values(**values, version=col(CaseRow.version) + 1)
        )
        try:
            matched = self._uow.session.execute(stmt).rowcount  # type: ignore[attr-defined]
        except IntegrityError as exc:
            self._uow.session.rollback()
            _raise_integrity(exc)
        if matched != 1:
            stored = self._uow.first(select(CaseRow).where(CaseRow.id == case.id))
            if stored is None:
                raise CaseNotFound(f"case {case.id} not found")
            raise ConcurrencyConflict(
                f"case {case.id} was changed by another writer (expected version {case.version}, "
                f"stored {stored.version}); retry"
            )
        case.version += 1

    def _unique_number(self, number: str | None, case_id: int | None) -> None:
        if number is None:
            return
        holder = self._uow.first(select(CaseRow).where(CaseRow.number == number))
        if holder is not None and holder.id != case_id:
            raise InvalidInput(
                "number", f"certificate {number} is already held by case {holder.id}"
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
        stmt = select(CaseRow).order_by(col(CaseRow.id))
        if state is not None:
            stmt = stmt.where(CaseRow.state == str(state))
        if star_level is not None:
            stmt = stmt.where(CaseRow.star_level == str(star_level))
        stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [mapping.case(r) for r in self._uow.rows(stmt)]


_OPEN = col(DeadlineRow.done_at).is_(None)
_DUE_ORDER = (col(DeadlineRow.due_at), col(DeadlineRow.id))


class SqlDeadlines(_Repo):
    def add(self, deadline: Deadline) -> Deadline:
        row = mapping.deadline_row(deadline)
        self._need_case(deadline.case_id)
        return mapping.deadline(self._uow.insert(row))

    def get(self, deadline_id: int) -> Deadline:
        row = self._uow.first(select(DeadlineRow).where(DeadlineRow.id == deadline_id))
        if row is None:
            raise NotFound(f"deadline {deadline_id} not found")
        return mapping.deadline(row)

    def _list(self, stmt: SelectOfScalar[DeadlineRow]) -> list[Deadline]:
        return [mapping.deadline(r) for r in self._uow.rows(stmt)]

    def open_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's open deadlines in due order."""
        return self._list(
            select(DeadlineRow).where(DeadlineRow.case_id == case_id, _OPEN).order_by(*_DUE_ORDER)
        )

    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int:
        """Delete the case's open deadlines (of `kinds`, or all); returns how many."""
        stmt = delete(DeadlineRow).where(col(DeadlineRow.case_id) == case_id, _OPEN)
        if kinds is not None:
            stmt = stmt.where(col(DeadlineRow.kind).in_([str(k) for k in kinds]))
        result: Any = self._uow.session.execute(stmt)
        return int(result.rowcount)

    def mark_done(self, deadline_id: int, at: datetime) -> None:
        """Close the row (it never fires again) and drop its lease."""
        at = utc(at, "done_at")
        self.get(deadline_id)
        self._update(deadline_id, done_at=at, claimed_until=None)

    def _update(self, deadline_id: int, *conditions: Any, **values: Any) -> None:
        stmt = (
            update(DeadlineRow)
            .where(col(DeadlineRow.id) == deadline_id, *conditions)
            .values(**values)
        )
        self._uow.session.execute(stmt)

    def _due(self, now: datetime) -> SelectOfScalar[DeadlineRow]:
        return (
            select(DeadlineRow).where(_OPEN, col(DeadlineRow.due_at) <= now).order_by(*_DUE_ORDER)
        )

    def due(self, now: datetime, limit: int) -> Sequence[Deadline]:
        """Open rows due at or before `now`, in due order, leased or not; claims nothing."""
        now = utc(now, "now")
        checks.batch(limit)
        return self._list(self._due(now).limit(limit))

    def claim_due(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]:
        """Lease up to `limit` open rows due by `now` whose lease is free or expired, due order.

        PostgreSQL: `FOR UPDATE SKIP LOCKED`, so daemons claiming at once get disjoint rows.
        SQLite: the transaction holds the single write lock (BEGIN IMMEDIATE), same effect.
        The lease is only visible to others once the caller commits.
        """
        now = utc(now, "now")
        lease_until = utc(lease_until, "lease_until")
        checks.text(worker, "worker")
        checks.batch(limit)
        if limit == 0:
            return []
        free = (col(DeadlineRow.claimed_until).is_(None)) | (col(DeadlineRow.claimed_until) <= now)
        pick = select(DeadlineRow.id).where(_OPEN, col(DeadlineRow.due_at) <= now, free)
        pick = pick.order_by(*_DUE_ORDER).limit(limit)
        if self._uow.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = [i for i in self._uow.session.exec(pick).all() if i is not None]
        if not ids:
            return []
        self._uow.session.execute(
            update(DeadlineRow)
            .where(col(DeadlineRow.id).in_(ids))
            .values(claimed_by=worker, claimed_until=lease_until)
        )
        return self._list(
            select(DeadlineRow).where(col(DeadlineRow.id).in_(ids)).order_by(*_DUE_ORDER)
        )

    def overdue_case_ids(self, now: datetime) -> Sequence[int]:
        """Ids of cases with an open deadline due at or before `now` (not yet fired), ascending."""
        now = utc(now, "now")
        stmt = (
            select(DeadlineRow.case_id)
            .where(_OPEN, col(DeadlineRow.due_at) <= now)
            .distinct()
            .order_by(col(DeadlineRow.case_id))
        )
        return list(self._uow.session.exec(stmt).all())

    def release(self, deadline_id: int, worker: str) -> None:
        """Clear `worker`'s lease; a row gone, done or leased by another is left alone."""
        self._update(
            deadline_id,
            _OPEN,
            col(DeadlineRow.claimed_by) == worker,
            claimed_by=None,
            claimed_until=None,
        )

    def record_failure(self, deadline_id: int, error: str, retry_at: datetime) -> None:
        """Count a failed firing and lease the row until `retry_at`; a row gone is left alone."""
        retry_at = utc(retry_at, "retry_at")
        self._update(
            deadline_id,
            attempts=col(DeadlineRow.attempts) + 1,
            last_error=error,
            claimed_until=retry_at,
        )

    def next_due_at(self) -> datetime | None:
        """When the next open row may be claimed: its due time, or its lease end if later.

        Two index-served queries: the earliest unleased open row, and the (few) leased ones.
        """
        unleased = self._uow.session.exec(
            select(DeadlineRow.due_at)
            .where(_OPEN, col(DeadlineRow.claimed_until).is_(None))
            .order_by(col(DeadlineRow.due_at))
            .limit(1)
        ).first()
        until = col(DeadlineRow.claimed_until)
        due_at = col(DeadlineRow.due_at)
        leased = self._uow.session.exec(
            select(func.min(sql_case((until > due_at, until), else_=due_at))).where(
                _OPEN, until.is_not(None)
            )
        ).first()
        times = [t for t in (unleased, _instant(leased)) if t is not None]
        return min(times, default=None)

    def incidents(self) -> Sequence[Deadline]:
        """Open rows whose last firing failed, in due order."""
        return self._list(
            select(DeadlineRow)
            .where(_OPEN, col(DeadlineRow.last_error).is_not(None))
            .order_by(*_DUE_ORDER)
        )


def _instant(value: Any) -> datetime | None:
    """A MIN(CASE ...) result: SQLite hands back text, PostgreSQL a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return from_stored(value)


class SqlEventLog(_Repo):
    def append(self, event: Event) -> Event:
        """INSERT only: the database refuses UPDATE and DELETE on events (migration triggers).

        A (case, seq) already taken means another writer appended first: ConcurrencyConflict.
        """
        row = mapping.event_row(event)
        self._need_case(event.case_id)
        taken = self._uow.first(
            select(EventRow).where(EventRow.case_id == event.case_id, EventRow.seq == event.seq)
        )
        if taken is not None:
            raise ConcurrencyConflict(
                f"case {event.case_id} already has event {event.seq}: another writer appended first"
            )
        return mapping.event(self._uow.insert(row))

    def last(self, case_id: int) -> Event | None:
        row = self._uow.first(
            select(EventRow).where(EventRow.case_id == case_id).order_by(col(EventRow.seq).desc())
        )
        return None if row is None else mapping.event(row)

    def for_case(self, case_id: int) -> Sequence[Event]:
        """The case's events in sequence order."""
        stmt = select(EventRow).where(EventRow.case_id == case_id).order_by(col(EventRow.seq))
        return [mapping.event(r) for r in self._uow.rows(stmt)]

    def all_case_ids(self) -> Iterator[int]:
        """Ids of every case with at least one event, ascending."""
        stmt = select(EventRow.case_id).distinct().order_by(col(EventRow.case_id))
        return iter(list(self._uow.session.exec(stmt).all()))


__all__ = ["SqlUnitOfWork"]
