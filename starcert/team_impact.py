"""What a new team rule version changes before it is published: no team is stored yet (audit
teams are checked, not assigned), so the impact compares the audit time. For every open case
whose application records its area, personnel and sites, the person-days and team size of the
audit it waits for, under the version in force on the effective date and under the new one.
Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.team_rules import AuditTime, TeamRules, audit_time
from workflows.model import TERMINAL_STATES, State
from workflows.team_check import next_audit_kind

if TYPE_CHECKING:
    from starcert.app import App

COMPARES = (
    "no audit team is stored yet, so no assignment can be refused: compared is the audit time "
    "(person-days and team size) of the audit each open case waits for"
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
class TeamImpact:
    new: str
    effective_from: date
    current: str | None  # the version in force on that date, if any
    compared: int  # open cases whose size is recorded
    unsized: int  # open cases whose application does not record it
    changes: tuple[TimeChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "effective_from": self.effective_from.isoformat(),
            "current": self.current,
            "compares": COMPARES,
            "compared": self.compared,
            "unsized": self.unsized,
            "changes": [c.to_dict() for c in self.changes],
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
        return "\n".join(lines)


def team_impact(application: App, new: TeamRules, effective: date) -> TeamImpact:
    from engine.rule_errors import NotInForce
    from starcert.team_checking import team_rules

    try:
        current: TeamRules | None = team_rules(application).in_force(effective)
    except NotInForce:
        current = None
    reads = application.database.reads
    open_states = [s for s in State if s not in TERMINAL_STATES and s is not State.EXPIRED]
    cases = reads.cases(open_states)
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
    return TeamImpact(
        new.label, effective, None if current is None else current.label,
        compared, unsized, tuple(changes),
    )  # fmt: skip
