"""`/metrics` reads the database at each scrape: deadlines due, late and in incident, and the
commands this process handled, parsed with Prometheus's own text parser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from starcert.app import App
from tests.api.conftest import Api, make_app, serve
from workflows.fake_clock import FakeClock


def _scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = api.as_("viewer").get("/metrics")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[Api, FakeClock]]:
    clock = FakeClock(datetime.now(UTC))
    plain = make_app(tmp_path)
    application = App(plain.config, clock=clock)
    yield from ((a, clock) for a in serve(application))


def test_deadlines_due_late_and_in_incident_are_read_at_each_scrape(
    clocked: tuple[Api, FakeClock],
) -> None:
    api, clock = clocked
    first = api.certified()
    api.certified()
    before = _scrape(api)
    assert before[("starcert_deadlines_due", ())] == 0
    commands = before[("starcert_commands_total", (("command", "Decide"), ("outcome", "ok")))]
    assert commands == 2
    assert before[("starcert_command_duration_seconds_count", (("command", "Decide"),))] == 2

    clock.advance(timedelta(days=300))  # past both surveillance windows' opening, nothing fired
    engine = create_engine(api.app.config.database_url)
    with engine.begin() as conn:  # the first case's reminder failed once: an incident
        conn.execute(
            text(
                "UPDATE deadlines SET attempts = 1, last_error = 'boom' "
                "WHERE case_id = :c AND kind = 'surveillance_window_opens'"
            ),
            {"c": first["id"]},
        )
    engine.dispose()
    after = _scrape(api)
    assert after[("starcert_deadlines_due", ())] == 1
    assert after[("starcert_deadlines_late", ())] == 1
    assert after[("starcert_deadlines_in_incident", ())] == 1


def test_metrics_need_a_token(api: Api) -> None:
    assert api.as_(None).get("/metrics").status_code == 401
