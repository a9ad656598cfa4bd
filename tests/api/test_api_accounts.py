"""The account repository behaves alike on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.memory.memory_store import MemoryStore
from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from storage.stored_records import AccountNotFound
from workflows.errors import InvalidInput
from workflows.ports import Account, UnitOfWork

AT = datetime(2026, 5, 1, 8, tzinfo=UTC)
Factory = Callable[[], UnitOfWork]


def _account(name: str, role: str = "viewer", digest: str = "a" * 64) -> Account:
    return Account(None, name, role, digest, AT, "tests")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    if request.param == "memory":
        store = MemoryStore()
        yield store.uow
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'accounts.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


def test_an_account_is_found_by_its_token_hash_until_revoked(new_uow: Factory) -> None:
    with new_uow() as uow:
        added = uow.accounts.add(_account("alice", "operator", "b" * 64))
        uow.commit()
    assert added.id is not None and added.role == "operator"
    with new_uow() as uow:
        found = uow.accounts.by_token_hash("b" * 64)
        assert found is not None and found.name == "alice" and found.created_at == AT
        uow.accounts.revoke("alice", AT, "root")
        uow.commit()
    with new_uow() as uow:
        assert uow.accounts.by_token_hash("b" * 64) is None
        uow.accounts.revoke("alice", AT, "someone else")  # already revoked: the record stays
        uow.commit()
    with new_uow() as uow:
        listed = uow.accounts.list()
    assert [(a.name, a.revoked_at, a.revoked_by) for a in listed] == [("alice", AT, "root")]


def test_names_are_never_reused_and_bad_accounts_are_refused(new_uow: Factory) -> None:
    with new_uow() as uow:
        uow.accounts.add(_account("bob"))
        uow.commit()
    with new_uow() as uow:
        uow.accounts.revoke("bob", AT, "root")
        uow.commit()
    with new_uow() as uow, pytest.raises(InvalidInput) as taken:
        uow.accounts.add(_account("bob", digest="c" * 64))
    assert taken.value.field == "name"
    with new_uow() as uow:
        with pytest.raises(InvalidInput) as role:
            uow.accounts.add(_account("carol", role="root", digest="d" * 64))
        assert role.value.field == "role"
        with pytest.raises(InvalidInput):
            uow.accounts.add(_account(" ", digest="e" * 64))
        with pytest.raises(AccountNotFound):
            uow.accounts.revoke("nobody", AT, "root")


def test_an_uncommitted_account_is_not_kept(new_uow: Factory) -> None:
    with new_uow() as uow:
        uow.accounts.add(_account("dave", digest="f" * 64))
    with new_uow() as uow:
        assert uow.accounts.by_name("dave") is None
