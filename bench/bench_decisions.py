"""Full decisions per second: durable-rules path vs plain-Python matching of the same rules.

A full decision = prerequisites + running time + scoring + band + explanation (the Decision).
Both paths share fact checking, exact scoring and decision building; they differ only in who
matches the compiled conditions. Printed apart: that shared work and each backend's matching, in
microseconds per decision. The main figures are on distinct facts, without a memo and with one
(that never hits); a last run draws the facts from a pool a tenth the size, so the memo answers
most of them. Times are the process's CPU time (the machine is shared). Last, every fact is read
again by the checked path (engine.facts.check_facts): the one-pass reading must agree with it.
Run: .venv/bin/python bench/bench_decisions.py [N]
"""

from __future__ import annotations

import inspect
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import RuleBook, evaluate
from engine.durable_adapter import DurableBackend
from engine.fact_plan import FactPlan
from engine.facts import check_facts, flat_fact
from engine.python_backend import PythonBackend

ROOT = Path(__file__).resolve().parent.parent


def random_facts(rng: random.Random, book: RuleBook) -> dict[str, Any]:
    model = book.versions[-1].scoring
    results: dict[str, Any] = {}
    excluded = []
    for ind in model.indicators:
        roll = rng.random()
        if roll < 0.05:
            excluded.append(ind.id)
        elif roll < 0.3:
            sampled = rng.randint(5, 20)
            results[ind.id] = {"conforming": rng.randint(sampled // 2, sampled), "sampled": sampled}
        else:
            share = rng.uniform(0.55, 1.0)  # audited organisations mostly score well
            results[ind.id] = {"points": str(round(share * float(ind.points), 2))}
    if len(excluded) == len(model.indicators):
        excluded.pop()
    # A full decision is made on an audited applicant: most pass the application check, some not.
    applied = date(2026, 1, 1) + timedelta(days=rng.randint(0, 365))
    return {
        "application_date": applied,
        "service_system_since": applied - timedelta(days=rng.randint(80, 900)),
        "has_service_documents": rng.random() > 0.03,
        "has_dedicated_manager": rng.random() > 0.03,
        "has_dedicated_funds": rng.random() > 0.03,
        "has_trained_staff": rng.random() > 0.03,
        "is_prc_legal_entity": rng.random() > 0.03,
        "last_major_failure": None
        if rng.random() < 0.8
        else applied - timedelta(days=rng.randint(1, 2000)),
        "score_sheet": {
            "results": results,
            "excluded": excluded,
            "special_deductions": ["r"] * rng.choice([0, 0, 0, 1, 2, 5]),
            "special_bonus": "b" if rng.random() < 0.1 else None,
        },
    }


AS_OF = date(2027, 6, 1)
clock = time.process_time
"""This process's CPU time: on a shared machine, wall time would count the others' work too."""


class Timed:
    """A backend measured from outside: the time spent in its fire() is its matching; the rest
    of a decision is the work every backend shares (checking, scoring, the flat fact, the
    Decision). The rules' actions it calls back are a few list appends, counted as matching."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = backend.name
        self.seconds = 0.0

    def fire(self, ruleset: Any, fact: dict[str, Any], on_fire: Any) -> None:
        started = clock()
        try:
            self.backend.fire(ruleset, fact, on_fire)
        finally:
            self.seconds += clock() - started


def memo_of(size: int) -> dict[str, Any]:
    """evaluate()'s memo argument, where this code has one (so the bench runs on older code)."""
    if "memo" not in inspect.signature(evaluate).parameters:
        return {}
    from engine.memo import DecisionMemo

    return {"memo": DecisionMemo(size)}


def measure(book: RuleBook, cases: list[dict[str, Any]], backend: Any, memo: bool = True) -> Run:
    """One pass; each decision is built in full and dropped, as a service would. With `memo`, a
    fresh memo of the default size takes every decision (no hits when the facts are distinct)."""
    timed = Timed(backend)
    extra = memo_of(DEFAULT_MEMO) if memo else {}
    start, wall = clock(), time.perf_counter()
    for facts in cases:
        evaluate(book, facts, AS_OF, backend=timed, **extra)
    seconds, wall = clock() - start, time.perf_counter() - wall
    found = extra.get("memo")
    return Run(len(cases), seconds, timed.seconds, found.hits if found else 0, wall)


class Run:
    def __init__(self, n: int, seconds: float, matching: float, hits: int, wall: float) -> None:
        self.rate = n / seconds
        self.wall_rate = n / wall  # the same pass by the wall clock (others' work included)
        self.matching_us = matching / n * 1e6
        self.shared_us = (seconds - matching) / n * 1e6
        self.hits = hits


DEFAULT_MEMO = 4096


def best(runs: list[Run]) -> Run:
    return max(runs, key=lambda r: r.rate)


def same_as_checked(ruleset: Any, cases: list[dict[str, Any]]) -> tuple[int, int]:
    """How many facts the one-pass reading took, and how many of those it read exactly as the
    checked path does (the same checks, application facts, exact score and flat fact)."""
    plan = FactPlan(ruleset)
    taken = same = 0
    for facts in cases:
        slow = check_facts(ruleset, facts, None)
        quick = plan.quick(facts, None)
        if quick is not None:
            taken += 1
            same += agree(*quick, slow, flat_fact(ruleset, slow))
    return taken, same


def agree(fast: Any, fast_fact: dict[str, Any], slow: Any, fact: dict[str, Any]) -> bool:
    if (fast_fact, fast.checks, dict(fast.application)) != (
        fact,
        slow.checks,
        dict(slow.application),
    ):
        return False
    a, b = fast.score, slow.score
    if a is None or b is None:
        return a is b
    return all(
        Fraction(x.numerator, x.denominator) == Fraction(y.numerator, y.denominator)
        for x, y in (
            (a.achieved, b.achieved),
            (a.applicable, b.applicable),
            (a.normalised, b.normalised),
            (a.final, b.final),
        )
    ) and (a.deductions, a.bonus, a.excluded) == (b.deductions, b.bonus, b.excluded)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    book = RuleBook.from_directory(ROOT / "rules")
    rng = random.Random(27922)
    cases = [random_facts(rng, book) for _ in range(n)]
    pool = cases[: max(1, n // 10)]  # the same facts again and again: a tenth of them distinct
    repeated = [pool[rng.randrange(len(pool))] for _ in range(n)]
    durable, python = DurableBackend(), PythonBackend()
    measure(book, cases[:500], durable)  # warm-up: registration, caches
    measure(book, cases[:500], python)
    d_runs, m_runs, p_runs, r_runs = [], [], [], []
    for _ in range(3):  # alternate, keep the best of each: the machine is shared
        d_runs.append(measure(book, cases, durable, memo=False))
        m_runs.append(measure(book, cases, durable))
        p_runs.append(measure(book, cases, python, memo=False))
        r_runs.append(measure(book, repeated, durable))
    d, m, p, r = best(d_runs), best(m_runs), best(p_runs), best(r_runs)
    sample = cases[:2000]
    d_out = [evaluate(book, f, AS_OF, backend=durable) for f in sample]
    p_out = [evaluate(book, f, AS_OF, backend=python) for f in sample]
    same = sum(a == b for a, b in zip(d_out, p_out, strict=True))
    outcomes = Counter(d.outcome for d in d_out)
    print(f"{n} full decisions x 3 runs per path, one process, one thread")
    print(f"outcomes in the first {len(sample)}: {dict(sorted(outcomes.items()))}")
    print(
        f"durable-rules path  : {d.rate:10,.0f} decisions/s  distinct facts, no memo"
        f" (runs: {', '.join(f'{x.rate:,.0f}' for x in d_runs)})"
    )
    print(
        f"  the same, memo on : {m.rate:10,.0f} decisions/s  ({m.hits} memo hits; shared work "
        f"{m.shared_us:.1f} us; runs: {', '.join(f'{x.rate:,.0f}' for x in m_runs)})"
    )
    print(
        f"plain-Python path   : {p.rate:10,.0f} decisions/s  (runs: "
        f"{', '.join(f'{x.rate:,.0f}' for x in p_runs)})"
    )
    print(f"ratio durable/python: {d.rate / p.rate:.2f}")
    dw, pw = max(x.wall_rate for x in d_runs), max(x.wall_rate for x in p_runs)
    print(
        f"wall clock          : {dw:10,.0f} decisions/s durable-rules, {pw:,.0f}/s plain Python"
        f" (best runs; ratio {dw / pw:.2f})"
    )
    print(
        f"per decision        : shared work {d.shared_us:.1f} us (python run {p.shared_us:.1f} us);"
        f" matching durable-rules {d.matching_us:.1f} us, plain Python {p.matching_us:.1f} us"
    )
    print(
        f"with repeats        : {r.rate:10,.0f} decisions/s  ({len(pool)} distinct facts drawn "
        f"{n} times, {r.hits} memo hits; runs: {', '.join(f'{x.rate:,.0f}' for x in r_runs)})"
    )
    print(f"identical decisions : {same}/{len(sample)}")
    if hasattr(FactPlan, "quick"):  # (older code read facts in one way only)
        taken, agreed = same_as_checked(book.in_force(AS_OF), cases)
        print(
            f"read as checked     : {agreed}/{taken} facts read in one pass ({len(cases)} in all)"
        )


if __name__ == "__main__":
    main()
