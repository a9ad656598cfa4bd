"""Engines for the two supported databases, configured for several processes at once.

SQLite: WAL (readers never wait for the writer), a 30 s busy timeout, foreign keys on, and every
transaction opened with `BEGIN IMMEDIATE`, so writers queue for the single write lock instead of
failing when a snapshot they read from goes stale; the optimistic version check and the deadline
claims are then safe across processes. PostgreSQL: psycopg 3, READ COMMITTED; the version check is
an `UPDATE ... WHERE version = :expected` and claims use `FOR UPDATE SKIP LOCKED`.
Nothing connects until the engine is first used.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from workflows.errors import InvalidInput

SQLITE_BUSY_TIMEOUT_S = 30
DATABASE_FILE = "starcert.db"


def default_sqlite_url(data_dir: Path | str) -> str:
    """The embedded database file in `data_dir` (absolute, so any working directory works)."""
    path = Path(data_dir).expanduser().resolve() / DATABASE_FILE
    return f"sqlite:///{path}"


def parse_url(url: str) -> URL:
    """The URL with PostgreSQL pinned to psycopg 3; anything but SQLite/PostgreSQL is refused."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput("database_url", f"{url!r} is not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise InvalidInput("database_url", f"unsupported SQLite driver {parsed.drivername}")
        return parsed
    if backend == "postgresql":
        if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
            raise InvalidInput(
                "database_url", f"use postgresql+psycopg:// (psycopg 3), not {parsed.drivername}"
            )
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidInput(
        "database_url", f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://"
    )


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names, or None: another database, an in-memory SQLite, or a
    SQLite URI filename (`?uri=true`: its own modes decide whether it may be created)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database
    if name in (None, "", ":memory:") or str(parsed.query.get("uri", "")).lower() == "true":
        return None
    return Path(name).expanduser()


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN below is ours (SQLAlchemy's
        # documented recipe for pysqlite transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL still commits atomically (a killed process loses nothing it
                # committed); only a power cut may lose the last commits. FULL fsyncs each one.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        # Straight on the driver: every transaction begins here, and SQLAlchemy's statement
        # path cost more than the BEGIN itself. Errors still reach callers as SQLAlchemy's.
        driver: Any = connection.connection.dbapi_connection
        if driver.in_transaction:  # a unit of work began it on the driver: it carries on
            return
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc

    return engine


def backend_name(engine: Engine) -> str:
    return engine.dialect.name


def shown_url(url: str) -> str:
    """The URL as given, its password hidden (for banners and messages)."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class DatabaseAddress:
    """Where a database URL points, in plain values."""

    backend: str  # sqlite or postgresql
    sqlite_file: Path | None  # see sqlite_file()
    host: str | None
    port: int | None
    name: str | None  # the database (a SQLite file's path as written)
    libpq_url: str | None  # PostgreSQL in libpq's form, without the password (pg_dump asks)


def address(url: str) -> DatabaseAddress:
    """What `url` names; a database other than SQLite or PostgreSQL is refused (InvalidInput)."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    libpq = None
    if backend == "postgresql":
        libpq = URL.create(
            "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database
        ).render_as_string(hide_password=False)
    return DatabaseAddress(
        backend, sqlite_file(parsed), parsed.host, parsed.port, parsed.database, libpq
    )
