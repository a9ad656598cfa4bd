"""Canonical facts → checked facts and the flat fact, with what a rule version fixes worked out once.

A plan is built per rule version (indicator points as ratios, the applicable total, which derived
facts the rules read) and checks canonical facts (engine.canonical) without re-reading their shape;
facts in the usual shapes it reads in one pass instead (`quick`), scoring the sheet as it goes.
It answers only for facts that are valid; anything else gives None and the caller takes the slow
path (engine.facts.check_facts), whose error names the fact. All paths compute the same exact
score: points are whole millionths (or exact ratios, as sampled results are), added exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import Decimal
from functools import partial
from operator import le
from types import MappingProxyType
from typing import Any

from engine.canonical import (
    ABSENT,
    MILLIONTHS,
    SHEET_KEYS,
    TEXT_POINTS,
    Canon,
    application_read,
)
from engine.facts import CHECK_FLAG, CheckedFacts, put_score, resolve_checks
from engine.ruleset import RuleSet
from engine.scoring import Quotient, Score
from engine.vocabulary import (
    APPLICATION_FACTS,
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
        self._exclusions: dict[frozenset[str], tuple[Quotient | None, tuple[str, ...], int]] = {}

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
        return self._resolve(bool(canon.application), canon.sheet is not None, checks)

    def _resolve(
        self, application: bool, sheet: bool, checks: Collection[str] | None
    ) -> frozenset[Check]:
        key: Any
        if checks is None:
            key = (application, sheet)
        else:
            key = (tuple(checks),)  # never equal to a (bool, bool) key above
            try:
                hash(key)
            except TypeError:
                return resolve_checks({}, checks)
        found = self._checks.get(key)
        if found is None:
            if checks is None:
                given = dict.fromkeys(APPLICATION_FACTS if application else ())
                if sheet:
                    given[SCORE_SHEET_FACT] = None
                found = resolve_checks(given, None)
            else:
                found = resolve_checks({}, checks)
            if len(self._checks) >= _KEPT:
                self._checks.clear()
            self._checks[key] = found
        return found

    def quick(
        self, facts: Any, checks: Collection[str] | None
    ) -> tuple[CheckedFacts, dict[str, Any]] | None:
        """Checked facts and the flat fact in one reading of `facts`, sheets scored as they are
        read: for facts in the usual shapes (points as text already met, sampled results). None
        for anything else; engine.canonical then reads them, and names what is wrong."""
        read = application_read(facts)
        if read is None:
            return None
        application, fact, raw = read
        resolved = self._resolve(bool(application), raw is not ABSENT, checks)
        given: Mapping[str, bool | date | None] = _NONE
        if Check.APPLICATION in resolved:
            if len(application) != len(APPLICATION_FACTS):
                return None
            given = application
        score = None
        if Check.SCORING in resolved:
            score = self._score_raw(raw)
            if score is None:
                return None
        checked = CheckedFacts(resolved, given, score)
        return checked, self.flat(checked, fact)

    def _score(self, canon: Canon) -> Score | None:
        sheet = canon.sheet
        assert sheet is not None
        results, excluded = sheet.results, sheet.excluded
        if not results.keys() <= self.ids:
            return None
        if excluded and any(results.get(x) is not None for x in excluded):
            return None
        found = self._exclusions.get(excluded)
        if found is None:
            if not excluded <= self.ids:
                return None
            found = self._exclusion(excluded)
        applicable, excluded_ids, expected = found
        if applicable is None:
            return None
        whole = sheet.points  # results in whole millionths: checked and added in C
        if whole:
            values = whole.values()
            if min(values) < 0 or not all(map(le, values, map(self.maxima.__getitem__, whole))):
                return None
            total = sum(values)
        else:
            total = 0
        scored = len(whole)
        num, den = 0, 1  # the other results, as an exact ratio
        for iid, leaf in sheet.others.items():
            if leaf is None:  # an excluded indicator's (checked above), or one left unscored
                continue
            ratio = self._ratio(iid, leaf)  # points as a ratio, a sampled share, items
            if ratio is None:
                return None
            n, d = ratio
            if den % d == 0:
                num += n * (den // d)
            else:
                common = math.lcm(den, d)
                num, den = num * (common // den) + n * (common // d), common
            scored += 1
        if scored != expected:  # an indicator neither scored nor excluded, or both
            return None
        return self._made(total, num, den, applicable, sheet.deductions, sheet.bonus, excluded_ids)

    def _score_raw(self, raw: Any) -> Score | None:
        """_score straight from a sheet as given, in one pass; None for any shape but a dict of
        {"points": text met before, or a Decimal} and {"conforming": n, "sampled": m} results."""
        if type(raw) is not dict or not raw.keys() <= SHEET_KEYS:
            return None
        results = raw.get("results")
        if type(results) is not dict:
            return None
        given = raw.get("excluded")
        excluded = _NO_IDS
        if given:
            if type(given) not in _ID_LISTS:
                return None
            try:
                excluded = frozenset(given)
            except TypeError:
                return None
        elif given is not None and type(given) not in _ID_LISTS:
            return None
        reasons = raw.get("special_deductions")
        deductions: tuple[str, ...] = ()
        if reasons is not None:
            if type(reasons) is not list and type(reasons) is not tuple:
                return None
            if reasons:
                deductions = tuple(reasons)
                for reason in deductions:
                    if type(reason) is not str or not reason:
                        return None
        bonus = raw.get("special_bonus")
        if bonus is not None and (type(bonus) is not str or not bonus):
            return None
        found = self._exclusions.get(excluded)
        if found is None:
            if not excluded <= self.ids:
                return None
            found = self._exclusion(excluded)
        applicable, excluded_ids, expected = found
        if applicable is None or len(results) != expected:
            return None
        if not results.keys() <= self.ids or (excluded and not excluded.isdisjoint(results)):
            return None
        known, maxima, points = TEXT_POINTS, self.maxima, self.points
        total = 0  # points given in millionths
        num, den = 0, 1  # sampled results, as an exact ratio
        for iid, value in results.items():
            if type(value) is not dict:
                return None
            size = len(value)
            if size == 1:
                stated = value.get("points")
                if type(stated) is str:
                    leaf = known.get(stated)
                elif type(stated) is Decimal and stated.is_finite():  # a sheet the lifecycle keeps
                    top, bottom = stated.as_integer_ratio()
                    leaf = top * (MILLIONTHS // bottom) if MILLIONTHS % bottom == 0 else None
                else:
                    leaf = None
                if type(leaf) is not int or not 0 <= leaf <= maxima[iid]:
                    return None
                total += leaf
            elif size == 2:
                conforming = value.get("conforming")
                sampled = value.get("sampled")
                if type(conforming) is not int or type(sampled) is not int:
                    return None
                if conforming < 0 or sampled <= 0 or conforming > sampled:
                    return None
                share = points[iid]
                n, d = share[0] * conforming, share[1] * sampled
                if den % d == 0:
                    num += n * (den // d)
                else:
                    common = math.lcm(den, d)
                    num, den = num * (common // den) + n * (common // d), common
            else:
                return None
        return self._made(total, num, den, applicable, deductions, bonus, excluded_ids)

    def _made(
        self,
        total: int,
        num: int,
        den: int,
        applicable: Quotient,
        deductions: tuple[str, ...],
        bonus: str | None,
        excluded: tuple[str, ...],
    ) -> Score:
        """The Score of `total` millionths and num/den points more, over `applicable` points."""
        a_num, a_den = total * den + num * MILLIONTHS, MILLIONTHS * den
        t_num, t_den = applicable
        normalised_num, normalised_den = a_num * t_den * 100, a_den * t_num
        normalised = _quotient((normalised_num, normalised_den))
        shift = (1 if bonus is not None else 0) - len(deductions)
        return Score.made(
            _quotient((a_num, a_den)),
            applicable,
            normalised,
            _quotient((normalised_num + shift * normalised_den, normalised_den))
            if shift
            else normalised,
            deductions,
            bonus,
            excluded,
        )

    def _exclusion(self, excluded: frozenset[str]) -> tuple[Quotient | None, tuple[str, ...], int]:
        """What a set of exclusions fixes: the applicable points (None: nothing to score), the
        ids in order, and how many indicators are left to score. Kept: sheets share a few."""
        total = self._total_points
        if excluded:
            total -= sum(self._scaled_points[x] for x in excluded)
        found = (
            Quotient(total, self._scale) if total else None,
            tuple(sorted(excluded)),
            len(self.ids) - len(excluded),
        )
        if len(self._exclusions) >= _KEPT:
            self._exclusions.clear()
        self._exclusions[excluded] = found
        return found

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

    # --- the flat fact -------------------------------------------------------------------------

    def flat(
        self, checked: CheckedFacts, application_fact: dict[str, bool | int] | None = None
    ) -> dict[str, Any]:
        """engine.facts.flat_fact, with what each version needs worked out once (flags, shifts)."""
        flags = self._flags.get(checked.checks)
        if flags is None:
            flags = self._flags[checked.checks] = {CHECK_FLAG[c]: True for c in checked.checks}
        fact: dict[str, Any] = flags.copy()
        app = checked.application
        if app:
            if application_fact is not None:
                fact.update(application_fact)
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
            put_score(fact, "final_score", score.final)
            if self.normalised:
                put_score(fact, "normalised_score", score.normalised)
            if self.deduction_count:
                fact["special_deduction_count"] = len(score.deductions)
            if self.bonus:
                fact["has_special_bonus"] = score.bonus is not None
        return fact


_NONE: Mapping[str, Any] = MappingProxyType({})
_NO_IDS: frozenset[str] = frozenset()
_ID_LISTS = (list, tuple, set, frozenset)  # what exclusions come as (subclasses: the slow way)
_quotient: Callable[[tuple[int, int]], Quotient] = partial(tuple.__new__, Quotient)
"""Quotient((numerator, denominator)) without the named tuple's Python-level __new__."""


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
