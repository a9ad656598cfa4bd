"""The engine's answer: what was decided, every rule that fired or failed and why, and by which rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

SCORE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class RuleResult:
    rule: str  # rule key, e.g. "prerequisite.trained_staff"
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class Decision:
    outcome: str  # eligible | ineligible | certified | not_certified
    checks: tuple[str, ...]
    eligible: bool | None  # None when the application was not checked
    certified: bool | None  # None when no score sheet was checked
    failures: tuple[RuleResult, ...]  # application rules that refused
    notes: tuple[RuleResult, ...]  # rules that fired with the `note` outcome
    passed: tuple[RuleResult, ...]  # rules checked that did not object
    fired: tuple[str, ...]  # every rule that fired, in rule-file order
    earliest_application: date | None
    achieved_points: Decimal | None
    applicable_points: Decimal | None
    normalised_score: Decimal | None
    final_score: Decimal | None  # rounded down to 6 places; bands were compared exactly
    band: str | None  # five_star | four_star | three_star | qualified | None = not certified
    fail_reasons: tuple[RuleResult, ...]
    special_deductions: tuple[str, ...]
    special_bonus: str | None
    lifecycle: Mapping[str, int]
    deadlines: Mapping[str, date]  # from as_of, when certified
    as_of: date
    ruleset: str
    version: str
    content_hash: str
    source: str

    @classmethod
    def made(cls, fields: dict[str, Any]) -> Decision:
        """The engine's own constructor: every field, in field order, set at once (the frozen
        __init__ sets them one object.__setattr__ at a time). The dict becomes the Decision's."""
        decision = object.__new__(cls)
        object.__setattr__(decision, "__dict__", fields)
        return decision

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, RuleResult):
                return value.to_dict()
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            if isinstance(value, Mapping):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, Decimal):
                return str(value)
            return value

        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}


def score_decimal(value: Fraction | tuple[int, int]) -> Decimal:
    """An exact score (a Fraction, or numerator and denominator > 0) as a Decimal rounded down
    to 6 places (never up across a band edge)."""
    numerator, denominator = (
        value if isinstance(value, tuple) else (value.numerator, value.denominator)
    )
    whole = numerator * 10**6 // denominator
    if -_EXACTLY < whole < _EXACTLY:  # fits the default precision: shifting is exact
        return Decimal(whole) * _MILLIONTH  # exponent -6, as scaleb(-6) gives, and faster
    return (Decimal(whole) / 10**6).quantize(SCORE_PLACES, rounding=ROUND_DOWN)


_EXACTLY = 10**27
_MILLIONTH = Decimal("1E-6")
