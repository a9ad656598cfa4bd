"""The names a rule file may use: facts (with their types) and the checks they belong to.

Rule files stay free of code by naming only what is listed here; the loader refuses anything else
with a "did you mean".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class FactType(StrEnum):
    BOOL = "bool"
    DATE = "date"
    SCORE = "score"  # a decimal score, compared exactly (scaled to integer millionths)
    COUNT = "count"  # a whole number


class Check(StrEnum):
    """The parts of an evaluation a caller may ask for."""

    APPLICATION = "application"  # prerequisites and running time
    SCORING = "scoring"  # score sheet, fail rules and band


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    check: Check
    nullable: bool = False
    doc: str = ""


APPLICATION_FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec(
            "application_date", FactType.DATE, Check.APPLICATION, doc="date of the application"
        ),
        FactSpec(
            "service_system_since",
            FactType.DATE,
            Check.APPLICATION,
            doc="date the after-sales service system started running",
        ),
        FactSpec("has_service_documents", FactType.BOOL, Check.APPLICATION),
        FactSpec("has_dedicated_manager", FactType.BOOL, Check.APPLICATION),
        FactSpec("has_dedicated_funds", FactType.BOOL, Check.APPLICATION),
        FactSpec("has_trained_staff", FactType.BOOL, Check.APPLICATION),
        FactSpec("is_prc_legal_entity", FactType.BOOL, Check.APPLICATION),
        FactSpec(
            "last_major_failure",
            FactType.DATE,
            Check.APPLICATION,
            nullable=True,
            doc="most recent major after-sales failure; null = never",
        ),
    )
}

SCORE_SHEET_FACT = "score_sheet"
"""The one input fact of the scoring check; the facts below are derived from it."""

SCORE_FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec(
            "final_score",
            FactType.SCORE,
            Check.SCORING,
            doc="normalised score - special deductions + special bonus",
        ),
        FactSpec(
            "normalised_score",
            FactType.SCORE,
            Check.SCORING,
            doc="points achieved / applicable points x 100",
        ),
        FactSpec("special_deduction_count", FactType.COUNT, Check.SCORING),
        FactSpec("has_special_bonus", FactType.BOOL, Check.SCORING),
    )
}

ALL_FACTS: dict[str, FactSpec] = {**APPLICATION_FACTS, **SCORE_FACTS}

SCORE_SCALE = 10**6
"""Scores and score bounds reach the rules engine as integer millionths (it compares doubles)."""

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
"""Dates the engine decides on: a century or more either side of any real case, and far enough
inside the calendar that shifts, running times and lifecycle periods cannot leave it."""
