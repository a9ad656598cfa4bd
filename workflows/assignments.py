"""Audit assignments: the team an operator accepted for one audit of a case, and what they
hold recorded audits to.

An assignment names the case, the audit kind, the planned dates, the leader and the members
(leader first), who accepted it and when, and the team rules version that accepted it. A new
accept for the same audit replaces the one before; the replaced one is kept, marked with the
assignment that replaced it, so every change of team stays traceable.

"The same audit": a case has one audit of a kind a year at most (surveillance), so an
assignment governs the audits of its case and kind dated within SAME_AUDIT_DAYS of its planned
start, and a new accept replaces the current one planned within that distance. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflows.auditors import Auditor
from workflows.errors import InvalidInput

SAME_AUDIT_DAYS = 90
"""Planned starts this close belong to the same audit; a year apart they are two."""
_SPLIT = re.compile(r"[,，、;；]")


@dataclass(frozen=True)
class Assignment:
    id: int | None
    case_id: int
    kind: str  # workflows.model.AuditKind value
    starts_on: date
    ends_on: date
    leader_id: int
    member_ids: tuple[int, ...]  # the leader first
    accepted_by: str
    accepted_at: datetime
    rules_version: str  # the team rules version that accepted the team
    replaces: int | None = None  # the assignment this one replaced
    replaced_by: int | None = None  # set when a later accept replaced this one

    @property
    def current(self) -> bool:
        return self.replaced_by is None


def as_json(a: Assignment) -> dict[str, Any]:
    """The assignment as JSON-ready data (CLI and API share it)."""
    return {
        "id": a.id,
        "case_id": a.case_id,
        "kind": a.kind,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
        "leader": a.leader_id,
        "members": list(a.member_ids),
        "accepted_by": a.accepted_by,
        "accepted_at": a.accepted_at.isoformat(),
        "rules_version": a.rules_version,
        "replaces": a.replaces,
        "replaced_by": a.replaced_by,
    }


def of_auditor(assignments: Iterable[Assignment], auditor_id: int) -> list[Assignment]:
    """The assignments whose team includes the auditor, in the order their audits start."""
    mine = [a for a in assignments if auditor_id in a.member_ids]
    return sorted(mine, key=lambda a: (a.starts_on, a.id or 0))


def same_audit(assignment: Assignment, kind: str, day: date) -> bool:
    """Whether an audit of `kind` on `day` is the one `assignment` plans (its case aside)."""
    return assignment.kind == kind and abs((day - assignment.starts_on).days) <= SAME_AUDIT_DAYS


def governing(assignments: Iterable[Assignment], kind: str, day: date) -> Assignment | None:
    """The current assignment (of one case) planned nearest an audit of `kind` on `day`."""
    near = [a for a in assignments if a.current and same_audit(a, kind, day)]
    return min(near, key=lambda a: (abs((day - a.starts_on).days), -(a.id or 0)), default=None)


def check_assignment(starts_on: date, ends_on: date, member_ids: Sequence[int]) -> None:
    """Refuse planned dates out of order or a team naming someone twice, naming the field."""
    if ends_on < starts_on:
        raise InvalidInput(
            "--to", f"{ends_on.isoformat()} is before the first day {starts_on.isoformat()}"
        )
    if len(set(member_ids)) != len(member_ids):
        raise InvalidInput("--auditors", "an auditor is named twice")


def check_recorded_audit(
    assignment: Assignment, auditor_text: str, audit_date: date, team: Sequence[Auditor]
) -> None:
    """Refuse an audit recorded by someone outside `assignment`'s team (`team`: its members,
    leader first), or led by a leader whose qualification did not hold on `audit_date`.

    The audit's `auditor` text names who audited (names, registration numbers or register ids,
    comma-separated), as audit records always have.
    """
    known: dict[str, Auditor] = {}
    for member in team:
        for key in (member.name, member.qualification.registration, str(member.id)):
            known[key.strip()] = member
    for name in (part.strip() for part in _SPLIT.split(auditor_text)):
        if name and name not in known:
            names = ", ".join(f"{m.name} ({m.id})" for m in team)
            raise InvalidInput(
                "auditor",
                f"{name} is not in the team assigned to this {assignment.kind} audit "
                f"(assignment {assignment.id}: {names})",
            )
    leader = next(m for m in team if m.id == assignment.leader_id)
    q = leader.qualification
    if not q.holds_on(audit_date):
        raise InvalidInput(
            "audit_date",
            f"the assigned leader {leader.name} ({leader.id})'s qualification {q.registration} "
            f"holds {q.registered_on.isoformat()}..{q.valid_until.isoformat()}, not on "
            f"{audit_date.isoformat()}",
        )
