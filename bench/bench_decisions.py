"""Full decisions per second: durable-rules path vs plain-Python matching of the same rules.

A full decision = prerequisites + running time + scoring + band + explanation (the Decision).
Both paths share fact checking, exact scoring and decision building; they differ only in who
matches the compiled conditions. Run: .venv/bin/python bench/bench_decisions.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import RuleBook, evaluate
from engine.durable_adapter import DurableBackend
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


def measure(book: RuleBook, cases: list[dict[str, Any]], backend: Any) -> float:
    """Decisions per second; each decision is built in full and dropped, as a service would."""
    start = time.perf_counter()
    for facts in cases:
        evaluate(book, facts, AS_OF, backend=backend)
    return len(cases) / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    book = RuleBook.from_directory(ROOT / "rules")
    rng = random.Random(27922)
    cases = [random_facts(rng, book) for _ in range(n)]
    durable, python = DurableBackend(), PythonBackend()
    measure(book, cases[:500], durable)  # warm-up: registration, caches
    measure(book, cases[:500], python)
    d_rates, p_rates = [], []
    for _ in range(3):  # alternate, keep the best of each: the machine is shared
        d_rates.append(measure(book, cases, durable))
        p_rates.append(measure(book, cases, python))
    d_rate, p_rate = max(d_rates), max(p_rates)
    sample = cases[:2000]
    d_out = [evaluate(book, f, AS_OF, backend=durable) for f in sample]
    p_out = [evaluate(book, f, AS_OF, backend=python) for f in sample]
    same = sum(a == b for a, b in zip(d_out, p_out, strict=True))
    outcomes = Counter(d.outcome for d in d_out)
    print(f"{n} full decisions x 3 runs per path, one process, one thread")
    print(f"outcomes in the first {len(sample)}: {dict(sorted(outcomes.items()))}")
    print(
        f"durable-rules path  : {d_rate:10,.0f} decisions/s  (runs: "
        f"{', '.join(f'{r:,.0f}' for r in d_rates)})"
    )
    print(
        f"plain-Python path   : {p_rate:10,.0f} decisions/s  (runs: "
        f"{', '.join(f'{r:,.0f}' for r in p_rates)})"
    )
    print(f"ratio durable/python: {d_rate / p_rate:.2f}")
    print(f"identical decisions : {same}/{len(sample)}")


if __name__ == "__main__":
    main()
