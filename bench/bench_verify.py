"""Public verification lookups per second against a running server, with 100,000 certificates.

    .venv/bin/python bench/bench_verify.py [--certificates N] [--seconds S] [--connections C]
                                           [--pg-url postgresql+psycopg://...]

For SQLite (a temp file) and, with --pg-url (or STARCERT_TEST_PG_URL), a fresh PostgreSQL
database: bulk-inserts N certificates, starts `starcert api` in its own process on a loopback
port, and drives it with `wrk` (Debian package `wrk`; an asyncio httpx client when wrk is
missing) asking `/verify/<random existing number>`. The baseline, measured in the same run on the
same server, is `/health`, which touches no database. Reports requests/s, p50 and p99 latency.
Target: >= 1,000 lookups/s with p99 < 50 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.tables import ApplicationRow, CaseRow, OrganisationRow
from workflows.credit_code import check_character

REPO = Path(__file__).resolve().parents[1]
PREFIX = "ASC"
STATES = (
    ["active"] * 85 + ["suspended"] * 5 + ["withdrawn"] * 4 + ["expired"] * 4 + ["cancelled"] * 2
)


def number(i: int) -> str:
    return f"{PREFIX}-2026-{i:06d}"


def fill(url: str, count: int) -> None:
    """Bulk-insert `count` organisations, applications and certified cases (ids 1..count)."""
    engine = make_engine(url)
    rng = random.Random(7)
    orgs, apps, cases = [], [], []
    for i in range(1, count + 1):
        body = f"91350100M{i:08d}"[:17]
        orgs.append(
            {
                "id": i,
                "name": f"Holder {i} Appliances Ltd",
                "credit_code": body + check_character(body),
            }
        )
        apps.append(
            {
                "id": i,
                "organisation_id": i,
                "submitted_on": date(2026, 1, 5),
                "service_system_since": date(2025, 6, 1),
                "scope": "after-sales service of appliances",
                "has_service_documents": True,
                "has_dedicated_manager": True,
                "has_dedicated_funds": True,
                "last_major_failure": None,
                "has_trained_staff": True,
                "is_prc_legal_entity": True,
            }
        )
        cases.append(
            {
                "id": i,
                "organisation_id": i,
                "application_id": i,
                "state": rng.choice(STATES),
                "holder": f"Holder {i} Appliances Ltd",
                "scope": "after-sales service of appliances",
                "number": number(i),
                "star_level": rng.choice(["qualified", "three_star", "four_star", "five_star"]),
                "final_score": "91.5",
                "decided_on": date(2026, 3, 1),
                "issued_on": date(2026, 3, 1),
                "expires_on": date(2029, 2, 28),
                "last_surveillance_on": None,
                "suspended_on": None,
                "suspension_cause": None,
                "rule_version": "1",
                "version": 1,
            }
        )
    with engine.begin() as conn:
        for table, rows in ((OrganisationRow, orgs), (ApplicationRow, apps), (CaseRow, cases)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            for table in ("organisations", "applications", "cases"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})")
                )
            conn.execute(text("ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text_value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text_value)
    if found is None:
        raise ValueError(f"unreadable wrk latency {text_value!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(base: str, path_script: str, seconds: int, connections: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(path_script)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return Figures(rps, p50, p99, errors)


def lua(kind: str, count: int) -> str:
    if kind == "health":
        return 'request = function() return wrk.format("GET", "/health") end\n'
    return (
        f"math.randomseed(42)\n"
        f'request = function() return wrk.format("GET", string.format("/verify/{PREFIX}-2026-%06d", '
        f"math.random({count}))) end\n"
    )


def run_httpx(base: str, kind: str, count: int, seconds: int, connections: int) -> Figures:
    async def main() -> Figures:
        latencies: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds
        rng = random.Random(42)
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=base, limits=limits) as client:

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    path = (
                        "/health"
                        if kind == "health"
                        else f"/verify/{number(rng.randint(1, count))}"
                    )
                    t0 = time.perf_counter()
                    answer = await client.get(path)
                    latencies.append(time.perf_counter() - t0)
                    errors += answer.status_code != 200

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            took = time.perf_counter() - began
        cuts = statistics.quantiles(latencies, n=100)
        return Figures(len(latencies) / took, cuts[49] * 1000, cuts[98] * 1000, errors)

    return asyncio.run(main())


def measure(url: str, label: str, count: int, seconds: int, connections: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="starcert-bench-"))
    config = data / "config.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{data}"\nrules_dir = "{REPO / "rules"}"\n',
        encoding="utf-8",
    )
    print(f"[{label}] migrating and inserting {count:,} certificates ...", flush=True)
    began = time.perf_counter()
    upgrade(url)
    fill(url, count)
    print(f"[{label}] filled in {time.perf_counter() - began:.1f}s", flush=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(REPO)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "starcert.cli",
            "--config",
            str(config),
            "api",
            "--port",
            str(port),
            "--verify-rate",
            "1000000",
            "--verify-burst",
            "1000000",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    why = server.stderr.read() if server.stderr else ""
                    raise SystemExit(f"server did not start: {why}") from None
                time.sleep(0.2)
        probe = httpx.get(f"{base}/verify/{number(count // 2)}")
        assert probe.status_code == 200, probe.text
        tool = "wrk" if shutil.which("wrk") else "httpx"
        results = {}
        for kind in ("health", "verify"):
            if tool == "wrk":
                run_wrk(base, lua(kind, count), 2, connections)  # warm-up
                results[kind] = run_wrk(base, lua(kind, count), seconds, connections)
            else:
                results[kind] = run_httpx(base, kind, count, seconds, connections)
        health, verify = results["health"], results["verify"]
        print(
            f"[{label}] load tool {tool}, {connections} connections, {seconds}s each, one server process"
        )
        print(f"  {'endpoint':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-200':>9}")
        for name, fig in (("/health (baseline)", health), ("/verify/{number}", verify)):
            print(
                f"  {name:<22}{fig.rps:>10.0f}{fig.p50_ms:>10.2f}{fig.p99_ms:>10.2f}{fig.errors:>9}"
            )
        print(f"  verify/health throughput ratio: {verify.rps / health.rps:.2f}")
        ok = verify.rps >= 1000 and verify.p99_ms < 50 and verify.errors == 0
        print(
            f"  target (>= 1000 req/s, p99 < 50 ms, no errors): {'met' if ok else 'NOT met'}",
            flush=True,
        )
    finally:
        server.terminate()
        server.communicate(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


def fresh_pg(admin_url: str) -> tuple[str, str]:
    name = f"starcert_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def drop_pg(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg-url", default=os.environ.get("STARCERT_TEST_PG_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"bench_verify {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs", flush=True)
    if not args.skip_sqlite:
        tmp = Path(tempfile.mkdtemp(prefix="starcert-bench-db-"))
        try:
            measure(
                f"sqlite:///{tmp / 'bench.db'}",
                "sqlite",
                args.certificates,
                args.seconds,
                args.connections,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.pg_url:
        url, name = fresh_pg(args.pg_url)
        try:
            measure(url, "postgresql", args.certificates, args.seconds, args.connections)
        finally:
            drop_pg(args.pg_url, name)
    else:
        print("[postgresql] skipped: pass --pg-url or set STARCERT_TEST_PG_URL")


if __name__ == "__main__":
    main()
