"""The SQL backend's hot statements, built once on the Core tables and reused by every transaction.

A lifecycle transition runs the same handful of statements many times a second. Building them
per call through the ORM (statement construction, cache keys, flushes, identity map) cost more
than the database work itself; built once here, SQLAlchemy finds each compiled form in its cache
and only binds parameters. Where-clause parameters are prefixed `b_` because names equal to a
column are reserved for the SET/VALUES clause.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import BindParameter, Select, Table, bindparam, delete, func, insert, select, update

from storage.sql.tables import (
    ApplicationRow,
    AuditRow,
    CaseRow,
    DeadlineRow,
    EventRow,
    OrganisationRow,
    UtcDateTime,
    utc_from_sqlite,
    utc_to_sqlite,
)


def table(row_class: Any) -> Table:
    found = row_class.__table__
    assert isinstance(found, Table)
    return found


ORGANISATIONS = table(OrganisationRow)
APPLICATIONS = table(ApplicationRow)
CASES = table(CaseRow)
AUDITS = table(AuditRow)
DEADLINES = table(DeadlineRow)
EVENTS = table(EventRow)

CASE_COLUMNS = tuple(
    c.name for c in CASES.columns if c.name not in ("id", "version", "head_seq", "head_hash")
)
"""What a save may set: the chain head is moved by the events trigger alone."""

ORGANISATION_BY_ID = select(ORGANISATIONS).where(ORGANISATIONS.c.id == bindparam("b_id"))
APPLICATION_BY_ID = select(APPLICATIONS).where(APPLICATIONS.c.id == bindparam("b_id"))
CASE_BY_ID = select(CASES).where(CASES.c.id == bindparam("b_id"))
CASE_BY_NUMBER = select(CASES.c.id).where(CASES.c.number == bindparam("b_number")).limit(1)
AUDITS_OF_CASE = (
    select(AUDITS).where(AUDITS.c.case_id == bindparam("b_case_id")).order_by(AUDITS.c.id)
)

EVENTS_OF_CASE = (
    select(EVENTS).where(EVENTS.c.case_id == bindparam("b_case_id")).order_by(EVENTS.c.seq)
)
EVENT_AT = select(EVENTS).where(
    EVENTS.c.case_id == bindparam("b_case_id"), EVENTS.c.seq == bindparam("b_seq")
)

CHAIN_HEAD = select(CASES.c.head_seq, CASES.c.head_hash).where(CASES.c.id == bindparam("b_id"))
EVENT_TAKEN = select(EVENTS.c.id).where(
    EVENTS.c.case_id == bindparam("b_case_id"), EVENTS.c.seq == bindparam("b_seq")
)

_OPEN = DEADLINES.c.done_at.is_(None)
DEADLINES_OF_CASE = (
    select(DEADLINES)
    .where(DEADLINES.c.case_id == bindparam("b_case_id"))
    .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
)
DONE_DEADLINES_OF_CASE = (
    select(DEADLINES)
    .where(DEADLINES.c.case_id == bindparam("b_case_id"), DEADLINES.c.done_at.is_not(None))
    .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
)
CANCEL_OPEN = delete(DEADLINES).where(DEADLINES.c.case_id == bindparam("b_case_id"), _OPEN)


def cancel_open_of_kinds(count: int) -> Any:
    """`DELETE ... AND kind IN (:b_kind0, ...)` for `count` kinds, one statement per count.

    Plain bind parameters, not an expanding one: expanding rewrites the SQL on every call.
    """
    stmt = _CANCEL_OF_KINDS.get(count)
    if stmt is None:
        kinds: list[Any] = [bindparam(f"b_kind{i}") for i in range(count)]
        stmt = _CANCEL_OF_KINDS[count] = CANCEL_OPEN.where(DEADLINES.c.kind.in_(kinds))
    return stmt


_CANCEL_OF_KINDS: dict[int, Any] = {}


class Prepared:
    """A statement compiled once per dialect and run straight on the driver's cursor.

    SQLAlchemy's execution path (cache key, parameter construction, execution context, result
    metadata) costs several times what SQLite spends running a one-row statement. For the
    statements every transition runs, the SQL text, parameter order and the column types' own
    bind/result processors are worked out once here, so each execution is only the driver call
    plus those conversions; values are written and read exactly as SQLAlchemy would.
    The caller must run it inside the transaction SQLAlchemy began on the connection.
    """

    def __init__(self, stmt: Any, insert_columns: tuple[str, ...] | None = None) -> None:
        self.stmt = stmt
        self.insert_columns = insert_columns
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Any) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self, dialect)
        return found


class _Compiled:
    __slots__ = ("converted", "keys", "names", "params", "positional", "record", "results",
                 "returns_id", "sql")  # fmt: skip

    def __init__(self, prepared: Prepared, dialect: Any) -> None:
        keys = list(prepared.insert_columns) if prepared.insert_columns is not None else None
        compiled = prepared.stmt.compile(dialect=dialect, column_keys=keys)
        self.sql: str = compiled.string
        self.positional: bool = compiled.positional
        by_name = {name: bp for bp, name in compiled.bind_names.items()}
        order = compiled.positiontup if self.positional else list(by_name)
        self.params: tuple[str, ...] = tuple(order)  # each parameter's name in the SQL
        # (key the caller passes, default value) per parameter, and (position, bind processor,
        # whether None may skip it because it maps None to None) for those that convert
        self.keys = tuple((by_name[name].key, by_name[name].value) for name in order)
        processors = [_bind_processor(by_name[name].type, dialect) for name in order]
        self.converted = tuple(
            (i, p, _keeps_none(p)) for i, p in enumerate(processors) if p is not None
        )
        self.returns_id = bool(getattr(compiled, "effective_returning", None))
        columns = (
            list(prepared.stmt.selected_columns)
            if isinstance(prepared.stmt, Select)
            else list(getattr(compiled, "effective_returning", None) or ())
        )
        self.names = tuple(c.name for c in columns)
        results = [_result_processor(c.type, dialect) for c in columns]
        # (column position, processor, maps None to None) for the columns that need converting
        self.results = tuple((i, p, _keeps_none(p)) for i, p in enumerate(results) if p is not None)
        self.record: Any = namedtuple("Record", self.names) if self.names else None

    def parameters(self, params: dict[str, Any]) -> Any:
        get = params.get
        values = [get(key, default) for key, default in self.keys]
        for i, process, keeps_none in self.converted:
            value = values[i]
            if value is not None or not keeps_none:
                values[i] = process(value)
        if self.positional:
            return values
        return dict(zip(self.params, values, strict=True))

    def records(self, rows: list[Any]) -> list[Any]:
        make = self.record._make
        processors = self.results
        if not processors:
            return [make(row) for row in rows]
        found = []
        for row in rows:
            values = list(row)
            for i, process, keeps_none in processors:
                if values[i] is not None or not keeps_none:
                    values[i] = process(values[i])
            found.append(make(values))
        return found


def _bind_processor(type_: Any, dialect: Any) -> Any:
    """The type's bind conversion; UtcDateTime on SQLite fused into one call (same text)."""
    if isinstance(type_, UtcDateTime) and dialect.name == "sqlite":
        return utc_to_sqlite
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(type_: Any, dialect: Any) -> Any:
    if isinstance(type_, UtcDateTime) and dialect.name == "sqlite":
        return utc_from_sqlite
    return type_.dialect_impl(dialect).result_processor(dialect, None)


