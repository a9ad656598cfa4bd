"""SQL statements per command on SQLite, counted by the driver's own trace.

Every statement SQLite runs for one command (BEGIN and COMMIT included, connection pragmas
left out) is counted through `sqlite3.Connection.set_trace_callback`, which sees what the driver
really executes, whichever layer issued it. Each certificate goes through register, apply,
review, stage 1, stage 2, decision, a suspension and its restoration, the surveillance window's
reminder fired as the daemon fires it, a surveillance audit and a re-certification. Printed per
command: the median count over the certificates, and how many of those statements write.

    .venv/bin/python bench/bench_statements.py [--certificates 20] [--show Restore]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from starcert.app import App  # noqa: E402
from starcert.config import DatabaseConfig, load_config  # noqa: E402
from storage.sql.migrate import upgrade  # noqa: E402
from workflows import commands as c  # noqa: E402
from workflows.credit_code import check_character  # noqa: E402
from workflows.fake_clock import FakeClock  # noqa: E402
from workflows.model import (  # noqa: E402
    IndicatorResult,
    PrerequisiteFacts,
    ScoreSheet,
    SuspensionCause,
)

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
MARKS = {
    "organisation": 6, "staffing": 6, "resources": 6, "service_norms": 6, "supervision": 6,
    "improvement": 5, "service_culture": 5, "commodity_information": 5, "technical_support": 6,
    "delivery": 6, "repair": 7, "quality_guarantee": 7, "recycling": 4,
    "customer_relationship": 13, "complaint_handling": 12,
}  # fmt: skip
SHEET = ScoreSheet({k: IndicatorResult(points=Decimal(v)) for k, v in MARKS.items()})
WRITES = ("INSERT", "UPDATE", "DELETE")


class Trace:
    """Every statement the driver runs while `on` (connection pragmas excluded)."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[str] = []

    def __call__(self, sql: str) -> None:
        # SQLite reports a write again as each trigger program it starts runs: count it once
        # (the same write twice in a row cannot happen: ids and versions differ).
        if self.on and not sql.lstrip().upper().startswith("PRAGMA"):
            repeated = bool(self.seen) and self.seen[-1] == sql
            if not (repeated and sql.lstrip().upper().startswith(WRITES)):
                self.seen.append(sql)


def code(serial: int) -> str:
    body = f"91350100M{serial:08d}"
    return body + check_character(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=20)
    parser.add_argument("--show", metavar="COMMAND", help="print one such command's statements")
    args = parser.parse_args()
    trace = Trace()

    @event.listens_for(Engine, "connect")
    def _traced(dbapi_connection: Any, _record: Any) -> None:
        if hasattr(dbapi_connection, "set_trace_callback"):
            dbapi_connection.set_trace_callback(trace)

    counts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'trace.db'}"
        upgrade(url)
        config = load_config().model_copy(update={"database": DatabaseConfig(url=url)})
        clock = FakeClock(START)
        app = App(config, clock=clock)
        service = app.case_service
        service.rules  # noqa: B018 (rules seeded before the trace starts)

        def run(command: Any) -> Any:
            trace.seen.clear()
            trace.on = True
            try:
                return service.handle(command)
            finally:
                trace.on = False
                writes = sum(s.lstrip().upper().startswith(WRITES) for s in trace.seen)
                counts[type(command).__name__].append((len(trace.seen), writes))
                if type(command).__name__ == args.show and len(counts[args.show]) == 1:
                    print("\n".join(" ".join(s.split())[:160] for s in trace.seen), end="\n\n")

        today = START.date()
        facts = PrerequisiteFacts(True, True, True, None, True, True)
        cases = []
        for i in range(args.certificates):
            org = run(c.RegisterOrganisation(f"Org {i}", code(i), "bench")).organisation_id
            since = today - timedelta(days=400)
            case_id = run(c.SubmitApplication(org, today, since, "scope", facts, "bench")).case_id
            run(c.ReviewApplication(case_id, "bench"))
            run(c.RecordStage1(case_id, today, "auditor", "bench"))
            run(c.RecordStage2(case_id, today, "auditor", SHEET, "bench"))
            run(c.Decide(case_id, "bench"))
            run(c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "asked", "bench"))
            run(c.Restore(case_id, "resumed", "bench"))
            cases.append(case_id)
        clock.advance(timedelta(days=340))  # the surveillance window has opened
        with app.uow() as uow:
            due = list(uow.deadlines.due(clock.now(), 10 * args.certificates))
        for deadline in due:
            assert deadline.id is not None
            run(c.FireDeadline(deadline_id=deadline.id, case_id=deadline.case_id, by="daemon"))
        day = clock.now().date()
        for case_id in cases:
            run(c.RecordSurveillance(case_id, day, "auditor", SHEET, "bench"))
            run(c.RecordRecertification(case_id, day, "auditor", SHEET, "bench"))
        app.close()
    print(f"{'command':<24}{'statements':>12}{'writes':>8}  (median of {args.certificates})")
    for name, seen in counts.items():
        total = statistics.median(n for n, _ in seen)
        writes = statistics.median(w for _, w in seen)
        print(f"{name:<24}{total:>12g}{writes:>8g}")


if __name__ == "__main__":
    main()
