"""The daemon on a fake clock, against SQLite: its heartbeats, its back-off while the database does
not answer, an incident's back-off and a dead daemon's lease all follow the clock, not the wall."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from starcert.app import App
from starcert.daemon import Daemon, is_database_down, is_write_conflict
from storage.heartbeats import Heartbeat
from storage.sql.engines import make_engine
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.deadline_runner import DeadlineRunner
from workflows.fake_clock import FakeClock
from workflows.model import State
from workflows.ports import UnitOfWork

LEASE = timedelta(minutes=5)
CERTIFIED_AT = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)


class FakeWallClock(FakeClock):
    """A fake clock that is its own wall: the daemon's real-time readings are its instants."""

    def to_wall(self, instant: datetime) -> datetime:
        return instant


@pytest.fixture
def clock() -> FakeWallClock:
    return FakeWallClock(CERTIFIED_AT)


def _runner(
    app: App, clock: FakeClock, worker: str, new_uow: Callable[[], UnitOfWork] | None = None
) -> DeadlineRunner:
    return DeadlineRunner(
        case_service=app.case_service, uow_factory=new_uow or app.uow, clock=clock, worker=worker,
        lease=LEASE, batch_size=10, incident_backoff=timedelta(seconds=30),
        is_write_conflict=is_write_conflict, is_database_down=is_database_down,
    )  # fmt: skip


def _beat(app: App, worker: str) -> Heartbeat:
    return next(b for b in app.database.heartbeats.all() if b.worker == worker)


