"""A batch of cases lived on a memory store, then written to a SQL database in one go.

A simulation runs the real commands on a memory store (no statement per command) and stores
what they made here: organisations, applications, cases, audits, deadlines, events and outbox
messages, in one transaction, as multi-row INSERTs (executemany), cases before the events whose
trigger moves their chain heads. A failure rolls the whole batch back: the database is as it was.

The rows keep the ids the database would have given them one command at a time: the memory
store starts each table's ids where the database's own would go on (SQLite: past the largest
id; PostgreSQL: the id sequence, which is set past the batch afterwards), and events, which the
memory store keys by case and seq, take their ids in the order they were committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Table, insert, text

from storage.database import Database
from storage.memory.memory_database import MemoryDatabase
from storage.memory.memory_snapshot import Tables, View
from storage.memory.memory_store import MemoryStore, MemoryUnitOfWork
from storage.sql import mapping
from storage.sql import statements as st
from storage.sql.sql_database import SqlDatabase
from storage.sql.sql_errors import sqlalchemy_error, translated
from storage.sql.tables import (
    ApplicationRow,
    AuditRow,
    CaseRow,
    DeadlineRow,
    EventRow,
    NotificationRow,
    OrganisationRow,
)
from workflows.errors import InvalidInput, StorageError

WRITTEN = (
    "organisations", "applications", "cases", "audits", "deadlines", "events", "notifications"
)  # fmt: skip
"""The tables a batch writes, parents first; the outbox comes last."""
KEPT_OUT = ("accounts", "rule_versions")
"""Read from the database, never made by a batch: the rules are the database's own."""
ROWS_PER_STATEMENT = 2000


class BatchStore(MemoryStore):
    """A memory store whose ids continue the database's, handed out the way it would.

    With `reuse_top` (SQLite: a new row takes the largest id in its table plus one), a row
    deleted while it holds the largest id gives that id to the next row, as on SQLite; without
    (a PostgreSQL sequence), ids only go up.
    """

    def __init__(self, first_ids: dict[str, int], *, reuse_top: bool) -> None:
        super().__init__()
        self.first_ids = dict(first_ids)  # events too: they take theirs when written
        self.reuse_top = reuse_top
        self._top = {table: first - 1 for table, first in first_ids.items()}

    def next_id(self, table: str) -> int:
        with self.lock:
            found = self._top[table] + 1
            self._top[table] = found
            return found

    def next_ids(self) -> dict[str, int]:
        """Where the ids of a batch written after this one start."""
        found = {table: top + 1 for table, top in self._top.items()}
        found["events"] = self.first_ids["events"] + len(self.tables.events)
        return found

    def freed(self, table: str, row_id: int, live: Iterable[int]) -> None:
        """Row `row_id` was deleted; `live` are the ids its table still holds."""
        if self.reuse_top and row_id == self._top[table]:
            self._top[table] = max(live, default=self.first_ids[table] - 1)

    def settle(self, kept: Tables | View | None = None) -> None:
        """Writes were undone: a transaction ended without commit (its ids and deletions never
        happened), or a savepoint of it was rolled back (`kept`: what the transaction still
        holds), after which SQLite hands out the undone ids again."""
        if self.reuse_top:
            rows_of = (kept if kept is not None else self.tables).table
            with self.lock:
                for table in self._top:
                    if table != "events":
                        self._top[table] = max(rows_of(table), default=self.first_ids[table] - 1)


class BatchUnitOfWork(MemoryUnitOfWork):
    """A memory unit of work that tells its BatchStore of deletions and of discarded writes."""

    store: BatchStore

    def __init__(self, store: BatchStore) -> None:
        super().__init__(store)
        self._touched = False

    def put(self, table: str, pk: Any, value: Any) -> None:
        super().put(table, pk, value)
        self._touched = True

    def delete(self, table: str, pk: Any) -> None:
        super().delete(table, pk)
        self._touched = True
        self.store.freed(table, pk, self.data.table(table))

    def commit(self) -> None:
        super().commit()
        self._touched = False

    def rollback(self) -> None:
        super().rollback()
        self._discarded()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self._discarded()

    def _undone(self) -> None:
        self.store.settle(self.data)

    def _discarded(self) -> None:
        if self._touched:
            self._touched = False
            self.store.settle()


