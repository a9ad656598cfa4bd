"""Firings share a commit, each in a savepoint: one the database refuses is undone alone.

A batch of claimed deadlines is fired in one transaction. Here the database itself refuses the
events of one case (a trigger, on SQLite and PostgreSQL): that case's firing becomes an incident
while the other cases' firings in the same batch are stored, and a firing after the refused one
in the same transaction builds on the trail as it was, so every chain still verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemon_helpers import Site, certify, make_site
from sqlalchemy import text

from starcert.app import App
from starcert.config import load_config
from starcert.daemon import is_database_down, is_write_conflict
from storage.sql.engines import make_engine
from workflows.audit_trail import verify_log
from workflows.commands import FireDeadline
from workflows.deadline_runner import DeadlineRunner
from workflows.fake_clock import FakeClock
from workflows.model import State

CERTIFIED_AT = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
AFTER_FIRST_SURVEILLANCE = datetime(2025, 1, 12, 2, 0, tzinfo=UTC)


def _refuse_events(site: Site, case_id: int) -> None:
    """Make the database refuse the case's events written by `daemon:faulty`."""
    engine = make_engine(site.url)
    refused = f"NEW.case_id = {case_id} AND NEW.actor = 'daemon:faulty'"
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN {refused} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
                ))  # fmt: skip
            else:
                conn.execute(text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF {refused} THEN RAISE EXCEPTION 'refused by the database' "
                    "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"
                ))  # fmt: skip
                conn.execute(text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON events "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                ))  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    made = make_site(tmp_path / "site", url)
    yield made
    made.stop_all()


@pytest.fixture
def certified(site: Site) -> Iterator[tuple[App, FakeClock, list[int]]]:
    clock = FakeClock(CERTIFIED_AT)
    cases = certify(site, clock, 3)
    _refuse_events(site, cases[0])
    clock.set(AFTER_FIRST_SURVEILLANCE)
    app = App(load_config(site.config), clock=clock)
    yield app, clock, cases
    app.close()


def _runner(app: App, clock: FakeClock, worker: str) -> DeadlineRunner:
    return DeadlineRunner(
        case_service=app.case_service, uow_factory=app.uow, clock=clock, worker=worker,
        lease=timedelta(minutes=5), batch_size=50, incident_backoff=timedelta(seconds=30),
        log_firings=False, is_write_conflict=is_write_conflict, is_database_down=is_database_down,
    )  # fmt: skip


def _chains_verify(app: App) -> None:
    with app.uow() as uow:
        report = verify_log(uow.events, case_row=uow.cases.get)
    assert report.ok, report.broken


def test_a_refused_firing_is_an_incident_and_the_rest_of_its_batch_is_stored(
    certified: tuple[App, FakeClock, list[int]],
) -> None:
    app, clock, (refused, *others) = certified
    with app.uow() as uow:
        first_due = uow.deadlines.open_for_case(refused)[0]
    report = _runner(app, clock, "faulty").tick()
    assert report.failed == 1 and report.fired >= 2
    with app.uow() as uow:
        assert [uow.cases.get(c).state for c in others] == [State.SUSPENDED] * 2
        assert uow.cases.get(refused).state is State.ACTIVE
        incident = uow.deadlines.get(first_due.id or 0)
        assert incident.done_at is None and incident.attempts == 1
        assert "refused by the database" in (incident.last_error or "")
        assert uow.events.for_case(refused)[-1].trigger == "certify"  # nothing of the firing
    _chains_verify(app)
    clock.advance(timedelta(minutes=1))  # the back-off over: another daemon fires it
    again = _runner(app, clock, "other").tick()
    assert again.failed == 0 and again.fired >= 1
    with app.uow() as uow:
        assert uow.cases.get(refused).state is State.SUSPENDED
        assert uow.deadlines.get(first_due.id or 0).done_at is not None
    _chains_verify(app)


def test_a_firing_after_a_refused_one_in_the_same_transaction_builds_on_the_trail_as_it_was(
    certified: tuple[App, FakeClock, list[int]],
) -> None:
    app, _clock, (case_id, other, _) = certified
    with app.uow() as uow:
        case_due = [d.id or 0 for d in uow.deadlines.open_for_case(case_id)]
        other_due = uow.deadlines.open_for_case(other)[0].id or 0
        events_before = len(uow.events.for_case(case_id))
    with app.uow() as uow:
        fired = [app.case_service.fire_in(uow, FireDeadline(other_due, other, "daemon:good"))]
        with pytest.raises(Exception, match="refused by the database"):
            app.case_service.fire_in(uow, FireDeadline(case_due[0], case_id, "daemon:faulty"))
        fired.append(
            app.case_service.fire_in(uow, FireDeadline(case_due[0], case_id, "daemon:good"))
        )
        uow.commit()
    assert all(result.events for result in fired)
    with app.uow() as uow:
        trail = uow.events.for_case(case_id)
        assert len(trail) == events_before + 1 and trail[-1].actor == "daemon:good"
        assert uow.deadlines.get(case_due[0]).done_at is not None
        assert uow.deadlines.get(other_due).done_at is not None
    _chains_verify(app)
