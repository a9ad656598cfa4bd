"""`rules impact` over a large register on SQLite: time, decisions/s, and the ratio to a baseline.

Builds a SQLite register of N certificates (default 100,000: active and suspended, each with its
stage 2 score sheet and open deadlines) plus N/20 open applications, written straight into the
tables in bulk (the lifecycle would take hours to make them). Then runs the real impact of a
stricter version (harder four-star band, shorter suspension limit and surveillance window).
Baseline, same run: reading the same rows with no rule evaluation at all.

Wall and CPU time are both printed (the machine is shared: CPU time leaves out the others' work);
best of RUNS (default 3), alternating with the baseline.
Run: .venv/bin/python bench/bench_impact.py [N] [RUNS]      (the target: under 30 s for 100,000)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from engine import RuleBook, load_ruleset
from starcert.rules_impact import impact
from storage.database import open_database
from storage.formats import sheet_to_json
from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.tables import metadata
from workflows.deadlines import add_months, due_at, expiry_date
from workflows.model import IndicatorResult, ScoreSheet

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Shanghai")
T = metadata.tables


def stricter() -> bytes:
    text = (ROOT / "rules" / "gbt27922-2011.yaml").read_text(encoding="utf-8")
    return (
        text.replace('version: "1"', 'version: "2"', 1)
        .replace(
            "- {band: four_star, from: 90, below: 95}", "- {band: four_star, from: 91, below: 95}"
        )
        .replace(
            "- {band: three_star, from: 80, below: 90}", "- {band: three_star, from: 80, below: 91}"
        )
        .replace("suspension_limit_months: 6", "suspension_limit_months: 4")
        .replace("surveillance_window_months: 3", "surveillance_window_months: 2")
    ).encode()


def populate(url: str, n: int, book: RuleBook, today: date, rng: random.Random) -> None:
    model = book.versions[-1].scoring
    engine = make_engine(url)
    orgs, apps, cases, audits, deadlines = [], [], [], [], []
    apps_open = n // 20
    for i in range(1, n + apps_open + 1):
        orgs.append({"id": i, "name": f"Org {i}", "credit_code": f"CODE{i:014d}"})
        submitted = today - timedelta(days=rng.randint(70, 900))
        apps.append(
            {
                "id": i,
                "organisation_id": i,
                "submitted_on": submitted,
                "service_system_since": submitted - timedelta(days=rng.randint(60, 700)),
                "scope": "appliances",
                "has_service_documents": True,
                "has_dedicated_manager": True,
                "has_dedicated_funds": rng.random() > 0.02,
                "last_major_failure": None,
                "has_trained_staff": True,
                "is_prc_legal_entity": True,
            }
        )
        if i > n:
            cases.append(
                {
                    "id": i,
                    "organisation_id": i,
                    "application_id": i,
                    "state": "applied",
                    "holder": f"Org {i}",
                    "scope": "appliances",
                    "number": None,
                    "star_level": None,
                    "final_score": None,
                    "decided_on": None,
                    "issued_on": None,
                    "expires_on": None,
                    "suspended_on": None,
                    "rule_version": None,
                    "version": 0,
                }
            )
            continue
        share = rng.uniform(0.7, 1.0)
        sheet = ScoreSheet(
            {
                ind.id: IndicatorResult(
                    points=(ind.points * type(ind.points)(str(round(share, 3)))).quantize(
                        type(ind.points)("0.1")
                    )
                )
                for ind in model.indicators
            }
        )
        decided = submitted + timedelta(days=60)
        suspended = rng.random() < 0.1
        state = "suspended" if suspended else "active"
        expires = expiry_date(decided, 36)
        cases.append(
            {
                "id": i,
                "organisation_id": i,
                "application_id": i,
                "state": state,
                "holder": f"Org {i}",
                "scope": "appliances",
                "number": f"ASC-{i:08d}",
                "star_level": "four_star",
                "final_score": "90.5",
                "decided_on": decided,
                "issued_on": decided,
                "expires_on": expires,
                "suspended_on": today - timedelta(days=30) if suspended else None,
                "rule_version": "1",
                "version": 1,
            }
        )
        audits.append(
            {
                "case_id": i,
                "kind": "stage2",
                "audit_date": decided,
                "auditor": "bench",
                "sheet": sheet_to_json(sheet),
            }
        )
        if suspended:
            limit = add_months(today - timedelta(days=30), 6)
            deadlines.append(
                {
                    "case_id": i,
                    "kind": "suspension_limit",
                    "due_at": due_at(limit, ZONE),
                    "attempts": 0,
                }
            )
        else:
            due = add_months(decided, 12)
            while due < today:
                due = add_months(due, 12)
            deadlines.append(
                {
                    "case_id": i,
                    "kind": "surveillance_due",
                    "due_at": due_at(due, ZONE),
                    "attempts": 0,
                }
            )
            deadlines.append(
                {
                    "case_id": i,
                    "kind": "surveillance_window_opens",
                    "due_at": due_at(add_months(due, -3), ZONE),
                    "attempts": 0,
                }
            )
        deadlines.append(
            {"case_id": i, "kind": "expiry", "due_at": due_at(expires, ZONE), "attempts": 0}
        )
    with engine.begin() as connection:
        for table, rows in (
            ("organisations", orgs),
            ("applications", apps),
            ("cases", cases),
            ("audits", audits),
            ("deadlines", deadlines),
        ):
            for start in range(0, len(rows), 20_000):
                connection.execute(insert(T[table]), rows[start : start + 20_000])
    engine.dispose()


def baseline(url: str) -> tuple[float, float]:
    """Read what impact reads, evaluate nothing: (wall, CPU) seconds."""
    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as connection:
        for name in ("cases", "audits", "applications", "deadlines"):
            for _ in connection.execute(select(T[name])):
                pass
    engine.dispose()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rng = random.Random(7)
    book = RuleBook.from_directory(ROOT / "rules")
    new = load_ruleset(stricter(), "v2.yaml").published_as(date(2026, 7, 1), "v2.yaml")
    today = date(2026, 6, 1)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        started = time.perf_counter()
        populate(url, n, book, today, rng)
        print(
            f"populated {n} certificates + {n // 20} open applications in "
            f"{time.perf_counter() - started:.1f} s"
        )
        reads, impacts = [], []
        for _ in range(runs):  # alternate, keep the best of each: the machine is shared
            reads.append(baseline(url))
            database = open_database(url)
            started, cpu = time.perf_counter(), time.process_time()
            report = impact(
                database.reads, book, new, now=datetime(2026, 6, 1, 2, tzinfo=UTC), zone=ZONE
            )
            impacts.append((time.perf_counter() - started, time.process_time() - cpu))
            database.close()
    (seconds, cpu), (read_s, read_cpu) = min(impacts), min(reads)
    print(
        f"impact: {report.certificates} certificates, {report.applications} open applications,"
        f" {report.with_deadlines} with deadlines in {seconds:.1f} s, {cpu:.1f} s CPU "
        f"(best of {runs}: {', '.join(f'{w:.1f}' for w, _ in impacts)} s)"
    )
    print(
        f"  {report.decisions} decisions, {report.decisions / seconds:,.0f} decisions/s; "
        f"counts {report.counts}"
    )
    print(
        f"  baseline (read the same rows, no rules): {read_s:.1f} s, {read_cpu:.1f} s CPU; "
        f"impact / baseline = {seconds / read_s:.1f}x ({cpu / read_cpu:.1f}x in CPU)"
    )


if __name__ == "__main__":
    main()
