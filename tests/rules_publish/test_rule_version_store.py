"""The rule_versions repository on every backend: stored in order, immutable, never mixed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, text

from storage.memory.memory_store import MemoryStore
from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.ports import PublishedRules, UnitOfWork

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def version(v: str, effective: date, content: str | None = None) -> PublishedRules:
    body = content or f'ruleset: gbt27922\nversion: "{v}"\n'
    return PublishedRules(
        None,
        "gbt27922",
        v,
        hashlib.sha256(body.encode()).hexdigest(),
        body,
        f"v{v}.yaml",
        effective,
        NOW,
        "alice",
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uows(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Callable[[], UnitOfWork]]:
    if request.param == "memory":
        store = MemoryStore()
        yield store.uow
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/rules.db"
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


def add(uows: Callable[[], UnitOfWork], published: PublishedRules) -> PublishedRules:
    with uows() as uow:
        stored = uow.rule_versions.add(published)
        uow.commit()
    return stored


def test_versions_come_back_in_order_exactly_as_stored(uows: Callable[[], UnitOfWork]) -> None:
    one = add(uows, version("1", date(2012, 2, 1)))
    two = add(uows, version("2", date(2026, 7, 1)))
    with uows() as uow:
        assert [p.version for p in uow.rule_versions.list()] == ["1", "2"]
        assert uow.rule_versions.get("gbt27922", "2") == two
        assert uow.rule_versions.latest_id() == two.id
        assert [p.version for p in uow.rule_versions.list(after_id=one.id or 0)] == ["2"]


def test_an_existing_version_is_refused_and_nothing_changes(uows: Callable[[], UnitOfWork]) -> None:
    add(uows, version("1", date(2012, 2, 1)))
    with pytest.raises(InvalidInput, match="already published"):
        add(uows, version("1", date(2027, 1, 1), content="other content\n"))
    with uows() as uow:
        assert [p.effective_from for p in uow.rule_versions.list()] == [date(2012, 2, 1)]


def test_effective_dates_and_versions_never_go_backwards(uows: Callable[[], UnitOfWork]) -> None:
    add(uows, version("2", date(2026, 7, 1)))
    with pytest.raises(InvalidInput, match="effective dates never go backwards"):
        add(uows, version("3", date(2026, 6, 1)))
    with pytest.raises(InvalidInput, match="does not come after"):
        add(uows, version("1", date(2027, 1, 1)))
    with uows() as uow:
        assert [p.version for p in uow.rule_versions.list()] == ["2"]


def test_a_content_hash_that_does_not_match_is_refused(uows: Callable[[], UnitOfWork]) -> None:
    bad = version("1", date(2012, 2, 1))
    with pytest.raises(InvalidInput, match="content_hash"):
        add(uows, PublishedRules(**{**bad.__dict__, "content_hash": "0" * 64}))


def test_two_publishers_in_one_moment_do_not_both_land_out_of_order() -> None:
    """Memory backend: first committer wins, the second is told to retry (SQL: see the CLI race)."""
    store = MemoryStore()
    first, second = store.uow(), store.uow()
    with first, second:
        first.rule_versions.add(version("2", date(2026, 8, 1)))
        second.rule_versions.add(version("3", date(2026, 7, 1)))
        first.commit()
        with pytest.raises(ConcurrencyConflict):
            second.commit()
    with store.uow() as uow:
        assert [p.version for p in uow.rule_versions.list()] == ["2"]
