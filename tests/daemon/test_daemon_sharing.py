"""Several daemons on one PostgreSQL database: each deadline fires exactly once, work is shared."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemon_helpers import (
    all_deadline_ids,
    bulk_active_cases,
    bulk_deadlines,
    firings,
    make_site,
    open_deadlines,
    wait_until,
)
from sqlalchemy import text

pytestmark = pytest.mark.postgres


def test_two_daemons_share_the_work_and_fire_each_deadline_once(
    tmp_path: Path, pg_url: str
) -> None:
    site = make_site(tmp_path / "site", pg_url, batch=20)
    engine = site.engine()
    try:
        cases = bulk_active_cases(engine, 500)
        total = bulk_deadlines(engine, cases, 2, datetime.now(UTC) - timedelta(hours=1))
        daemons = [site.serve("a"), site.serve("b")]
        wait_until("every deadline fired", lambda: open_deadlines(engine) == 0, timeout=90)
        for d in daemons:
            assert d.term() == 0
        counts = firings(engine)
        assert set(counts) == all_deadline_ids(engine) and len(counts) == total
        assert max(counts.values()) == 1
        shares = {d.name: len(d.events("deadline_fired")) for d in daemons}
        assert sum(shares.values()) == total
        assert all(n > total // 10 for n in shares.values()), shares
    finally:
        site.stop_all()
        engine.dispose()


@pytest.mark.slow
def test_three_daemons_fire_ten_thousand_once_and_outlive_a_killed_one(
    tmp_path: Path, pg_url: str
) -> None:
    site = make_site(tmp_path / "site", pg_url, batch=100, lease=3)
    engine = site.engine()
    try:
        cases = bulk_active_cases(engine, 2500)
        total = bulk_deadlines(engine, cases, 4, datetime.now(UTC) - timedelta(hours=1))
        assert total == 10_000
        a, b, c = site.serve("a"), site.serve("b"), site.serve("c")
        # On a loaded machine a daemon may still be starting when another is mid-run.
        beating = lambda: len(site.json("status")["daemons"]) == 3  # noqa: E731
        wait_until("all three beating", beating, timeout=60)
        wait_until("a mid-run", lambda: len(a.events("deadline_fired")) >= 300, timeout=60)
        held = 0
        for _ in range(50):  # freeze a while it holds a claim, so it dies holding rows
            a.proc.send_signal(signal.SIGSTOP)
            with engine.connect() as conn:
                held = conn.execute(
                    text(
                        "SELECT count(*) FROM deadlines WHERE done_at IS NULL AND claimed_by = 'a'"
                    )
                ).scalar_one()
            if held:
                break
            a.proc.send_signal(signal.SIGCONT)
            time.sleep(0.05)
        a.kill9()
        status = site.json("status")
        assert {d["worker"] for d in status["daemons"]} == {"a", "b", "c"}
        wait_until("every deadline fired", lambda: open_deadlines(engine) == 0, timeout=150)
        for d in (b, c):
            assert d.term() == 0
        counts = firings(engine)
        assert len(counts) == total and set(counts) == all_deadline_ids(engine)
        assert max(counts.values()) == 1
        fired_a = {line["deadline"] for line in a.events("deadline_fired")}
        fired_bc = {line["deadline"] for d in (b, c) for line in d.events("deadline_fired")}
        assert not fired_a & fired_bc
        assert (
            len(fired_a) + len(fired_bc) >= total - 1
        )  # the one in hand at the kill may be unlogged
        assert all(len(d.events("deadline_fired")) > 1000 for d in (b, c))
        assert held > 0  # a held claimed rows when it died: b and c fired them after the lease
    finally:
        site.stop_all()
        engine.dispose()