def _keeps_none(process: Any) -> bool:
    """Whether a type's processor turns None into None (most do; JSON makes it 'null')."""
    if process is None:
        return True
    try:
        return process(None) is None
    except Exception:
        return False


CASE_BY_ID_P = Prepared(CASE_BY_ID)
_SAVE_CASE_P: dict[tuple[str, ...], Prepared] = {}
CHAIN_HEAD_P = Prepared(CHAIN_HEAD)
EVENT_TAKEN_P = Prepared(EVENT_TAKEN)
DONE_DEADLINES_OF_CASE_P = Prepared(DONE_DEADLINES_OF_CASE)
DEADLINES_OF_CASE_P = Prepared(DEADLINES_OF_CASE)
CANCEL_OPEN_P = Prepared(CANCEL_OPEN)
_CANCEL_OF_KINDS_P: dict[int, Prepared] = {}


ORGANISATION_BY_ID_P = Prepared(ORGANISATION_BY_ID)
APPLICATION_BY_ID_P = Prepared(APPLICATION_BY_ID)
AUDITS_OF_CASE_P = Prepared(AUDITS_OF_CASE)
EVENTS_OF_CASE_P = Prepared(EVENTS_OF_CASE)
EVENT_AT_P = Prepared(EVENT_AT)
LATEST_AUDIT_DATE_P = Prepared(
    select(func.max(AUDITS.c.audit_date).label("latest")).where(
        AUDITS.c.case_id == bindparam("b_case_id")
    )
)
CASE_BY_NUMBER_P = Prepared(CASE_BY_NUMBER)
MARK_DEADLINE_DONE_P = Prepared(
    update(DEADLINES)
    .where(DEADLINES.c.id == bindparam("b_id"))
    .values(done_at=bindparam("done_at"), claimed_until=None)
)
_FREE = DEADLINES.c.claimed_until.is_(None) | (DEADLINES.c.claimed_until <= bindparam("b_now"))
CLAIM_DUE_P = Prepared(
    update(DEADLINES)
    .where(
        DEADLINES.c.id.in_(
            select(DEADLINES.c.id)
            .where(_OPEN, DEADLINES.c.due_at <= bindparam("b_now"), _FREE)
            .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
            .limit(bindparam("b_limit"))
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the write lock
        )
    )
    .values(claimed_by=bindparam("claimed_by"), claimed_until=bindparam("claimed_until"))
    .returning(*DEADLINES.columns)
)
"""Lease up to `b_limit` free due rows in one statement; the rows come back leased, unordered."""
ORGANISATION_BY_CREDIT_CODE_P = Prepared(
    select(ORGANISATIONS).where(ORGANISATIONS.c.credit_code == bindparam("b_code")).limit(1)
)
_INSERT_P: dict[str, Prepared] = {}
_EXISTS_P: dict[str, Prepared] = {}


