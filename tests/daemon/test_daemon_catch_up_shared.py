"""Two daemons catching up on one database end where one that never stopped would: a case's
deadlines fire in due order whichever daemon holds which, a dead one's leases included."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from daemon_helpers import certify, make_site, wait_until
from sqlalchemy import create_engine, text
from test_daemon_downtime import T0, _copy, _history

from workflows.fake_clock import FakeClock

BACK = T0 + timedelta(days=1300)  # past every expiry: suspensions, limits, reminders, expiries


def test_two_daemons_catching_up_keep_each_cases_deadlines_in_due_order(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", tick=0.2, batch=2, lease=30)
    clock = FakeClock(T0)
    # Enough that one daemon catches up in a few seconds, not one: the other, still starting on
    # a loaded machine, gets its share.
    certify(site, clock, 1200, days_between=1)
    started = clock.now()
    reference = make_site(tmp_path / "reference")
    _copy(site.root / "data" / "starcert.db", reference.root / "data" / "starcert.db")
    engine = create_engine(site.url)

    def open_due() -> int:
        stmt = text("SELECT count(*) FROM deadlines WHERE done_at IS NULL AND due_at <= :t")
        with engine.connect() as conn:
            return int(conn.execute(stmt, {"t": BACK.replace(tzinfo=None)}).scalar_one())

    daemons = [site.serve(name, "--clock-start", BACK.isoformat()) for name in ("a", "b")]
    try:
        wait_until("every missed deadline fired", lambda: open_due() == 0, timeout=120)
        for daemon in daemons:
            assert daemon.term() == 0
    finally:
        site.stop_all()
        engine.dispose()
    assert all(d.events("deadline_fired") for d in daemons), "the work was not shared"
    site.cli(  # the reference is a copy to this installation
        "simulate", "--database", reference.url, "--from", started.isoformat(), "--to",
        BACK.isoformat(), "--no-operators",
    )  # fmt: skip
    assert _history(site.url) == _history(reference.url)
