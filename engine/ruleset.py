"""A loaded, validated rule set version: immutable, identified by name, version and content hash."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from engine.conditions import Condition, Ref, facts_used
from engine.outcomes import Outcome, RuleKind
from engine.vocabulary import Check

BAND_NAMES = ("five_star", "four_star", "three_star", "qualified")
"""The bands a rule file may award; below the lowest band a score is not certified."""


@dataclass(frozen=True)
class Rule:
    key: str  # unique within the rule set, e.g. "prerequisite.trained_staff"
    kind: RuleKind
    id: str
    message: str
    outcome: str
    fires_when: Condition  # prerequisites and running time: the violation
    check: Check
    line: int | None


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    points: Decimal


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    dimension: str
    points: Decimal
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    points: Decimal


@dataclass(frozen=True)
class ScoringModel:
    total: Decimal
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    allocation_note: str
    by_id: Mapping[str, Indicator] = field(repr=False, compare=False)

    @property
    def ratios(self) -> tuple[tuple[Indicator, int, int], ...]:
        """Each indicator with its points as an exact integer ratio (computed once)."""
        found: tuple[tuple[Indicator, int, int], ...] | None = self.__dict__.get("_ratios")
        if found is None:
            found = tuple((i, *i.points.as_integer_ratio()) for i in self.indicators)
            object.__setattr__(self, "_ratios", found)
        return found


@dataclass(frozen=True)
class Band:
    name: str
    lower: Decimal  # inclusive
    upper: Decimal | None  # exclusive; None for the top band


@dataclass(frozen=True)
class LifecycleNumbers:
    validity_months: int
    first_surveillance_months: int
    surveillance_interval_months: int
    surveillance_window_months: int
    suspension_limit_months: int
    recert_reminder_months: int
    restoration_after_expiry_months: int

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LIFECYCLE_KEYS}


LIFECYCLE_KEYS = (
    "validity_months",
    "first_surveillance_months",
    "surveillance_interval_months",
    "surveillance_window_months",
    "suspension_limit_months",
    "recert_reminder_months",
    "restoration_after_expiry_months",
)


@dataclass(frozen=True)
class CorrectionDays:
    """How long an audit finding may stay open, in days from its audit (engine.findings_section)."""

    major_correction_days: int  # a major finding's correction verified within these days
    minor_plan_days: int  # a minor finding's corrective action plan accepted within these days

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CORRECTION_KEYS}


CORRECTION_KEYS = ("major_correction_days", "minor_plan_days")
DEFAULT_CORRECTIONS = CorrectionDays(major_correction_days=90, minor_plan_days=30)
"""The periods of a rule file without a `findings` section: the shipped file's."""


@dataclass(frozen=True)
class Example:
    name: str
    line: int | None
    facts: Mapping[str, Any]
    as_of: date
    checks: tuple[Check, ...] | None
    expect: Mapping[str, Any]


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    version_key: tuple[int, ...]
    effective_from: date
    title: str
    source: str  # file name (or other source) it was loaded from
    content_hash: str  # sha256 of the file bytes
    min_running_months: int
    rules: tuple[Rule, ...]
    scoring: ScoringModel
    bands: tuple[Band, ...]  # highest first
    lifecycle: LifecycleNumbers
    examples: tuple[Example, ...]
    outcomes: Mapping[str, Outcome] = field(repr=False, compare=False)
    shifted: tuple[Ref, ...] = ()  # date references with offsets, computed before each assert
    effective_line: int | None = None
    corrections: CorrectionDays = DEFAULT_CORRECTIONS

    @property
    def engine_name(self) -> str:
        """Unique per content: the rules engine never re-registers a name."""
        found: str | None = self.__dict__.get("_engine_name")
        if found is None:
            found = f"{self.name}__v{self.version}__{self.content_hash[:8]}"
            object.__setattr__(self, "_engine_name", found)
        return found

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def facts_used(self) -> frozenset[str]:
        """The facts some rule reads; the asserted fact carries no others."""
        found: frozenset[str] | None = self.__dict__.get("_facts_used")
        if found is None:
            found = frozenset().union(*(facts_used(r.fires_when) for r in self.rules))
            object.__setattr__(self, "_facts_used", found)
        return found

    def rules_for(self, check: Check) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.check is check)

    def rules_for_kind(self, kind: RuleKind) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind is kind)

    def published_as(self, effective_from: date, source: str) -> RuleSet:
        """This version as published: the stored effective date governs, not the file's own."""
        return replace(self, effective_from=effective_from, source=source)
