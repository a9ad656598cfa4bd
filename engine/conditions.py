"""The condition vocabulary of rule files: parsed, type-checked, and negated without `not`.

    condition := {all: [condition, ...]} | {any: [condition, ...]} | {not: condition}
               | {fact: NAME, OP: operand}            OP: eq ne lt le gt ge
    operand   := true | false | null | number | YYYY-MM-DD
               | {fact: NAME} | {fact: NAME, months: N, days: N}    (a date fact shifted)

A comparison with a null (absent) fact is false; `eq: null` / `ne: null` test absence itself.
Negation is pushed down to comparisons (De Morgan), keeping that null rule exact, so every condition
compiles to plain comparisons joined by and/or.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.source import Reporter, line_of
from engine.vocabulary import SCORE_SCALE, FactSpec, FactType

OPS = ("eq", "ne", "lt", "le", "gt", "ge")
NEGATED_OP = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt"}
ORDERED_TYPES = (FactType.DATE, FactType.SCORE, FactType.COUNT)
MAX_SHIFT = {"months": 120, "days": 3660}
"""How far a date fact may be shifted either way: 10 years ("no major failure within N years")."""


@dataclass(frozen=True)
class Ref:
    """Another fact's value, for dates optionally shifted by calendar months and days."""

    fact: str
    months: int = 0
    days: int = 0

    @property
    def key(self) -> str:
        """The name the (shifted) value travels under in the asserted fact."""
        if not self.months and not self.days:
            return self.fact
        return f"{self.fact}__{_signed(self.months)}mo_{_signed(self.days)}d"


def _signed(n: int) -> str:
    return f"p{n}" if n >= 0 else f"m{-n}"


Literal = bool | int | Decimal | date | None
Operand = Literal | Ref


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    value: Operand
    type: FactType


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Compare | AllOf | AnyOf | Not


def negate(condition: Condition, facts: Mapping[str, FactSpec]) -> Condition:
    """not(condition), with every `not` pushed down to comparisons."""
    return push_not(Not(condition), facts)


def push_not(condition: Condition, facts: Mapping[str, FactSpec]) -> Condition:
    if isinstance(condition, Compare):
        return condition
    if isinstance(condition, AllOf):
        return AllOf(tuple(push_not(p, facts) for p in condition.parts))
    if isinstance(condition, AnyOf):
        return AnyOf(tuple(push_not(p, facts) for p in condition.parts))
    inner = condition.part
    if isinstance(inner, Not):
        return push_not(inner.part, facts)
    if isinstance(inner, AllOf):
        return AnyOf(tuple(negate(p, facts) for p in inner.parts))
    if isinstance(inner, AnyOf):
        return AllOf(tuple(negate(p, facts) for p in inner.parts))
    return _negate_compare(inner, facts)


def _negate_compare(c: Compare, facts: Mapping[str, FactSpec]) -> Condition:
    flipped = Compare(c.fact, NEGATED_OP[c.op], c.value, c.type)
    if c.value is None:  # eq/ne null: a presence test, negated exactly by its opposite
        return flipped
    # The comparison was false when a side was null; its negation must then be true.
    nullable = [c.fact] if facts[c.fact].nullable else []
    if isinstance(c.value, Ref) and facts[c.value.fact].nullable:
        nullable.append(c.value.fact)
    if not nullable:
        return flipped
    return AnyOf((flipped, *(Compare(n, "eq", None, facts[n].type) for n in nullable)))


def refs(condition: Condition) -> set[Ref]:
    """Every fact reference a condition compares against (shifted dates become derived facts)."""
    if isinstance(condition, Compare):
        return {condition.value} if isinstance(condition.value, Ref) else set()
    if isinstance(condition, Not):
        return refs(condition.part)
    found: set[Ref] = set()
    for part in condition.parts:
        found |= refs(part)
    return found


def facts_used(condition: Condition) -> set[str]:
    """Every fact a condition reads (a shifted date counts as its base fact)."""
    if isinstance(condition, Compare):
        used = {condition.fact}
        if isinstance(condition.value, Ref):
            used.add(condition.value.fact)
        return used
    if isinstance(condition, Not):
        return facts_used(condition.part)
    found: set[str] = set()
    for part in condition.parts:
        found |= facts_used(part)
    return found


