"""The SQL backend (SQLite or PostgreSQL): repositories over one transaction per unit of work.

`with SqlUnitOfWork(engine) as uow: ...; uow.commit()` is one database transaction; leaving the
block without commit (or by an exception) rolls it back, and a process killed inside it leaves the
database as it was, since nothing is written outside a transaction. On SQLite the transaction is
`BEGIN IMMEDIATE` (see storage.database), so writers take turns; on PostgreSQL writers of
different rows run side by side and the version check and `SKIP LOCKED` keep them apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cached_property
from types import SimpleNamespace, TracebackType
from typing import Any, NoReturn, Self, TypeVar, cast

from sqlalchemy import case as sql_case
from sqlalchemy import func, union, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage import checks, mapping
from storage import statements as st
from storage.accounts import SqlAccounts
from storage.formats import from_stored, utc
from storage.kept_connection import KeptConnection
from storage.outbox import SqlOutbox
from storage.rule_versions import SqlRuleVersions
from storage.tables import (
    ApplicationRow,
    AuditRow,
    CaseRow,
    DeadlineRow,
    EventRow,
    OrganisationRow,
)
from workflows.errors import (
    ApplicationNotFound,
    BrokenRecord,
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
    ChainHead,
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
    """One transaction on `engine`; repositories are usable only inside `with`.

    The transaction lives on one Connection (the kept one on SQLite, when free). The prepared
    statements of a transition begin and end it on the driver itself; an ORM Session, made only
    when a repository asks for one (`join_transaction_mode="control_fully"`), or a Core
    statement joins the same transaction, and it then ends through SQLAlchemy.
    """

    def __init__(self, engine: Engine, kept: KeptConnection | None = None) -> None:
        self.engine = engine
        self._kept = kept  # lends its connection when free, else the pool gives one
        self._open = False
        self._session: Session | None = None
        self._connection: Connection | None = None
        self._memo = _TransactionMemo()
        self._on_driver = False  # a transaction begun on the driver, unknown to SQLAlchemy
        self._in_transaction: tuple[Connection, Any, type[Exception]] | None = None

    # Repositories are made on first use: a transition touches four of the nine.
    @cached_property
    def organisations(self) -> OrganisationRepository:
        return SqlOrganisations(self)

    @cached_property
    def applications(self) -> ApplicationRepository:
        return SqlApplications(self)

    @cached_property
    def audits(self) -> AuditRepository:
        return SqlAudits(self)

    @cached_property
    def cases(self) -> CaseRepository:
        return SqlCases(self)

    @cached_property
    def deadlines(self) -> DeadlineRepository:
        return SqlDeadlines(self)

    @cached_property
    def events(self) -> EventLog:
        return SqlEventLog(self)

    @cached_property
    def accounts(self) -> AccountRepository:
        return SqlAccounts(self)

    @cached_property
    def notifications(self) -> NotificationOutbox:
        return SqlOutbox(self)

    @cached_property
    def rule_versions(self) -> RuleVersionRepository:
        return SqlRuleVersions(self)

    def __enter__(self) -> Self:
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        session, self._session = self._session, None
        conn, self._connection = self._connection, None
        try:
            if session is not None:
                try:
                    session.rollback()
                finally:
                    session.close()
        finally:
            if conn is not None:
                try:
                    self._leave_no_transaction(conn)
                finally:
                    self._on_driver = False
                    self._in_transaction = None
                    self._memo = _TransactionMemo()
                    if self._kept is not None:
                        self._kept.give_back(conn)
                    else:
                        conn.close()
        if exc is not None and _lost_a_race(exc):
            raise ConcurrencyConflict(
                "another transaction on the same case won (the database aborted this one); retry"
            ) from exc

    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        self._memo = _TransactionMemo()
        if self._session is not None:  # flushes, and ends the transaction if it joined it
            self._session.commit() if commit else self._session.rollback()
        conn = self._connection
        if conn is not None and conn.in_transaction():
            conn.commit() if commit else conn.rollback()
        elif conn is not None and self._on_driver:
            # A COMMIT the database refuses (a deferred constraint) leaves the transaction
            # open: it stays ours to roll back, here or when the unit of work is left.
            self._finish_on_driver(conn, commit=commit)
        self._on_driver = False
        self._in_transaction = None

    def _leave_no_transaction(self, conn: Connection) -> None:
        """Roll back whatever is still open, so the connection goes back with no transaction.

        SQLAlchemy's transaction is rolled back even when a failed commit left it inactive
        (that sends no ROLLBACK), then the driver's own if it is still in one. A connection
        lost to the database is left alone: asking it anything would reconnect it.
        """
        if conn.get_transaction() is not None:
            conn.rollback()
        if conn.invalidated:
            return
        driver: Any = conn.connection.driver_connection
        if self._on_driver or getattr(driver, "in_transaction", False):  # the attribute: SQLite
            self._finish_on_driver(conn, commit=False)

    def _finish_on_driver(self, conn: Connection, *, commit: bool) -> None:
        driver: Any = conn.connection.driver_connection
        try:
            driver.commit() if commit else driver.rollback()
        except conn.dialect.loaded_dbapi.Error as exc:
            sql = "COMMIT" if commit else "ROLLBACK"
            raise _sqlalchemy_error(conn, driver, sql, exc) from exc

    @property
    def session(self) -> Session:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                join_transaction_mode="control_fully",
                expire_on_commit=False,
                autoflush=False,
            )
        return self._session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- helpers for the repositories ----------------------------------------------------------

    def _connected(self) -> Connection:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        conn = self._connection
        if conn is None:
            kept = self._kept
            conn = self._connection = kept.lend() if kept is not None else self.engine.connect()
        return conn

    @property
    def connection(self) -> Connection:
        """The unit of work's connection, inside a SQLAlchemy transaction (begun if none is).

        A transaction already begun on the driver carries on as that one (storage.database).
        """
        conn = self._connected()
        if not conn.in_transaction():
            conn.begin()  # on SQLite: BEGIN IMMEDIATE (storage.database)
        return conn

    def _driver(self) -> tuple[Connection, Any, type[Exception]]:
        """The connection, its driver's and the driver's error type, inside a transaction.

        One begun on the driver if none is open: SQLAlchemy's begin and commit cost more than
        the statements of a SQLite transaction. psycopg begins one by itself at the first
        statement; SQLite is told BEGIN IMMEDIATE. Looked up once per transaction.
        """
        found = self._in_transaction
        if found is not None:
            return found
        conn = self._connected()
        driver: Any = conn.connection.driver_connection
        error: type[Exception] = conn.dialect.loaded_dbapi.Error
        if not conn.in_transaction():
            if self.dialect == "sqlite":
                try:
                    driver.execute("BEGIN IMMEDIATE")
                except error as exc:
                    raise _sqlalchemy_error(conn, driver, "BEGIN IMMEDIATE", exc) from exc
            self._on_driver = True
        found = self._in_transaction = (conn, driver, error)
        return found

    @property
    def memo(self) -> _TransactionMemo:
        """What this transaction has already read or written (empty again after commit/rollback)."""
        return self._memo

    def core(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        """Execute a prebuilt Core statement (storage.statements) in the unit of work."""
        return self.connection.execute(stmt, params)

    def _run(self, prepared: st.Prepared, params: dict[str, Any]) -> tuple[Any, Any]:
        conn, driver, error = self._driver()
        compiled = prepared.compiled(conn.dialect)
        try:
            return compiled, driver.execute(compiled.sql, compiled.parameters(params))
        except error as exc:
            wrapped = _sqlalchemy_error(conn, driver, compiled.sql, exc)
            if isinstance(wrapped, IntegrityError):
                self.rollback()  # on PostgreSQL a failed statement poisons the transaction
                _raise_integrity(wrapped)
            raise wrapped from exc

    def fetch_one(self, prepared: st.Prepared, params: dict[str, Any]) -> Any:
        """The first row of a prepared SELECT (attribute access by column name), or None."""
        compiled, cursor = self._run(prepared, params)
        row = cursor.fetchone()
        return None if row is None else compiled.records([row])[0]

    def fetch_all(self, prepared: st.Prepared, params: dict[str, Any]) -> list[Any]:
        compiled, cursor = self._run(prepared, params)
        return list(compiled.records(cursor.fetchall()))

    def write(self, prepared: st.Prepared, params: dict[str, Any]) -> int:
        """Run a prepared UPDATE/DELETE; how many rows it matched."""
        return int(self._run(prepared, params)[1].rowcount)

    def insert_row(self, prepared: st.Prepared, values: dict[str, Any]) -> int:
        """Run a prepared INSERT of one row; its new id (RETURNING, or SQLite's lastrowid)."""
        compiled, cursor = self._run(prepared, values)
        new_id = cursor.fetchone()[0] if compiled.returns_id else cursor.lastrowid
        assert new_id is not None
        return int(new_id)

    def rows(self, stmt: SelectOfScalar[R]) -> list[R]:
        """Fresh rows (never stale copies from the session's identity map)."""
        return list(self.session.exec(stmt.execution_options(populate_existing=True)).all())

    def first(self, stmt: SelectOfScalar[R]) -> R | None:
        found = self.rows(stmt.limit(1))
        return found[0] if found else None

    def insert(self, row: R) -> R:
        """INSERT now (so constraint errors surface here) and return the row with its id."""
        prepared = st.insert_of(st.table(type(row)))
        assert prepared.insert_columns is not None
        values = {name: getattr(row, name) for name in prepared.insert_columns}
        row.id = self.insert_row(prepared, values)
        return row

    def insert_values(self, row_class: type[SQLModel], values: dict[str, Any]) -> Any:
        """INSERT one row from its column values; the row as stored (attribute access, with id).

        Cheaper than `insert`: a SQLModel instance costs more to build than the INSERT itself.
        """
        new_id = self.insert_row(st.insert_of(st.table(row_class)), values)
        return SimpleNamespace(id=new_id, **values)

    def exists(self, table: type[SQLModel], row_id: int) -> bool:
        return self.fetch_one(st.exists_by_id_p(st.table(table)), {"b_id": row_id}) is not None

    def exists_case(self, case_id: int) -> bool:
        """Cases are never deleted, so one seen in this transaction is not asked about again."""
        memo = self.memo
        if case_id in memo.cases:
            return True
        if self.exists(CaseRow, case_id):
            memo.cases.add(case_id)
            return True
        return False


def _sqlalchemy_error(conn: Connection, driver: Any, sql: str, exc: Any) -> Exception:
    """A driver error as SQLAlchemy's own path raises it: its error types (callers tell
    "database down" and constraint races by them), and a lost connection invalidated, so it is
    never handed out again."""
    lost = conn.dialect.is_disconnect(exc, driver, None)
    if lost:
        conn.invalidate(exc)
    dbapi = conn.dialect.loaded_dbapi
    wrapped: Exception = DBAPIError.instance(
        sql, None, exc, dbapi.Error, connection_invalidated=lost
    )
    return wrapped


class _TransactionMemo:
    """Facts one transaction learnt that spare it repeated statements; dropped when it ends.

    `cases`: ids of cases known to exist; `stored`: each case's version and column values as this
    transaction read or wrote them (a save then sets only the columns that changed, and keeping
    the certificate number needs no uniqueness query: the unique constraint already guarantees
    no other case holds it); `heads`: each case's chain head as read with the case or moved by an
    append (the next append chains to it with no query; the unique constraint on (case, seq)
    still refuses a racing writer); `open_deadlines`: each case's open deadlines as read, until
    this transaction writes any deadline (a command's catch-up check and its reschedule read
    them once).
    """

    __slots__ = ("cases", "heads", "open_deadlines", "stored")

    def __init__(self) -> None:
        self.cases: set[int] = set()
        self.heads: dict[int, ChainHead | None] = {}
        self.stored: dict[int, tuple[int, dict[str, Any]]] = {}
        self.open_deadlines: dict[int, list[Deadline]] = {}


_RACE_SQLSTATES = frozenset({"40P01", "40001"})  # PostgreSQL deadlock, serialization failure


def _lost_a_race(exc: BaseException) -> bool:
    """A database that aborted us for another writer's sake: the caller may simply retry."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _RACE_SQLSTATES:
        return True
    return "database is locked" in str(orig)  # SQLite gave up waiting (busy timeout)


def _raise_integrity(exc: Exception) -> NoReturn:
    """A constraint race lost to another transaction, as the error the contract names.

    The transaction is already rolled back: on PostgreSQL a failed statement poisons it.
    """
    text = str(getattr(exc, "orig", exc))  # SQLAlchemy's wrapper, or the driver's own error
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
        if not self._uow.exists_case(case_id):
            raise CaseNotFound(f"case {case_id} not found")


class SqlOrganisations(_Repo):
    def add(self, organisation: Organisation) -> Organisation:
        values = mapping.organisation_values(organisation)
        existing = self.by_credit_code(organisation.credit_code)
        if existing is not None:
            raise InvalidInput(
                "credit_code",
                f"{organisation.credit_code} is already registered (organisation {existing.id})",
            )
        return mapping.organisation(self._uow.insert_values(OrganisationRow, values))

    def get(self, organisation_id: int) -> Organisation:
        row = self._uow.fetch_one(st.ORGANISATION_BY_ID_P, {"b_id": organisation_id})
        if row is None:
            raise OrganisationNotFound(f"organisation {organisation_id} not found")
        return mapping.organisation(row)

    def by_credit_code(self, credit_code: str) -> Organisation | None:
        row = self._uow.fetch_one(st.ORGANISATION_BY_CREDIT_CODE_P, {"b_code": credit_code})
        return None if row is None else mapping.organisation(row)


class SqlApplications(_Repo):
    def add(self, application: Application) -> Application:
        values = mapping.application_values(application)
        if not self._uow.exists(OrganisationRow, application.organisation_id):
            raise OrganisationNotFound(f"organisation {application.organisation_id} not found")
        return mapping.application(self._uow.insert_values(ApplicationRow, values))

    def get(self, application_id: int) -> Application:
        row = self._uow.fetch_one(st.APPLICATION_BY_ID_P, {"b_id": application_id})
        if row is None:
            raise ApplicationNotFound(f"application {application_id} not found")
        return mapping.application(row)


class SqlAudits(_Repo):
    def add(self, audit: Audit) -> Audit:
        values = mapping.audit_values(audit)
        self._need_case(audit.case_id)
        return mapping.audit(self._uow.insert_values(AuditRow, values))

    def for_case(self, case_id: int) -> Sequence[Audit]:
        """The case's audits in the order they were recorded."""
        rows = self._uow.fetch_all(st.AUDITS_OF_CASE_P, {"b_case_id": case_id})
        return [mapping.audit(r) for r in rows]

    def latest_date(self, case_id: int) -> date | None:
        row = self._uow.fetch_one(st.LATEST_AUDIT_DATE_P, {"b_case_id": case_id})
        return None if row is None else row.latest


class SqlCases(_Repo):
    def add(self, case: Case) -> Case:
        checks.new_row(case.id, "case")
        values = mapping.case_values(case)
        if not self._uow.exists(OrganisationRow, case.organisation_id):
            raise OrganisationNotFound(f"organisation {case.organisation_id} not found")
        if not self._uow.exists(ApplicationRow, case.application_id):
            raise ApplicationNotFound(f"application {case.application_id} not found")
        self._unique_number(case.number, None)
        new = {**values, "version": case.version, "head_seq": 0, "head_hash": ""}
        added = mapping.case(self._uow.insert_values(CaseRow, new))
        assert added.id is not None
        memo = self._uow.memo  # known to exist, with no event yet: the first append asks nothing
        memo.cases.add(added.id)
        memo.heads[added.id] = None
        return added

    def get(self, case_id: int) -> Case:
        row = self._uow.fetch_one(st.CASE_BY_ID_P, {"b_id": case_id})
        if row is None:
            raise CaseNotFound(f"case {case_id} not found")
        found = mapping.case(row)
        memo = self._uow.memo
        memo.cases.add(case_id)
        # What case_values(found) would give, read off the row (a test holds the two equal).
        memo.stored[case_id] = (row.version, {k: getattr(row, k) for k in st.CASE_COLUMNS})
        memo.heads[case_id] = mapping.chain_head(row)
        return found

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
        memo = self._uow.memo
        seen = memo.stored.get(case.id)
        if seen is None or seen[1]["number"] != case.number:
            self._unique_number(case.number, case.id)
        if seen is not None and seen[0] == case.version:
            before = seen[1]
            columns = tuple(k for k in st.CASE_COLUMNS if before[k] != values[k])
        else:  # not read in this transaction: set every column
            columns = st.CASE_COLUMNS
        params = {k: values[k] for k in columns}
        params["b_id"] = case.id
        params["b_version"] = case.version
        matched = self._uow.write(st.save_case_columns(columns), params)
        if matched != 1:
            stored = self._uow.core(st.CASE_BY_ID, {"b_id": case.id}).first()
            if stored is None:
                raise CaseNotFound(f"case {case.id} not found")
            raise ConcurrencyConflict(
                f"case {case.id} was changed by another writer (expected version {case.version}, "
                f"stored {stored.version}); retry"
            )
        memo.cases.add(case.id)
        case.version += 1
        memo.stored[case.id] = (case.version, values)

    def _unique_number(self, number: str | None, case_id: int | None) -> None:
        if number is None:
            return
        holder = self._uow.fetch_one(st.CASE_BY_NUMBER_P, {"b_number": number})
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
        values = mapping.deadline_values(deadline)
        self._need_case(deadline.case_id)
        self._uow.memo.open_deadlines.clear()
        new_id = self._uow.insert_row(st.INSERT_DEADLINE_P, values)
        return mapping.stored_deadline(deadline, values, new_id)

    def get(self, deadline_id: int) -> Deadline:
        row = self._uow.first(select(DeadlineRow).where(DeadlineRow.id == deadline_id))
        if row is None:
            raise NotFound(f"deadline {deadline_id} not found")
        return mapping.deadline(row)

    def _list(self, stmt: SelectOfScalar[DeadlineRow]) -> list[Deadline]:
        return [mapping.deadline(r) for r in self._uow.rows(stmt)]

    def open_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's open deadlines in due order."""
        known = self._uow.memo.open_deadlines
        found = known.get(case_id)
        if found is None:
            rows = self._uow.fetch_all(st.OPEN_DEADLINES_OF_CASE_P, {"b_case_id": case_id})
            found = known[case_id] = [mapping.deadline(r) for r in rows]
        return list(found)

    def done_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's deadlines already fired (or found obsolete), in due order."""
        rows = self._uow.fetch_all(st.DONE_DEADLINES_OF_CASE_P, {"b_case_id": case_id})
        return [mapping.deadline(r) for r in rows]

    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int:
        """Delete the case's open deadlines (of `kinds`, or all) in one statement; how many."""
        self._uow.memo.open_deadlines.clear()
        if kinds is None:
            return self._uow.write(st.CANCEL_OPEN_P, {"b_case_id": case_id})
        if not kinds:
            return 0
        params: dict[str, Any] = {"b_case_id": case_id}
        for i, kind in enumerate(sorted(str(k) for k in kinds)):
            params[f"b_kind{i}"] = kind
        return self._uow.write(st.cancel_open_of_kinds_p(len(kinds)), params)

    def mark_done(self, deadline_id: int, at: datetime) -> None:
        """Close the row (it never fires again) and drop its lease."""
        at = utc(at, "done_at")
        self._uow.memo.open_deadlines.clear()
        if self._uow.write(st.MARK_DEADLINE_DONE_P, {"b_id": deadline_id, "done_at": at}) != 1:
            raise NotFound(f"deadline {deadline_id} not found")

    def _update(self, deadline_id: int, *conditions: Any, **values: Any) -> None:
        stmt = (
            update(DeadlineRow)
            .where(col(DeadlineRow.id) == deadline_id, *conditions)
            .values(**values)
        )
        self._uow.memo.open_deadlines.clear()
        self._uow.core(stmt)

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
        self._uow.memo.open_deadlines.clear()
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
        claimed = []
        rows = self._uow.rows(
            select(DeadlineRow).where(col(DeadlineRow.id).in_(ids)).order_by(*_DUE_ORDER)
        )
        for row in rows:
            try:
                claimed.append(mapping.deadline(row))
            except BrokenRecord as exc:  # an incident, not a stop for every other deadline
                assert row.id is not None
                self.record_failure(row.id, f"BrokenRecord: {exc}", lease_until)
        return claimed

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
        """Count a failed firing and lease the row until `retry_at`; a row gone or already fired
        (by another daemon whose lease outlived ours) is left alone."""
        retry_at = utc(retry_at, "retry_at")
        self._update(
            deadline_id,
            _OPEN,
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
        """Open rows whose last firing failed, in due order; a row this starcert cannot read
        is listed with its kind as stored, so that it can be seen and fixed."""
        rows = self._uow.rows(
            select(DeadlineRow)
            .where(_OPEN, col(DeadlineRow.last_error).is_not(None))
            .order_by(*_DUE_ORDER)
        )
        found = []
        for row in rows:
            try:
                found.append(mapping.deadline(row))
            except BrokenRecord:
                found.append(mapping.deadline(row, kind=cast(DeadlineKind, row.kind)))
        return found


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
        The insert moves the case's chain head (trigger, migration 0002).
        """
        values = mapping.event_values(event)
        self._need_case(event.case_id)
        heads = self._uow.memo.heads
        known = heads.get(event.case_id)
        if event.case_id not in heads or (0 if known is None else known.seq) != event.seq - 1:
            taken = self._uow.fetch_one(
                st.EVENT_TAKEN_P, {"b_case_id": event.case_id, "b_seq": event.seq}
            )
            if taken is not None:
                raise ConcurrencyConflict(
                    f"case {event.case_id} already has event {event.seq}: "
                    "another writer appended first"
                )
        self._uow.insert_row(st.INSERT_EVENT_P, values)
        heads[event.case_id] = ChainHead(event.seq, event.hash)
        return mapping.stored_event(event, values)

    def head(self, case_id: int) -> ChainHead | None:
        """Known to the transaction once it read the case; else read from the case row."""
        heads = self._uow.memo.heads
        if case_id in heads:
            return heads[case_id]
        row = self._uow.fetch_one(st.CHAIN_HEAD_P, {"b_id": case_id})
        found = None if row is None else mapping.chain_head(row)
        heads[case_id] = found
        return found

    def for_case(self, case_id: int) -> Sequence[Event]:
        """The case's events in sequence order."""
        stmt = select(EventRow).where(EventRow.case_id == case_id).order_by(col(EventRow.seq))
        return [mapping.event(r) for r in self._uow.rows(stmt)]

    def all_case_ids(self) -> Iterator[int]:
        """Ids of every case on record or named by an event, ascending: a case whose events
        were all deleted is still there to check."""
        both: Any = union(select(col(CaseRow.id)), select(col(EventRow.case_id)))
        return iter(sorted(int(r[0]) for r in self._uow.session.execute(both).all()))


__all__ = ["SqlUnitOfWork"]
