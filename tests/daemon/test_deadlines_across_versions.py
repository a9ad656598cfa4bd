"""Deadlines at a rule version's boundary: a deadline due before the version's effective date
is judged by the numbers in force on its due day (as the version's recompute left it), and a
firing that finds its deadline obsolete still leaves the case every deadline it owes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from starcert.app import App
from starcert.rule_publication import Publication
from starcert.rules_authoring import recompute
from starcert.rules_store import publish
from tests.rules_publish.conftest import SHIPPED
from workflows.commands import Suspend
from workflows.deadline_runner import DeadlineRunner
from workflows.deadlines import due_at
from workflows.fake_clock import FakeClock
from workflows.model import Deadline, DeadlineKind, State, SuspensionCause


def _runner(app: App, clock: FakeClock) -> DeadlineRunner:
    return DeadlineRunner(
        case_service=app.case_service, uow_factory=app.uow, clock=clock, worker="w",
        lease=timedelta(minutes=5), batch_size=50, log_firings=False,
    )  # fmt: skip


def _open(app: App, case_id: int) -> dict[str, date]:
    with app.uow() as uow:
        zone = app.config.zone
        return {
            str(d.kind): (d.due_at.astimezone(zone).date() - timedelta(days=1))
            for d in uow.deadlines.open_for_case(case_id)
        }


def _publish_v2(
    app: App, clock: FakeClock, tmp: Path, number: str, was: int, now: int, effective: date
) -> None:
    """On 2024-09-01, publish version 2 with one lifecycle number changed, and recompute."""
    clock.set(datetime(2024, 9, 1, 2, tzinfo=UTC))
    text = SHIPPED.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"', 1)
    path = tmp / "v2.yaml"
    path.write_text(text.replace(f"{number}: {was}", f"{number}: {now}"), encoding="utf-8")
    done = publish(
        app.uow, Publication.from_file(path, effective, "alice", date(2024, 9, 1), clock.now())
    )
    app.rules.refresh()
    recompute(app, done.ruleset, done.previous, "alice")


def test_a_surveillance_due_the_day_before_a_longer_first_interval_takes_effect_still_suspends(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    _publish_v2(app, clock, tmp_path, "first_surveillance_months", 12, 13, date(2025, 1, 11))
    assert _open(app, 1)["surveillance_due"] == date(2025, 1, 10)  # before v2: kept

    clock.set(datetime(2025, 1, 12, 2, tzinfo=UTC))
    _runner(app, clock).tick()
    with app.uow() as uow:
        case = uow.cases.get(1)
    assert case.state is State.SUSPENDED
    assert case.suspension_cause is SuspensionCause.OVERDUE_SURVEILLANCE


def test_an_obsolete_firing_leaves_the_case_the_deadlines_its_state_needs(
    app: App, clock: FakeClock
) -> None:
    owed = _open(app, 1)
    # A stray surveillance-due row, early, where the real one has gone missing.
    with app.uow() as uow:
        uow.deadlines.cancel_open(1, frozenset({DeadlineKind.SURVEILLANCE_DUE}))
        stray = due_at(date(2024, 6, 1), app.config.zone)
        uow.deadlines.add(Deadline(None, 1, DeadlineKind.SURVEILLANCE_DUE, stray))
        uow.commit()
    clock.set(datetime(2024, 6, 3, 2, tzinfo=UTC))
    report = _runner(app, clock).tick()
    assert [f.outcome for f in report.fired_list] == ["deadline_obsolete"]
    assert _open(app, 1) == owed
    engine = create_engine(app.config.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM cases WHERE id = 1")).scalar_one() == "active"
    engine.dispose()


def test_a_case_suspended_after_a_future_version_was_published_gets_its_limit(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    """Cases open at the publication were moved to the new numbers; one suspended after it must
    get the same days, not the numbers of the version in force on the day it was suspended."""
    _publish_v2(app, clock, tmp_path, "suspension_limit_months", 6, 1, date(2024, 10, 15))

    app.case_service.handle(Suspend(1, SuspensionCause.CLIENT_REQUEST, "asked", "alice"))
    # Version 1 gives 2025-03-01; version 2 (one month) would end it before its own effective
    # date, so it ends on that date, as the publication moves a suspension already open.
    assert _open(app, 1)["suspension_limit"] == date(2024, 10, 15)
    clock.set(datetime(2024, 10, 16, 2, tzinfo=UTC))
    _runner(app, clock).tick()
    with app.uow() as uow:
        assert uow.cases.get(1).state is State.WITHDRAWN
