"""Canonical facts → checked facts and the flat fact, with what a rule version fixes worked out once.

A plan is built per rule version (indicator points as ratios, the applicable total, which derived
facts the rules read) and checks canonical facts (engine.canonical) without re-reading their shape.
It answers only for facts that are valid; anything else gives None and the caller takes the slow
path (engine.facts.check_facts), whose error names the fact. Both paths compute the same exact
score: points are whole millionths (or exact ratios, as sampled results are), added exactly.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from engine.canonical import MILLIONTHS, Canon
from engine.conditions import ceiling_key
from engine.facts import CHECK_FLAG, CheckedFacts, resolve_checks
from engine.ruleset import RuleSet
from engine.scoring import Exact, Quotient, Score
from engine.vocabulary import (
    SCORE_SCALE,
    SCORE_SHEET_FACT,
    Check,
)
from workflows.deadlines import add_months

_KEPT = 256  # bounded per-plan caches (exclusion sets, resolved checks)


class FactPlan:
    """What checking and flattening facts for one rule version needs, computed once."""

    def __init__(self, ruleset: RuleSet) -> None:
        model = ruleset.scoring
        self.ids = frozenset(model.by_id)
        self.points = {ind.id: (num, den) for ind, num, den in model.ratios}
        # Whole millionths at most an indicator's points: exact for a whole number of millionths.
        self.maxima = {iid: num * MILLIONTHS // den for iid, (num, den) in self.points.items()}
        self.items = {
            ind.id: {i.id: i.points.as_integer_ratio() for i in ind.items}
            for ind in model.indicators
            if ind.items
        }
        # Indicator points as whole multiples of one common fraction 1/scale: sums of them are
        # integer additions.
        self._scale = math.lcm(*(den for _, den in self.points.values()))
        self._scaled_points = {
            iid: num * (self._scale // den) for iid, (num, den) in self.points.items()
        }
        self._total_points = sum(self._scaled_points.values())
        used = ruleset.facts_used
        self.shifted = tuple((ref.key, ref.fact, ref.months, ref.days) for ref in ruleset.shifted)
        self.normalised = "normalised_score" in used
        self.deduction_count = "special_deduction_count" in used
        self.bonus = "has_special_bonus" in used
        self._checks: dict[Any, frozenset[Check]] = {}
        self._flags: dict[frozenset[Check], dict[str, bool]] = {}  # a few: one per way of asking

    # --- checking --------------------------------------------------------------------------

    def check(self, canon: Canon, resolved: frozenset[Check]) -> CheckedFacts | None:
        """The checked facts, or None when the slow path must judge (and name) a problem."""
        application: Mapping[str, bool | date | None] = _NONE
        if Check.APPLICATION in resolved:
            if canon.application_fact is None:  # a fact missing (canon checked the others)
                return None
            application = canon.application
        score = None
        if Check.SCORING in resolved:
            if canon.sheet is None:
                return None
            score = self._score(canon)
            if score is None:
                return None
        return CheckedFacts(resolved, application, score)

    def resolve(self, canon: Canon, checks: Collection[str] | None) -> frozenset[Check]:
        """engine.facts.resolve_checks, remembered per way of asking (it raises the same)."""
        key: Any
        if checks is None:
            key = (bool(canon.application), canon.sheet is not None)
        else:
            key = tuple(checks)
            try:
                hash(key)
            except TypeError:
                return resolve_checks({}, checks)
        found = self._checks.get(key)
        if found is None:
            if checks is None:
                given = dict.fromkeys(canon.application)
                if canon.sheet is not None:
                    given[SCORE_SHEET_FACT] = None
                found = resolve_checks(given, None)
            else:
                found = resolve_checks({}, checks)
            if len(self._checks) >= _KEPT:
                self._checks.clear()
            self._checks[key] = found
        return found

    def _score(self, canon: Canon) -> Score | None:
        sheet = canon.sheet
        assert sheet is not None
        results, excluded = sheet.results, sheet.excluded
        if not results.keys() <= self.ids:
            return None
        if excluded and (
            not excluded <= self.ids or any(results.get(x) is not None for x in excluded)
        ):
            return None
        applicable = self._applicable_total(excluded)
        if applicable is None:
            return None
        maxima = self.maxima
        total = 0  # points given in millionths
        num, den = 0, 1  # the other results, as an exact ratio
        scored = 0
        for iid, leaf in results.items():
            if type(leaf) is int:
                if not 0 <= leaf <= maxima[iid]:
                    return None
                total += leaf
                scored += 1
                continue
            if leaf is None:  # an excluded indicator's (checked above)
                continue
            ratio = self._ratio(iid, leaf)
            if ratio is None:
                return None
            n, d = ratio
            if den % d == 0:
                num += n * (den // d)
            else:
                common = math.lcm(den, d)
                num, den = num * (common // den) + n * (common // d), common
            scored += 1
        if scored != len(self.ids) - len(excluded):  # an indicator neither scored nor excluded
            return None
        a_num, a_den = total * den + num * MILLIONTHS, MILLIONTHS * den
        t_num, t_den = applicable
        normalised_num, normalised_den = a_num * t_den * 100, a_den * t_num
        shift = (1 if sheet.bonus is not None else 0) - len(sheet.deductions)
        return Score(
            Quotient(a_num, a_den),
            Quotient(t_num, t_den),
            Quotient(normalised_num, normalised_den),
            Quotient(normalised_num + shift * normalised_den, normalised_den),
            sheet.deductions,
            sheet.bonus,
            tuple(sorted(excluded)),
        )

    def _ratio(self, iid: str, leaf: Any) -> tuple[int, int] | None:
        """A result other than whole millionths, as an exact ratio; None if out of range."""
        if type(leaf) is tuple:
            return _leaf_ratio(self.points[iid], leaf)
        items = self.items.get(iid)
        if type(leaf) is not frozenset or not items:
            return None
        given = dict(leaf)
        if given.keys() != items.keys():
            return None
        num, den = 0, 1
        for item, maximum in items.items():
            ratio = _leaf_ratio(maximum, given[item])
            if ratio is None:
                return None
            num, den = num * ratio[1] + ratio[0] * den, den * ratio[1]
        return num, den

    def _applicable_total(self, excluded: frozenset[str]) -> tuple[int, int] | None:
        """The points of the indicators not excluded, as an integer ratio (None: no points)."""
        total = self._total_points
        if excluded:
            total -= sum(self._scaled_points[x] for x in excluded)
        return (total, self._scale) if total else None

    # --- the flat fact -------------------------------------------------------------------------

    def flat(self, checked: CheckedFacts, canon: Canon | None = None) -> dict[str, Any]:
        """engine.facts.flat_fact, with integer arithmetic for the score's floor and ceiling."""
        flags = self._flags.get(checked.checks)
        if flags is None:
            flags = self._flags[checked.checks] = {CHECK_FLAG[c]: True for c in checked.checks}
        fact: dict[str, Any] = flags.copy()
        app = checked.application
        if app:
            if canon is not None and canon.application_fact is not None:
                fact.update(canon.application_fact)
            else:
                for name, value in app.items():
                    if value is not None:
                        fact[name] = value if type(value) is bool else value.toordinal()
            for key, base_name, months, days in self.shifted:
                base = app.get(base_name)
                if isinstance(base, date):
                    fact[key] = add_months(base, months, days).toordinal()
        score = checked.score
        if score is not None:
            _scaled(fact, "final_score", score.final)
            if self.normalised:
                _scaled(fact, "normalised_score", score.normalised)
            if self.deduction_count:
                fact["special_deduction_count"] = len(score.deductions)
            if self.bonus:
                fact["has_special_bonus"] = score.bonus is not None
        return fact


_NONE: Mapping[str, Any] = MappingProxyType({})
_CEILINGS = {name: ceiling_key(name) for name in ("final_score", "normalised_score")}


def _scaled(fact: dict[str, Any], name: str, exact: Exact) -> None:
    scaled = exact.numerator * SCORE_SCALE
    fact[name] = scaled // exact.denominator  # floor
    fact[_CEILINGS[name]] = -(-scaled // exact.denominator)  # ceiling


def _leaf_ratio(maximum: tuple[int, int], leaf: Any) -> tuple[int, int] | None:
    """Points (millionths or a ratio) or a sampled share of `maximum`, as a ratio in 0..maximum."""
    max_num, max_den = maximum
    if type(leaf) is int:
        n, d = leaf, MILLIONTHS
    elif len(leaf) == 2:
        n, d = leaf
    else:
        conforming, sampled, _ = leaf
        if conforming < 0 or sampled <= 0 or conforming > sampled:
            return None
        return max_num * conforming, max_den * sampled
    if n < 0 or n * max_den > max_num * d:
        return None
    return n, d
