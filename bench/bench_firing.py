"""Deadline firings per second: one commit per claimed batch against one transaction per firing.

A database of certified cases (each taken from application to certificate through the case
service, so every case carries the deadline plan a real decision leaves) is opened at an instant
about three and a half years on, when each case's reminders, missed surveillance, suspension
limit and expiry are long due: a daemon back after an outage. The real DeadlineRunner then ticks
until nothing is due. Group commit (each firing in a savepoint, one commit per claimed batch) runs
against the same runner committing every firing on its own (`per_commit=1`, the path before group
commit), in alternating rounds on fresh copies of the same database, in the same run. Each
round's App has parsed the rule versions in force before the clock starts, as a daemon that is
running has (a rule version is parsed once, when first needed: ~0.15 s).

Reported per side: firings (deadlines that wrote their transition), claimed rows, seconds and
firings per second, by the wall clock and by this process's CPU time (on a shared machine the
CPU figure moves less with other processes' load; on PostgreSQL it leaves out the server's
work); and the ratios.

    .venv/bin/python bench/bench_firing.py [--cases 5000] [--rounds 2] [--batch 200]
                                           [--dir /dev/shm] [--url URL]

SQLite by default (a file in --dir, built once and copied for each round). `--url` runs on
PostgreSQL instead, rebuilding the database for every round: its public schema is DROPPED and
recreated, so give it only a scratch database.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_transitions import populate  # noqa: E402

from starcert.app import App  # noqa: E402
from starcert.config import DatabaseConfig, load_config  # noqa: E402
from starcert.daemon import is_database_down, is_write_conflict  # noqa: E402
from storage.sql.migrate import upgrade  # noqa: E402
from workflows.audit_trail import verify_log  # noqa: E402
from workflows.deadline_runner import DeadlineRunner  # noqa: E402
from workflows.fake_clock import FakeClock  # noqa: E402

CERTIFIED_AT = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
BACK_AT = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)  # everything planned in 2024 is long due


def _app(url: str, clock: FakeClock) -> App:
    config = load_config().model_copy(update={"database": DatabaseConfig(url=url)})
    return App(config, clock=clock)


def build(url: str, cases: int) -> float:
    """Certify `cases` cases through the case service; the seconds it took."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    clock = FakeClock(CERTIFIED_AT)
    app = _app(url, clock)
    started = time.perf_counter()
    try:
        populate(app.case_service, clock, cases)
    finally:
        app.close()
    return time.perf_counter() - started


def fire_all(url: str, batch: int, per_commit: int | None) -> dict[str, float]:
    """Tick the real runner until nothing is due; what it did and how long it took."""
    clock = FakeClock(BACK_AT)
    app = _app(url, clock)
    try:
        with app.uow() as uow:
            due = len(uow.deadlines.due(BACK_AT, 1_000_000))
        for day in (CERTIFIED_AT.date(), BACK_AT.date()):  # as in a daemon already running:
            app.case_service.rules.terms(day)  # the rule versions in force parsed once, untimed
        runner = DeadlineRunner(
            case_service=app.case_service, uow_factory=app.uow, clock=clock, worker="bench",
            lease=timedelta(days=1), batch_size=batch, log_firings=False,
            is_write_conflict=is_write_conflict, is_database_down=is_database_down,
            per_commit=per_commit,
        )  # fmt: skip
        totals: Counter[str] = Counter()
        started, cpu_started = time.perf_counter(), time.process_time()
        while True:
            report = runner.tick()
            totals.update(report.counts())
            if not report.claimed:
                break
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        with app.uow() as uow:
            left = len(uow.deadlines.due(BACK_AT, 1_000_000))
            chains = verify_log(uow.events)
            outcomes = Counter(e.trigger for c in uow.events.all_case_ids()
                               for e in uow.events.for_case(c)[-1:])  # fmt: skip
    finally:
        app.close()
    assert left == 0 and totals["failed"] == 0, (left, totals)
    assert chains.ok, chains.broken
    return {
        "due": due, "fired": totals["fired"], "claimed": totals["claimed"], "seconds": seconds,
        "per_s": totals["fired"] / seconds, "per_cpu_s": totals["fired"] / cpu, "outcomes": hash(tuple(sorted(outcomes.items()))),
    }  # fmt: skip


def _copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200, help="rows claimed at once")
    parser.add_argument("--dir", help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--url", help="PostgreSQL scratch database instead of SQLite")
    args = parser.parse_args()
    sides = {"group commit": None, "one per firing": 1}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        source = Path(tmp) / "source.db"
        if args.url is None:
            took = build(f"sqlite:///{source}", args.cases)
            print(f"built {args.cases} certified cases in {took:.1f} s (SQLite, {tmp})")
        for r in range(args.rounds):
            for name, per_commit in sides.items() if r % 2 == 0 else reversed(sides.items()):
                if args.url is None:
                    url = f"sqlite:///{Path(tmp) / 'round.db'}"
                    _copy(source, Path(url.removeprefix("sqlite:///")))
                else:
                    url = args.url
                    build(url, args.cases)
                got = fire_all(url, args.batch, per_commit)
                results[name].append(got)
                print(
                    f"round {r + 1} {name:>15}: {got['fired']:,} fired ({got['claimed']:,} "
                    f"claimed, {got['due']:,} due at the start) in {got['seconds']:.2f} s = "
                    f"{got['per_s']:,.0f}/s (CPU {got['per_cpu_s']:,.0f}/s)"
                )
    group, single = results["group commit"], results["one per firing"]
    assert {g["fired"] for g in group} == {s["fired"] for s in single}, "both fired the same"
    assert {g["outcomes"] for g in group} == {s["outcomes"] for s in single}
    for key, what in (("per_s", "wall"), ("per_cpu_s", "CPU")):
        ratios = [g[key] / s[key] for g, s in zip(group, single, strict=True)]
        print(
            f"{what}: group commit best {max(g[key] for g in group):,.0f}/s, one per firing best "
            f"{max(s[key] for s in single):,.0f}/s; ratio per round "
            f"{', '.join(f'x{x:.2f}' for x in ratios)} (median x{statistics.median(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