def ceiling_key(fact: str) -> str:
    """The name a score's twin rounded up travels under (the fact itself is rounded down)."""
    return f"{fact}__ceil"


def exact_scores(condition: Condition) -> Condition:
    """Score comparisons with a literal, made exact for the rules engine.

    A score travels as integer millionths rounded down (floor) and as its twin rounded up
    (ceiling); a literal has at most 6 decimals, so it is a whole number of millionths V. Then
    score >= V and score < V read the floor, score <= V and score > V the ceiling, score == V
    needs both equal to V and score != V either to differ. A score compared with another score
    fact keeps the floors: final and normalised differ by whole points, so theirs keep the order.
    """
    if isinstance(condition, AllOf):
        return AllOf(tuple(exact_scores(p) for p in condition.parts))
    if isinstance(condition, AnyOf):
        return AnyOf(tuple(exact_scores(p) for p in condition.parts))
    if isinstance(condition, Not):
        raise ValueError("conditions reach the backend with negation pushed down")
    c = condition
    if c.type is not FactType.SCORE or c.value is None or isinstance(c.value, Ref):
        return c
    ceiling = Compare(ceiling_key(c.fact), c.op, c.value, c.type)
    if c.op in ("le", "gt"):
        return ceiling
    if c.op == "eq":
        return AllOf((c, ceiling))
    if c.op == "ne":
        return AnyOf((c, ceiling))
    return c


