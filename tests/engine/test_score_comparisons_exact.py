"""Fail rules compare scores exactly with every operator, on both backends alike.

A score reaches the rules engine as whole millionths; a score a fraction of a millionth away
from the rule's number must still fall on the right side of it (70.0000004 is not <= 70).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from engine import RuleSet, evaluate, load_ruleset
from engine.durable_adapter import DurableBackend
from engine.evaluate import Backend
from engine.python_backend import PythonBackend
from tests.engine.conftest import DEFAULT_FILE, sheet

DAY = date(2026, 6, 1)
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
BACKENDS: dict[str, Backend] = {"durable-rules": DurableBackend(), "python": PythonBackend()}
# 71 points without organisation; organisation's points (6 at most) put the score around 70.
BASE = {"customer_relationship": 0, "complaint_handling": 0, "recycling": 0}
ORGANISATION: dict[Fraction, Any] = {
    Fraction(69999999, 10**6): "4.999999",  # 69.999999: one millionth below
    Fraction(699999996, 10**7): "4.9999996",  # below 70 by less than a millionth
    Fraction(70): 5,
    Fraction(700000004, 10**7): "5.0000004",  # above 70 by less than a millionth
    70 + Fraction(1, 6000001): {"conforming": 5000001, "sampled": 6000001},  # never a decimal
    Fraction(70000001, 10**6): "5.000001",  # 70.000001: one millionth above
}


def _rules(when: str) -> RuleSet:
    """The shipped file with its score fail rule firing `when` instead (examples dropped)."""
    text = DEFAULT_FILE.read_text(encoding="utf-8").split("examples:")[0]
    edited = text.replace("when: {fact: final_score, lt: 70}", f"when: {when}")
    assert f"when: {when}" in edited
    return load_ruleset(edited.encode(), "edited.yaml")


@pytest.mark.parametrize("fact", ["final_score", "normalised_score"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_each_operator_is_exact_at_the_boundary_on_both_backends(fact: str, op: str) -> None:
    ruleset = _rules(f"{{fact: {fact}, {op}: 70}}")
    for score, organisation in ORGANISATION.items():
        facts = {"score_sheet": sheet({**BASE, "organisation": organisation})}
        expected = OPS[op](score, 70)
        for name, backend in BACKENDS.items():
            decision = evaluate(ruleset, facts, DAY, backend=backend)
            fired = "fail.score_below_70" in [f.rule for f in decision.fail_reasons]
            assert fired is expected, f"{name}: {float(score)!r} {op} 70"


@pytest.mark.parametrize("op", sorted(OPS))
def test_negated_comparisons_are_exact_too(op: str) -> None:
    """`not` is pushed down to the opposite operator, which must be just as exact."""
    ruleset = _rules(f"{{not: {{fact: final_score, {op}: 70}}}}")
    for score, organisation in ORGANISATION.items():
        facts = {"score_sheet": sheet({**BASE, "organisation": organisation})}
        for name, backend in BACKENDS.items():
            decision = evaluate(ruleset, facts, DAY, backend=backend)
            fired = "fail.score_below_70" in [f.rule for f in decision.fail_reasons]
            assert fired is not OPS[op](score, 70), f"{name}: not {float(score)!r} {op} 70"


def test_a_bound_with_six_decimals_is_exact() -> None:
    ruleset = _rules("{fact: final_score, le: 70.000001}")
    just_above = {"score_sheet": sheet({**BASE, "organisation": "5.0000011"})}
    exactly = {"score_sheet": sheet({**BASE, "organisation": "5.000001"})}
    for backend in BACKENDS.values():
        assert evaluate(ruleset, just_above, DAY, backend=backend).band == "qualified"
        assert evaluate(ruleset, exactly, DAY, backend=backend).certified is False