def insert_of(row_table: Table) -> Prepared:
    """`INSERT INTO table (every column but id)`, prepared once per table."""
    found = _INSERT_P.get(row_table.name)
    if found is None:
        columns = tuple(c.name for c in row_table.columns if c.name != "id")
        found = _INSERT_P[row_table.name] = Prepared(insert(row_table), columns)
    return found


INSERT_EVENT_P = insert_of(EVENTS)
INSERT_DEADLINE_P = insert_of(DEADLINES)
_INSERT_DEADLINES_P: dict[int, Prepared] = {}


_CASES_AHEAD_P: dict[int, tuple[Prepared, Prepared]] = {}


def cases_ahead_p(count: int) -> tuple[Prepared, Prepared]:
    """`count` cases, and all their deadlines in due order, in two SELECTs (parameters `b_0`,
    `b_1`, ...): what a batch of firings reads ahead."""
    found = _CASES_AHEAD_P.get(count)
    if found is None:
        ids: list[BindParameter[int]] = [bindparam(f"b_{i}") for i in range(count)]
        cases = select(CASES).where(CASES.c.id.in_(ids))
        deadlines = (
            select(DEADLINES)
            .where(DEADLINES.c.case_id.in_(ids))
            .order_by(DEADLINES.c.case_id, DEADLINES.c.due_at, DEADLINES.c.id)
        )
        found = _CASES_AHEAD_P[count] = (Prepared(cases), Prepared(deadlines))
    return found


def insert_deadlines_p(count: int) -> Prepared:
    """`INSERT INTO deadlines VALUES (...), (...) RETURNING id, case_id, kind` for `count` rows,
    each row's parameters suffixed `_0`, `_1`, ... (RETURNING promises no row order)."""
    found = _INSERT_DEADLINES_P.get(count)
    if found is None:
        columns = [c for c in DEADLINES.columns if c.name != "id"]
        rows = [
            {c.name: bindparam(f"{c.name}_{i}", type_=c.type) for c in columns}
            for i in range(count)
        ]
        returned = (DEADLINES.c.id, DEADLINES.c.case_id, DEADLINES.c.kind)
        stmt = insert(DEADLINES).values(rows).returning(*returned)
        found = _INSERT_DEADLINES_P[count] = Prepared(stmt)
    return found


def exists_by_id_p(row_table: Table) -> Prepared:
    """`SELECT id FROM table WHERE id = :b_id`, prepared once per table."""
    found = _EXISTS_P.get(row_table.name)
    if found is None:
        stmt = select(row_table.c.id).where(row_table.c.id == bindparam("b_id"))
        found = _EXISTS_P[row_table.name] = Prepared(stmt)
    return found


def save_case_columns(columns: tuple[str, ...]) -> Prepared:
    """The optimistic save setting only `columns` (and the version), one statement per set.

    `UPDATE ... SET ..., version = version + 1 WHERE id = :b_id AND version = :b_version`: zero
    rows matched means another writer saved first (or there is no such case).

    A database updates every index over a column the SET clause names, changed or not: on
    SQLite, setting all fifteen columns for a state change cost 2.5 times setting the two that
    changed (the organisation, state, number and star-level indexes, and the foreign-key checks).
    """
    found = _SAVE_CASE_P.get(columns)
    if found is None:
        stmt = (
            update(CASES)
            .where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_version"))
            .values({**{name: bindparam(name) for name in columns}, "version": CASES.c.version + 1})
        )
        found = _SAVE_CASE_P[columns] = Prepared(stmt)
    return found


def cancel_open_of_kinds_p(count: int) -> Prepared:
    found = _CANCEL_OF_KINDS_P.get(count)
    if found is None:
        found = _CANCEL_OF_KINDS_P[count] = Prepared(cancel_open_of_kinds(count))
    return found
