"""The small readers every rule-file section uses: one typed value out of a YAML node.

Each reader reports a problem with its file:line and returns None rather than raising, so one
pass over a rule file collects every problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from engine.conditions import decimal_of
from engine.outcomes import DEFAULT_OUTCOME_FOR, Outcome, RuleKind
from engine.source import Reporter, closest, line_of

MAX_MONTHS = 120
"""Longest running time and lifecycle period a rule file may give: 10 years, over three times
the 3-year certificate of ISO/IEC 17021-1, so no real scheme is refused and no date overflows."""
MISSING: Any = object()
"""A required section left out: reported once as missing, not again as of the wrong type."""
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class NodeReader:
    def __init__(self, reporter: Reporter, outcomes: Mapping[str, Outcome]) -> None:
        self.r = reporter
        self.outcomes = outcomes

    def mapping(self, node: Any, what: str, line: int | None) -> Mapping[str, Any] | None:
        if node is MISSING:
            return None
        if not isinstance(node, Mapping):
            self.r.report(line, f"{what} must be a mapping, got {kind_of(node)}")
            return None
        return node

    def seq(self, node: Any, what: str, line: int | None) -> list[Any] | None:
        if node is MISSING:
            return None
        if not isinstance(node, list):
            self.r.report(line, f"{what} must be a list, got {kind_of(node)}")
            return None
        return node

    def keys(
        self,
        node: Mapping[str, Any],
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> bool:
        ok = True
        meant: set[str | None] = set()  # a misspelt key is said once, not again as missing
        for key in node:
            if key not in required and key not in optional:
                self.r.unknown(
                    line_of(node, key), f"key in {what}", str(key), (*required, *optional)
                )
                meant.add(closest(str(key), (*required, *optional)))
                ok = False
        for key in required:
            if key not in node:
                if key not in meant:
                    self.r.report(line_of(node), f"{what} is missing {key!r}")
                ok = False
        return ok

    def text(self, node: Mapping[str, Any], key: str, what: str) -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.r.report(
                line_of(node, key), f"{what}.{key} must be non-empty text, got {kind_of(value)}"
            )
            return None
        return str(value)

    def ident(self, node: Mapping[str, Any], key: str, what: str) -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not _IDENT.match(value):
            self.r.report(
                line_of(node, key), f"{what}.{key} must be a snake_case id, got {kind_of(value)}"
            )
            return None
        return str(value)

    def whole(
        self, node: Mapping[str, Any], key: str, what: str, minimum: int, maximum: int
    ) -> int | None:
        value = node.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.r.report(
                line_of(node, key),
                f"{what}.{key} must be a whole number >= {minimum}, got {kind_of(value)}",
            )
            return None
        if value > maximum:
            self.r.report(
                line_of(node, key),
                f"{what}.{key} = {value} is too long: at most {maximum} months "
                f"({maximum // 12} years)",
            )
            return None
        return int(value)

    def points(self, node: Mapping[str, Any], key: str, what: str) -> Decimal | None:
        number = decimal_of(node.get(key))
        if number is None or number <= 0 or number.as_tuple().exponent < -6:  # type: ignore[operator]
            self.r.report(
                line_of(node, key),
                f"{what}.{key} must be a positive number with at "
                f"most 6 decimals, got {kind_of(node.get(key))}",
            )
            return None
        return number

    def outcome(self, node: Mapping[str, Any], kind: RuleKind, what: str) -> str:
        name = node.get("outcome", DEFAULT_OUTCOME_FOR[kind])
        line = line_of(node, "outcome") if "outcome" in node else line_of(node)
        if not isinstance(name, str) or name not in self.outcomes:
            self.r.unknown(line, "outcome", str(name), self.outcomes)
        elif kind not in self.outcomes[name].applies_to:
            allowed = sorted(n for n, o in self.outcomes.items() if kind in o.applies_to)
            self.r.report(
                line,
                f"outcome {name!r} does not apply to {what}",
                "use one of " + ", ".join(allowed),
            )
        return str(name)


def plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists (numbers keep their written form)."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, float):
        return Decimal(str(node))
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    return node


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    plain_value = plain(value)
    # As the author wrote it: 3.5, not Decimal('3.5'); 2012-02-01, not datetime.date(2012, 2, 1).
    return str(plain_value) if isinstance(plain_value, Decimal | date) else repr(plain_value)
