"""Score sheet → exact score. Fractions throughout: `actual / applicable × 100` stays exact.

A sheet gives each indicator's points directly, by sampling (`conforming` of `sampled` → the
indicator's points in proportion), or item by item when the rule set lists third-level items.
Excluded indicators leave both the points achieved and the applicable points.
Special deductions (1 point each) and the bonus (at most 1 point) apply after normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from engine.rule_errors import FactError
from engine.ruleset import Indicator, Item, ScoringModel
from engine.source import did_you_mean
from engine.vocabulary import SCORE_SHEET_FACT

_SHEET_KEYS = ("results", "excluded", "special_deductions", "special_bonus")


class Quotient(NamedTuple):
    """An exact value as numerator / denominator (> 0), left unreduced: a decision reads it once,
    and reducing it (a Fraction) costs a gcd nobody needs."""

    numerator: int
    denominator: int


Exact = Fraction | Quotient


@dataclass(frozen=True)
class Score:
    achieved: Exact  # points achieved over applicable indicators
    applicable: Exact  # points of the applicable (not excluded) indicators
    normalised: Exact  # achieved / applicable x 100
    final: Exact  # normalised - deductions + bonus
    deductions: tuple[str, ...]
    bonus: str | None
    excluded: tuple[str, ...]

    @classmethod
    def made(
        cls,
        achieved: Exact,
        applicable: Exact,
        normalised: Exact,
        final: Exact,
        deductions: tuple[str, ...],
        bonus: str | None,
        excluded: tuple[str, ...],
    ) -> Score:
        """The engine's own constructor, for values it computed: the fields set at once (the
        frozen __init__ sets them one object.__setattr__ at a time)."""
        score = object.__new__(cls)
        object.__setattr__(
            score,
            "__dict__",
            {
                "achieved": achieved,
                "applicable": applicable,
                "normalised": normalised,
                "final": final,
                "deductions": deductions,
                "bonus": bonus,
                "excluded": excluded,
            },
        )
        return score


def score_sheet(model: ScoringModel, sheet: Any) -> Score:
    """Validate a score sheet against the model and compute its exact score; FactError names the
    offending path (e.g. score_sheet.results.repair.points)."""
    where = SCORE_SHEET_FACT
    if not isinstance(sheet, Mapping):
        raise FactError(where, f"expected a mapping with results, got {type(sheet).__name__}")
    for key in sheet:
        if key not in _SHEET_KEYS:
            raise FactError(f"{where}.{key}", _unknown("key", str(key), _SHEET_KEYS))
    results = sheet.get("results")
    if not isinstance(results, Mapping):
        raise FactError(f"{where}.results", "expected a mapping of indicator id to result")
    excluded = _excluded(model, sheet.get("excluded"))
    by_id = model.by_id
    for key in results:
        if key not in by_id:
            raise FactError(f"{where}.results.{key}", _unknown("indicator", str(key), by_id))
        if key in excluded and results[key] is not None:
            raise FactError(f"{where}.results.{key}", "indicator is both excluded and scored")
    achieved = _Sum()
    applicable = _Sum()
    results_path = f"{where}.results"
    missing: list[str] = []
    for indicator, num, den in model.ratios:
        if excluded and indicator.id in excluded:
            continue
        applicable.add(num, den)
        found = results.get(indicator.id)
        if found is None:
            missing.append(indicator.id)
        elif not missing:
            achieved.add(*_indicator_points(indicator, found, results_path))
    if missing:
        raise MissingIndicators(results_path, missing)
    if not applicable.num:
        raise FactError(f"{where}.excluded", "every indicator is excluded: nothing to score")
    deductions = _deductions(sheet.get("special_deductions"))
    bonus = _bonus(sheet.get("special_bonus"))
    achieved_f, applicable_f = achieved.fraction(), applicable.fraction()
    normalised = Fraction(achieved.num * applicable.den * 100, achieved.den * applicable.num)
    final = normalised - len(deductions) + (1 if bonus is not None else 0)
    return Score(
        achieved_f, applicable_f, normalised, final, deductions, bonus, tuple(sorted(excluded))
    )


class MissingIndicators(FactError):
    """Indicators neither scored nor excluded: all of them in one error, for the auditor to fill
    in at once (`fields` are their paths)."""

    def __init__(self, results_path: str, missing: list[str]) -> None:
        self.fields = tuple(f"{results_path}.{name}" for name in missing)
        count = f"{len(missing)} indicator{'s' if len(missing) > 1 else ''}"
        super().__init__(
            results_path,
            f"{count} missing: {', '.join(missing)} (score each, or list it under excluded)",
        )


class _Sum:
    """An exact running sum of integer ratios; one Fraction (one gcd) at the end.

    Adding Fractions term by term normalises after every step and dominated the decision time.
    """

    __slots__ = ("den", "num")

    def __init__(self) -> None:
        self.num, self.den = 0, 1

    def add(self, num: int, den: int) -> None:
        if den == self.den:
            self.num += num
        else:
            self.num, self.den = self.num * den + num * self.den, self.den * den

    def fraction(self) -> Fraction:
        return Fraction(self.num, self.den)


Ratio = tuple[int, int]


def _indicator_points(indicator: Indicator | Item, raw: Any, base: str) -> Ratio:
    """Points of one indicator (or item); `base` is its parent's path, used only in errors."""
    suffix = ""
    if type(raw) is dict or isinstance(raw, Mapping):
        if len(raw) == 1 and "points" in raw:
            raw = raw["points"]
            suffix = ".points"
        elif set(raw) == {"conforming", "sampled"}:
            return _sampled(indicator.points, raw, f"{base}.{indicator.id}")
        elif set(raw) == {"items"} and isinstance(indicator, Indicator) and indicator.items:
            return _items(indicator, raw["items"], f"{base}.{indicator.id}.items")
        else:
            allowed = "points, {conforming, sampled}"
            if isinstance(indicator, Indicator) and indicator.items:
                allowed += " or {items: {...}}"
            raise FactError(
                f"{base}.{indicator.id}", f"expected {allowed}; got keys {sorted(map(str, raw))}"
            )
    points = _decimal(raw)
    if points is None:
        raise FactError(f"{base}.{indicator.id}{suffix}", f"expected a number, got {raw!r}")
    if not 0 <= points <= indicator.points:
        raise FactError(
            f"{base}.{indicator.id}{suffix}",
            f"{points} is outside 0..{indicator.points} (the points of {indicator.id})",
        )
    return points.as_integer_ratio()


