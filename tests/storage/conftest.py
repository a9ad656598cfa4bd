"""One storage contract, three backends: memory, SQLite (a file per test), PostgreSQL.

PostgreSQL tests each get a fresh schema in the session's database (search_path set in the URL,
so worker processes given the URL land in the same schema), migrated from nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from storage_backends import Backend, sqlite_url

from storage.memory.memory_store import MemoryStore
from storage.sql.engines import make_engine
from storage.sql.kept_connection import keep_for
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork


@pytest.fixture
def pg_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema, dropped after the test."""
    server: str = request.getfixturevalue("pg_server_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _sql_backend(name: str, url: str) -> Iterator[Backend]:
    upgrade(url)
    engine = make_engine(url)
    try:
        kept = keep_for(engine)  # as App does: SQLite units of work share one kept connection
        yield Backend(name, lambda: SqlUnitOfWork(engine, kept), url, engine)
    finally:
        if kept is not None:
            kept.close()
        engine.dispose()


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        store = MemoryStore()
        yield Backend("memory", store.uow, store=store)
    elif request.param == "sqlite":
        yield from _sql_backend("sqlite", sqlite_url(tmp_path))
    else:
        yield from _sql_backend("postgresql", request.getfixturevalue("pg_schema_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The database backends only: for what the database itself must enforce."""
    if request.param == "sqlite":
        yield from _sql_backend("sqlite", sqlite_url(tmp_path))
    else:
        yield from _sql_backend("postgresql", request.getfixturevalue("pg_schema_url"))
