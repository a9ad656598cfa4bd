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
from typing import Any

from engine.errors import FactError
from engine.ruleset import Indicator, Item, ScoringModel
from engine.source import did_you_mean
from engine.vocabulary import SCORE_SHEET_FACT

_SHEET_KEYS = ("results", "excluded", "special_deductions", "special_bonus")
_HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Score:
    achieved: Fraction  # points achieved over applicable indicators
    applicable: Fraction  # points of the applicable (not excluded) indicators
    normalised: Fraction  # achieved / applicable x 100
    final: Fraction  # normalised - deductions + bonus
    deductions: tuple[str, ...]
    bonus: str | None
    excluded: tuple[str, ...]


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
    achieved = Fraction(0)
    applicable = Fraction(0)
    for indicator in model.indicators:
        if indicator.id in excluded:
            continue
        applicable += _fraction(indicator.points)
        if results.get(indicator.id) is None:
            raise FactError(f"{where}.results.{indicator.id}",
                            "missing: score it or list it under excluded")
        achieved += _indicator_points(indicator, results[indicator.id],
                                      f"{where}.results.{indicator.id}")
    if not applicable:
        raise FactError(f"{where}.excluded", "every indicator is excluded: nothing to score")
    deductions = _deductions(sheet.get("special_deductions"))
    bonus = _bonus(sheet.get("special_bonus"))
    normalised = achieved / applicable * _HUNDRED
    final = normalised - len(deductions) + (1 if bonus is not None else 0)
    return Score(achieved, applicable, normalised, final, deductions, bonus,
                 tuple(sorted(excluded)))


def _indicator_points(indicator: Indicator | Item, raw: Any, where: str) -> Fraction:
    maximum = indicator.points
    if isinstance(raw, Mapping):
        if "points" in raw and len(raw) == 1:
            raw = raw["points"]
            where = f"{where}.points"
        elif set(raw) == {"conforming", "sampled"}:
            return _sampled(maximum, raw, where)
        elif set(raw) == {"items"} and isinstance(indicator, Indicator) and indicator.items:
            return _items(indicator, raw["items"], f"{where}.items")
        else:
            allowed = "points, {conforming, sampled}"
            if isinstance(indicator, Indicator) and indicator.items:
                allowed += " or {items: {...}}"
            raise FactError(where, f"expected {allowed}; got keys {sorted(map(str, raw))}")
    points = _decimal(raw, where)
    if not 0 <= points <= maximum:
        raise FactError(where, f"{points} is outside 0..{maximum} (the points of {indicator.id})")
    return _fraction(points)


def _items(indicator: Indicator, raw: Any, where: str) -> Fraction:
    if not isinstance(raw, Mapping):
        raise FactError(where, "expected a mapping of item id to result")
    known = {item.id: item for item in indicator.items}
    for key in raw:
        if key not in known:
            raise FactError(f"{where}.{key}", _unknown(f"item of {indicator.id}", str(key), known))
    total = Fraction(0)
    for item in indicator.items:
        if item.id not in raw:
            raise FactError(f"{where}.{item.id}", "missing: score every item of the indicator")
        total += _indicator_points(item, raw[item.id], f"{where}.{item.id}")
    return total


def _sampled(maximum: Decimal, raw: Mapping[str, Any], where: str) -> Fraction:
    conforming, sampled = raw["conforming"], raw["sampled"]
    for name, number in (("conforming", conforming), ("sampled", sampled)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise FactError(f"{where}.{name}", f"expected a whole number >= 0, got {number!r}")
    if sampled == 0 or conforming > sampled:
        raise FactError(where, f"need 0 <= conforming <= sampled and sampled > 0, "
                               f"got {conforming}/{sampled}")
    return _fraction(maximum) * conforming / sampled


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
        raise FactError(f"{SCORE_SHEET_FACT}.special_bonus",
                        f"expected one reason (text) or null, got {raw!r}; at most one bonus point")
    return raw


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise FactError(where, f"expected a number, got {raw!r}")
    if isinstance(raw, Decimal):
        number = raw
    else:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise FactError(where, f"expected a number, got {raw!r}") from None
    if not number.is_finite():
        raise FactError(where, f"expected a finite number, got {raw!r}")
    return number


_FRACTIONS: dict[Decimal, Fraction] = {}


def _fraction(value: Decimal) -> Fraction:
    cached = _FRACTIONS.get(value)
    if cached is None:
        cached = Fraction(value)
        if len(_FRACTIONS) < 4096:
            _FRACTIONS[value] = cached
    return cached


def _unknown(what: str, name: str, choices: Any) -> str:
    hint = did_you_mean(name, choices)
    return f"unknown {what} {name!r}" + (f"; {hint}" if hint else "")
