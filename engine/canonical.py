"""Caller facts → one canonical, hashable form: the decision memo's key and the fast check's input.

Order-independent (mappings become frozensets) and typed once: ISO date text becomes a date, points
(text, int, float or Decimal) their exact value as a whole number of millionths (or, with more
decimals, an exact integer ratio), which the scorer adds and which hashes fast, so facts that mean
the same (12.5, "12.50", Decimal("12.5")) hit the same memo entry. A shape the fast path does not know (a datetime, an int where a flag belongs, a date outside the
calendar, a key no rule file uses) gives None: the caller then takes the checked slow path, which
names the problem. Application facts need no rule version to be checked, so they are checked
here; score sheets are checked against a version by engine.fact_plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from engine.vocabulary import (
    APPLICATION_FACTS,
    EARLIEST_DATE,
    LATEST_DATE,
    SCORE_SHEET_FACT,
    FactType,
)

MILLIONTHS = 10**6
Points = int | tuple[int, int]  # millionths of a point, or an exact ratio (numerator, denominator)
Sampled = tuple[int, int, None]  # (conforming, sampled, None): three long, never points
ItemLeaf = Points | Sampled
Leaf = ItemLeaf | frozenset[tuple[str, ItemLeaf]] | None  # frozenset: third-level items

_FLAG, _DATE, _DATE_OR_NULL = "flag", "date", "date or null"
_KINDS = {
    spec.name: _FLAG if spec.type is FactType.BOOL else (_DATE_OR_NULL if spec.nullable else _DATE)
    for spec in APPLICATION_FACTS.values()
}
SHEET_KEYS = frozenset(("results", "excluded", "special_deductions", "special_bonus"))
_BAD: Any = object()


class Sheet:
    """A score sheet read once: results by indicator id, and its hashable key. The results given
    as whole millionths are also kept apart (`points`), from the others (sampled, ratios, items,
    None): a version checks and adds the first kind without a loop of its own."""

    __slots__ = ("bonus", "deductions", "excluded", "others", "points", "results")

    def __init__(
        self,
        results: dict[str, Leaf],
        excluded: frozenset[str],
        deductions: tuple[str, ...],
        bonus: str | None,
        points: dict[str, int],
        others: dict[str, Leaf],
    ) -> None:
        self.results = results
        self.excluded = excluded
        self.deductions = deductions
        self.bonus = bonus
        self.points = points
        self.others = others

    def key(self) -> tuple[Any, ...]:
        return (_unordered(self.results), self.excluded, self.deductions, self.bonus)


class Canon:
    """Facts read once. Equal keys mean the same facts to every rule version."""

    __slots__ = ("_key", "application", "application_fact", "raw", "sheet")

    def __init__(
        self,
        raw: Mapping[str, Any],
        application: dict[str, bool | date | None],
        sheet: Sheet | None,
        fact: dict[str, bool | int],
    ) -> None:
        self.raw = raw  # as given: the checked path reads these when a value is refused
        self.application = application
        self.sheet = sheet
        self._key: tuple[Any, ...] | None = None
        # Every application fact given, each of its type: as the rules engine sees them (dates
        # as ordinals, nulls absent). None when the application check could not be made.
        self.application_fact: dict[str, bool | int] | None = None
        if len(application) == len(APPLICATION_FACTS):
            self.application_fact = fact

    @property
    def key(self) -> tuple[Any, ...]:
        """Hashable and order-independent; made when first asked for (by a memo)."""
        if self._key is None:
            sheet = None if self.sheet is None else self.sheet.key()
            self._key = (_unordered(self.application), sheet)
        return self._key


def _unordered(mapping: Mapping[str, Any]) -> tuple[Any, ...]:
    """A mapping as a hashable value whatever the order of its keys: its keys sorted, then its
    values in that order. The sorting is done once per order of keys met (callers use a few)."""
    order = tuple(mapping)
    found = _ORDERS.get(order)
    if found is None:
        try:
            names = tuple(sorted(order))
        except TypeError:  # keys that do not sort (not all text): the slow way
            return (frozenset(mapping.items()),)
        if len(_ORDERS) >= _KEPT_ORDERS:
            _ORDERS.clear()
        found = _ORDERS[order] = (names, itemgetter(*names) if names else _nothing)
    names, values = found
    return (names, values(mapping))


def _nothing(mapping: Mapping[str, Any]) -> tuple[()]:
    return ()


_ORDERS: dict[tuple[Any, ...], tuple[tuple[str, ...], Callable[[Any], Any]]] = {}
_KEPT_ORDERS = 1024


def prepared(facts: Mapping[str, Any]) -> Mapping[str, Any] | Canon:
    """Facts to decide on more than once (under two versions, say): read once, here."""
    return canonical(facts) or facts


def canonical(facts: Any) -> Canon | None:
    """The canonical form of `facts`, or None when only the checked path may judge them."""
    read = application_read(facts)
    if read is None:
        return None
    application, fact, raw = read
    sheet = None
    if raw is not ABSENT:
        sheet = _sheet(raw)
        if sheet is None:
            return None
    return Canon(facts, application, sheet, fact)


ABSENT: Any = object()
"""application_read's score sheet when none was given."""


