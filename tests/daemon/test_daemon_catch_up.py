"""Catching up years in one tick: a firing that adds a deadline already due sees it fire before
the rows it holds that are due later, so the outcome is what a daemon that never stopped makes
of the same history (here: overdue surveillance, suspension, withdrawal at the limit, and no
expiry of a certificate already withdrawn)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon_helpers import certify, make_site
from sqlalchemy import create_engine, text

from starcert.app import App
from starcert.config import load_config
from starcert.simulate import Simulation
from workflows.deadline_runner import DeadlineRunner
from workflows.fake_clock import FakeClock

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
BACK = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # past every deadline of a first cycle


def _trail(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT case_id, trigger, from_state, to_state, reason FROM events"
                " WHERE seq > 5 ORDER BY case_id, seq"
            )
        )
        trail = [tuple(r) for r in rows]
    engine.dispose()
    return trail


def test_one_tick_after_years_down_fires_as_a_daemon_that_never_stopped(tmp_path: Path) -> None:
    site = make_site(tmp_path / "late")
    clock = FakeClock(T0)
    certify(site, clock, 3, days_between=3)
    reference = make_site(tmp_path / "reference")
    with (
        sqlite3.connect(site.url.removeprefix("sqlite:///")) as a,
        sqlite3.connect(reference.url.removeprefix("sqlite:///")) as b,
    ):
        a.backup(b)
    started = clock.now()

    clock.set(BACK)
    app = App(load_config(site.config), clock=clock)
    try:
        runner = DeadlineRunner(
            case_service=app.case_service, uow_factory=app.uow, clock=clock, worker="late",
            lease=timedelta(minutes=5), batch_size=200, log_firings=False,
        )  # fmt: skip
        report = runner.tick()
    finally:
        app.close()

    ref_clock = FakeClock(started)
    ref_app = App(load_config(reference.config), clock=ref_clock)
    try:
        Simulation(ref_app, ref_clock, operators=False).run(BACK)
    finally:
        ref_app.close()

    late, never_stopped = _trail(site.url), _trail(reference.url)
    assert [t[1:4] for t in late if t[0] == late[0][0]] == [
        ("remind", "active", "active"),
        ("suspend", "active", "suspended"),
        ("withdraw", "suspended", "withdrawn"),
    ]
    assert late == never_stopped
    assert report.fired == len(late) and report.failed == 0
