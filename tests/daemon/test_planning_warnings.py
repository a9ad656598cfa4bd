"""The daemon warns, through the outbox, when a due audit has no team by the lead time and when
an auditor's qualification ends within the warning period; each warning once, however often it
looks, on a fake clock. The console lists the warnings that hold today."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from daemon_helpers import Site, certify, wait_until
from sqlalchemy import create_engine, text

from starcert.app import App
from starcert.audit_warnings import current_warnings, send_warnings
from starcert.daemon import Daemon, is_database_down, is_write_conflict
from tests.daemon.conftest import CERTIFIED_AT
from workflows.auditors import Auditor, AuditorEdit, Grade, Qualification
from workflows.deadline_runner import DeadlineRunner
from workflows.fake_clock import FakeClock
from workflows.ports import Notification


class FakeWallClock(FakeClock):
    """A fake clock that is its own wall: the daemon's real-time readings are its instants."""

    def to_wall(self, instant: datetime) -> datetime:
        return instant


@pytest.fixture
def clock() -> FakeWallClock:
    return FakeWallClock(CERTIFIED_AT)


def _daemon(app: App, clock: FakeWallClock) -> Daemon:
    runner = DeadlineRunner(
        case_service=app.case_service, uow_factory=app.uow, clock=clock, worker="d1",
        lease=timedelta(minutes=5), batch_size=10, incident_backoff=timedelta(seconds=30),
        is_write_conflict=is_write_conflict, is_database_down=is_database_down,
    )  # fmt: skip
    return Daemon(
        runner, clock=clock, heartbeats=app.database.heartbeats, tick_seconds=5,
        warner=lambda: [w.text for w in send_warnings(app)],
    )  # fmt: skip


def _warned(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "starcert.daemon"]
    caplog.clear()
    return [line["text"] for line in lines if line["event"] == "planning_warning"]


def _outbox(app: App) -> list[Notification]:
    with app.uow() as uow:
        return [m for m in uow.notifications.pending(100) if m.kind.startswith(("audit_", "qual"))]


def _noon(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 4, tzinfo=UTC)  # noon in Shanghai


def test_each_warning_is_sent_once_through_the_outbox_with_its_text(
    app: App, clock: FakeWallClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="starcert.daemon")
    q = Qualification("R-1", Grade.SENIOR_AUDITOR, date(2021, 4, 1), date(2025, 3, 31))
    wang = app.auditors.add(Auditor(None, "王芳", q, areas=("household_appliances",)), "li")
    daemon = _daemon(app, clock)
    # The surveillance is due 2025-01-10: 36 days ahead is beyond the 30 days' lead time, and
    # the qualification's end 116 days ahead beyond the 90 days' warning.
    clock.set(_noon(2024, 12, 5))
    daemon.warn()
    assert _warned(caplog) == [] and _outbox(app) == []
    clock.set(_noon(2024, 12, 12))
    daemon.warn()
    unassigned = (
        "case 1 (企业 0): the surveillance audit due by 2025-01-10 has no team assigned, "
        "29 day(s) left"
    )
    assert _warned(caplog) == [unassigned]
    [sent] = _outbox(app)
    assert (sent.kind, sent.case_id, sent.channel) == ("audit_unassigned", 1, "webhook")
    assert sent.payload == {
        "kind": "audit_unassigned", "text": unassigned, "case_id": 1, "holder": "企业 0",
        "audit_kind": "surveillance", "due_on": "2025-01-10", "days_left": 29,
    }  # fmt: skip
    for day in (12, 13, 20):  # every hour, every day after: never again
        clock.set(_noon(2024, 12, day))
        daemon.warn()
        daemon.warn()
    assert _warned(caplog) == [] and len(_outbox(app)) == 1
    clock.set(_noon(2025, 1, 1))
    daemon.warn()
    expiring = "auditor 王芳 (1): qualification R-1 ends 2025-03-31, 89 day(s) left"
    assert _warned(caplog) == [expiring]
    assert [m.payload["text"] for m in _outbox(app)] == [unassigned, expiring]
    holding = [w.text for w in current_warnings(app)]  # what the console lists today
    assert holding == [unassigned.replace("29 day(s)", "9 day(s)"), expiring]
    daemon.warn()
    assert _warned(caplog) == []
    # Renewed, the qualification is warned of again as its new end nears.
    app.auditors.update(wang.id or 0, AuditorEdit(valid_until=date(2026, 3, 31)), "li")
    assert [w.kind for w in current_warnings(app)] == ["audit_unassigned"]
    clock.set(_noon(2026, 1, 1))
    daemon.warn()
    assert _warned(caplog) == [
        "auditor 王芳 (1): qualification R-1 ends 2026-03-31, 89 day(s) left"
    ]
    assert len(_outbox(app)) == 3


def test_an_audit_with_a_team_accepted_is_not_warned_of(app: App, clock: FakeWallClock) -> None:
    from workflows.assignments import Assignment

    q = Qualification("R-1", Grade.SENIOR_AUDITOR, date(2021, 4, 1), date(2029, 3, 31))
    wang = app.auditors.add(Auditor(None, "王芳", q, areas=("household_appliances",)), "li")
    assert wang.id is not None
    app.database.assignments.add(
        Assignment(None, 1, "surveillance", date(2025, 1, 6), date(2025, 1, 6), wang.id,
                   (wang.id,), "zhang", CERTIFIED_AT, "1")
    )  # fmt: skip
    clock.set(_noon(2024, 12, 20))
    assert current_warnings(app) == []
    assert send_warnings(app) == [] and _outbox(app) == []


def test_two_serving_daemons_send_the_warning_once_between_them(
    sqlite_site: Site, clock: FakeWallClock
) -> None:
    certify(sqlite_site, clock, 1)
    start = _noon(2024, 12, 12).isoformat()  # the surveillance due 2025-01-10: 29 days left
    first = sqlite_site.serve("w1", "--clock-start", start)
    second = sqlite_site.serve("w2", "--clock-start", start)
    engine = create_engine(sqlite_site.url)

    def warned() -> list[str]:
        query = "SELECT kind FROM notifications WHERE kind = 'audit_unassigned'"
        with engine.connect() as conn:
            return [r.kind for r in conn.execute(text(query))]

    try:
        wait_until("a daemon warned", lambda: warned() != [], timeout=30)
        wait_until(
            "both looked",
            lambda: first.events("warnings_checked") and second.events("warnings_checked"),
            timeout=30,
        )
        assert first.term() == 0 and second.term() == 0
    finally:
        sqlite_site.stop_all()
        engine.dispose()
    assert warned() == ["audit_unassigned"]
    lines = [*first.events("planning_warning"), *second.events("planning_warning")]
    assert [line["text"] for line in lines] == [
        "case 1 (企业 0): the surveillance audit due by 2025-01-10 has no team assigned, "
        "29 day(s) left"
    ]
