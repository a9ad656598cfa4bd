"""Persisted lifecycle transitions per second on SQLite, against raw sqlite3 doing the same writes.

One transition = load the case, check the guard, move the state with an optimistic version check,
append the hash-chained event, replace the case's open deadlines, commit. We alternate suspend and
restore over a population of issued certificates. The baseline issues the statements starcert
issues for the same transitions through the sqlite3 module with no ORM, no state machine and no
domain code, in the same run, on a copy of starcert's own database (same schema, indexes and
rows), so the ratio is what starcert's layers cost. A second baseline does the least a transition
can write, on another copy: update the case, insert the event, insert one deadline, one commit
each (no reads, no hashing): the floor any persisted transition stands on. `--dir` puts both files elsewhere: on tmpfs
(/dev/shm) the disk's share drops out and what is left is CPU.

The two run in alternating rounds (raw, starcert, raw, starcert, ...) so that load from other
processes on a shared machine hits both alike; each round's ratio is printed, and the summary is
each side's best round and the median of the per-round ratios.

    .venv/bin/python bench/bench_transitions.py [--cases 200] [--transitions 4000] [--rounds 3]
                                                [--dir /dev/shm]
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
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from starcert.rules_adapter import EngineRules  # noqa: E402
from storage.memory.memory_store import MemoryStore  # noqa: E402
from storage.sql.engines import make_engine  # noqa: E402
from storage.sql.kept_connection import KeptConnection  # noqa: E402
from storage.sql.migrate import upgrade  # noqa: E402
from storage.sql.sql_unit_of_work import SqlUnitOfWork  # noqa: E402
from workflows import commands as c  # noqa: E402
from workflows.case_service import CaseService  # noqa: E402
from workflows.credit_code import check_character  # noqa: E402
from workflows.fake_clock import FakeClock  # noqa: E402
from workflows.model import (  # noqa: E402
    IndicatorResult,
    PrerequisiteFacts,
    ScoreSheet,
    State,
    SuspensionCause,
)

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


def populate(case_service: CaseService, clock: FakeClock, n: int) -> list[int]:
    facts = PrerequisiteFacts(True, True, True, None, True, True)
    sheet = ScoreSheet({k: IndicatorResult(points=__import__("decimal").Decimal(v))
                        for k, v in MARKS.items()})  # fmt: skip
    ids = []
    for i in range(n):
        org = case_service.handle(c.RegisterOrganisation(f"Org {i}", code(i), "bench"))
        assert org.organisation_id is not None
        today = clock.now().date()
        case = case_service.handle(
            c.SubmitApplication(org.organisation_id, today, today - timedelta(days=400), "scope",
                                facts, "bench")
        )  # fmt: skip
        assert case.case_id is not None
        case_service.handle(c.ReviewApplication(case.case_id, "bench"))
        case_service.handle(c.RecordStage1(case.case_id, today, "auditor", "bench"))
        case_service.handle(c.RecordStage2(case.case_id, today, "auditor", sheet, "bench"))
        case_service.handle(c.Decide(case.case_id, "bench"))
        ids.append(case.case_id)
    return ids


Round = Callable[[int, int], float]
"""Runs transitions number `start` to `start + count - 1`; returns the seconds they took."""


def starcert_rounds(db: Path, cases: int) -> tuple[Round, list[int]]:
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    kept = KeptConnection(engine)  # as App does on SQLite
    return _rounds(lambda: SqlUnitOfWork(engine, kept), cases)


def memory_rounds(cases: int) -> Round:
    """The same commands through the same case service on the in-memory store: no SQL at all.

    What the lifecycle's own path costs per transition (guards, change set, hash chain, deadline
    plan, the store's bookkeeping); with the replay's statements it bounds what any storage layer
    could reach.
    """
    return _rounds(MemoryStore().uow, cases)[0]


def _rounds(uow: Callable[[], Any], cases: int) -> tuple[Round, list[int]]:
    clock = FakeClock(datetime(2026, 6, 1, 2, tzinfo=UTC))
    rules = EngineRules.from_directory(REPO / "rules")
    case_service = CaseService(uow, rules, clock, ZONE)
    ids = populate(case_service, clock, cases)
    clock.advance(timedelta(days=1))

    def run(start: int, count: int) -> float:
        started = time.perf_counter()
        for i in range(start, start + count):
            cid = ids[i % cases]
            if (i // cases) % 2 == 0:
                cmd: c.Command = c.Suspend(cid, SuspensionCause.CLIENT_REQUEST, "asked", "bench")
            else:
                cmd = c.Restore(cid, "resumed", "bench")
            result = case_service.handle(cmd)
            assert result.state in (State.SUSPENDED, State.ACTIVE)
        return time.perf_counter() - started

    return run, ids


def _raw_connection(source: Path, db: Path) -> sqlite3.Connection:
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def floor_rounds(source: Path, db: Path, ids: list[int]) -> Round:
    """Update the case, insert the event, insert a deadline, commit: nothing read, nothing hashed."""
    conn = _raw_connection(source, db)
    seqs = dict(conn.execute("SELECT id, head_seq FROM cases").fetchall())

    def run(start: int, count: int) -> float:
        cases = len(ids)
        started = time.perf_counter()
        for i in range(start, start + count):
            cid = ids[i % cases]
            suspend = (i // cases) % 2 == 0
            seqs[cid] += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE cases SET state = ?, suspended_on = ?, suspension_cause = ?,"
                " version = version + 1 WHERE id = ?",
                ("suspended" if suspend else "active", "2026-06-02" if suspend else None,
                 "client_request" if suspend else None, cid),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO events (case_id, seq, at, actor, \"trigger\", from_state, to_state,"
                " reason, rule_version, rule_hash, data, prev_hash, hash)"
                " VALUES (?, ?, ?, 'bench', ?, ?, ?, ?, '1', ?, '{}', ?, ?)",
                (cid, seqs[cid], "2026-06-02 02:00:00.000000", "suspend" if suspend else "restore",
                 "active" if suspend else "suspended", "suspended" if suspend else "active",
                 "asked", "h" * 64, "p" * 64, f"{cid:032d}{seqs[cid]:032d}"),
            )  # fmt: skip
            conn.execute(_INSERT_DEADLINE, (cid, "suspension_limit", "2026-12-02 16:00:00.000000"))
            conn.execute("COMMIT")
        return time.perf_counter() - started

    return run


def raw_rounds(source: Path, db: Path, ids: list[int]) -> Round:
    """The same statements per transition, straight through sqlite3, on a copy of the same data.

    `source` is starcert's database after `populate` (same schema, indexes, triggers and rows),
    copied before starcert's first round; the pragmas are starcert's. Per transition, what
    starcert's trace shows it runs: BEGIN IMMEDIATE, read the case (with its chain head), read
    its deadlines (open and done in one read: restoring adds a reminder, so it asks whether one
    was sent), update the columns that change with the version check, insert the chained event
    (its trigger moves the case's chain head), delete the deadlines the new state cancels,
    insert the ones it needs, COMMIT. A suspended case keeps its re-certification reminder.
    """
    conn = _raw_connection(source, db)
    return lambda start, count: _raw_transitions(conn, ids, start, count)


_SURVEILLANCE_KINDS = ("surveillance_due", "surveillance_window_opens")
_RESTORED_DEADLINES = (
    ("surveillance_window_opens", "2027-03-01 16:00:00.000000"),
    ("surveillance_due", "2027-06-01 16:00:00.000000"),
)
_INSERT_DEADLINE = (
    "INSERT INTO deadlines (case_id, kind, due_at, claimed_by, claimed_until, done_at, attempts,"
    " last_error) VALUES (?, ?, ?, NULL, NULL, NULL, 0, NULL)"
)


def _raw_transitions(conn: sqlite3.Connection, ids: list[int], start: int, count: int) -> float:
    cases = len(ids)
    started = time.perf_counter()
    for i in range(start, start + count):
        cid = ids[i % cases]
        suspend = (i // cases) % 2 == 0
        conn.execute("BEGIN IMMEDIATE")
        state, version, seq, prev = conn.execute(
            "SELECT state, version, head_seq, head_hash FROM cases WHERE id = ?", (cid,)
        ).fetchone()
        assert state == ("active" if suspend else "suspended")
        conn.execute(
            "SELECT id, kind, due_at, done_at FROM deadlines WHERE case_id = ?"
            " ORDER BY due_at, id", (cid,),
        ).fetchall()  # fmt: skip
        new = "suspended" if suspend else "active"
        updated = conn.execute(
            "UPDATE cases SET state = ?, suspended_on = ?, suspension_cause = ?,"
            " version = version + 1 WHERE id = ? AND version = ?",
            (new, "2026-06-02" if suspend else None, "client_request" if suspend else None,
             cid, version),
        ).rowcount  # fmt: skip
        assert updated == 1
        data = json.dumps({"cause": "client_request"} if suspend else {}, sort_keys=True)
        body = json.dumps(
            {"case_id": cid, "seq": seq + 1, "at": "2026-06-02T02:00:00+00:00", "actor": "bench",
             "trigger": "suspend" if suspend else "restore", "from_state": state, "to_state": new,
             "reason": "asked" if suspend else "resumed", "rule_version": "1", "rule_hash": "h",
             "data": data, "prev_hash": prev},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        )  # fmt: skip
        digest = hashlib.sha256(body.encode()).hexdigest()
        conn.execute(
            "INSERT INTO events (case_id, seq, at, actor, \"trigger\", from_state, to_state,"
            " reason, rule_version, rule_hash, data, prev_hash, hash)"
            " VALUES (?, ?, ?, 'bench', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, seq + 1, "2026-06-02 02:00:00.000000", "suspend" if suspend else "restore",
             state, new, "asked" if suspend else "resumed", "1", "h" * 64, data, prev, digest),
        )  # fmt: skip
        if suspend:
            conn.execute(
                "DELETE FROM deadlines WHERE case_id = ? AND done_at IS NULL"
                " AND kind IN (?, ?)", (cid, *_SURVEILLANCE_KINDS),
            )  # fmt: skip
            conn.execute(_INSERT_DEADLINE, (cid, "suspension_limit", "2026-12-02 16:00:00.000000"))
        else:
            conn.execute(
                "DELETE FROM deadlines WHERE case_id = ? AND done_at IS NULL AND kind = ?",
                (cid, "suspension_limit"),
            )
            for kind, due in _RESTORED_DEADLINES:
                conn.execute(_INSERT_DEADLINE, (cid, kind, due))
        conn.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--transitions", type=int, default=4000, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", help="folder for the two database files (default: a temp dir)")
    args = parser.parse_args()
    raws: list[float] = []
    floors: list[float] = []
    ours: list[float] = []
    memories: list[float] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        starcert, ids = starcert_rounds(Path(tmp) / "starcert.db", args.cases)
        raw = raw_rounds(Path(tmp) / "starcert.db", Path(tmp) / "raw.db", ids)
        floor = floor_rounds(Path(tmp) / "starcert.db", Path(tmp) / "floor.db", ids)
        memory = memory_rounds(args.cases)
        for r in range(args.rounds):
            start = r * args.transitions
            raws.append(args.transitions / raw(start, args.transitions))
            floors.append(args.transitions / floor(start, args.transitions))
            ours.append(args.transitions / starcert(start, args.transitions))
            memories.append(args.transitions / memory(start, args.transitions))
            print(f"round {r + 1}: replay {raws[-1]:7.0f}/s  floor {floors[-1]:7.0f}/s  "
                  f"starcert {ours[-1]:6.0f}/s  in memory {memories[-1]:6.0f}/s  "
                  f"ratio {ours[-1] / raws[-1]:.3f} / {ours[-1] / floors[-1]:.3f}")  # fmt: skip
    ratio = statistics.median(o / w for o, w in zip(ours, raws, strict=True))
    to_floor = statistics.median(o / w for o, w in zip(ours, floors, strict=True))
    # The replay's statements plus the lifecycle's own path, with a storage layer costing nothing
    # more than raw sqlite3: the most this design can reach against the floor.
    ceiling = statistics.median(
        (1 / w + 1 / m) ** -1 / f for w, m, f in zip(raws, memories, floors, strict=True)
    )
    print(f"raw sqlite3 replaying starcert's statements : {max(raws):7.0f} transitions/s (best)")
    print(f"raw sqlite3 update + 2 inserts + commit     : {max(floors):7.0f} transitions/s (best)")
    print(f"starcert (persisted)                        : {max(ours):7.0f} transitions/s (best)")
    print(
        f"starcert on the in-memory store (no SQL)    : {max(memories):7.0f} transitions/s (best)"
    )
    print(f"ratio starcert/replay : {ratio:6.3f}  median of rounds")
    print(
        f"ratio starcert/floor  : {to_floor:6.3f}  median of rounds (target >= 0.5 and >= 2,500/s)"
    )
    print(f"ceiling (replay + in-memory path)/floor : {ceiling:6.3f}  median of rounds")


if __name__ == "__main__":
    main()
