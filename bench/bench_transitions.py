"""Persisted lifecycle transitions per second on SQLite, against raw sqlite3 doing the same writes.

One transition = load the case, check the guard, move the state with an optimistic version check,
append the hash-chained event, replace the case's open deadlines, commit. We alternate suspend and
restore over a population of issued certificates. The baseline issues the same statements through
the sqlite3 module with no ORM, no state machine and no domain code, in the same run, on the same
kind of database file, so the ratio is what starcert's layers cost.

The two run in alternating rounds (raw, starcert, raw, starcert, ...) so that load from other
processes on a shared machine hits both alike; each round's ratio is printed, and the summary is
each side's best round and the median of the per-round ratios.

    .venv/bin/python bench/bench_transitions.py [--cases 200] [--transitions 4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from starcert.rules_adapter import EngineRules  # noqa: E402
from storage.database import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.sql import SqlUnitOfWork  # noqa: E402
from workflows import commands as c  # noqa: E402
from workflows.clock import FakeClock  # noqa: E402
from workflows.credit_code import check_character  # noqa: E402
from workflows.model import (  # noqa: E402
    IndicatorResult,
    PrerequisiteFacts,
    ScoreSheet,
    State,
    SuspensionCause,
)
from workflows.services import Lifecycle  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
MARKS = {
    "organisation": 6, "staffing": 6, "resources": 6, "service_norms": 6, "supervision": 6,
    "improvement": 5, "service_culture": 5, "commodity_information": 5, "technical_support": 6,
    "delivery": 6, "repair": 7, "quality_guarantee": 7, "recycling": 4,
    "customer_relationship": 13, "complaint_handling": 12,
}  # fmt: skip


def code(serial: int) -> str:
    body = f"91350100M{serial:08d}"
    return body + check_character(body)


def populate(lifecycle: Lifecycle, clock: FakeClock, n: int) -> list[int]:
    facts = PrerequisiteFacts(True, True, True, None, True, True)
    sheet = ScoreSheet({k: IndicatorResult(points=__import__("decimal").Decimal(v))
                        for k, v in MARKS.items()})  # fmt: skip
    ids = []
    for i in range(n):
        org = lifecycle.handle(c.RegisterOrganisation(f"Org {i}", code(i), "bench"))
        assert org.organisation_id is not None
        today = clock.now().date()
        case = lifecycle.handle(
            c.SubmitApplication(org.organisation_id, today, today - timedelta(days=400), "scope",
                                facts, "bench")
        )  # fmt: skip
        assert case.case_id is not None
        lifecycle.handle(c.ReviewApplication(case.case_id, "bench"))
        lifecycle.handle(c.RecordStage1(case.case_id, today, "auditor", "bench"))
        lifecycle.handle(c.RecordStage2(case.case_id, today, "auditor", sheet, "bench"))
        lifecycle.handle(c.Decide(case.case_id, "bench"))
        ids.append(case.case_id)
    return ids


Round = Callable[[int, int], float]
"""Runs transitions number `start` to `start + count - 1`; returns the seconds they took."""


def starcert_rounds(db: Path, cases: int) -> Round:
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    clock = FakeClock(datetime(2026, 6, 1, 2, tzinfo=UTC))
    rules = EngineRules.from_directory(REPO / "rules")
    lifecycle = Lifecycle(lambda: SqlUnitOfWork(engine), rules, clock, ZONE)
    ids = populate(lifecycle, clock, cases)
    clock.advance(timedelta(days=1))

    def run(start: int, count: int) -> float:
        started = time.perf_counter()
        for i in range(start, start + count):
            cid = ids[i % cases]
            if (i // cases) % 2 == 0:
                cmd: c.Command = c.Suspend(cid, SuspensionCause.CLIENT_REQUEST, "asked", "bench")
            else:
                cmd = c.Restore(cid, "resumed", "bench")
            result = lifecycle.handle(cmd)
            assert result.state in (State.SUSPENDED, State.ACTIVE)
        return time.perf_counter() - started

    return run


def raw_rounds(db: Path, cases: int) -> Round:
    """The same writes per transition, straight through sqlite3 (WAL, same pragmas)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(
        """
        CREATE TABLE cases (id INTEGER PRIMARY KEY, state TEXT, suspended_on TEXT,
                            suspension_cause TEXT, version INTEGER);
        CREATE TABLE events (id INTEGER PRIMARY KEY, case_id INTEGER, seq INTEGER, at TEXT,
                             actor TEXT, trigger TEXT, from_state TEXT, to_state TEXT, reason TEXT,
                             data TEXT, prev_hash TEXT, hash TEXT, UNIQUE(case_id, seq));
        CREATE TABLE deadlines (id INTEGER PRIMARY KEY, case_id INTEGER, kind TEXT, due_at TEXT,
                                done_at TEXT);
        CREATE INDEX ix_deadlines_case ON deadlines(case_id);
        """
    )
    conn.execute("BEGIN")
    for cid in range(1, cases + 1):
        conn.execute("INSERT INTO cases VALUES (?, 'active', NULL, NULL, 0)", (cid,))
        conn.execute(
            "INSERT INTO events (case_id, seq, at, actor, trigger, from_state, to_state, data,"
            " prev_hash, hash) VALUES (?, 1, '2026-06-01', 'bench', 'certify', 'decision',"
            " 'active', '{}', '', 'h')", (cid,),
        )  # fmt: skip
    conn.execute("COMMIT")
    return lambda start, count: _raw_transitions(conn, cases, start, count)


