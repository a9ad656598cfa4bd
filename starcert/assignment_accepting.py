"""`plan accept`, once for the CLI and the API: the team rules in force on the planned start are
asked again about the team (as `team check` asks them), and only a team they accept is stored as
the audit's assignment (workflows.assignments), replacing the one accepted before for the same
audit. A refused team writes nothing; its verdict says why, rule by rule.

Without a team named, the plan's proposal for the case is taken as it stands (the plan is made
again, as `starcert plan` makes it); a team, leader or dates given replace the proposal's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from workflows.assignments import Assignment, check_assignment, governing
from workflows.auditors import checked_text
from workflows.errors import InvalidInput
from workflows.model import AuditKind
from workflows.planning import Proposal

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.team_checking import TeamVerdict


@dataclass(frozen=True)
class AcceptRequest:
    case_id: int
    by: str
    kind: AuditKind | None = None  # default: the proposal's, else the one the case waits for
    auditors: Sequence[str] = ()  # ids or registrations; none: the proposal's team
    leader: str | None = None
    starts_on: date | None = None  # default: the proposal's
    ends_on: date | None = None  # default: as long as the audit time over the team takes
    weeks: int = 8  # how far ahead the plan looks for the proposal


@dataclass(frozen=True)
class Accepted:
    verdict: TeamVerdict
    assignment: Assignment | None  # None: the rules refused the team, nothing was written
    replaced: Assignment | None = None


def accept(application: App, request: AcceptRequest) -> Accepted:
    from starcert.team_checking import TeamRequest, check_team

    by = checked_text(request.by, "--by")
    auditors, leader = list(request.auditors), request.leader
    kind, starts_on = request.kind, request.starts_on
    if not auditors or starts_on is None:
        try:
            proposal = _proposal(application, request)
        except InvalidInput as exc:
            if not auditors:
                raise
            raise InvalidInput("--from", f"give the first audit day: {exc.message}") from None
        if not auditors:
            auditors = [str(m.id) for m in proposal.members]
            leader = leader or str(proposal.leader.id)
        starts_on = starts_on or proposal.starts_on
        kind = kind or AuditKind(proposal.audit.kind)
    if request.ends_on is not None:
        check_assignment(starts_on, request.ends_on, ())  # bad dates before the rules are asked
    verdict = check_team(
        application,
        TeamRequest(case_id=request.case_id, auditors=auditors, leader=leader, on=starts_on,
                    kind=kind),
    )  # fmt: skip
    if not verdict.decision.accepted:
        return Accepted(verdict, None)
    members = verdict.team.members
    member_ids = tuple(m.id or 0 for m in members)
    length = max(1, math.ceil(verdict.time.days / len(members)))
    ends_on = request.ends_on or starts_on + timedelta(days=length - 1)
    check_assignment(starts_on, ends_on, member_ids)
    store = application.database.assignments
    replaced = governing(store.for_case(request.case_id), verdict.kind.value, starts_on)
    stored = store.add(
        Assignment(
            id=None,
            case_id=request.case_id,
            kind=verdict.kind.value,
            starts_on=starts_on,
            ends_on=ends_on,
            leader_id=verdict.team.leader.id or 0,
            member_ids=member_ids,
            accepted_by=by,
            accepted_at=application.clock.now(),
            rules_version=verdict.decision.version,
            replaces=None if replaced is None else replaced.id,
        )
    )
    return Accepted(verdict, stored, replaced)


def _proposal(application: App, request: AcceptRequest) -> Proposal:
    from starcert.audit_planning import plan_audits

    made = plan_audits(application, request.weeks, ask_assigned=False)
    kind = None if request.kind is None else request.kind.value
    for p in made.plan.proposals:
        if p.audit.case_id == request.case_id and kind in (None, p.audit.kind):
            return p
    why = [
        n.reason
        for n in (*made.unsized, *made.plan.impossible)
        if n.audit.case_id == request.case_id and kind in (None, n.audit.kind)
    ]
    held = [a for a in made.assigned if a.case_id == request.case_id]
    said = (
        f"it is assigned already (assignment {held[0].id}); to replace that team, name the new "
        "one with --auditors and --from"
        if held
        else why[0]
        if why
        else f"no audit of it is due within {request.weeks} week(s)"
    )
    raise InvalidInput(
        "--auditors", f"the plan proposes no team for case {request.case_id}: {said}"
    )
