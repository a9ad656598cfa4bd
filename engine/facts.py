"""Caller facts → checked values → the one flat fact the rules engine sees.

A fact that is missing, unknown or of the wrong type raises FactError naming it: a rule never sees
an absent fact and silently reads it as "ineligible".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.conditions import ceiling_key
from engine.rule_errors import FactError
from engine.ruleset import RuleSet
from engine.scoring import Exact, Score, score_sheet
from engine.source import did_you_mean
from engine.vocabulary import (
    APPLICATION_FACTS,
    EARLIEST_DATE,
    LATEST_DATE,
    SCORE_SCALE,
    SCORE_SHEET_FACT,
    Check,
    FactType,
)
from workflows.deadlines import add_months

_KNOWN = frozenset((*APPLICATION_FACTS, SCORE_SHEET_FACT))
CHECK_FLAG = {Check.APPLICATION: "check_application", Check.SCORING: "check_scoring"}


@dataclass(frozen=True)
class CheckedFacts:
    checks: frozenset[Check]
    application: Mapping[str, bool | date | None]
    score: Score | None


def resolve_checks(facts: Mapping[str, Any], checks: Collection[str] | None) -> frozenset[Check]:
    """The parts asked for; without `checks`, the parts whose facts were given."""
    if checks is not None:
        resolved = set()
        for value in checks:
            try:
                resolved.add(Check(value))
            except ValueError:
                raise FactError(
                    "checks", f"unknown check {value!r}; known: {', '.join(c.value for c in Check)}"
                ) from None
        if not resolved:
            raise FactError("checks", "ask for at least one check")
        return frozenset(resolved)
    found = set()
    if any(name in facts for name in APPLICATION_FACTS):
        found.add(Check.APPLICATION)
    if SCORE_SHEET_FACT in facts:
        found.add(Check.SCORING)
    if not found:
        raise FactError("facts", "no application facts and no score_sheet: nothing to evaluate")
    return frozenset(found)


def check_facts(
    ruleset: RuleSet, facts: Mapping[str, Any], checks: Collection[str] | None
) -> CheckedFacts:
    if not isinstance(facts, Mapping):
        raise FactError(
            "facts", f"expected a mapping of fact name to value, got {type(facts).__name__}"
        )
    for name in facts:
        if name not in _KNOWN:
            hint = did_you_mean(str(name), _KNOWN)
            raise FactError(str(name), "unknown fact" + (f"; {hint}" if hint else ""))
    resolved = resolve_checks(facts, checks)
    application: dict[str, bool | date | None] = {}
    if Check.APPLICATION in resolved:
        for spec in APPLICATION_FACTS.values():
            if spec.name not in facts:
                null = " (null if never)" if spec.nullable else ""
                raise FactError(spec.name, f"missing: the application check needs it{null}")
            application[spec.name] = _typed(spec.name, spec.type, spec.nullable, facts[spec.name])
    score = None
    if Check.SCORING in resolved:
        if SCORE_SHEET_FACT not in facts:
            raise FactError(SCORE_SHEET_FACT, "missing: the scoring check needs it")
        score = score_sheet(ruleset.scoring, facts[SCORE_SHEET_FACT])
    return CheckedFacts(resolved, application, score)


def _typed(name: str, type_: FactType, nullable: bool, value: Any) -> bool | date | None:
    if value is None:
        if nullable:
            return None
        raise FactError(
            name, "is null; expected " + ("true or false" if type_ is FactType.BOOL else "a date")
        )
    if type_ is FactType.BOOL:
        if isinstance(value, bool):
            return value
        raise FactError(name, f"expected true or false, got {value!r}")
    if isinstance(value, datetime):
        raise FactError(name, f"expected a date, got a date and time {value.isoformat()}")
    day = value if isinstance(value, date) else None
    if isinstance(value, str):
        with suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        raise FactError(name, f"expected a date YYYY-MM-DD, got {value!r}")
    return in_calendar(name, day)


def in_calendar(name: str, day: date) -> date:
    """`day`, if within the dates the engine decides on (its arithmetic cannot overflow)."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise FactError(name, f"{day} is outside {EARLIEST_DATE}..{LATEST_DATE}")
    return day


def earliest_application(ruleset: RuleSet, since: date) -> date:
    """Calendar months with month-end clamping: since 30 Nov + 3 months → 28/29 Feb."""
    return add_months(since, ruleset.min_running_months)


def flat_fact(ruleset: RuleSet, checked: CheckedFacts) -> dict[str, Any]:
    """The single fact asserted: dates as ordinals, nulls absent, scores as integer millionths
    rounded down plus a twin rounded up (see conditions.exact_scores: both make every comparison
    with a 6-decimal literal exact)."""
    fact: dict[str, Any] = {CHECK_FLAG[c]: True for c in checked.checks}
    app = checked.application
    for name, value in app.items():
        if value is None:
            continue
        fact[name] = value.toordinal() if isinstance(value, date) else value
    for ref in ruleset.shifted:
        base = app.get(ref.fact)
        if isinstance(base, date):
            fact[ref.key] = add_months(base, ref.months, ref.days).toordinal()
    score = checked.score
    if score is not None:
        used = ruleset.facts_used
        scores = [("final_score", score.final)]  # bands always read it
        if "normalised_score" in used:
            scores.append(("normalised_score", score.normalised))
        for name, exact in scores:
            put_score(fact, name, exact)
        if "special_deduction_count" in used:
            fact["special_deduction_count"] = len(score.deductions)
        if "has_special_bonus" in used:
            fact["has_special_bonus"] = score.bonus is not None
    return fact


_CEILINGS = {name: ceiling_key(name) for name in ("final_score", "normalised_score")}


def put_score(fact: dict[str, Any], name: str, exact: Exact) -> None:
    """A score in the flat fact: integer millionths rounded down, and its twin rounded up."""
    scaled = exact.numerator * SCORE_SCALE
    fact[name] = scaled // exact.denominator  # floor
    fact[_CEILINGS[name]] = -(-scaled // exact.denominator)  # ceiling