class BatchDatabase(MemoryDatabase):
    """The memory database of one batch: its units of work keep the ids as the database would."""

    store: BatchStore

    def unit_of_work(self) -> BatchUnitOfWork:
        return BatchUnitOfWork(self.store)


class BulkTarget:
    """The SQL database a batch is written to; `batch()` gives the memory side of the next one."""

    def __init__(self, database: Database) -> None:
        if not isinstance(database, SqlDatabase):
            raise InvalidInput(
                "database", f"bulk writes need SQLite or PostgreSQL, not {database.backend}"
            )
        self._database = database
        self._engine = database.engine
        self._postgres = self._engine.dialect.name == "postgresql"

    def batch(self, after: BatchDatabase | None = None) -> BatchDatabase:
        """An empty memory database whose ids continue the target's, or those of batch `after`
        (not written yet: the two are then written together)."""
        if after is not None:
            ids = after.store.next_ids()
        else:
            with translated(), self._engine.connect() as conn:
                ids = {name: self._next_id(conn, name) for name in WRITTEN}
        return BatchDatabase(BatchStore(ids, reuse_top=not self._postgres))

    def _next_id(self, conn: Connection, table: str) -> int:
        if not self._postgres:
            found = conn.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
            return int(found.scalar_one())
        sequence = conn.execute(
            text(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        ).scalar_one()
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return int(last) + 1 if called else int(last)

    def write(self, batches: Sequence[BatchDatabase]) -> int:
        """Insert everything `batches` hold (each made after the one before), in one
        transaction; how many rows."""
        for batch in batches:
            for name in KEPT_OUT:
                if batch.store.tables.table(name):
                    raise InvalidInput("batch", f"holds {name}, which a batch never writes")
        written = 0
        try:
            with translated(), self._engine.begin() as conn:
                for name in WRITTEN:
                    rows = [
                        row
                        for batch in batches
                        for row in _rows(batch.store.tables, name, batch.store.first_ids["events"])
                    ]
                    written += _insert(conn, st.table(_ROW_CLASSES[name]), rows)
                if self._postgres and batches:
                    # Each sequence past the last id the batches took, as the commands would
                    # have left it (a rolled-back insert uses its id up there too).
                    first, after = batches[0].store.first_ids, batches[-1].store.next_ids()
                    for name in WRITTEN:
                        if after[name] > first[name]:
                            conn.execute(
                                text(
                                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :last)"
                                ),
                                {"last": after[name] - 1},
                            )
        except StorageError as exc:
            cases = sorted(c for batch in batches for c in batch.store.tables.cases)
            held = f"cases {cases[0]}-{cases[-1]}" if cases else "rows without cases"
            raise type(exc)(f"{exc}; writing {held}: nothing of them was written") from exc
        return written


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """executemany on the driver with the column types' own conversions (statements.Prepared):
    the values are stored as one command at a time stores them, without SQLAlchemy's per-row
    execution path."""
    if not rows:
        return 0
    columns = tuple(rows[0])
    prepared = _INSERTS.get((table.name, columns))
    if prepared is None:
        prepared = _INSERTS[(table.name, columns)] = st.Prepared(insert(table), columns)
    compiled = prepared.compiled(conn.dialect)
    driver: Any = conn.connection.driver_connection
    error: type[Exception] = conn.dialect.loaded_dbapi.Error
    parameters = _parameters(compiled, rows)
    cursor = driver.cursor()
    try:
        for start in range(0, len(parameters), ROWS_PER_STATEMENT):
            cursor.executemany(compiled.sql, parameters[start : start + ROWS_PER_STATEMENT])
    except error as exc:
        raise sqlalchemy_error(conn, driver, compiled.sql, exc) from exc
    finally:
        cursor.close()
    return len(rows)


