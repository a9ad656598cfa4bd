"""Microseconds per lifecycle command through CaseService on the in-memory store (no SQL).

Each certificate goes through the real lifecycle with the real rule files: register, apply,
review, stage 1, stage 2, decision, a suspension and its restoration, the surveillance window's
reminder fired as the daemon fires it, a surveillance audit and a re-certification. Printed per
command kind: the median wall time, the median time spent inside the rules (engine) and what is
left, which is the lifecycle's own path (guards' bookkeeping, change set, hash chain, deadline
plan, store). Several rounds run on fresh stores; the best round's median is shown per kind,
and last over every command of the lifecycle together (each kind once per certificate).
`--profile KIND` prints a cProfile of that command kind instead.

    .venv/bin/python bench/bench_lifecycle.py [--certificates 200] [--rounds 3] [--profile Suspend]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from starcert.rules_adapter import EngineRules  # noqa: E402
from storage.memory.memory_store import MemoryStore  # noqa: E402
from workflows import commands as c  # noqa: E402
from workflows.case_service import CaseService  # noqa: E402
from workflows.credit_code import check_character  # noqa: E402
from workflows.fake_clock import FakeClock  # noqa: E402
from workflows.model import (  # noqa: E402
    IndicatorResult,
    PrerequisiteFacts,
    ScoreSheet,
    SuspensionCause,
)

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
MARKS = {
    "organisation": 6, "staffing": 6, "resources": 6, "service_norms": 6, "supervision": 6,
    "improvement": 5, "service_culture": 5, "commodity_information": 5, "technical_support": 6,
    "delivery": 6, "repair": 7, "quality_guarantee": 7, "recycling": 4,
    "customer_relationship": 13, "complaint_handling": 12,
}  # fmt: skip
SHEET = ScoreSheet({k: IndicatorResult(points=Decimal(v)) for k, v in MARKS.items()})


class TimedRules:
    """The real rules, with the time spent inside them added up (the engine's share)."""

    def __init__(self, rules: EngineRules) -> None:
        self._rules = rules
        self.spent = 0.0

    def __getattr__(self, name: str) -> Any:
        inner = getattr(self._rules, name)
        if not callable(inner):
            return inner

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started

        setattr(self, name, timed)  # made once: the next call finds it without __getattr__
        return timed


def code(serial: int) -> str:
    body = f"91350100M{serial:08d}"
    return body + check_character(body)


Samples = dict[str, list[tuple[float, float]]]  # kind -> (seconds, seconds inside the rules)


def one_round(rules: EngineRules, certificates: int, profile: str | None) -> Samples:
    timed = TimedRules(rules)
    store = MemoryStore()
    clock = FakeClock(START)
    service = CaseService(store.uow, timed, clock, ZONE)  # type: ignore[arg-type]
    samples: Samples = defaultdict(list)
    profiler = cProfile.Profile() if profile else None

    def run(command: Any) -> Any:
        kind = type(command).__name__
        watched = profiler is not None and kind == profile
        timed.spent = 0.0
        if watched:
            profiler.enable()  # type: ignore[union-attr]
        started = time.perf_counter()
        result = service.handle(command)
        elapsed = time.perf_counter() - started
        if watched:
            profiler.disable()  # type: ignore[union-attr]
        samples[kind].append((elapsed, timed.spent))
        return result

    today = START.date()
    facts = PrerequisiteFacts(True, True, True, None, True, True)
    cases = []
    for i in range(certificates):
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
    with store.uow() as uow:
        due = list(uow.deadlines.due(clock.now(), 10 * certificates))
    for deadline in due:
        assert deadline.id is not None
        run(c.FireDeadline(deadline_id=deadline.id, case_id=deadline.case_id, by="daemon"))
    day = clock.now().date()
    for case_id in cases:
        run(c.RecordSurveillance(case_id, day, "auditor", SHEET, "bench"))
        run(c.RecordRecertification(case_id, day, "auditor", SHEET, "bench"))
    if profiler is not None:
        stats = pstats.Stats(profiler).strip_dirs().sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(45)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="a command kind to profile (e.g. Suspend)")
    args = parser.parse_args()
    rules = EngineRules.from_directory(REPO / "rules")
    best: dict[str, tuple[float, float, float]] = {}
    us: Callable[[float], float] = lambda s: s * 1e6  # noqa: E731
    for r in range(args.rounds if not args.profile else 1):
        samples = one_round(rules, args.certificates, args.profile)
        every = [sample for seen in samples.values() for sample in seen]
        for kind, seen in [*samples.items(), ("every command", every)]:
            total = us(statistics.median(t for t, _ in seen))
            inside = us(statistics.median(e for _, e in seen))
            own = us(statistics.median(t - e for t, e in seen))
            if kind not in best or total < best[kind][0]:
                best[kind] = (total, inside, own)
        print(f"round {r + 1} done", file=sys.stderr)
    print(f"{'command':<24}{'median µs':>10}{'rules µs':>10}{'own µs':>10}"
          f"  (best round of {args.rounds}, {args.certificates} certificates)")  # fmt: skip
    for kind, (total, inside, own) in best.items():
        print(f"{kind:<24}{total:>10.0f}{inside:>10.0f}{own:>10.0f}")


if __name__ == "__main__":
    main()
