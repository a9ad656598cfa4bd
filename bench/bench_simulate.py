"""A population of certificates living 3 years on the simulated clock: how long it takes.

    .venv/bin/python bench/bench_simulate.py [--population N] [--url URL]

Each certificate goes through the real case service: register, apply, review, stage 1, stage 2,
decision, then 3 years of deadlines fired by DeadlineRunner.tick with the simulated body's
surveillances and re-certifications (about 14 commands per certificate), each committed on its
own as under a live daemon. Baseline in the same run: the same population with the deadlines
alone (no operators), which isolates the daemon's share. Default SQLite in a temp dir; `--url`
runs on PostgreSQL (its public schema is DROPPED and recreated: use a scratch database).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

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


def run_once(url: str, population: int, operators: bool) -> dict[str, float]:
    upgrade(url)
    config = load_config().model_copy(update={"database": DatabaseConfig(url=url)})
    clock = FakeClock(START)
    app = App(config, clock=clock)
    try:
        sim = Simulation(app, clock, seed=1, operators=operators)
        started = time.perf_counter()
        report = sim.run(END, population=population)
        total = time.perf_counter() - started
    finally:
        app.close()
    commands = report.created * 6 + sum(report.fired.values()) + sum(report.actions.values())
    return {
        "seconds": total,
        "commands": commands,
        "fired": sum(report.fired.values()),
        "ms_per_command": total / commands * 1000,
        "per_certificate_ms": total / population * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = run_once(_fresh(args.url, Path(tmp), "base.db"), args.population, False)
        full = run_once(_fresh(args.url, Path(tmp), "full.db"), args.population, True)
    backend = "postgresql" if args.url else "sqlite"
    for name, r in (("deadlines only", base), ("with operators", full)):
        print(
            f"{backend} {args.population} certificates, 3 years, {name}: {r['seconds']:.1f} s, "
            f"{r['commands']:.0f} commands ({r['fired']:.0f} deadlines fired), "
            f"{r['ms_per_command']:.2f} ms/command; 100,000 certificates ≈ "
            f"{r['per_certificate_ms'] * 100_000 / 1000:.0f} s"
        )
    print(f"with operators / deadlines only: x{full['seconds'] / base['seconds']:.2f}")


if __name__ == "__main__":
    main()
