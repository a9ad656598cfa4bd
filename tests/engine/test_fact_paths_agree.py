"""Three ways to read facts, one answer: the one-pass reading (FactPlan.quick), the canonical form
(engine.canonical + FactPlan.check) and the checked path (engine.facts.check_facts), which names
problems. On random facts, usual and odd, the fast ways either give up or agree with the checked
path exactly (the same checks, application facts, exact score and flat fact); facts the checked
path refuses, they never take.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from engine import FactError, RuleBook, evaluate
from engine.canonical import canonical, prepared
from engine.fact_plan import FactPlan
from engine.facts import CheckedFacts, check_facts, flat_fact
from engine.python_backend import PythonBackend
from engine.ruleset import RuleSet
from engine.scoring import Exact
from tests.engine.conftest import application

DAY = date(2027, 6, 1)
CASES = 3000


def _points(rng: random.Random, maximum: Decimal, odd: float) -> Any:
    share = Decimal(str(round(rng.uniform(0.5, 1.0), rng.choice([0, 1, 2, 2, 2, 3, 7]))))
    if rng.random() < odd:
        share = rng.choice([Decimal("-0.01"), Decimal("1.000001"), Decimal(2)])
    value = (share * maximum).normalize()
    kind = rng.random()
    if kind < 0.8:
        return str(value)
    if kind < 0.88:
        return value
    if kind < 0.94:
        return float(value)
    if kind < 0.98 or rng.random() > odd * 10:
        return int(value)
    return rng.choice([True, "x", None, [], "NaN", "Infinity", "1e400"])


def _result(rng: random.Random, indicator: Any, odd: float) -> Any:
    roll = rng.random()
    if roll < 0.65:
        return {"points": _points(rng, indicator.points, odd)}
    if roll < 0.9:
        sampled = rng.randint(1, 20)
        conforming = rng.randint(0, sampled)
        if rng.random() < odd:
            sampled, conforming = rng.choice([(0, 0), (3, 4), (5, -1), (True, 1)])
        return {"conforming": conforming, "sampled": sampled}
    if roll < 0.95 and indicator.items:
        return {"items": {i.id: {"points": _points(rng, i.points, odd)} for i in indicator.items}}
    if roll < 0.98 or rng.random() > odd * 10:
        return _points(rng, indicator.points, odd)  # a bare number
    return rng.choice([{}, {"points": "1", "extra": 1}, {"conforming": 1}, None, "3"])


def random_facts(rng: random.Random, ruleset: RuleSet) -> tuple[dict[str, Any], Any]:
    facts: dict[str, Any] = {}
    applied = date(2026, 1, 1) + timedelta(days=rng.randint(0, 365))
    if rng.random() < 0.8:
        facts.update(
            application_date=applied if rng.random() < 0.8 else applied.isoformat(),
            service_system_since=applied - timedelta(days=rng.randint(0, 900)),
            last_major_failure=None
            if rng.random() < 0.7
            else applied - timedelta(days=rng.randint(1, 2000)),
        )
        for name in (
            "has_service_documents",
            "has_dedicated_manager",
            "has_dedicated_funds",
            "has_trained_staff",
            "is_prc_legal_entity",
        ):
            facts[name] = rng.random() > 0.05
        odd = rng.random()
        if odd < 0.03:
            facts.pop(rng.choice(sorted(facts)))
        elif odd < 0.05:
            facts["has_trained_staff"] = 1
        elif odd < 0.07:
            facts["application_date"] = datetime(2026, 3, 2, 12)
        elif odd < 0.08:
            facts["last_major_failure"] = "2026-13-01"
        elif odd < 0.09:
            facts["has_trained_staf"] = True
    if rng.random() < 0.85 or not facts:
        results: dict[str, Any] = {}
        excluded: list[str] = []
        odd = rng.choice([0.0, 0.0, 0.01, 0.03])  # how often a result is out of range or shape
        for ind in ruleset.scoring.indicators:
            if rng.random() < 0.06:
                excluded.append(ind.id)
                if rng.random() < 0.3:
                    results[ind.id] = None if rng.random() > odd * 10 else {"points": "1"}
            elif rng.random() > odd:  # now and then one left out
                results[ind.id] = _result(rng, ind, odd)
        if rng.random() < 0.01:
            results["no_such_indicator"] = {"points": "1"}
        sheet: dict[str, Any] = {"results": results}
        if excluded or rng.random() < 0.5:
            sheet["excluded"] = excluded if rng.random() < 0.8 else tuple(excluded)
        if rng.random() < 0.5:
            sheet["special_deductions"] = ["r"] * rng.choice([0, 0, 1, 2, 5])
            if rng.random() < 0.02:
                sheet["special_deductions"] = ["", "r"]
        if rng.random() < 0.3:
            sheet["special_bonus"] = rng.choice(["b", "b", None, "", 1])
        facts["score_sheet"] = sheet
    checks = rng.choice([None] * 8 + [("application",), ("scoring",), ("application", "scoring")])
    return facts, checks


def _exact(value: Exact) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value.numerator, value.denominator)


def _same(fast: CheckedFacts, fast_fact: dict[str, Any], slow: CheckedFacts, fact: Any) -> None:
    assert fast.checks == slow.checks
    assert dict(fast.application) == dict(slow.application)
    assert fast_fact == fact
    if slow.score is None:
        assert fast.score is None
        return
    assert fast.score is not None
    for name in ("achieved", "applicable", "normalised", "final"):
        assert _exact(getattr(fast.score, name)) == _exact(getattr(slow.score, name)), name
    assert fast.score.deductions == slow.score.deductions
    assert fast.score.bonus == slow.score.bonus
    assert fast.score.excluded == slow.score.excluded


def test_the_fast_readings_agree_with_the_checked_path(book: RuleBook) -> None:
    ruleset = book.in_force(DAY)
    plan = FactPlan(ruleset)
    rng = random.Random(27922)
    taken = {"quick": 0, "canonical": 0, "refused": 0}
    for _ in range(CASES):
        facts, checks = random_facts(rng, ruleset)
        try:
            slow = check_facts(ruleset, facts, checks)
        except FactError:
            slow = None
        quick = plan.quick(facts, checks)
        canon = canonical(facts)
        via_canon = None
        if canon is not None and slow is not None:
            via_canon = plan.check(canon, plan.resolve(canon, checks))
        if slow is None:
            taken["refused"] += 1
            assert quick is None, facts
            if canon is not None:
                try:
                    resolved = plan.resolve(canon, checks)
                except FactError:
                    continue  # a way of asking refused the same way
                assert plan.check(canon, resolved) is None, facts
            continue
        fact = flat_fact(ruleset, slow)
        if quick is not None:
            taken["quick"] += 1
            _same(*quick, slow, fact)
        if via_canon is not None:
            assert canon is not None
            taken["canonical"] += 1
            _same(via_canon, plan.flat(via_canon, canon.application_fact), slow, fact)
    # every way was exercised, the fast ones on most valid facts
    assert min(taken.values()) > CASES // 10, taken


def test_decisions_read_each_way_are_identical(book: RuleBook) -> None:
    ruleset = book.in_force(DAY)
    rng = random.Random(2011)
    backend = PythonBackend()
    decided = 0
    for _ in range(CASES // 3):
        facts, checks = random_facts(rng, ruleset)
        try:
            direct = evaluate(book, facts, DAY, checks=checks, backend=backend)
        except FactError as exc:
            try:
                evaluate(book, prepared(facts), DAY, checks=checks, backend=backend)
            except FactError as again:
                assert str(again) == str(exc)
                continue
            raise AssertionError(f"only one way refused {facts}") from exc
        assert evaluate(book, prepared(facts), DAY, checks=checks, backend=backend) == direct
        decided += 1
    assert decided > CASES // 30  # most random sheets have one odd result somewhere


@pytest.mark.parametrize("checks", [[True, False], (True, True), [1, 0]])
def test_checks_that_are_not_names_are_refused_after_facts_were_decided(
    book: RuleBook, checks: list[Any]
) -> None:
    """A remembered way of asking for no particular checks never answers for odd ones."""
    evaluate(book, application(), DAY)
    with pytest.raises(FactError, match="unknown check"):
        evaluate(book, application(), DAY, checks=checks)
