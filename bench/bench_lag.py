"""Lag between a deadline's due time and its firing under a live `starcert serve` process.

    .venv/bin/python bench/bench_lag.py [--deadlines N] [--url URL]

Inserts N deadlines due over the next ~N/4 seconds, starts a real daemon whose interval tick is
60 s (so only its wake-up at the next due deadline can fire them on time), waits until all are
done and reports the lag (done_at - due_at): median, 95th percentile, max.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "daemon"))

from daemon_helpers import bulk_active_cases  # noqa: E402

from storage.sql.migrate import upgrade  # noqa: E402
from storage.sql.tables import DeadlineRow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadlines", type=int, default=200)
    parser.add_argument("--url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'lag.db'}"
        if args.url:
            eng = create_engine(url)
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            eng.dispose()
        upgrade(url)
        engine = create_engine(url)
        cases = bulk_active_cases(engine, args.deadlines)
        first = datetime.now(UTC) + timedelta(seconds=5)
        due = [first + timedelta(seconds=i * 0.25) for i in range(args.deadlines)]
        with engine.begin() as conn:
            conn.execute(
                insert(DeadlineRow.__table__),  # type: ignore[attr-defined]
                [{"case_id": c, "kind": "restoration_allowance_ends", "due_at": d, "attempts": 0}
                 for c, d in zip(cases, due, strict=True)],
            )  # fmt: skip
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{tmp}"\nrules_dir = "{REPO / "rules"}"\n'
            "[daemon]\ntick_seconds = 60\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
        env["PYTHONPATH"] = str(REPO)
        with open(Path(tmp) / "daemon.log", "w") as log:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "starcert.cli", "--config", str(config), "serve"],
                stdout=subprocess.DEVNULL, stderr=log, env=env,
            )  # fmt: skip
            try:
                limit = time.monotonic() + 30 + args.deadlines
                while time.monotonic() < limit:
                    with engine.connect() as conn:
                        left = conn.execute(
                            text("SELECT count(*) FROM deadlines WHERE done_at IS NULL")
                        ).scalar_one()
                    if left == 0:
                        break
                    time.sleep(0.5)
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(30)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT due_at, done_at FROM deadlines")).all()
        engine.dispose()

    def aware(v: datetime | str) -> datetime:
        v = datetime.fromisoformat(v) if isinstance(v, str) else v
        return v if v.tzinfo else v.replace(tzinfo=UTC)

    lags = sorted((aware(b) - aware(a)).total_seconds() for a, b in rows if b is not None)
    if len(lags) < len(rows):
        print(f"only {len(lags)} of {len(rows)} fired")
    median = statistics.median(lags)
    p95 = lags[int(len(lags) * 0.95) - 1]
    backend = "postgresql" if args.url else "sqlite"
    print(
        f"{backend}: {len(lags)} deadlines, lag median {median * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
    )
    print(f"target: median under 1000 ms ({'met' if median < 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
