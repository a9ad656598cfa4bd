"""Real daemons for the tests: configs, `starcert serve` processes, the other commands run in
this process, bulk rows, and counting what fired."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine

from storage.sql.migrate import upgrade
from storage.sql.tables import ApplicationRow, CaseRow, DeadlineRow, EventRow, OrganisationRow
from tests.cli_in_process import run_starcert
from workflows.credit_code import check_character

REPO = Path(__file__).resolve().parents[2]
_SERIALS = itertools.count(1)


def reset_pg(url: str) -> None:
    """An empty schema. Commits skip the wait for the server's disk flush: these tests kill
    daemons, never the PostgreSQL server, so what they prove does not depend on it."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        name = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine.dispose()


@dataclass
class Site:
    """One certification body's installation: a config file and its database."""

    root: Path
    url: str
    config: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[Daemon] = field(default_factory=list)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`starcert *args` on this site, run in this process (tests.cli_in_process)."""
        argv = ["--config", str(self.config), *args]
        ran = run_starcert(argv, cwd=self.root)
        proc = subprocess.CompletedProcess(["starcert", *argv], ran.code, ran.out, ran.err)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"starcert {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def serve(self, name: str, *extra: str) -> Daemon:
        log = self.root / f"{name}.log"
        out = self.root / f"{name}.out"
        with out.open("w") as stdout, log.open("w") as stderr:  # the child keeps its own copies
            proc = subprocess.Popen(
                [sys.executable, "-m", "starcert.cli", "--config", str(self.config), "serve",
                 "--worker", name, *extra],
                stdout=stdout,
                stderr=stderr,
                env=self.env,
                cwd=self.root,
            )  # fmt: skip
        daemon = Daemon(name, proc, log, out)
        self.procs.append(daemon)
        return daemon

    def engine(self) -> Engine:
        return create_engine(self.url)

    def stop_all(self) -> None:
        for d in self.procs:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait(10)


@dataclass
class Daemon:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    out: Path

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def not_json(self) -> list[str]:
        """Log lines that are not one JSON object each (there should be none)."""
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [line for line in lines if line.strip() and not line.startswith("{")]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def term(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def make_site(
    root: Path,
    url: str | None = None,
    *,
    tick: float = 0.3,
    lease: float = 3,
    batch: int = 50,
    backoff: float = 30,
    webhook: str = "",
    notify_backoff: float = 0.2,
    health_max_age: float | None = None,
) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    data.mkdir(exist_ok=True)
    url = url or f"sqlite:///{data / 'starcert.db'}"
    lines = [
        "[database]", f'url = "{url}"',
        "[paths]", f'data_dir = "{data}"', f'rules_dir = "{REPO / "rules"}"',
        "[daemon]", f"tick_seconds = {tick}", f"lease_seconds = {lease}",
        f"batch_size = {batch}", f"incident_backoff_seconds = {backoff}",
        *([f"health_max_age_seconds = {health_max_age}"] if health_max_age else []),
        "[notifications]", f'webhook_url = "{webhook}"', "timeout_seconds = 2",
        "max_attempts = 5", f"backoff_seconds = {notify_backoff}", "poll_seconds = 0.3",
    ]  # fmt: skip
    config = root / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(REPO)
    upgrade(url)
    return Site(root, url, config, env)


def wait_until(what: str, check: Callable[[], bool], timeout: float, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def credit_code(serial: int, tag: int = 77) -> str:
    body = f"9144{tag:04d}{serial:09d}"
    return body + check_character(body)


def bulk_active_cases(engine: Engine, n: int) -> list[int]:
    """`n` active cases with no decision on record, inserted in one transaction."""
    with engine.begin() as conn:
        first_org = conn.execute(
            select(text("coalesce(max(id), 0)")).select_from(text("organisations"))
        ).scalar_one()
        conn.execute(
            insert(OrganisationRow.__table__),  # type: ignore[attr-defined]
            [
                {"name": f"Org {i}", "credit_code": credit_code(first_org + i)}
                for i in range(1, n + 1)
            ],
        )
        org_ids = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM organisations WHERE id > :f ORDER BY id"), {"f": first_org}
            )
        ]
        conn.execute(
            insert(ApplicationRow.__table__),  # type: ignore[attr-defined]
            [
                {"organisation_id": o, "submitted_on": date(2024, 1, 1),
                 "service_system_since": date(2023, 1, 1), "scope": "售后服务",
                 "has_service_documents": True, "has_dedicated_manager": True,
                 "has_dedicated_funds": True, "last_major_failure": None,
                 "has_trained_staff": True, "is_prc_legal_entity": True}
                for o in org_ids
            ],
        )  # fmt: skip
        app_ids = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM applications WHERE organisation_id > :f ORDER BY id"),
                {"f": first_org},
            )
        ]
        conn.execute(
            insert(CaseRow.__table__),  # type: ignore[attr-defined]
            [
                {"organisation_id": o, "application_id": a, "state": "active",
                 "holder": f"Org {o}", "scope": "售后服务", "version": 0}
                for o, a in zip(org_ids, app_ids, strict=True)
            ],
        )  # fmt: skip
        return [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM cases WHERE organisation_id > :f ORDER BY id"),
                {"f": first_org},
            )
        ]


def bulk_deadlines(
    engine: Engine,
    case_ids: Sequence[int],
    per_case: int,
    due: datetime,
    kind: str = "restoration_allowance_ends",
) -> int:
    """`per_case` open deadlines per case, due a millisecond apart from `due`; returns how many.

    The default kind does not apply to an active case, so firing one writes a `deadline_obsolete`
    event naming it: cheap to fire, and countable.
    """
    rows = [
        {
            "case_id": c,
            "kind": kind,
            "due_at": due + timedelta(milliseconds=k * len(case_ids) + i),
            "attempts": 0,
        }
        for k in range(per_case)
        for i, c in enumerate(case_ids)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(DeadlineRow.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
    return len(rows)


def firings(engine: Engine) -> Counter[int]:
    """How many events name each deadline id: exactly one per fired deadline, or it fired twice."""
    counts: Counter[int] = Counter()
    with engine.connect() as conn:
        for (data,) in conn.execute(select(EventRow.data)):
            if isinstance(data, str):
                data = json.loads(data)
            deadline = data.get("deadline")
            if isinstance(deadline, dict) and "fired_at" in deadline:
                counts[int(deadline["id"])] += 1
    return counts


def actors(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(a for (a,) in conn.execute(select(EventRow.actor)))


def open_deadlines(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM deadlines WHERE done_at IS NULL")).scalar_one()
        )


def all_deadline_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {int(r[0]) for r in conn.execute(text("SELECT id FROM deadlines"))}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def chunks(items: Iterable[int], size: int) -> list[list[int]]:
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def certify(
    site: Site, clock: Any, n: int, *, score_loss: float = 5, days_between: int = 0
) -> list[int]:
    """`n` cases taken from application to certificate through the real case service and rules."""
    from starcert.app import App
    from starcert.config import load_config
    from workflows import commands as c
    from workflows.deadlines import local_day
    from workflows.model import IndicatorResult, PrerequisiteFacts, ScoreSheet

    app = App(load_config(site.config), clock=clock)
    try:
        model = app.rules.book.in_force(local_day(clock.now(), app.config.zone)).scoring
        facts = PrerequisiteFacts(True, True, True, None, True, True)
        cases = []
        for i in range(n):
            today = local_day(clock.now(), app.config.zone)
            org = app.case_service.handle(
                c.RegisterOrganisation(f"企业 {i}", credit_code(next(_SERIALS), tag=5000), "op")
            ).organisation_id
            assert org is not None
            cid = app.case_service.handle(
                c.SubmitApplication(org, today, today - timedelta(days=400), "售后", facts, "op")
            ).case_id
            assert cid is not None
            app.case_service.handle(c.ReviewApplication(cid, "op"))
            app.case_service.handle(c.RecordStage1(cid, today, "auditor", "op"))
            share = 1 - score_loss * (i % 5) / 100
            sheet = ScoreSheet(
                {
                    ind.id: IndicatorResult(points=ind.points * Decimal(str(share)))
                    for ind in model.indicators
                }
            )
            app.case_service.handle(c.RecordStage2(cid, today, "auditor", sheet, "op"))
            app.case_service.handle(c.Decide(cid, "op"))
            cases.append(cid)
            clock.advance(timedelta(days=days_between))
        return cases
    finally:
        app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers_health(port: int) -> bool:
    """Whether an HTTP server on the port answers /health with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False
