"""kill -9 in the middle of firing thousands of deadlines: none lost, none fired twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon_helpers import (
    Site,
    all_deadline_ids,
    bulk_active_cases,
    bulk_deadlines,
    firings,
    open_deadlines,
    wait_until,
)


def test_a_daemon_killed_mid_run_loses_and_repeats_nothing(sqlite_site: Site) -> None:
    engine = sqlite_site.engine()
    cases = bulk_active_cases(engine, 500)
    total = bulk_deadlines(engine, cases, 4, datetime.now(UTC) - timedelta(hours=2))
    assert total == 2000

    first = sqlite_site.serve("first")
    wait_until("some firings", lambda: total - open_deadlines(engine) >= 200, timeout=60)
    first.kill9()
    left = open_deadlines(engine)
    assert 0 < left < total, "the kill landed mid-run"

    second = sqlite_site.serve("second")
    wait_until("every deadline fired", lambda: open_deadlines(engine) == 0, timeout=90)
    assert second.term() == 0

    counts = firings(engine)
    assert set(counts) == all_deadline_ids(engine)  # none lost
    assert max(counts.values()) == 1  # none fired twice
    fired_by_second = {line["deadline"] for line in second.events("deadline_fired")}
    assert len(fired_by_second) >= left - 50  # it took over the rest (the lease let it)
    engine.dispose()
