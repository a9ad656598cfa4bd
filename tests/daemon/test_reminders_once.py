"""Each obligation is reminded once: a reminder missed (the daemon down, the case suspended)
fires late, and none fires again because a re-plan or a rule version moved its day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from starcert.app import App
from starcert.rule_publication import Publication
from starcert.rules_authoring import recompute
from starcert.rules_store import publish
from tests.rules_publish.conftest import SHIPPED
from workflows import commands as c
from workflows.deadline_runner import DeadlineRunner
from workflows.deadlines import local_day
from workflows.fake_clock import FakeClock
from workflows.model import IndicatorResult, ScoreSheet, SuspensionCause

OP = "operator:li"


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 4, tzinfo=UTC)


def _tick(app: App, clock: FakeClock, when: datetime) -> list[str]:
    clock.set(when)
    runner = DeadlineRunner(
        case_service=app.case_service, uow_factory=app.uow, clock=clock, worker="w",
        lease=timedelta(minutes=5), batch_size=200, log_firings=False,
    )  # fmt: skip
    return [f"{f.kind} -> {f.outcome}" for f in runner.tick().fired_list]


def _surveil(app: App, clock: FakeClock, when: datetime) -> None:
    _tick(app, clock, when)
    model = app.rules.book.in_force(local_day(when, app.config.zone)).scoring
    sheet = ScoreSheet({i.id: IndicatorResult(points=i.points * Decimal("0.95")) for i in model.indicators})  # fmt: skip
    today = local_day(when, app.config.zone)
    app.case_service.handle(c.RecordSurveillance(1, today, "auditor", sheet, OP))


def _reminders(app: App, kind: str) -> list[str]:
    with app.uow() as uow:
        return [
            e.reason or ""
            for e in uow.events.for_case(1)
            if e.trigger == "remind" and e.data["deadline"]["kind"] == kind
        ]


def _monthly_ticks(app: App, clock: FakeClock, start: date, months: int) -> None:
    day = start
    for _ in range(months):
        _tick(app, clock, datetime(day.year, day.month, 28, 4, tzinfo=UTC))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)


def test_a_suspended_client_is_reminded_of_recertification_once(app: App, clock: FakeClock) -> None:
    _surveil(app, clock, _at(2024, 11, 1))
    _surveil(app, clock, _at(2025, 11, 1))
    clock.set(_at(2026, 6, 1))
    app.case_service.handle(c.Suspend(1, SuspensionCause.CLIENT_REQUEST, "asked", OP))
    assert "recert_reminder -> remind" in _tick(app, clock, _at(2026, 7, 15))
    clock.set(_at(2026, 8, 1))
    app.case_service.handle(c.Restore(1, "resumed", OP))
    _monthly_ticks(app, clock, date(2026, 8, 1), 5)
    assert _reminders(app, "recert_reminder") == ["recert_reminder on 2026-07-09"]


def test_a_reminder_missed_while_the_daemon_was_down_fires_late_once(
    app: App, clock: FakeClock
) -> None:
    _surveil(app, clock, _at(2024, 11, 1))
    _surveil(app, clock, _at(2025, 11, 1))
    fired = _tick(app, clock, _at(2027, 8, 1))  # down from November 2025
    assert fired == [
        "recert_reminder -> remind",
        "expiry -> expire",
        "restoration_allowance_ends -> remind",  # its day, 2027-07-09, passed while down
    ]
    assert _tick(app, clock, _at(2027, 8, 2)) == []


def test_a_rule_version_that_moves_a_reminder_already_sent_does_not_send_it_again(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    _surveil(app, clock, _at(2024, 11, 1))
    _surveil(app, clock, _at(2025, 11, 1))
    assert "recert_reminder -> remind" in _tick(app, clock, _at(2026, 7, 15))
    clock.set(_at(2026, 8, 1))
    later = SHIPPED.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"', 1)
    path = tmp_path / "v2.yaml"
    path.write_text(later.replace("recert_reminder_months: 6", "recert_reminder_months: 3"))
    done = publish(
        app.uow,
        Publication.from_file(path, date(2026, 8, 1), "alice", date(2026, 8, 1), clock.now()),
    )
    app.rules.refresh()
    recompute(app, done.ruleset, done.previous, "alice")  # v2 would remind on 2026-10-09
    app.case_service.handle(c.RecordSpecialAudit(1, date(2026, 8, 1), "auditor", None, OP))
    _monthly_ticks(app, clock, date(2026, 8, 1), 5)
    assert _reminders(app, "recert_reminder") == ["recert_reminder on 2026-07-09"]
