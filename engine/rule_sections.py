"""The rule-file sections that become rules as written: prerequisites, running_time, fail_rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.conditions import Compare, Condition, ConditionParser, Ref, negate, push_not
from engine.node_reader import MAX_MONTHS, NodeReader
from engine.outcomes import RuleKind
from engine.ruleset import Rule
from engine.source import line_of
from engine.vocabulary import (
    ALL_FACTS,
    APPLICATION_FACTS,
    SCORE_FACTS,
    Check,
    FactSpec,
    FactType,
)


def read_prerequisites(reader: NodeReader, node: Any, line: int | None) -> list[Rule]:
    # Authors write what is required; the compiled rule fires on its violation.
    return _named_rules(
        reader, node, line, section="prerequisites", noun="prerequisite", condition_key="require",
        facts=APPLICATION_FACTS, kind=RuleKind.PREREQUISITE, check=Check.APPLICATION,
        compile_condition=lambda c: negate(c, APPLICATION_FACTS),
    )  # fmt: skip


def read_fail_rules(reader: NodeReader, node: Any, line: int | None) -> list[Rule]:
    return _named_rules(
        reader, node, line, section="fail_rules", noun="fail rule", condition_key="when",
        facts=SCORE_FACTS, kind=RuleKind.FAIL, check=Check.SCORING, compile_condition=_no_not,
    )  # fmt: skip


def _named_rules(
    reader: NodeReader,
    node: Any,
    line: int | None,
    *,
    section: str,
    noun: str,
    condition_key: str,
    facts: Mapping[str, FactSpec],
    kind: RuleKind,
    check: Check,
    compile_condition: Callable[[Condition], Condition],
) -> list[Rule]:
    """A list of {id, message, <condition_key>, outcome?} entries: prerequisites, fail rules."""
    items = reader.seq(node, section, line)
    if items is None:
        return []
    parser = ConditionParser(reader.r, facts, section)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        item = reader.mapping(raw, f"a {noun}", line_of(items, i))
        if item is None or not reader.keys(
            item, f"a {noun}", ("id", "message", condition_key), ("outcome",)
        ):
            continue
        rid = reader.ident(item, "id", noun)
        message = reader.text(item, "message", noun)
        outcome = reader.outcome(item, kind, f"a {noun}")
        condition = parser.parse(item[condition_key], line_of(item, condition_key))
        if rid in seen:
            reader.r.report(line_of(item, "id"), f"{noun} id {rid!r} is used twice")
        if rid is None or message is None or condition is None:
            continue
        seen.add(rid)
        prefix = "prerequisite" if kind is RuleKind.PREREQUISITE else "fail"
        rules.append(
            Rule(
                f"{prefix}.{rid}",
                kind,
                rid,
                message,
                outcome,
                compile_condition(condition),
                check,
                line_of(item),
            )
        )
    return rules


def read_running_time(reader: NodeReader, node: Any, line: int | None) -> tuple[int, list[Rule]]:
    item = reader.mapping(node, "running_time", line)
    if item is None or not reader.keys(
        item, "running_time", ("min_months", "message"), ("outcome",)
    ):
        return 0, []
    months = reader.whole(item, "min_months", "running_time", 0, MAX_MONTHS)
    message = reader.text(item, "message", "running_time")
    outcome = reader.outcome(item, RuleKind.RUNNING_TIME, "running_time")
    if months is None or message is None:
        return 0, []
    violation = Compare(
        "application_date", "lt", Ref("service_system_since", months), FactType.DATE
    )
    rule = Rule(
        "running_time",
        RuleKind.RUNNING_TIME,
        "running_time",
        message,
        outcome,
        violation,
        Check.APPLICATION,
        line_of(item),
    )
    return months, [rule]


def _no_not(condition: Condition) -> Condition:
    return push_not(condition, ALL_FACTS)
