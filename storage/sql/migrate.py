"""Apply and inspect schema migrations from code, from any working directory or installed package.

Alembic is configured here in full (the migration scripts sit beside this module), so
`starcert db upgrade` needs no alembic.ini; storage/alembic.ini is only for the alembic command.
Upgrading is the one way a SQLite database file comes to exist (every other command refuses a
missing one, see storage.sql.schema).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from storage.sql.engines import make_engine, sqlite_file
from storage.sql.schema import SchemaTooNew

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest).

    A SQLite file (and its folder) is created when missing. A database at a revision these
    migrations do not have (a newer release migrated it) is refused with SchemaTooNew.
    """
    from alembic.script import ScriptDirectory

    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config(url)
            scripts = ScriptDirectory.from_config(config)
            found = MigrationContext.configure(connection).get_current_revision()
            if found is not None and found not in {s.revision for s in scripts.walk_revisions()}:
                shown = engine.url.render_as_string(hide_password=True)
                raise SchemaTooNew(shown, found, scripts.get_current_head())
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database at `url` is at, or None when no migration was applied."""
    engine = make_engine(url)
    try:
        return current_of(engine)
    finally:
        engine.dispose()


def current_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
