"""Alembic environment: runs migrations on the connection storage.sql.migrate hands over, or on the
URL in STARCERT_DATABASE_URL / sqlalchemy.url when run from the alembic command."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.sql.engines import make_engine
from storage.sql.tables import metadata

config = context.config


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        raise SystemExit(
            "offline (SQL script) migrations are not supported; run against a database"
        )
    given = config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        if given.in_transaction():
            given.commit()
        return
    url = (
        config.attributes.get("database_url")
        or os.environ.get("STARCERT_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise SystemExit("no database URL: set STARCERT_DATABASE_URL")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _migrate(connection)
            if connection.in_transaction():
                connection.commit()
    finally:
        engine.dispose()


run()
