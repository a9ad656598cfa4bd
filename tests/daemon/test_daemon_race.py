"""An operator transition racing a deadline on the same certificate: exactly one applies; the
other is re-evaluated against the new state, never applied blindly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemon_helpers import certify, firings, make_site, wait_until
from sqlalchemy import text

from starcert.app import App
from starcert.config import load_config
from starcert.wall_clock import ShiftedClock
from workflows import commands as c
from workflows.errors import ConcurrencyConflict, IllegalTransition
from workflows.fake_clock import FakeClock
from workflows.model import SuspensionCause

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=380)  # every surveillance is overdue: the daemon will suspend


def test_operator_and_daemon_suspending_the_same_cases_apply_exactly_once(
    tmp_path: Path, pg_url: str
) -> None:
    site = make_site(tmp_path / "site", pg_url, batch=5)
    cases = certify(site, FakeClock(T0), 40)
    operator = App(load_config(site.config), clock=ShiftedClock(LATER))
    outcomes: dict[int, str] = {}
    daemon = site.serve("d", "--clock-start", LATER.isoformat())
    try:
        wait_until("the daemon at work", lambda: bool(daemon.events("deadline_fired")), timeout=30)
        for case_id in reversed(cases):  # the daemon works up from the first: they meet midway
            try:
                operator.case_service.handle(
                    c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "client asked", "wang.fang")
                )
                outcomes[case_id] = "operator"
            except IllegalTransition:
                outcomes[case_id] = "already suspended"
            except ConcurrencyConflict:  # a stale version, or a deadlock the server broke
                outcomes[case_id] = "conflict"
        engine = site.engine()

        def settled() -> bool:
            with engine.connect() as conn:
                return (
                    conn.execute(
                        text("SELECT count(*) FROM cases WHERE state = 'active'")
                    ).scalar_one()
                    == 0
                )

        wait_until("every case suspended", settled, timeout=60)
        assert daemon.term() == 0
    finally:
        site.stop_all()
        operator.close()
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text(
                    "SELECT case_id, actor, trigger, from_state, to_state, data FROM events ORDER BY id"
                )
            )
        )
    engine.dispose()
    for case_id in cases:
        events = [r for r in rows if r.case_id == case_id]
        suspensions = [r for r in events if r.from_state == "active" and r.to_state == "suspended"]
        assert len(suspensions) == 1, (case_id, [(r.actor, r.trigger) for r in events])
        by_operator = suspensions[0].actor == "wang.fang"
        assert by_operator == (outcomes[case_id] == "operator")
        if by_operator:  # the overdue-surveillance deadline saw the new state: nothing applied
            for r in events:
                data = json.loads(r.data) if isinstance(r.data, str) else r.data
                if data.get("deadline", {}).get("kind") == "surveillance_due":
                    assert r.trigger == "deadline_obsolete"
    # Which side wins each case is up to timing; the invariants above hold whoever won.
    engine = site.engine()
    assert max(firings(engine).values()) == 1
    engine.dispose()
