"""`starcert simulate` writes in bulk what one command at a time would write, row for row.

The simulation lives its population on a memory store and writes each chunk of cohorts in one
transaction; the database must end exactly as if every command had committed on its own (ids,
certificate numbers, event hashes and chain heads included), on top of cases already there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import make_site, reset_pg
from sqlalchemy import create_engine, text

from starcert.app import App
from starcert.config import DatabaseConfig, load_config
from starcert.simulate import Simulation
from storage.bulk_write import BatchStore, BatchUnitOfWork
from storage.sql.migrate import upgrade
from workflows.errors import StorageError
from workflows.fake_clock import FakeClock
from workflows.model import Organisation

START = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
END = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
TABLES = (
    "organisations",
    "applications",
    "cases",
    "audits",
    "deadlines",
    "events",
    "notifications",
)


def _simulate(
    config_path: Path, url: str, start: datetime, end: datetime, **options: Any
) -> dict[str, Any]:
    population = options.pop("population")
    config = load_config(config_path).model_copy(update={"database": DatabaseConfig(url=url)})
    clock = FakeClock(start)
    app = App(config, clock=clock)
    try:
        report = Simulation(app, clock, **options).run(end, population=population).as_dict()
    finally:
        app.close()
    del report["seconds"]
    return report


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                for t in TABLES
            }
    finally:
        engine.dispose()


def _fresh(url: str) -> str:
    if url.startswith("postgresql"):
        reset_pg(url)
    upgrade(url)
    return url


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_bulk_writes_the_rows_one_command_at_a_time_writes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    site = make_site(tmp_path / "site")
    pg = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    trails: dict[bool, dict[str, list[tuple[Any, ...]]]] = {}
    reports: dict[bool, dict[str, Any]] = {}
    for bulk in (False, True):
        url = _fresh(pg or f"sqlite:///{tmp_path / f'bulk-{bulk}.db'}")
        # Certificates already in the database, with their own history: ids go on after them.
        _simulate(site.config, url, START - timedelta(days=400), START, population=4, seed=99,
                  bulk=False)  # fmt: skip
        reports[bulk] = _simulate(site.config, url, START, END, population=50, seed=5,
                                  cohort=7, chunk=20, bulk=bulk)  # fmt: skip
        # What comes after, one command at a time, takes the ids it would have taken.
        _simulate(site.config, url, END, END + timedelta(days=30), population=2, seed=11,
                  bulk=False)  # fmt: skip
        trails[bulk] = _rows(url)
    one_at_a_time, in_bulk = trails[False], trails[True]
    assert reports[True] == reports[False]
    assert reports[True]["created"] == 50
    assert len(one_at_a_time["cases"]) == 56
    assert one_at_a_time["events"], "a trail to compare"
    for table in TABLES:
        assert in_bulk[table] == one_at_a_time[table], table


def test_a_case_lives_the_same_history_in_any_cohort(tmp_path: Path) -> None:
    """Cases share nothing but id sequences: cut the population differently, each case's trail
    (its events in order, what they did and when) and its certificate stay the same."""
    site = make_site(tmp_path / "site")
    found = []
    for cohort in (40, 3):
        url = _fresh(f"sqlite:///{tmp_path / f'cohort-{cohort}.db'}")
        report = _simulate(site.config, url, START, END, population=40, seed=8, cohort=cohort)
        engine = create_engine(url)
        with engine.connect() as conn:
            trail = conn.execute(
                text(
                    "SELECT case_id, seq, at, trigger, from_state, to_state, reason FROM events"
                    " ORDER BY case_id, seq"
                )
            ).all()
            cases = conn.execute(
                text(
                    "SELECT id, state, number, star_level, final_score, expires_on, version"
                    " FROM cases ORDER BY id"
                )
            ).all()
        engine.dispose()
        del report["wakeups"]  # the clock wakes for each cohort
        found.append((report, trail, cases))
    assert found[0] == found[1]
    assert len(found[0][2]) == 40


def test_a_failing_chunk_leaves_the_chunks_before_it_and_nothing_of_itself(
    tmp_path: Path,
) -> None:
    site = make_site(tmp_path / "site")
    first = _fresh(f"sqlite:///{tmp_path / 'first.db'}")
    _simulate(site.config, first, START, START + timedelta(days=1), population=25, seed=3)
    engine = create_engine(first)
    with engine.connect() as conn:
        code = conn.execute(text("SELECT credit_code FROM organisations WHERE id = 25")).scalar()
    engine.dispose()
    # Another database already registers the organisation the 25th certificate is for.
    url = _fresh(f"sqlite:///{tmp_path / 'target.db'}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organisations (name, credit_code) VALUES ('已登记', :c)"), {"c": code}
        )
    with pytest.raises(StorageError, match="credit_code") as failed:
        _simulate(site.config, url, START, END, population=40, seed=3, cohort=5, chunk=10)
    assert "nothing of them was written" in str(failed.value)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        heads = conn.execute(text("SELECT count(*) FROM cases WHERE head_seq = 0")).scalar()
    engine.dispose()
    assert counts["organisations"] == 21  # the one planted, and the first two chunks whole
    assert counts["cases"] == 20 and heads == 0
    assert counts["events"] > 20 * 6


@pytest.mark.parametrize("reuse_top", [True, False], ids=["sqlite", "postgresql"])
def test_an_undone_savepoint_gives_its_ids_back_as_the_database_would(reuse_top: bool) -> None:
    """SQLite hands an id rolled back to a savepoint out again; a PostgreSQL sequence does not."""
    store = BatchStore({"organisations": 10, "events": 1}, reuse_top=reuse_top)
    with BatchUnitOfWork(store) as uow:
        kept = uow.organisations.add(Organisation(None, "Kept", "91350100M000100Y43"))
        with pytest.raises(RuntimeError), uow.savepoint():
            uow.organisations.add(Organisation(None, "Undone", "91350100M000200Y43"))
            raise RuntimeError("the firing failed")
        after = uow.organisations.add(Organisation(None, "After", "91350100M000300Y43"))
        uow.commit()
    assert kept.id == 10
    assert after.id == (11 if reuse_top else 12)