def _sql(app: App, statement: str) -> None:
    engine = make_engine(app.config.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _said(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "starcert.daemon"]
    return [line for line in lines if line["event"] == event]


def _first_due(app: App) -> datetime:
    with app.uow() as uow:
        due = uow.deadlines.next_due_at()
    assert due is not None
    return due


def test_heartbeats_and_the_database_back_off_follow_the_daemons_clock(
    app: App, clock: FakeWallClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="starcert.daemon")
    gone = make_engine(f"sqlite:///{tmp_path}/no/such/folder/starcert.db")
    database = {"up": True}

    def new_uow() -> UnitOfWork:
        return app.uow() if database["up"] else SqlUnitOfWork(gone)

    runner = _runner(app, clock, "d1", new_uow)
    daemon = Daemon(runner, clock=clock, heartbeats=app.database.heartbeats, tick_seconds=5)
    start = clock.now()
    assert daemon.started_at == start

    clock.advance(timedelta(seconds=2))
    daemon.tick()
    beat = _beat(app, "d1")
    assert (beat.state, beat.started_at, beat.beat_at) == ("running", start, clock.now())
    assert beat.last_tick_at == beat.clock_at == clock.now()

    # A long tick beats "firing" once the pulse interval (here 5 s) has passed since the last.
    ticked = clock.now()
    clock.advance(timedelta(seconds=4))
    daemon.pulse.progress()
    assert _beat(app, "d1").beat_at == ticked
    clock.advance(timedelta(seconds=1))
    daemon.pulse.progress()
    beat = _beat(app, "d1")
    assert (beat.state, beat.beat_at, beat.last_tick_at) == ("firing", clock.now(), ticked)

    database["up"] = False
    daemon.tick()
    daemon.tick()  # backing off: not tried again yet
    clock.advance(timedelta(milliseconds=499))
    daemon.tick()
    assert [(e["attempt"], e["retry_in_s"]) for e in _said(caplog, "database_unavailable")] == [
        (1, 0.5)
    ]
    clock.advance(timedelta(milliseconds=1))
    daemon.tick()
    clock.advance(timedelta(milliseconds=999))
    daemon.tick()
    unavailable = _said(caplog, "database_unavailable")
    assert [(e["attempt"], e["retry_in_s"]) for e in unavailable] == [(1, 0.5), (2, 1.0)]
    assert unavailable[1]["ts"] == (clock.now() - timedelta(milliseconds=999)).isoformat()
    assert _beat(app, "d1").last_tick_at == ticked  # `health` sees the ticks stop

    database["up"] = True
    clock.advance(timedelta(milliseconds=1))
    daemon.tick()
    assert [e["after_failures"] for e in _said(caplog, "database_back")] == [2]
    beat = _beat(app, "d1")
    assert (beat.state, beat.last_tick_at, beat.last_error) == ("running", clock.now(), None)


def test_a_failing_deadline_is_retried_after_a_doubling_back_off_until_repaired(
    app: App, clock: FakeWallClock
) -> None:
    _sql(app, "UPDATE cases SET state = 'bogus' WHERE id = 1")
    clock.set(_first_due(app))
    runner = _runner(app, clock, "d1")
    for wait in (30, 60):
        report = runner.tick()
        assert (report.claimed, report.fired, report.failed) == (1, 0, 1)
        with app.uow() as uow:
            [incident] = uow.deadlines.incidents()
        assert incident.claimed_until == clock.now() + timedelta(seconds=wait)
        clock.advance(timedelta(seconds=wait) - timedelta(seconds=1))
        assert runner.tick().claimed == 0  # backing off
        clock.advance(timedelta(seconds=1))

    _sql(app, "UPDATE cases SET state = 'active' WHERE id = 1")  # the operator repairs it
    clock.advance(timedelta(seconds=120))
    assert runner.tick().fired == 1
    with app.uow() as uow:
        assert uow.deadlines.incidents() == []
        assert uow.cases.get(1).state is State.ACTIVE


def test_a_dead_daemons_deadline_is_fired_by_another_once_its_lease_runs_out(
    app: App, clock: FakeWallClock
) -> None:
    clock.set(_first_due(app))
    dead = _runner(app, clock, "dead")
    [held] = dead.work.claim(1)  # claimed, then the process is killed before firing
    other = _runner(app, clock, "other")
    clock.advance(LEASE - timedelta(seconds=1))
    assert other.tick().claimed == 0
    clock.advance(timedelta(seconds=1))
    report = other.tick()
    assert [f.deadline_id for f in report.fired_list] == [held.id]
    with app.uow() as uow:
        assert uow.deadlines.get(held.id or 0).done_at == clock.now()


def _wake_ups_until(runner: DeadlineRunner, clock: FakeClock, end: datetime) -> int:
    """Drive `runner` as the daemon's scheduler does: tick, then sleep until the next due time
    it names (one in the past runs at once). Counts the ticks before `end`, at most 50."""
    wake_ups = 0
    while clock.now() < end and wake_ups < 50:
        runner.tick()
        wake_ups += 1
        nxt = runner.next_due()
        assert nxt is not None
        clock.set(max(nxt, clock.now()))
    return wake_ups


def test_a_deadline_behind_a_dead_daemons_lease_wakes_the_daemon_at_the_lease_end(
    app: App, clock: FakeWallClock
) -> None:
    """The later deadline of a case is deferred while the earlier one is leased: the daemon
    sleeps until the lease ends instead of waking again and again at the later one's due time."""
    with app.uow() as uow:
        first, second = uow.deadlines.open_for_case(1)[:2]
    clock.set(second.due_at + timedelta(seconds=1))  # both overdue, as after an outage
    dead = _runner(app, clock, "dead")
    [held] = dead.work.claim(1)
    assert held.id == first.id
    other = _runner(app, clock, "other")
    lease_end = clock.now() + LEASE
    assert _wake_ups_until(other, clock, lease_end) == 1
    assert clock.now() == lease_end
    report = other.tick()
    assert [f.deadline_id for f in report.fired_list] == [first.id, second.id]


def test_a_deadline_behind_an_incidents_back_off_wakes_the_daemon_at_the_retry(
    app: App, clock: FakeWallClock
) -> None:
    with app.uow() as uow:
        first, second = uow.deadlines.open_for_case(1)[:2]
    clock.set(second.due_at + timedelta(seconds=1))
    runner = _runner(app, clock, "d1")
    [held] = runner.work.claim(1)
    failure = runner.work.fail(held, "RuntimeError: rules missing")  # as a failed firing does
    assert held.id == first.id
    assert _wake_ups_until(runner, clock, failure.retry_at) == 1
    assert clock.now() == failure.retry_at
    report = runner.tick()
    assert [f.deadline_id for f in report.fired_list] == [first.id, second.id]
