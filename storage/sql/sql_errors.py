"""Driver errors as starcert's own, at storage's boundary: nothing above storage/ sees SQLAlchemy's.

    deadlock (40P01) or serialization failure (40001), PostgreSQL  -> WriteConflict
    SQLite "database is locked" inside a unit of work              -> WriteConflict
        (a writer waited its busy timeout out: a lost race, retried like one, as it always was)
    cannot connect, connection lost or invalidated, pool timed out,
    SQLite locked or unopenable outside a unit of work             -> DatabaseUnavailable
    any other database error                                        -> StorageError
    a unique constraint a racing writer won (inside statements)     -> InvalidInput / ConcurrencyConflict

WriteConflict is also a ConcurrencyConflict, so whatever retries a lost race retries these.
The message keeps the driver's own first line (`OperationalError: connection refused ...`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from workflows.errors import (
    ConcurrencyConflict,
    DatabaseUnavailable,
    InvalidInput,
    StorageError,
    WriteConflict,
)

_RACE_SQLSTATES = frozenset({"40P01", "40001"})  # PostgreSQL deadlock, serialization failure
RACE_LOST = "another transaction on the same case won (the database aborted this one); retry"


def driver_said(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's wrapping and links."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def storage_error(exc: BaseException, *, in_unit_of_work: bool = False) -> StorageError | None:
    """`exc` as starcert's StorageError, or None when it is no database's error."""
    orig = getattr(exc, "orig", None) or exc
    is_database = isinstance(exc, (DBAPIError, DisconnectionError, PoolTimeout, sqlite3.Error))
    if not is_database:
        return None
    if getattr(orig, "sqlstate", None) in _RACE_SQLSTATES:
        return WriteConflict(RACE_LOST)
    if in_unit_of_work and "database is locked" in str(orig):  # SQLite's busy timeout ran out
        return WriteConflict(RACE_LOST)
    down = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
    raw_down = (sqlite3.OperationalError, sqlite3.InterfaceError)
    if isinstance(exc, down + raw_down):
        return DatabaseUnavailable(driver_said(exc))
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable(driver_said(exc))
    return StorageError(driver_said(exc))


@contextmanager
def translated(*, in_unit_of_work: bool = False) -> Iterator[None]:
    """Raise a database's error met inside the block as starcert's own (cause kept)."""
    try:
        yield
    except Exception as exc:
        reraise_translated(exc, in_unit_of_work=in_unit_of_work)


def reraise_translated(exc: Exception, *, in_unit_of_work: bool = False) -> NoReturn:
    """`exc` as starcert's own error when it is a database's (cause kept), else as it is."""
    found = storage_error(exc, in_unit_of_work=in_unit_of_work)
    if found is None:
        raise exc
    raise found from exc


def sqlalchemy_error(conn: Connection, driver: Any, sql: str, exc: Any) -> Exception:
    """A driver error as SQLAlchemy's own path raises it: its error types (translated above at
    the unit of work's edge), and a lost connection invalidated, so it is never handed out
    again."""
    lost = conn.dialect.is_disconnect(exc, driver, None)
    if lost:
        conn.invalidate(exc)
    dbapi = conn.dialect.loaded_dbapi
    wrapped: Exception = DBAPIError.instance(
        sql, None, exc, dbapi.Error, connection_invalidated=lost
    )
    return wrapped


def raise_integrity(exc: Exception) -> NoReturn:
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
