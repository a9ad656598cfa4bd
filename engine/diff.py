"""What changed between two rule set versions, rule by rule, in words (not a text diff).

Each change names its part (prerequisite, running time, scoring, band, fail rule, lifecycle) and
says what it was and what it becomes, so an author reads "running time: at least 3 -> 6 calendar
months" rather than a changed YAML line. Comments and layout never show up: only meaning does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from engine.conditions import AllOf, AnyOf, Compare, Condition, Not, Ref, decimal_of
from engine.outcomes import RuleKind
from engine.ruleset import CORRECTION_KEYS, LIFECYCLE_KEYS, Band, Rule, RuleSet

T = TypeVar("T")

_OPS = {"eq": "is", "ne": "is not", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_PART = {
    RuleKind.PREREQUISITE: "prerequisite",
    RuleKind.RUNNING_TIME: "running time",
    RuleKind.FAIL: "fail rule",
}


@dataclass(frozen=True)
class Change:
    part: str  # "prerequisite", "running time", "scoring", "band", "fail rule", "lifecycle", ...
    subject: str  # which one: a rule id, an indicator id, a lifecycle number
    what: str  # "added", "removed", "changed"
    words: str  # the change, said in a sentence

    def __str__(self) -> str:
        return f"{self.part} {self.subject}: {self.words}"

    def to_dict(self) -> dict[str, str]:
        return {"part": self.part, "subject": self.subject, "what": self.what, "words": self.words}


def describe(condition: Condition) -> str:
    """A condition in words: `application_date <= service_system_since + 3 months`."""
    if isinstance(condition, Compare):
        return f"{condition.fact} {_OPS[condition.op]} {_operand(condition.value)}"
    if isinstance(condition, AllOf):
        return " and ".join(_grouped(p) for p in condition.parts)
    if isinstance(condition, AnyOf):
        return " or ".join(_grouped(p) for p in condition.parts)
    if isinstance(condition, Not):
        return f"not ({describe(condition.part)})"
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _grouped(condition: Condition) -> str:
    text = describe(condition)
    return f"({text})" if isinstance(condition, AllOf | AnyOf) else text


def _operand(value: object) -> str:
    if isinstance(value, Ref):
        shift = "".join(
            f" {n:+d} {unit}" for n, unit in ((value.months, "months"), (value.days, "days")) if n
        )
        return value.fact + shift.replace("+", "+ ").replace("-", "- ")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _num(value: Decimal | int) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def diff(old: RuleSet, new: RuleSet) -> list[Change]:
    """Every change from `old` to `new`, in the order an author reads a rule file."""
    changes: list[Change] = []
    add = changes.append
    if old.name != new.name:
        add(Change("rule set", "name", "changed", f"{old.name} -> {new.name}"))
    if old.version != new.version:
        add(Change("rule set", "version", "changed", f"{old.version} -> {new.version}"))
    if old.effective_from != new.effective_from:
        words = f"takes effect on {new.effective_from} (was {old.effective_from})"
        if new.effective_from < old.effective_from:  # an edited copy keeps the file's old date
            words = (
                f"dated {new.effective_from}, before {old.effective_from}: the date it is "
                "published with (--effective) decides when it takes effect"
            )
        add(Change("rule set", "effective date", "changed", words))
    if old.title != new.title:
        add(Change("rule set", "title", "changed", f"{old.title!r} -> {new.title!r}"))
    for kind in (RuleKind.PREREQUISITE, RuleKind.RUNNING_TIME):
        changes += _rules(old, new, kind)
    if old.min_running_months != new.min_running_months:
        more = "longer" if new.min_running_months > old.min_running_months else "shorter"
        add(
            Change(
                "running time",
                "min_months",
                "changed",
                f"at least {old.min_running_months} -> {new.min_running_months} calendar "
                f"months before the application ({more})",
            )
        )
    changes += _scoring(old, new)
    changes += _bands(old.bands, new.bands)
    changes += _rules(old, new, RuleKind.FAIL)
    for key in LIFECYCLE_KEYS:
        before, after = getattr(old.lifecycle, key), getattr(new.lifecycle, key)
        if before != after:
            add(Change("lifecycle", key, "changed", _lifecycle_words(key, before, after)))
    for key in CORRECTION_KEYS:
        before, after = getattr(old.corrections, key), getattr(new.corrections, key)
        if before != after:
            more = "longer" if after > before else "shorter"
            add(Change("findings", key, "changed", f"{before} -> {after} days ({more})"))
    before_ex = {e.name: e for e in old.examples}
    after_ex = {e.name: e for e in new.examples}
    for name in sorted(after_ex.keys() - before_ex.keys()):
        add(Change("example", name, "added", "new example case"))
    for name in sorted(before_ex.keys() - after_ex.keys()):
        add(Change("example", name, "removed", "example case dropped"))
    for name in sorted(after_ex.keys() & before_ex.keys()):
        was, now = before_ex[name], after_ex[name]
        if (was.facts, was.as_of, was.checks) != (now.facts, now.as_of, now.checks):
            add(Change("example", name, "changed", "its facts or date changed"))
        for key in sorted(was.expect.keys() | now.expect.keys()):
            if _expected(key, was.expect.get(key)) != _expected(key, now.expect.get(key)):
                add(
                    Change(
                        "example",
                        name,
                        "changed",
                        f"expects {key} {_shown(now.expect.get(key))} "
                        f"(was {_shown(was.expect.get(key))})",
                    )
                )
    return changes


def _lifecycle_words(key: str, before: int, after: int) -> str:
    """`6 -> 4 months (shorter)`, and what the number means where a bare one would mislead."""
    more = "longer" if after > before else "shorter"
    if key == "restoration_after_expiry_months" and 0 in (before, after):
        more = "no restoration after expiry" if after == 0 else "restoration after expiry allowed"
    elif key == "validity_months":  # the expiry is fixed when a certificate is issued
        more += "; for certificates decided from then on, issued ones keep their expiry"
    return f"{before} -> {after} months ({more})"


def _expected(key: str, value: Any) -> Any:
    """An expectation as the example compares it: rule lists in any order, scores by value."""
    if key in ("failures", "notes", "fail_reasons") and isinstance(value, list):
        return frozenset(map(str, value))
    if key in ("final_score", "normalised_score"):
        number = decimal_of(value)
        return value if number is None else number
    return value


def _shown(value: Any) -> str:
    return "(nothing)" if value is None else str(value)


def _rules(old: RuleSet, new: RuleSet, kind: RuleKind) -> list[Change]:
    part = _PART[kind]

    def words(rule: Rule) -> str:
        return f"{rule.message!r}; objects when {describe(rule.fires_when)}; outcome {rule.outcome}"

    def compare(a: Rule, b: Rule) -> list[str]:
        said = []
        if a.message != b.message:
            said.append(f"message {a.message!r} -> {b.message!r}")
        if a.fires_when != b.fires_when and kind is not RuleKind.RUNNING_TIME:
            said.append(f"objects when {describe(a.fires_when)} -> {describe(b.fires_when)}")
        if a.outcome != b.outcome:
            said.append(f"outcome {a.outcome} -> {b.outcome}")
        return said

    return _keyed(
        {r.id: r for r in old.rules_for_kind(kind)},
        {r.id: r for r in new.rules_for_kind(kind)},
        part,
        words,
        compare,
    )


def _keyed(
    before: Mapping[str, T],
    after: Mapping[str, T],
    part: str,
    words: Callable[[T], str],
    compare: Callable[[T, T], list[str]],
) -> list[Change]:
    changes = [
        Change(part, key, "added", f"new: {words(after[key])}")
        for key in after
        if key not in before
    ]
    changes += [
        Change(part, key, "removed", f"dropped (was {words(before[key])})")
        for key in before
        if key not in after
    ]
    for key in before:
        if key in after:
            said = compare(before[key], after[key])
            if said:
                changes.append(Change(part, key, "changed", "; ".join(said)))
    return changes


def _scoring(old: RuleSet, new: RuleSet) -> list[Change]:
    a, b = old.scoring, new.scoring
    changes: list[Change] = []
    if a.total != b.total:
        changes.append(
            Change("scoring", "total", "changed", f"{_num(a.total)} -> {_num(b.total)} points")
        )
    changes += _keyed(
        {d.id: d for d in a.dimensions},
        {d.id: d for d in b.dimensions},
        "dimension",
        lambda d: f"{d.name}, {_num(d.points)} points",
        lambda x, y: _said([("points", _num(x.points), _num(y.points)), ("name", x.name, y.name)]),
    )
    changes += _keyed(
        {i.id: i for i in a.indicators},
        {i.id: i for i in b.indicators},
        "indicator",
        lambda i: f"{i.name} ({i.dimension}), {_num(i.points)} points",
        lambda x, y: _said(
            [
                ("points", _num(x.points), _num(y.points)),
                ("dimension", x.dimension, y.dimension),
                ("name", x.name, y.name),
                ("items", _items(x.items), _items(y.items)),
            ]
        ),
    )
    if a.allocation_note.strip() != b.allocation_note.strip():
        changes.append(Change("scoring", "allocation_note", "changed", "the note was reworded"))
    return changes


def _items(items: Iterable[object]) -> str:
    parts = [f"{i.id} {_num(i.points)}" for i in items]  # type: ignore[attr-defined]
    return ", ".join(parts) or "none"


def _said(pairs: list[tuple[str, str, str]]) -> list[str]:
    return [f"{name} {x} -> {y}" for name, x, y in pairs if x != y]


def _bands(old: tuple[Band, ...], new: tuple[Band, ...]) -> list[Change]:
    def words(band: Band) -> str:
        upper = f", below {_num(band.upper)}" if band.upper is not None else ""
        return f"from {_num(band.lower)}{upper}"

    def compare(x: Band, y: Band) -> list[str]:
        if x.lower == y.lower:
            return []
        way = "harder" if y.lower > x.lower else "easier"
        return [f"from {_num(x.lower)} -> {_num(y.lower)} ({way} to reach)"]

    return _keyed({b.name: b for b in old}, {b.name: b for b in new}, "band", words, compare)
