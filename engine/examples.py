"""A rule set's own example cases (facts → expected decision), run as tests of that version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.conditions import decimal_of
from engine.decision import Decision, RuleResult
from engine.evaluate import Backend, evaluate
from engine.rule_errors import EngineError
from engine.ruleset import Example, RuleSet


@dataclass(frozen=True)
class ExampleResult:
    example: Example
    passed: bool
    detail: str  # what differed, or "ok"
    decision: Decision | None


def run_examples(ruleset: RuleSet, backend: Backend | None = None) -> list[ExampleResult]:
    return [run_example(ruleset, example, backend) for example in ruleset.examples]


def run_example(
    ruleset: RuleSet, example: Example, backend: Backend | None = None
) -> ExampleResult:
    try:
        decision = evaluate(
            ruleset, example.facts, example.as_of, checks=example.checks, backend=backend
        )
    except EngineError as exc:
        return ExampleResult(example, False, f"evaluation raised {exc}", None)
    differences = [
        d
        for key, want in example.expect.items()
        if (d := _difference(key, want, decision)) is not None
    ]
    if differences:
        return ExampleResult(example, False, "; ".join(differences), decision)
    return ExampleResult(example, True, "ok", decision)


def _difference(key: str, want: Any, decision: Decision) -> str | None:
    got = getattr(decision, key)
    if key in ("failures", "notes", "fail_reasons"):
        return _rule_list(key, want, got)
    if key in ("final_score", "normalised_score"):
        wanted = decimal_of(want)
        if wanted is None:
            return f"expected {key} must be a number, got {want!r}"
        return (
            None
            if got is not None and Decimal(got) == wanted
            else f"{key}: expected {wanted}, got {got}"
        )
    if key == "earliest_application":
        ok = isinstance(want, date) and got == want
        return None if ok else f"{key}: expected {want}, got {got}"
    return (
        None
        if got == want and type(got) is type(want)
        else f"{key}: expected {want!r}, got {got!r}"
    )


def _rule_list(key: str, want: Any, got: tuple[RuleResult, ...]) -> str | None:
    if not isinstance(want, list) or not all(isinstance(w, str) for w in want):
        return f"expected {key} must be a list of rule ids"
    keys = {r.rule for r in got}
    ids = {r.rule.split(".", 1)[-1] for r in got}
    if set(want) in (keys, ids):
        return None
    return f"{key}: expected {sorted(want)}, got {sorted(ids)}"
