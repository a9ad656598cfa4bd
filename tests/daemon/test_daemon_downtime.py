"""Down for 400 days, then started: each missed deadline fires once, in due order, late, and the
outcome is what a daemon that never stopped (the simulation driver) makes of the same history."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon_helpers import certify, make_site, wait_until
from sqlalchemy import create_engine, text

from workflows.fake_clock import FakeClock

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
STOP = T0 + timedelta(days=400)  # 2025-02-13T02:00Z, far from a day boundary in Shanghai


def _copy(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _history(url: str) -> dict[int, Any]:
    """Per case: its state and every event, less who fired it, when, and whether late."""
    engine = create_engine(url)
    with engine.connect() as conn:
        cases = {
            r.id: [r.state, str(r.suspended_on), r.suspension_cause, r.star_level, []]
            for r in conn.execute(text("SELECT * FROM cases ORDER BY id"))
        }
        for r in conn.execute(text("SELECT * FROM events ORDER BY case_id, seq")):
            data = json.loads(r.data) if isinstance(r.data, str) else r.data
            deadline = {
                k: v
                for k, v in data.get("deadline", {}).items()
                if k not in ("fired_at", "late", "id")
            }
            cases[r.case_id][4].append((r.trigger, r.from_state, r.to_state, r.reason, deadline))
        # The reminders deadlines sent; planning warnings say what held on the day a daemon
        # looked, which a daemon down for a year did not see (starcert.audit_warnings).
        outbox = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT case_id, kind FROM notifications WHERE kind NOT IN "
                    "('audit_unassigned', 'qualification_expiring') ORDER BY case_id, kind"
                )
            )
        ]
    engine.dispose()
    return {"cases": cases, "outbox": outbox}


def test_after_400_days_down_every_missed_deadline_fires_once_as_if_never_stopped(
    tmp_path: Path,
) -> None:
    site = make_site(tmp_path / "site", tick=0.3, batch=7)
    clock = FakeClock(T0)
    certify(site, clock, 12, days_between=5)
    started = clock.now()
    db = site.root / "data" / "starcert.db"
    reference = make_site(tmp_path / "reference")
    _copy(db, reference.root / "data" / "starcert.db")

    engine = create_engine(site.url)

    def missed_open() -> int:
        stmt = text("SELECT count(*) FROM deadlines WHERE done_at IS NULL AND due_at <= :t")
        with engine.connect() as conn:
            return int(conn.execute(stmt, {"t": STOP.replace(tzinfo=None)}).scalar_one())

    missed = missed_open()
    assert missed >= 15  # every window reminder, and the overdue surveillances of most cases

    daemon = site.serve("late", "--clock-start", STOP.isoformat())
    try:
        wait_until(
            "the missed deadlines fired",
            lambda: missed_open() == 0,
            timeout=60,
        )
        wait_until(
            "a quiet tick", lambda: len(daemon.events("deadline_fired")) >= missed, timeout=10
        )
        assert daemon.term() == 0
    finally:
        site.stop_all()

    fired = daemon.events("deadline_fired")
    assert all(line["late"] for line in fired)
    assert daemon.not_json() == []  # one JSON object per line, nothing from the libraries
    dues = [line["due"] for line in fired]
    assert dues == sorted(dues)  # in due order
    for line in fired:
        assert datetime.fromisoformat(line["fired_at"]) >= STOP
        assert line["lag_s"] == round(
            (
                datetime.fromisoformat(line["fired_at"]) - datetime.fromisoformat(line["due"])
            ).total_seconds(),
            3,
        )
    ids = [line["deadline"] for line in fired]
    assert len(ids) == len(set(ids))
    with engine.connect() as conn:
        numbers = {i: n for i, n in conn.execute(text("SELECT id, number FROM cases"))}
        assert all(line["certificate"] == numbers[line["case"]] for line in fired)
        assert all(line["certificate"] for line in fired)  # every one a certificate
        for (data,) in conn.execute(
            text("SELECT data FROM events WHERE trigger IN ('suspend', 'remind')")
        ):
            d = json.loads(data)["deadline"]
            assert d["late"] is True and d["fired_at"] > d["due_at"]  # original due, actual firing
    engine.dispose()

    sim = site.cli(  # the reference is a copy to this installation
        "simulate", "--database", reference.url, "--from", started.isoformat(), "--to", STOP.isoformat(),
        "--no-operators", "--json",
    )  # fmt: skip
    report = json.loads(sim.stdout)
    assert report["fired_total"] == len(fired)
    assert _history(site.url) == _history(reference.url)
