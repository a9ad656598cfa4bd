"""The fixed registry of outcomes a rule may name, and the tally their actions write to.

A rule file never holds code: each rule names one of these outcomes, and the action that runs when
the rule fires is the registry's. An evaluation passes one fresh Tally to every action it triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RuleKind(StrEnum):
    PREREQUISITE = "prerequisite"  # fires on a violation
    RUNNING_TIME = "running_time"  # fires on a violation
    FAIL = "fail_rule"  # fires when the score sheet fails
    BAND = "band"  # exactly one fires per score


@dataclass
class Tally:
    """What the fired rules said, in firing order (rule keys)."""

    fired: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fails: list[str] = field(default_factory=list)
    bands: list[str] = field(default_factory=list)


Action = Callable[[Tally, str], None]


@dataclass(frozen=True)
class Outcome:
    name: str
    applies_to: frozenset[RuleKind]
    action: Action
    doc: str


def _refuse(tally: Tally, key: str) -> None:
    tally.refusals.append(key)


def _note(tally: Tally, key: str) -> None:
    tally.notes.append(key)


def _fail(tally: Tally, key: str) -> None:
    tally.fails.append(key)


def _band(tally: Tally, key: str) -> None:
    tally.bands.append(key)


_APPLICATION = frozenset({RuleKind.PREREQUISITE, RuleKind.RUNNING_TIME})

DEFAULT_OUTCOMES: Mapping[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "refuse_application",
            _APPLICATION,
            _refuse,
            "the application is ineligible; the rule's message is a failure",
        ),
        Outcome(
            "note",
            _APPLICATION | {RuleKind.FAIL},
            _note,
            "the message is recorded as a note; nothing is refused",
        ),
        Outcome(
            "fail_certification",
            frozenset({RuleKind.FAIL}),
            _fail,
            "the score sheet fails: not certified whatever the band",
        ),
        Outcome(
            "award_band",
            frozenset({RuleKind.BAND}),
            _band,
            "the score falls in this band (used by bands, implied)",
        ),
    )
}

DEFAULT_OUTCOME_FOR = {
    RuleKind.PREREQUISITE: "refuse_application",
    RuleKind.RUNNING_TIME: "refuse_application",
    RuleKind.FAIL: "fail_certification",
    RuleKind.BAND: "award_band",
}
