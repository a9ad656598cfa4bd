"""Rules → durable-rules definitions (plain JSON-able dicts; the adapter registers them).

Each rule becomes one durable rule over one asserted fact `m`, guarded by the flag of its check so
an application-only evaluation never fires a scoring rule (and the reverse).
"""

from __future__ import annotations

from typing import Any

from engine.conditions import AllOf, AnyOf, Compare, Condition, Not, Ref, encode, exact_scores
from engine.facts import CHECK_FLAG
from engine.ruleset import Rule, RuleSet

_DURABLE_OP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}


def durable_condition(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, AllOf):
        return {"$and": [durable_condition(p) for p in condition.parts]}
    if isinstance(condition, AnyOf):
        return {"$or": [durable_condition(p) for p in condition.parts]}
    if isinstance(condition, Not):
        raise ValueError("conditions reach the compiler with negation pushed down")
    return _compare(condition)


def _compare(c: Compare) -> dict[str, Any]:
    if c.value is None:
        return {"$nex" if c.op == "eq" else "$ex": {c.fact: 1}}
    right = {"$m": c.value.key} if isinstance(c.value, Ref) else encode(c.value, c.type)
    if c.op == "eq":
        return {c.fact: right}
    return {_DURABLE_OP[c.op]: {c.fact: right}}


def durable_rule(rule: Rule) -> dict[str, Any]:
    guard = {CHECK_FLAG[rule.check]: True}
    return {"all": [{"m": {"$and": [guard, durable_condition(exact_scores(rule.fires_when))]}}]}


def durable_rules(ruleset: RuleSet) -> dict[str, dict[str, Any]]:
    """Rule key → durable rule definition (without its action)."""
    return {rule.key: durable_rule(rule) for rule in ruleset.rules}
