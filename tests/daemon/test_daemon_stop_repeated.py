"""A stop asked for again and again (Ctrl-C twice, systemd and an operator both sending SIGTERM)
ends the daemon as one stop does: the deadline in hand finished, its heartbeat `stopped`, exit 0."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from daemon_helpers import (
    Site,
    all_deadline_ids,
    bulk_active_cases,
    bulk_deadlines,
    firings,
    open_deadlines,
    wait_until,
)
from sqlalchemy import text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_daemon_signalled_while_it_stops_still_stops_cleanly(
    sqlite_site: Site, signum: signal.Signals
) -> None:
    site = sqlite_site
    engine = site.engine()
    cases = bulk_active_cases(engine, 500)
    total = bulk_deadlines(engine, cases, 4, datetime.now(UTC) - timedelta(hours=2))

    daemon = site.serve("twice")
    wait_until("firing under way", lambda: total - open_deadlines(engine) >= 100, timeout=60)
    sent = 0
    while daemon.proc.poll() is None and sent < 500:  # through its stop and its teardown
        daemon.proc.send_signal(signum)
        sent += 1
        time.sleep(0.005)
    assert daemon.proc.wait(30) == 0
    assert sent > 1

    assert daemon.not_json() == []  # no traceback
    assert len(daemon.events("stopping")) == 1
    assert daemon.events("stopped")
    assert "starcert daemon stopped" in daemon.out.read_text()
    [beat] = site.json("status")["daemons"]
    assert beat["worker"] == "twice" and beat["state"] == "stopped"
    with engine.connect() as conn:
        held = conn.execute(
            text("SELECT count(*) FROM deadlines WHERE done_at IS NULL AND claimed_by = 'twice'")
        ).scalar_one()
    assert held == 0  # what it had claimed and not fired was given back

    after = site.serve("after")
    wait_until("the rest fired", lambda: open_deadlines(engine) == 0, timeout=90)
    assert after.term() == 0
    counts = firings(engine)
    assert set(counts) == all_deadline_ids(engine) and max(counts.values()) == 1
    engine.dispose()
