"""The facts team rules may name, checked, and the one flat fact durable-rules sees.

A caller (starcert.team_facts builds them from the register) gives every fact; one missing,
unknown or of the wrong type raises FactError naming it, as the criteria's facts do.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from engine.facts import in_calendar
from engine.rule_errors import FactError
from engine.source import did_you_mean
from engine.team_rules import TEAM_FLAG, TeamRules
from engine.vocabulary import Check, FactSpec, FactType
from workflows.deadlines import add_months

_T = Check.APPLICATION  # the check a FactSpec names; team facts are guarded by their own flag

TEAM_FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("audit_date", FactType.DATE, _T, doc="the day the audit starts"),
        FactSpec("leader_registered_on", FactType.DATE, _T, doc="leader's registration date"),
        FactSpec("leader_valid_until", FactType.DATE, _T, doc="last day the leader's is valid"),
        FactSpec(
            "leader_grade_rank", FactType.COUNT, _T, doc="leader's grade: 1 auditor, 2 senior"
        ),
        FactSpec("team_size", FactType.COUNT, _T, doc="members, the leader included"),
        FactSpec("required_team_size", FactType.COUNT, _T, doc="members the audit time asks for"),
        FactSpec(
            "competent_members",
            FactType.COUNT,
            _T,
            doc="members whose areas include the case's professional area",
        ),
        FactSpec(
            "last_relation_end",
            FactType.DATE,
            _T,
            nullable=True,
            doc="latest day any member consulted for or was employed by the client (the audit "
            "date while a relation lasts); null = never",
        ),
        FactSpec(
            "longest_run_of_cycles",
            FactType.COUNT,
            _T,
            doc="most consecutive certification cycles, this one included, that one member "
            "audits this client",
        ),
    )
}
GRADE_RANK = {"auditor": 1, "senior_auditor": 2}


def check_team_facts(facts: Mapping[str, Any]) -> dict[str, date | int | None]:
    if not isinstance(facts, Mapping):
        raise FactError("facts", f"expected a mapping of fact name to value, got {facts!r}")
    for name in facts:
        if name not in TEAM_FACTS:
            hint = did_you_mean(str(name), TEAM_FACTS)
            raise FactError(str(name), "unknown team fact" + (f"; {hint}" if hint else ""))
    checked: dict[str, date | int | None] = {}
    for spec in TEAM_FACTS.values():
        if spec.name not in facts:
            null = " (null if never)" if spec.nullable else ""
            raise FactError(spec.name, f"missing: the team check needs it{null}")
        checked[spec.name] = _typed(spec, facts[spec.name])
    return checked


def _typed(spec: FactSpec, value: Any) -> date | int | None:
    if value is None:
        if spec.nullable:
            return None
        raise FactError(spec.name, "is null")
    if spec.type is FactType.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FactError(spec.name, f"expected a whole number >= 0, got {value!r}")
        return value
    if isinstance(value, datetime):
        raise FactError(spec.name, f"expected a date, got a date and time {value.isoformat()}")
    day = value if isinstance(value, date) else None
    if isinstance(value, str):
        with suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        raise FactError(spec.name, f"expected a date YYYY-MM-DD, got {value!r}")
    return in_calendar(spec.name, day)


def flat_team_fact(rules: TeamRules, checked: Mapping[str, date | int | None]) -> dict[str, Any]:
    """The asserted fact: dates as ordinals, nulls absent, shifted dates computed."""
    fact: dict[str, Any] = {TEAM_FLAG: True}
    for name, value in checked.items():
        if value is not None:
            fact[name] = value.toordinal() if isinstance(value, date) else value
    for ref in rules.shifted:
        base = checked.get(ref.fact)
        if isinstance(base, date):
            fact[ref.key] = add_months(base, ref.months, ref.days).toordinal()
    return fact