def _items(indicator: Indicator, raw: Any, where: str) -> Ratio:
    if not isinstance(raw, Mapping):
        raise FactError(where, "expected a mapping of item id to result")
    known = {item.id: item for item in indicator.items}
    for key in raw:
        if key not in known:
            raise FactError(f"{where}.{key}", _unknown(f"item of {indicator.id}", str(key), known))
    total = _Sum()
    for item in indicator.items:
        if item.id not in raw:
            raise FactError(f"{where}.{item.id}", "missing: score every item of the indicator")
        total.add(*_indicator_points(item, raw[item.id], where))
    return total.num, total.den


def _sampled(maximum: Decimal, raw: Mapping[str, Any], where: str) -> Ratio:
    conforming, sampled = raw["conforming"], raw["sampled"]
    for name, number in (("conforming", conforming), ("sampled", sampled)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise FactError(f"{where}.{name}", f"expected a whole number >= 0, got {number!r}")
    if sampled == 0 or conforming > sampled:
        raise FactError(
            where, f"need 0 <= conforming <= sampled and sampled > 0, got {conforming}/{sampled}"
        )
    num, den = _ratio(maximum)
    return num * conforming, den * sampled


def _excluded(model: ScoringModel, raw: Any) -> frozenset[str]:
    where = f"{SCORE_SHEET_FACT}.excluded"
    if raw is None:
        return frozenset()
    if not isinstance(raw, list | tuple | set | frozenset):
        raise FactError(where, f"expected a list of indicator ids, got {type(raw).__name__}")
    for value in raw:
        if value not in model.by_id:
            raise FactError(where, _unknown("indicator", str(value), model.by_id))
    return frozenset(raw)


def _deductions(raw: Any) -> tuple[str, ...]:
    where = f"{SCORE_SHEET_FACT}.special_deductions"
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple) or not all(isinstance(x, str) and x for x in raw):
        raise FactError(where, "expected a list of reasons (one per 1-point deduction)")
    return tuple(raw)


def _bonus(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise FactError(
            f"{SCORE_SHEET_FACT}.special_bonus",
            f"expected one reason (text) or null, got {raw!r}; at most one bonus point",
        )
    return raw


def _decimal(raw: Any) -> Decimal | None:
    """A finite Decimal from a number or numeric text (floats by their shortest repr)."""
    kind = type(raw)
    if kind is Decimal:
        number = raw
    elif kind is str or kind is int:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return None
    elif kind is float:
        number = Decimal(repr(raw))
    else:
        return None
    return number if number.is_finite() else None


def _ratio(value: Decimal) -> Ratio:
    return value.as_integer_ratio()


def _unknown(what: str, name: str, choices: Any) -> str:
    hint = did_you_mean(name, choices)
    return f"unknown {what} {name!r}" + (f"; {hint}" if hint else "")
