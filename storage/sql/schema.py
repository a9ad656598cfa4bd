"""Which schema revision this code needs, and the check every process makes before using a database.

The revision is a constant, not asked of Alembic at start-up: importing Alembic and reading its
scripts would add a fifth of a second to every CLI command. A test holds the constant to the
newest migration, so the two cannot drift apart. Revisions are numbered 0001, 0002, ... in order
(a test holds that too), so a stored revision above the constant is one of a newer release.

    SchemaNotCurrent (SchemaMismatch, RuntimeError)  empty or older: run `starcert db upgrade`
    ├── DatabaseMissing                                no SQLite file there: only db upgrade makes one
    └── SchemaTooNew                                   a newer release migrated it: install that one
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from storage.sql.engines import sqlite_file
from workflows.errors import SchemaMismatch

SCHEMA_REVISION = "0015"
"""The Alembic revision of storage/migrations/versions this code reads and writes."""
VERSION_TABLE = "alembic_version"


class SchemaNotCurrent(SchemaMismatch, RuntimeError):
    """The database's schema is not the one this starcert was built for."""


class DatabaseMissing(SchemaNotCurrent):
    """A SQLite URL names a file that does not exist; connecting would create an empty one."""

    def __init__(self, path: object) -> None:
        super().__init__(f"no database at {path}: run `starcert db upgrade` to create it")


class SchemaTooNew(SchemaNotCurrent):
    """The database was migrated by a newer starcert (e.g. before a release was rolled back)."""

    def __init__(self, url: str, found: str, known: str | None) -> None:
        super().__init__(
            f"the database {url} is at schema revision {found}, newer than this starcert knows "
            f"(its newest is {known}): install the starcert release that has revision {found}"
        )


def is_newer(found: str, known: str = SCHEMA_REVISION) -> bool:
    """Whether stored revision `found` is not one this code's migrations lead to or through."""
    if not (found.isdigit() and known.isdigit()):
        return found != known
    return int(found) > int(known)


def require_database(engine: Engine) -> None:
    """Refuse a SQLite file that does not exist, before a connection creates it empty."""
    path = sqlite_file(engine.url)
    if path is not None and not path.exists():
        raise DatabaseMissing(path)


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None when no migration was ever applied."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        row = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def require_current(engine: Engine) -> None:
    """Refuse a database that is missing, empty or at another revision, saying what to do.

    Without it an unmigrated database fails later, deep in some statement, as "no such table".
    """
    require_database(engine)
    found = stored_revision(engine)
    if found == SCHEMA_REVISION:
        return
    url = engine.url.render_as_string(hide_password=True)
    if found is not None and is_newer(found):
        raise SchemaTooNew(url, found, SCHEMA_REVISION)
    at = "has no starcert schema" if found is None else f"is at schema revision {found}"
    raise SchemaNotCurrent(
        f"the database {url} {at}; this starcert needs revision {SCHEMA_REVISION}: "
        "run `starcert db upgrade`"
    )
