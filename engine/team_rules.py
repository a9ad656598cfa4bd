"""A loaded team rule set version: who may audit (named rules over the team's facts) and how
long an audit takes (the audit-time table). Immutable, like the criteria's RuleSet, and
identified the same way (name, version, content hash); the durable-rules engine evaluates its
rules through engine.durable_adapter as it does the criteria's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from engine.compiler import durable_condition
from engine.conditions import Condition, Ref, exact_scores

TEAM_KIND = "team"
TEAM_FLAG = "check_team"
"""The flag every team fact carries and every team rule is guarded by."""

TABLE_KINDS = ("stage1", "stage2", "surveillance", "recertification")
"""The audit kinds every row of the audit-time table gives days for."""
AUDIT_KINDS = (*TABLE_KINDS, "special")
"""The kinds an audit time is asked for: a row may give a special audit's days (a scope
extension's, a short-notice visit's); one that does not gives it a surveillance's."""
HALF_DAY = Decimal("0.5")


@dataclass(frozen=True)
class TeamRule:
    key: str  # "team.<id>"
    id: str
    message: str
    outcome: str  # refuse_team | note
    fires_when: Condition  # the violation of what the file requires
    line: int | None
    requires: Condition | None = None  # as written (what diff shows)


@dataclass(frozen=True)
class PersonnelRow:
    up_to: int | None  # effective personnel, inclusive; None: any number above the rows before
    days: Mapping[str, Decimal]  # audit kind -> person-days
    line: int | None


@dataclass(frozen=True)
class Adjustment:
    id: str
    message: str
    percent: int  # signed: -20 reduces the days by a fifth
    line: int | None


@dataclass(frozen=True)
class TeamSizeRow:
    up_to_days: Decimal | None
    members: int


@dataclass(frozen=True)
class AuditTimeTable:
    personnel: tuple[PersonnelRow, ...]  # ascending
    extra_site_percent: int  # each site after the first adds this share of the table's days
    max_site_percent: int  # the sites add at most this share
    adjustments: tuple[Adjustment, ...]
    max_reduction_percent: int
    max_increase_percent: int
    minimum_days: Decimal
    team_size: tuple[TeamSizeRow, ...]  # ascending
    note: str


@dataclass(frozen=True)
class AuditTime:
    """Person-days of one audit and every step that reached them, in order."""

    kind: str
    days: Decimal
    members: int  # the team size the days ask for
    steps: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "days": str(self.days),
            "members": self.members,
            "steps": list(self.steps),
        }


class AuditTimeError(ValueError):
    """An audit-time input the table cannot take; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def audit_time(
    table: AuditTimeTable, kind: str, personnel: int, sites: int, adjust: tuple[str, ...] = ()
) -> AuditTime:
    """The person-days of an audit of `kind` for a client of `personnel` effective personnel on
    `sites` sites, with the file's adjustments named in `adjust`: table row, sites, adjustments
    (their sum held within the file's bounds), minimum, then rounded up to a half day."""
    if kind not in AUDIT_KINDS:
        raise AuditTimeError("kind", f"{kind!r} is none of {', '.join(AUDIT_KINDS)}")
    if personnel < 1:
        raise AuditTimeError("personnel", f"must be at least 1, got {personnel}")
    if sites < 1:
        raise AuditTimeError("sites", f"must be at least 1, got {sites}")
    row = next(r for r in table.personnel if r.up_to is None or personnel <= r.up_to)
    base = row.days[kind]
    band = f"up to {row.up_to}" if row.up_to is not None else "above the table's rows"
    steps = [f"{kind}, {personnel} effective personnel ({band}): {base} days from the table"]
    days = base
    extra = min((sites - 1) * table.extra_site_percent, table.max_site_percent)
    if extra:
        more = base * extra / 100
        days += more
        capped = " (capped)" if extra == table.max_site_percent and sites > 1 else ""
        steps.append(f"{sites} sites: +{extra}%{capped} = +{_plain(more)} days")
    known = {a.id: a for a in table.adjustments}
    percent = 0
    if len(set(adjust)) != len(adjust):
        raise AuditTimeError("adjust", "an adjustment is named twice; each applies once")
    for name in adjust:
        found = known.get(name)
        if found is None:
            listed = ", ".join(known) or "none"
            raise AuditTimeError("adjust", f"unknown adjustment {name!r}; the file lists: {listed}")
        percent += found.percent
        steps.append(f"{found.id}: {found.percent:+d}% ({found.message})")
    bounded = max(-table.max_reduction_percent, min(table.max_increase_percent, percent))
    if bounded != percent:
        steps.append(
            f"adjustments {percent:+d}% held to {bounded:+d}% (the file allows "
            f"-{table.max_reduction_percent}%..+{table.max_increase_percent}%)"
        )
    if bounded:
        change = days * bounded / 100
        days += change
        steps.append(f"adjustments {bounded:+d}% = {_signed(change)} days")
    if days < table.minimum_days:
        steps.append(f"raised to the minimum of {table.minimum_days} days")
        days = table.minimum_days
    rounded = (days / HALF_DAY).to_integral_value(rounding=ROUND_CEILING) * HALF_DAY
    rounded = rounded.normalize() if rounded == rounded.to_integral_value() else rounded
    if rounded != days:
        steps.append(f"{_plain(days)} rounded up to the half day: {rounded}")
    members = next(
        r.members for r in table.team_size if r.up_to_days is None or rounded <= r.up_to_days
    )
    steps.append(f"{rounded} person-days: a team of at least {members}")
    return AuditTime(kind, Decimal(rounded), members, tuple(steps))


def _plain(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')).normalize():f}"
    return text


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + _plain(abs(value))


@dataclass(frozen=True)
class TeamExample:
    name: str
    line: int | None
    facts: Mapping[str, Any]
    as_of: date
    expect: Mapping[str, Any]


@dataclass(frozen=True)
class TeamRules:
    name: str
    version: str
    version_key: tuple[int, ...]
    effective_from: date
    title: str
    source: str
    content_hash: str
    rules: tuple[TeamRule, ...]
    audit_time: AuditTimeTable
    examples: tuple[TeamExample, ...]
    shifted: tuple[Ref, ...] = ()  # date references with offsets, computed before each assert
    effective_line: int | None = None

    kind = TEAM_KIND

    @property
    def engine_name(self) -> str:
        """Unique per content: the rules engine never re-registers a name."""
        return f"{self.name}__v{self.version}__{self.content_hash[:8]}"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def durable_rules(self) -> dict[str, dict[str, Any]]:
        """Rule key → durable rule definition, each guarded by the team flag."""
        guard = {TEAM_FLAG: True}
        return {
            rule.key: {
                "all": [{"m": {"$and": [guard, durable_condition(exact_scores(rule.fires_when))]}}]
            }
            for rule in self.rules
        }

    def published_as(self, effective_from: date, source: str) -> TeamRules:
        """This version as published: the stored effective date governs, not the file's own."""
        return replace(self, effective_from=effective_from, source=source)
