"""A daemon catching up thousands of deadlines in one long tick stays healthy while it fires.

A service manager polls `starcert health`; if a long catch-up looked like a hung daemon, it would
be restarted mid-way, again and again. The daemon beats while it fires, and health reads that.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon_helpers import (
    Site,
    bulk_active_cases,
    bulk_deadlines,
    make_site,
    open_deadlines,
    wait_until,
)

from starcert.daemon_status import health
from storage.database import open_database

MAX_AGE = timedelta(seconds=1.5)  # shorter than the catch-up, longer than a beat (1 s)
CASES = 4000  # 8 deadlines each: a catch-up of several seconds even with a batch per commit


def test_health_stays_ok_through_a_catch_up_longer_than_its_max_age(sqlite_site: Site) -> None:
    engine = sqlite_site.engine()
    database = open_database(sqlite_site.url)
    cases = bulk_active_cases(engine, CASES)
    total = bulk_deadlines(engine, cases, 8, datetime.now(UTC) - timedelta(days=400))
    daemon = sqlite_site.serve("busy")
    wait_until("the catch-up under way", lambda: open_deadlines(engine) < total, timeout=60)
    first_check = time.monotonic()
    verdicts: list[tuple[bool, str]] = []
    shown_firing = False
    while open_deadlines(engine) > total // 10:
        verdicts.append(health(database, datetime.now(UTC), MAX_AGE))
        if not shown_firing and time.monotonic() - first_check > 2 * MAX_AGE.total_seconds():
            text = sqlite_site.cli("status").stdout
            shown_firing = "daemon busy (firing" in text and "last beat" in text
            cli = sqlite_site.cli("health", "--max-age", "1.5", check=False)
            assert cli.returncode == 0, cli.stdout
            assert "busy firing" in cli.stdout
        time.sleep(0.2)
    watched = time.monotonic() - first_check
    assert watched > 2 * MAX_AGE.total_seconds(), f"the catch-up ended after {watched:.1f} s"
    assert verdicts and all(ok for ok, _ in verdicts), [r for ok, r in verdicts if not ok][:3]
    assert any("firing" in reason for _, reason in verdicts)
    assert shown_firing, "status showed the daemon firing, with its last beat"
    wait_until("every deadline fired", lambda: open_deadlines(engine) == 0, timeout=120)
    assert daemon.term() == 0
    engine.dispose()
    database.close()


def test_a_daemon_that_stopped_ticking_is_unhealthy_even_if_it_once_beat(tmp_path: Path) -> None:
    """Beats mid-tick count only while the tick is on: a daemon killed mid-firing goes stale,
    and `status` says it has not been heard from."""
    sqlite_site = make_site(tmp_path / "site", health_max_age=MAX_AGE.total_seconds())
    engine = sqlite_site.engine()
    database = open_database(sqlite_site.url)
    cases = bulk_active_cases(engine, CASES)
    bulk_deadlines(engine, cases, 8, datetime.now(UTC) - timedelta(days=400))
    daemon = sqlite_site.serve("doomed")
    wait_until(
        "a beat mid-tick",
        lambda: "doomed (firing" in sqlite_site.cli("status").stdout,
        timeout=60,
    )
    daemon.kill9()
    assert open_deadlines(engine) > 0, "killed mid-run"
    time.sleep(MAX_AGE.total_seconds() + 0.5)
    ok, reason = health(database, datetime.now(UTC), MAX_AGE)
    assert not ok and "no tick within 1.5s" in reason
    shown = sqlite_site.cli("status").stdout
    assert "daemon doomed (firing" in shown and "NOT HEARD FROM for" in shown
    sqlite_site.stop_all()
    engine.dispose()
    database.close()
