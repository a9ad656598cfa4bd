"""The same compiled rules evaluated in plain Python: the baseline the benchmark compares against.

Same fact, same conditions (score comparisons made exact the same way), same null rule (a
comparison with an absent fact is false), same actions; only the matching is done here instead of
in durable-rules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from engine.conditions import AllOf, AnyOf, Compare, Condition, Not, Ref, encode, exact_scores
from engine.facts import CHECK_FLAG
from engine.ruleset import RuleSet

Predicate = Callable[[dict[str, Any]], bool]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def predicate(condition: Condition) -> Predicate:
    if isinstance(condition, AllOf):
        parts = [predicate(p) for p in condition.parts]
        return lambda fact: all(p(fact) for p in parts)
    if isinstance(condition, AnyOf):
        parts = [predicate(p) for p in condition.parts]
        return lambda fact: any(p(fact) for p in parts)
    if isinstance(condition, Not):
        raise ValueError("conditions reach the backend with negation pushed down")
    return _compare(condition)


def _compare(c: Compare) -> Predicate:
    name = c.fact
    if c.value is None:
        return (lambda fact: name not in fact) if c.op == "eq" else (lambda fact: name in fact)
    op = _OPS[c.op]
    if isinstance(c.value, Ref):
        other = c.value.key
        return lambda fact: name in fact and other in fact and op(fact[name], fact[other])
    right = encode(c.value, c.type)
    return lambda fact: name in fact and op(fact[name], right)


class PythonBackend:
    """Matches in Python; compiled predicates are cached per rule set content."""

    name = "python"

    def __init__(self) -> None:
        self._compiled: dict[str, list[tuple[str, str, Predicate]]] = {}

    def fire(self, ruleset: RuleSet, fact: dict[str, Any], on_fire: Callable[[str], None]) -> None:
        compiled = self._compiled.get(ruleset.engine_name)
        if compiled is None:
            compiled = [
                (r.key, CHECK_FLAG[r.check], predicate(exact_scores(r.fires_when)))
                for r in ruleset.rules
            ]
            self._compiled[ruleset.engine_name] = compiled
        for key, flag, holds in compiled:
            if flag in fact and holds(fact):
                on_fire(key)