def encode(value: Literal, type_: FactType) -> bool | int | None:
    """A literal as the rules engine sees it: dates as ordinals, scores as integer millionths."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, date):
        return value.toordinal()
    if type_ is FactType.SCORE:
        return int(Decimal(value) * SCORE_SCALE)
    return int(value)


# --- parsing ----------------------------------------------------------------------------------


class ConditionParser:
    """Parses one condition node, reporting every problem with its line."""

    def __init__(self, reporter: Reporter, facts: Mapping[str, FactSpec], where: str) -> None:
        self.reporter = reporter
        self.facts = facts
        self.where = where  # e.g. "prerequisites" - which facts are allowed and why

    def parse(self, node: Any, line: int | None) -> Condition | None:
        if not isinstance(node, Mapping):
            self.reporter.report(
                line,
                f"a condition must be a mapping, got {_show(node)}",
                "use {fact: NAME, eq: VALUE}, {all: [...]}, {any: [...]} or {not: ...}",
            )
            return None
        line = line_of(node) or line
        keys = set(node)
        for combinator in ("all", "any"):
            if combinator in keys:
                return self._combine(node, combinator, line)
        if "not" in keys:
            self._only(node, {"not"}, line)
            inner = self.parse(node["not"], line_of(node, "not") or line)
            return Not(inner) if inner is not None else None
        if "fact" in keys:
            return self._compare(node, line)
        self.reporter.report(
            line,
            f"not a condition: keys {sorted(map(str, keys))}",
            "a condition has 'fact' with one of eq/ne/lt/le/gt/ge, or all/any/not",
        )
        return None

    def _combine(self, node: Mapping[str, Any], key: str, line: int | None) -> Condition | None:
        self._only(node, {key}, line)
        items = node[key]
        if not isinstance(items, list) or not items:
            self.reporter.report(line, f"'{key}' needs a non-empty list of conditions")
            return None
        parts = [self.parse(item, line_of(items, i) or line) for i, item in enumerate(items)]
        if any(p is None for p in parts):
            return None
        done = tuple(p for p in parts if p is not None)
        return AllOf(done) if key == "all" else AnyOf(done)

    def _only(self, node: Mapping[str, Any], allowed: set[str], line: int | None) -> None:
        extra = sorted(str(k) for k in node if k not in allowed)
        if extra:
            self.reporter.report(line, f"unexpected key {extra[0]!r} beside {sorted(allowed)[0]!r}")

    def _fact(self, name: Any, line: int | None) -> FactSpec | None:
        if not isinstance(name, str):
            self.reporter.report(line, f"a fact name must be text, got {_show(name)}")
            return None
        spec = self.facts.get(name)
        if spec is None:
            self.reporter.unknown(line, f"fact in {self.where}", name, self.facts)
        return spec

    def _compare(self, node: Mapping[str, Any], line: int | None) -> Condition | None:
        spec = self._fact(node["fact"], line_of(node, "fact") or line)
        ops = [k for k in node if k in OPS]
        extra = [str(k) for k in node if k not in OPS and k != "fact"]
        for key in extra:
            self.reporter.unknown(line_of(node, key) or line, "comparison", key, OPS)
        if len(ops) != 1:
            if not extra:
                self.reporter.report(
                    line, f"a comparison needs exactly one of {', '.join(OPS)}; got {len(ops)}"
                )
            return None
        op = ops[0]
        if spec is None:
            return None
        value = self._operand(node[op], spec, op, line_of(node, op) or line)
        if value is _BAD:
            return None
        return Compare(spec.name, op, value, spec.type)  # type: ignore[arg-type]

    def _operand(self, raw: Any, spec: FactSpec, op: str, line: int | None) -> object:
        if op not in ("eq", "ne") and spec.type not in ORDERED_TYPES:
            self.reporter.report(
                line, f"{spec.name} is {spec.type}: only eq and ne apply, not {op}"
            )
            return _BAD
        if raw is None:
            if op not in ("eq", "ne"):
                self.reporter.report(line, f"null can only be tested with eq or ne, not {op}")
                return _BAD
            if not spec.nullable:
                self.reporter.report(line, f"{spec.name} is never null", "remove this comparison")
                return _BAD
            return None
        if isinstance(raw, Mapping):
            return self._ref(raw, spec, line)
        return self._literal(raw, spec, line)

    def _ref(self, raw: Mapping[str, Any], spec: FactSpec, line: int | None) -> object:
        line = line_of(raw) or line
        for key in raw:
            if key not in ("fact", "months", "days"):
                self.reporter.unknown(
                    line, "key in a fact reference", str(key), ("fact", "months", "days")
                )
                return _BAD
        other = self._fact(raw.get("fact"), line)
        if other is None:
            return _BAD
        if other.type is not spec.type:
            self.reporter.report(
                line, f"cannot compare {spec.name} ({spec.type}) with {other.name} ({other.type})"
            )
            return _BAD
        shift = {}
        for key in ("months", "days"):
            n = raw.get(key, 0)
            if not isinstance(n, int) or isinstance(n, bool):
                self.reporter.report(line, f"{key} must be a whole number, got {_show(n)}")
                return _BAD
            if abs(n) > MAX_SHIFT[key]:
                self.reporter.report(
                    line,
                    f"{key}: {n} shifts the date too far: at most {MAX_SHIFT[key]} {key} "
                    "(10 years) either way",
                )
                return _BAD
            shift[key] = n
        if (shift["months"] or shift["days"]) and spec.type is not FactType.DATE:
            self.reporter.report(line, f"months/days offsets apply to dates, not {spec.type}")
            return _BAD
        return Ref(other.name, shift["months"], shift["days"])

    def _literal(self, raw: Any, spec: FactSpec, line: int | None) -> object:
        expected = {
            FactType.BOOL: "true or false",
            FactType.DATE: "a date YYYY-MM-DD",
            FactType.SCORE: "a number with at most 6 decimals",
            FactType.COUNT: "a whole number",
        }[spec.type]
        value = literal(raw, spec.type)
        if value is _BAD:
            self.reporter.report(
                line, f"{spec.name} is {spec.type}: expected {expected}, got {_show(raw)}"
            )
        return value


_BAD = object()


def literal(raw: Any, type_: FactType) -> object:
    """A rule-file literal of the given type, or _BAD."""
    if type_ is FactType.BOOL:
        return raw if isinstance(raw, bool) else _BAD
    if type_ is FactType.DATE:
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        return _BAD
    if isinstance(raw, bool):
        return _BAD
    if type_ is FactType.COUNT:
        return raw if isinstance(raw, int) else _BAD
    number = decimal_of(raw)
    if number is None or number.as_tuple().exponent < -6:  # type: ignore[operator]
        return _BAD
    return number


def decimal_of(raw: Any) -> Decimal | None:
    """An exact decimal from a YAML number or text (floats read by their written form)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _show(value: Any) -> str:
    """A value as the author wrote it (2012-01-01, not datetime.date(2012, 1, 1))."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value) if isinstance(value, date | float | Decimal) else repr(value)