_INSERTS: dict[tuple[str, tuple[str, ...]], st.Prepared] = {}


def _parameters(compiled: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """What `compiled.parameters` makes of each row, a column at a time: one pass per column
    through its bind conversion instead of one call per row."""
    columns = [[row.get(key, default) for row in rows] for key, default in compiled.keys]
    for i, process, keeps_none in compiled.converted:
        values = columns[i]
        if keeps_none:
            columns[i] = [None if v is None else process(v) for v in values]
        else:
            columns[i] = [process(v) for v in values]
    if compiled.positional:
        return list(zip(*columns, strict=True))
    return [
        dict(zip(compiled.params, values, strict=True)) for values in zip(*columns, strict=True)
    ]


def _rows(tables: Tables, name: str, first_event: int) -> list[dict[str, Any]]:
    """The rows of table `name` as the database stores them, in id order."""
    if name == "organisations":
        return _with_ids(
            (o.id, mapping.organisation_values(replace(o, id=None)))
            for o in tables.organisations.values()
        )
    if name == "applications":
        return _with_ids(
            (a.id, mapping.application_values(replace(a, id=None)))
            for a in tables.applications.values()
        )
    if name == "cases":
        return _with_ids(
            # The chain head starts empty; the events' trigger moves it, as on every append.
            (c.id, {**mapping.case_values(c), "version": c.version, "head_seq": 0, "head_hash": ""})
            for c in tables.cases.values()
        )
    if name == "audits":
        return _with_ids(
            (a.id, mapping.audit_values(replace(a, id=None))) for a in tables.audits.values()
        )
    # The tables most rows go to: the memory store has checked and normalised their values
    # (aware UTC instants, plain JSON) as the SQL repositories do; they are only copied here.
    if name == "deadlines":
        return sorted(
            (
                {
                    "id": d.id,
                    "case_id": d.case_id,
                    "kind": str(d.kind),
                    "due_at": d.due_at,
                    "claimed_by": d.claimed_by,
                    "claimed_until": d.claimed_until,
                    "done_at": d.done_at,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                }
                for d in tables.deadlines.values()
            ),
            key=_by_id,
        )
    if name == "events":  # ids in the order the events were committed
        return [
            {
                "id": first_event + i,
                "case_id": e.case_id,
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "trigger": e.trigger,
                "from_state": None if e.from_state is None else str(e.from_state),
                "to_state": str(e.to_state),
                "reason": e.reason,
                "rule_version": e.rule_version,
                "rule_hash": e.rule_hash,
                "data": e.data,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for i, e in enumerate(tables.events.values())
        ]
    return sorted(
        (
            {
                "id": n.id,
                "case_id": n.case_id,
                "kind": n.kind,
                "channel": n.channel,
                "payload": n.payload,
                "created_at": n.created_at,
                "deliver_after": n.deliver_after,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "claimed_by": n.claimed_by,
                "claimed_until": n.claimed_until,
                "delivered_at": n.delivered_at,
            }
            for n in tables.notifications.values()
        ),
        key=_by_id,
    )


def _with_ids(rows: Iterable[tuple[int | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    return sorted(({"id": row_id, **values} for row_id, values in rows), key=_by_id)


def _by_id(row: dict[str, Any]) -> Any:
    """Rows go in in id order, as one command at a time inserts them."""
    return row["id"]


_ROW_CLASSES: dict[str, Any] = {
    "organisations": OrganisationRow,
    "applications": ApplicationRow,
    "cases": CaseRow,
    "audits": AuditRow,
    "deadlines": DeadlineRow,
    "events": EventRow,
    "notifications": NotificationRow,
}