def _raw_transitions(conn: sqlite3.Connection, cases: int, start: int, count: int) -> float:
    started = time.perf_counter()
    for i in range(start, start + count):
        cid = 1 + i % cases
        suspend = (i // cases) % 2 == 0
        conn.execute("BEGIN IMMEDIATE")
        state, version = conn.execute(
            "SELECT state, version FROM cases WHERE id = ?", (cid,)
        ).fetchone()
        assert state == ("active" if suspend else "suspended")
        new = "suspended" if suspend else "active"
        updated = conn.execute(
            "UPDATE cases SET state = ?, suspended_on = ?, suspension_cause = ?, version = ?"
            " WHERE id = ? AND version = ?",
            (new, "2026-06-02" if suspend else None, "client_request" if suspend else None,
             version + 1, cid, version),
        ).rowcount  # fmt: skip
        assert updated == 1
        seq, prev = conn.execute(
            "SELECT seq, hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (cid,)
        ).fetchone()
        body = json.dumps({"case": cid, "seq": seq + 1, "to": new, "prev": prev}, sort_keys=True)
        digest = hashlib.sha256(body.encode()).hexdigest()
        conn.execute(
            "INSERT INTO events (case_id, seq, at, actor, trigger, from_state, to_state, reason,"
            " data, prev_hash, hash) VALUES (?, ?, ?, 'bench', ?, ?, ?, 'r', '{}', ?, ?)",
            (cid, seq + 1, "2026-06-02T00:00:00", "suspend" if suspend else "restore", state,
             new, prev, digest),
        )  # fmt: skip
        conn.execute("DELETE FROM deadlines WHERE case_id = ? AND done_at IS NULL AND kind = ?",
                     (cid, "suspension_limit"))  # fmt: skip
        if suspend:
            conn.execute("INSERT INTO deadlines (case_id, kind, due_at) VALUES (?, ?, ?)",
                         (cid, "suspension_limit", "2026-12-02T16:00:00"))  # fmt: skip
        conn.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--transitions", type=int, default=4000, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raws: list[float] = []
    ours: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_rounds(Path(tmp) / "raw.db", args.cases)
        starcert = starcert_rounds(Path(tmp) / "starcert.db", args.cases)
        for r in range(args.rounds):
            start = r * args.transitions
            raws.append(args.transitions / raw(start, args.transitions))
            ours.append(args.transitions / starcert(start, args.transitions))
            print(f"round {r + 1}: raw {raws[-1]:7.0f}/s  starcert {ours[-1]:6.0f}/s  "
                  f"ratio {ours[-1] / raws[-1]:.3f}")  # fmt: skip
    ratio = statistics.median(o / w for o, w in zip(ours, raws, strict=True))
    print(f"raw sqlite3 baseline : {max(raws):9.0f} transitions/s (best round)")
    print(f"starcert (persisted) : {max(ours):9.0f} transitions/s (best round)")
    print(f"ratio starcert/raw   : {ratio:9.3f}  median of rounds (target >= 0.125 and >= 5,000/s)")


if __name__ == "__main__":
    main()
