"""The console session store on every backend: a session lives until its idle end (moved by each
use, never past its absolute end), its revocation, or its account's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.database import Database, open_database, upgrade
from storage.memory.memory_database import MemoryDatabase
from workflows.ports import Account

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
IDLE, LIFETIME = timedelta(minutes=30), timedelta(hours=2)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "memory":
        found: Database = MemoryDatabase()
    else:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'sessions.db'}"
        else:
            url = request.getfixturevalue("pg_server_url")
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        upgrade(url)
        found = open_database(url)
    with found.unit_of_work() as uow:
        uow.accounts.add(Account(None, "alice", "operator", "a" * 64, T0, "tests"))
        uow.accounts.add(Account(None, "bob", "viewer", "b" * 64, T0, "tests"))
        uow.commit()
    try:
        yield found
    finally:
        found.close()


def _open(database: Database, session: str, token: str, at: datetime = T0) -> bool:
    opened = database.console_sessions.open(session, token, at, at + IDLE, at + LIFETIME)
    return opened is not None


def _use(database: Database, session: str, at: datetime) -> str | None:
    live = database.console_sessions.use(session, at, at + IDLE)
    return None if live is None else f"{live.account}/{live.role}"


def test_only_a_live_accounts_token_opens_a_session(database: Database) -> None:
    assert not _open(database, "s0", "f" * 64)
    assert _use(database, "s0", T0) is None
    assert _open(database, "s1", "a" * 64)
    assert _use(database, "s1", T0) == "alice/operator"
    assert _use(database, "unknown", T0) is None


def test_each_use_moves_the_idle_end_but_not_the_absolute_one(database: Database) -> None:
    assert _open(database, "s1", "a" * 64)
    at = T0
    for _ in range(4):
        at += IDLE - timedelta(seconds=1)
        assert _use(database, "s1", at) == "alice/operator"
    live = database.console_sessions.use("s1", at, at + IDLE)
    assert live is not None and live.idle_until == T0 + LIFETIME  # capped at the absolute end
    assert _use(database, "s1", T0 + LIFETIME) is None
    assert _open(database, "s2", "a" * 64)
    assert _use(database, "s2", T0 + IDLE) is None  # unused for the idle time


def test_revoking_the_session_or_its_account_ends_it(database: Database) -> None:
    assert _open(database, "s1", "a" * 64) and _open(database, "s2", "b" * 64)
    assert _open(database, "s3", "b" * 64)
    database.console_sessions.revoke("s1", T0 + timedelta(minutes=1))
    assert _use(database, "s1", T0 + timedelta(minutes=2)) is None
    with database.unit_of_work() as uow:
        uow.accounts.revoke("bob", T0 + timedelta(minutes=3), "tests")
        uow.commit()
    assert _use(database, "s2", T0 + timedelta(minutes=4)) is None
    assert _use(database, "s3", T0 + timedelta(minutes=4)) is None


def test_ended_sessions_are_forgotten_live_ones_kept(database: Database) -> None:
    assert _open(database, "old", "a" * 64)
    assert _open(database, "new", "a" * 64, T0 + timedelta(minutes=20))
    assert _open(database, "out", "a" * 64, T0 + timedelta(minutes=20))
    database.console_sessions.revoke("out", T0 + timedelta(minutes=21))
    assert database.console_sessions.forget_ended(T0 + timedelta(minutes=40)) == 2
    assert _use(database, "new", T0 + timedelta(minutes=40)) == "alice/operator"
