"""What a new team rule version changes before it is published. For every open case whose
application records its area, personnel and sites: the person-days and team size of the audit it
waits for, under the version in force on the effective date and under the new one. And every
accepted team (a current assignment) whose audit starts on or after that date, asked again under
the new version as `plan accept` asked the version that accepted it: a team the new version
refuses must be planned again before its audit. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.team_rules import AuditTime, TeamRules, audit_time
from workflows.assignments import Assignment
from workflows.model import LIVE_STATES, Case
from workflows.team_check import next_audit_kind

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.team_checking import Asked

COMPARES = (
    "compared are the audit time (person-days and team size) of the audit each open case waits "
    "for, and every accepted team whose audit starts on or after the effective date, asked "
    "again under the new version"
)


@dataclass(frozen=True)
class TimeChange:
    case_id: int
    holder: str
    kind: str
    before: AuditTime
    after: AuditTime

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "holder": self.holder,
            "kind": self.kind,
            "days_before": str(self.before.days),
            "days_after": str(self.after.days),
            "members_before": self.before.members,
            "members_after": self.after.members,
        }


@dataclass(frozen=True)
class AskedTeam:
    """An accepted team the new version refuses, or could not be asked about: either way it is
    to be looked at, and planned again, before its audit."""

    assignment: Assignment
    holder: str
    asked: Asked

    def text(self) -> str:
        a = self.asked
        said = (
            f"could not be asked: {a.not_asked}"
            if a.not_asked is not None
            else "refused by " + "; ".join(f"{rule}: {message}" for rule, message in a.refused)
        )
        s = self.assignment
        return (
            f"assignment {s.id}: case {s.case_id} {self.holder} ({s.kind} from {s.starts_on}, "
            f"accepted under {s.rules_version}) {said}"
        )

    def to_dict(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "assignment_id": a.id,
            "case_id": a.case_id,
            "holder": self.holder,
            "kind": a.kind,
            "starts_on": a.starts_on.isoformat(),
            "accepted_under": a.rules_version,
            "refused_by": self.asked.refused_json(),
            "not_asked": self.asked.not_asked,
        }


@dataclass(frozen=True)
class TeamImpact:
    new: str
    effective_from: date
    current: str | None  # the version in force on that date, if any
    compared: int  # open cases whose size is recorded
    unsized: int  # open cases whose application does not record it
    changes: tuple[TimeChange, ...]
    teams_checked: int = 0  # accepted teams of open cases whose audit starts on or after it
    teams_refused: tuple[AskedTeam, ...] = ()
    teams_not_asked: tuple[AskedTeam, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "effective_from": self.effective_from.isoformat(),
            "current": self.current,
            "compares": COMPARES,
            "compared": self.compared,
            "unsized": self.unsized,
            "changes": [c.to_dict() for c in self.changes],
            "teams_checked": self.teams_checked,
            "teams_refused": [t.to_dict() for t in self.teams_refused],
            "teams_not_asked": [t.to_dict() for t in self.teams_not_asked],
        }

    def text(self) -> str:
        lines = [
            f"impact of {self.new} from {self.effective_from} against "
            f"{self.current or 'no version in force'}: {COMPARES}",
            f"  {self.compared} open cases compared, {self.unsized} without area, personnel or "
            "sites (not compared)",
        ]
        if not self.changes:
            lines.append("  nobody changes")
        for c in self.changes:
            lines.append(
                f"case {c.case_id} {c.holder} ({c.kind}): {c.before.days} -> {c.after.days} "
                f"person-days, team of {c.before.members} -> {c.after.members}"
            )
        lines.append(
            f"  {self.teams_checked} accepted teams asked again, {len(self.teams_refused)} "
            f"refused, {len(self.teams_not_asked)} could not be asked (plan them again before "
            "their audit: plan accept CASE --auditors ... --from DAY)"
        )
        lines.extend(t.text() for t in (*self.teams_refused, *self.teams_not_asked))
        return "\n".join(lines)


def team_file_impact(
    application: App, data: bytes, name: str, effective: date | None
) -> TeamImpact:
    """The impact of a team rule file (`rules impact FILE` and the API's): as of `effective`, or
    without it the file's own date, or today if that is past (the earliest publish accepts)."""
    from engine.team_loader import load_team_rules
    from starcert.rule_publication import file_cap
    from workflows.deadlines import local_day

    new = load_team_rules(data, name, cap=file_cap(application.config))
    today = local_day(application.clock.now(), application.config.zone)
    day = max(new.effective_from, today) if effective is None else effective
    return team_impact(application, new.published_as(day, name), day)


def team_impact(application: App, new: TeamRules, effective: date) -> TeamImpact:
    from engine.rule_errors import NotInForce
    from starcert.team_checking import team_rules

    try:
        current: TeamRules | None = team_rules(application).in_force(effective)
    except NotInForce:
        current = None
    reads = application.database.reads
    cases = reads.cases(LIVE_STATES)
    applications = reads.applications({c.application_id for c in cases})
    changes: list[TimeChange] = []
    compared = unsized = 0
    for case in cases:
        app_row = applications.get(case.application_id)
        if app_row is None or app_row.personnel is None or app_row.sites is None:
            unsized += 1
            continue
        compared += 1
        kind = next_audit_kind(case).value
        after = audit_time(new.audit_time, kind, app_row.personnel, app_row.sites)
        before = (
            None
            if current is None
            else audit_time(current.audit_time, kind, app_row.personnel, app_row.sites)
        )
        if before is None or (before.days, before.members) != (after.days, after.members):
            assert case.id is not None
            changes.append(TimeChange(case.id, case.holder, kind, before or after, after))
    asked = asked_again(application, new, effective, cases)
    return TeamImpact(
        new.label, effective, None if current is None else current.label,
        compared, unsized, tuple(changes), len(asked), *split(asked),
    )  # fmt: skip


def asked_again(
    application: App, new: TeamRules, effective: date, cases: Sequence[Case] | None = None
) -> tuple[AskedTeam, ...]:
    """The current assignments of open cases (`cases`, read if not given) whose audit the new
    version decides (it starts on or after the effective date), each team asked again under it,
    in the order they start."""
    from starcert.team_checking import ask_again

    if cases is None:
        cases = application.database.reads.cases(LIVE_STATES)
    holders = {c.id: c.holder for c in cases}
    held = [
        a
        for a in application.database.assignments.current()
        if a.starts_on >= effective and a.case_id in holders
    ]
    return tuple(
        AskedTeam(a, holders[a.case_id], ask_again(application, a, new))
        for a in sorted(held, key=lambda a: (a.starts_on, a.id or 0))
    )


def split(asked: Sequence[AskedTeam]) -> tuple[tuple[AskedTeam, ...], tuple[AskedTeam, ...]]:
    """Those refused, and those that could not be asked; the rest are accepted."""
    return (
        tuple(t for t in asked if t.asked.refused),
        tuple(t for t in asked if t.asked.not_asked is not None),
    )