def application_read(
    facts: Any,
) -> tuple[dict[str, bool | date | None], dict[str, bool | int], Any] | None:
    """Facts' application part checked: its values typed, the same as the rules engine sees them
    (Canon.application_fact), and the score sheet as given (ABSENT if none); None when a fact
    is unknown or of a shape only the checked path judges."""
    if type(facts) is not dict and not isinstance(facts, Mapping):
        return None
    application: dict[str, bool | date | None] = {}
    fact: dict[str, bool | int] = {}
    sheet = ABSENT
    for name, value in facts.items():
        if name == SCORE_SHEET_FACT:
            sheet = value
            continue
        kind = _KINDS.get(name)
        if kind is None:  # not a fact
            return None
        if kind is _FLAG:
            if type(value) is not bool:
                return None
            fact[name] = value
        elif value is not None:
            if type(value) is str:
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    return None
            elif type(value) is not date:
                return None
            if not EARLIEST_DATE <= value <= LATEST_DATE:
                return None
            fact[name] = value.toordinal()
        elif kind is not _DATE_OR_NULL:  # null where the fact is never null
            return None
        application[name] = value
    return application, fact, sheet


def _sheet(raw: Any) -> Sheet | None:
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return None
    if not raw.keys() <= SHEET_KEYS:
        return None
    results = raw.get("results")
    if type(results) is not dict and not isinstance(results, Mapping):
        return None
    read: dict[str, Leaf] = {}
    whole: dict[str, int] = {}
    others: dict[str, Leaf] = {}
    known = TEXT_POINTS
    leaf: Any
    for key, value in results.items():
        if type(value) is dict:
            size = len(value)
            if size == 1:  # {"points": "12.5"}, the usual result
                points: Any = value.get("points")
                kind = type(points)
                if kind is str:
                    leaf = known.get(points)
                    if type(leaf) is int:
                        read[key] = whole[key] = leaf
                        continue
                elif kind is Decimal and points.is_finite():
                    num, den = points.as_integer_ratio()
                    if MILLIONTHS % den == 0:
                        read[key] = whole[key] = num * (MILLIONTHS // den)
                    else:
                        read[key] = others[key] = (num, den)
                    continue
            elif size == 2:  # {"conforming": 9, "sampled": 10}
                conforming = value.get("conforming")
                sampled = value.get("sampled")
                if type(conforming) is int and type(sampled) is int:
                    read[key] = others[key] = (conforming, sampled, None)
                    continue
        leaf = _leaf(value, True)
        if leaf is _BAD:
            return None
        read[key] = leaf
        if type(leaf) is int:
            whole[key] = leaf
        else:
            others[key] = leaf
    excluded = raw.get("excluded")
    if excluded is None:
        excluded_ids: frozenset[str] = frozenset()
    elif isinstance(excluded, list | tuple | set | frozenset):
        try:
            excluded_ids = frozenset(excluded)
        except TypeError:
            return None
    else:
        return None
    deductions = raw.get("special_deductions")
    if deductions is None:
        reasons: tuple[str, ...] = ()
    elif isinstance(deductions, list | tuple) and (
        not deductions or all(type(x) is str and x for x in deductions)
    ):
        reasons = tuple(deductions)
    else:
        return None
    bonus = raw.get("special_bonus")
    if bonus is not None and (type(bonus) is not str or not bonus):
        return None
    return Sheet(read, excluded_ids, reasons, bonus, whole, others)


def _leaf(raw: Any, items_allowed: bool) -> Any:
    """One result as the scorer reads it: points as a Decimal, (conforming, sampled), or the
    items; _BAD for any other shape."""
    kind = type(raw)
    if kind is dict or (kind not in _NUMBERS and isinstance(raw, Mapping)):
        size = len(raw)
        if size == 1:
            points = raw.get("points", _BAD)
            if points is not _BAD:
                return _number(points)
            if items_allowed and "items" in raw:
                return _items(raw["items"])
        elif size == 2 and "conforming" in raw and "sampled" in raw:
            conforming, sampled = raw["conforming"], raw["sampled"]
            if type(conforming) is int and type(sampled) is int:
                return (conforming, sampled, None)
        return _BAD
    if raw is None:
        return None if items_allowed else _BAD  # None: only an excluded indicator's result
    return _number(raw)


def _items(raw: Any) -> Any:
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return _BAD
    read = []
    for key, value in raw.items():
        leaf = _leaf(value, False)
        if leaf is _BAD:
            return _BAD
        read.append((key, leaf))
    return frozenset(read)


_NUMBERS = frozenset((str, int, float, Decimal))
TEXT_POINTS: dict[str, Points] = {}
"""Points read from text, by the text: sheets repeat the same few thousand values."""
_KEPT_TEXTS = 65536


def _number(raw: Any) -> Any:
    """Points as engine.scoring reads them (a finite number, text or float by its shortest
    repr), exactly: millionths when whole, else an integer ratio; _BAD for anything else."""
    kind = type(raw)
    try:
        if kind is int:
            return raw * MILLIONTHS
        if kind is str:
            number = Decimal(raw)
        elif kind is Decimal:
            number = raw
        elif kind is float:
            number = Decimal(repr(raw))
        else:
            return _BAD
        num, den = number.as_integer_ratio()
    except (InvalidOperation, ValueError, OverflowError):  # not a number, NaN, infinite
        return _BAD
    points: Points = num * (MILLIONTHS // den) if MILLIONTHS % den == 0 else (num, den)
    if kind is str:
        if len(TEXT_POINTS) >= _KEPT_TEXTS:
            TEXT_POINTS.clear()
        TEXT_POINTS[raw] = points
    return points
