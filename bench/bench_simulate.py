"""A population of certificates living 3 years on the simulated clock: bulk against per command.

    .venv/bin/python bench/bench_simulate.py [--population N] [--baseline M] [--url URL]
        [--cohort C] [--chunk K] [--no-operators]

Each certificate goes through the real case service: register, apply, review, stage 1, stage 2,
decision, then 3 years of deadlines fired by DeadlineRunner.tick with the simulated body's
surveillances and re-certifications (about 12 commands per certificate). Measured: `starcert
simulate`'s own path (bulk: cohorts lived on a memory store, written a chunk at a time) on N
certificates. Baseline in the same run: every command committed on its own on the database, as
under a live daemon, on M certificates (default min(N, 1000)); compared per certificate. Each
path runs in a process of its own (its peak RSS is its own). Default SQLite in a temp dir;
`--url` runs on PostgreSQL (its public schema is DROPPED and recreated: use a scratch database),
and the bulk run again on SQLite for PostgreSQL's ratio to it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from starcert.app import App
from starcert.config import DatabaseConfig, load_config
from starcert.simulate import Simulation
from storage.sql.migrate import upgrade
from workflows.fake_clock import FakeClock

START = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
END = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


def _fresh(url: str | None, tmp: Path, name: str) -> str:
    if url is None:
        return f"sqlite:///{tmp / name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def run_once(url: str, population: int, options: dict[str, Any]) -> dict[str, Any]:
    upgrade(url)
    config = load_config().model_copy(update={"database": DatabaseConfig(url=url)})
    clock = FakeClock(START)
    app = App(config, clock=clock)
    try:
        sim = Simulation(app, clock, seed=1, **options)
        started = time.perf_counter()
        cpu = time.process_time()
        report = sim.run(END, population=population)
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        app.close()
    commands = report.created * 6 + sum(report.fired.values()) + sum(report.actions.values())
    return {
        "population": population,
        "seconds": total,
        "cpu_seconds": cpu,
        "commands": commands,
        "fired": sum(report.fired.values()),
        "ms_per_certificate": total / population * 1000,
        "ms_per_command": total / commands * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "register": report.register,
    }


def _child(args: argparse.Namespace) -> None:
    options = {
        "bulk": args.only == "bulk",
        "operators": args.operators,
        "cohort": args.cohort,
        "chunk": args.chunk,
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = _fresh(args.url, Path(tmp), f"{args.only}.db")
        print(json.dumps(run_once(url, args.population, options)))


def _measure(
    args: argparse.Namespace, only: str, population: int, url: str | None
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--only", only, "--population", str(population)]
    command += ["--cohort", str(args.cohort), "--chunk", str(args.chunk)]
    command += [] if args.operators else ["--no-operators"]
    command += ["--url", url] if url else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{only} run failed:\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--baseline", type=int, help="per-command certificates (min(N, 1000))")
    parser.add_argument("--url")
    parser.add_argument("--cohort", type=int, default=10, help="certificates lived together")
    parser.add_argument("--chunk", type=int, default=2000, help="certificates per transaction")
    parser.add_argument("--operators", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--only", choices=["bulk", "per-command"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        _child(args)
        return
    baseline_n = args.baseline or min(args.population, 1000)
    per_command = _measure(args, "per-command", baseline_n, args.url)
    bulk = _measure(args, "bulk", args.population, args.url)
    backend = "postgresql" if args.url else "sqlite"
    who = "with operators" if args.operators else "deadlines only"
    runs = [(f"{backend}, per command", per_command), (f"{backend}, bulk", bulk)]
    if args.url:  # the same population in bulk on SQLite, for PostgreSQL's ratio to it
        sqlite_bulk = _measure(args, "bulk", args.population, None)
        runs.append(("sqlite, bulk", sqlite_bulk))
    for name, r in runs:
        print(
            f"{name}, {who}: {r['population']} certificates in {r['seconds']:.1f} s "
            f"(cpu {r['cpu_seconds']:.1f} s), {r['commands']} commands ({r['fired']} deadlines "
            f"fired), {r['ms_per_certificate']:.2f} ms/certificate, "
            f"{r['ms_per_command']:.3f} ms/command, peak RSS {r['peak_rss_mb']:.0f} MB; "
            f"100,000 certificates ≈ {r['ms_per_certificate'] * 100:.0f} s"
        )
    ratio = bulk["ms_per_certificate"] / per_command["ms_per_certificate"]
    cpu_ratio = (bulk["cpu_seconds"] / bulk["population"]) / (
        per_command["cpu_seconds"] / per_command["population"]
    )
    print(f"bulk / per command, per certificate: x{ratio:.2f} (cpu x{cpu_ratio:.2f})")
    if args.url:
        print(f"postgresql bulk / sqlite bulk: x{bulk['seconds'] / sqlite_bulk['seconds']:.2f}")
    if baseline_n == args.population and bulk["register"] != per_command["register"]:
        print("WARNING: the two paths ended with different registers")


if __name__ == "__main__":
    main()
