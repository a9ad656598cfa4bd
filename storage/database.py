"""The front door: what starcert holds instead of an engine, and the chores only storage may do.

`open_database(url)` gives a `Database` on SQLite or PostgreSQL (storage.sql); `MemoryDatabase`
(storage.memory) is the same on a memory store. Beside it: where a URL points, SQLite's online
backup, schema migrations, and the heartbeats of the daemons on some other database (a
simulation's target). Every database error out of these is starcert's own (workflows.errors).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from storage.console_sessions import ConsoleSessions, LiveSession
from storage.rate_limits import RateLimits
from storage.sql import sqlite_backup
from storage.sql.engines import DatabaseAddress, address, default_sqlite_url, shown_url
from storage.sql.schema import DatabaseMissing, SchemaNotCurrent, SchemaTooNew
from storage.sql.sql_database import SqlDatabase, daemon_beats
from storage.sql.sql_errors import translated
from workflows.certificate_versions import split_version
from workflows.checkpoints import CheckpointStore
from workflows.errors import CaseNotFound, StorageError
from workflows.model import Case
from workflows.ports import AssignmentStore, AuditorRegister, WarningLog
from workflows.read_ports import DatabaseReads, HeartbeatLog, PublicLookups, ReadingUnitOfWork


class Database(Protocol):
    """An open database: units of work, whole-database reads, heartbeats; closed once."""

    @property
    def backend(self) -> str:
        """sqlite, postgresql or memory."""
        ...

    @property
    def reads(self) -> DatabaseReads: ...

    @property
    def heartbeats(self) -> HeartbeatLog: ...

    @property
    def checkpoints(self) -> CheckpointStore:
        """Signed checkpoints over the chain heads, and the public keys that signed them."""
        ...

    @property
    def console_sessions(self) -> ConsoleSessions: ...

    @property
    def rate_limits(self) -> RateLimits:
        """Token buckets shared by every process on this database."""
        ...

    @property
    def auditors(self) -> AuditorRegister:
        """The auditor register (workflows.auditors)."""
        ...

    @property
    def assignments(self) -> AssignmentStore:
        """The audit teams accepted, replaced ones kept (workflows.assignments)."""
        ...

    @property
    def warnings(self) -> WarningLog:
        """The planning warnings sent, each once (workflows.planning_warnings)."""
        ...

    def shown_url(self) -> str:
        """Where it is, its password hidden."""
        ...

    def require_current(self) -> None:
        """Refuse (SchemaNotCurrent) a database missing or not at this code's schema."""
        ...

    def unit_of_work(self) -> ReadingUnitOfWork: ...

    def public_lookups(self) -> PublicLookups:
        """A handle of its own for public verification (close it when done)."""
        ...

    def close(self) -> None: ...


def open_database(url: str) -> Database:
    """The database at `url` (sqlite:/// or postgresql+psycopg://); nothing connects yet."""
    return SqlDatabase(url)


def backup_sqlite(source: Path, target: Path) -> int:
    """An online, consistent copy of SQLite database `source` at `target`; its size in bytes
    (storage.sql.sqlite_backup). A damaged or unreadable database is a StorageError in SQLite's
    own words; a full disk an OSError."""
    try:
        return sqlite_backup.backup_sqlite(source, target)
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from exc


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (storage.sql.migrate; Alembic loads now)."""
    from storage.sql.migrate import upgrade as migrate

    with translated():
        migrate(url, revision)


def current(url: str) -> str | None:
    """The schema revision of the database at `url`, or None before the first migration."""
    from storage.sql.migrate import current as revision_of

    with translated():
        return revision_of(url)


def case_holding(database: Database, number: str) -> Case:
    """The case holding certificate `number` (any version of it: -A1, -A2), or holding it before
    a renewal renumbered it."""
    number, _version = split_version(number)
    try:
        with database.unit_of_work() as uow:
            return uow.cases.by_number(number)
    except CaseNotFound:
        replaced = database.reads.replaced_number(number)  # after the unit of work
        if replaced is None:
            raise
    with database.unit_of_work() as uow:
        return uow.cases.get(replaced.case_id)


__all__ = [
    "ConsoleSessions",
    "Database",
    "DatabaseAddress",
    "DatabaseMissing",
    "LiveSession",
    "RateLimits",
    "SchemaNotCurrent",
    "SchemaTooNew",
    "address",
    "backup_sqlite",
    "case_holding",
    "current",
    "daemon_beats",
    "default_sqlite_url",
    "open_database",
    "shown_url",
    "upgrade",
]
