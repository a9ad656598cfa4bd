"""`starcert plan --weeks N`: the planner (workflows.planning) over the database, with the team
rules in force as its judge. Reads only: it proposes, and writes nothing.

The audits due: each certificate's surveillance whose due day falls within the weeks asked, in
its window (from its window-opens deadline, or today once that has passed, to its due day); and
each re-certification whose certificate expires within them, from its reminder (or today) to the
day before expiry. The audit time comes from the client's application (area, personnel, sites)
by the team rules in force on the window's first day; an application without them gets a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.team_evaluate import TeamBook, evaluate_team
from engine.team_rules import audit_time
from workflows.assignments import Assignment, same_audit
from workflows.auditors import Auditor
from workflows.deadlines import due_day, local_day
from workflows.model import Application, Audit, AuditKind, Case, DeadlineKind, State
from workflows.planning import DueAudit, NoProposal, Plan, Verdict, plan
from workflows.team_check import ProposedTeam, team_facts

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.team_checking import Asked

_WINDOWS = (
    (AuditKind.SURVEILLANCE, DeadlineKind.SURVEILLANCE_WINDOW_OPENS, DeadlineKind.SURVEILLANCE_DUE),
    (AuditKind.RECERTIFICATION, DeadlineKind.RECERT_REMINDER, DeadlineKind.EXPIRY),
)


@dataclass(frozen=True)
class AuditPlan:
    start: date
    end: date
    plan: Plan
    unsized: tuple[NoProposal, ...]  # due, but the application lacks what the audit time needs
    assigned: tuple[Assignment, ...] = ()  # due, and a team is accepted already: not proposed
    asked: dict[int, Asked] = field(default_factory=dict)
    """By assignment id: what the version in force on an accepted team's first day says of it,
    where that is not the version that accepted it (a refused team must be planned again)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "fair_share_days": str(self.plan.fair_share),
            "proposals": [
                {
                    "case_id": p.audit.case_id,
                    "kind": p.audit.kind,
                    "starts_on": p.starts_on.isoformat(),
                    "ends_on": p.ends_on.isoformat(),
                    "days": str(p.audit.days),
                    "leader": p.leader.id,
                    "members": [{"id": m.id, "name": m.name} for m in p.members],
                }
                for p in self.plan.proposals
            ],
            "impossible": [
                {"case_id": n.audit.case_id, "kind": n.audit.kind, "reason": n.reason}
                for n in (*self.unsized, *self.plan.impossible)
            ],
            "assigned": [self._assigned(a) for a in self.assigned],
            "load": {str(k): str(v) for k, v in sorted(self.plan.load.items())},
        }

    def _assigned(self, a: Assignment) -> dict[str, Any]:
        from starcert.team_checking import Asked

        asked = self.asked.get(a.id or 0) or Asked()
        return {
            "case_id": a.case_id,
            "kind": a.kind,
            "assignment": a.id,
            "starts_on": a.starts_on.isoformat(),
            "ends_on": a.ends_on.isoformat(),
            "leader": a.leader_id,
            "members": list(a.member_ids),
            "accepted_by": a.accepted_by,
            "accepted_under": a.rules_version,
            "refused_by": asked.refused_json(),
            "not_asked": asked.not_asked,
        }


class _Judge:
    """The team rules in force on each day, on the facts the register and history give."""

    def __init__(self, book: TeamBook, applications: dict[int, Application], application: App):
        self.book = book
        self.applications = applications
        self.app = application
        self.history: dict[int, list[tuple[Case, list[Audit]]]] = {}

    def _history(self, organisation_id: int) -> list[tuple[Case, list[Audit]]]:
        found = self.history.get(organisation_id)
        if found is None:
            with self.app.uow() as uow:
                found = [
                    (c, list(uow.audits.for_case(c.id)))
                    for c in uow.reads.cases_of_organisation(organisation_id)
                    if c.id is not None
                ]
            self.history[organisation_id] = found
        return found

    def __call__(self, audit: DueAudit, team: Sequence[Auditor], day: date) -> Verdict:
        rules = self.book.in_force(day)
        proposed = ProposedTeam(team[0], tuple(team))
        facts = team_facts(
            proposed, self.applications[audit.case_id], audit.area, day,
            AuditKind(audit.kind), audit.members, self._history(audit.organisation_id),
        )  # fmt: skip
        decision = evaluate_team(rules, facts.facts, day)
        return Verdict(decision.accepted, tuple(r.rule for r in decision.failures))


@dataclass(frozen=True)
class DueWindow:
    """An audit due within the weeks asked, and the team accepted for it, if any."""

    case: Case
    kind: AuditKind
    opens: date  # the window's first day (its deadline's, even when passed)
    window_from: date  # the first day still to plan on: `opens`, or today once it has passed
    window_to: date  # the last day it may start
    assignment: Assignment | None


def due_windows(application: App, first: date, last: date) -> list[DueWindow]:
    """Every surveillance and re-certification whose window closes within `first`..`last`."""
    zone = application.config.zone
    reads = application.database.reads
    cases = {c.id: c for c in reads.cases([State.ACTIVE, State.SUSPENDED]) if c.id is not None}
    open_rows = reads.deadlines_by_case()
    accepted: dict[int, list[Assignment]] = {}
    for held in application.database.assignments.current():
        accepted.setdefault(held.case_id, []).append(held)
    found: list[DueWindow] = []
    for case_id, case in cases.items():
        days = {d.kind: due_day(d.due_at, zone) for d in open_rows.get(case_id, ())}
        for kind, opens, closes in _WINDOWS:
            if closes not in days or not first <= days[closes] <= last:
                continue
            window_to = days[closes] - timedelta(days=1 if kind is AuditKind.RECERTIFICATION else 0)
            window_from = max(first, days.get(opens, first))
            opened = days.get(opens, window_from)
            taken = _assigned(accepted.get(case_id, ()), kind, opened, window_to)
            found.append(DueWindow(case, kind, opened, window_from, window_to, taken))
    return found


def plan_audits(
    application: App,
    weeks: int,
    start: date | None = None,
    placed: Callable[[int, int], None] | None = None,
    ask_assigned: bool = True,
) -> AuditPlan:
    """The plan of the audits due in `weeks` from `start` (today); `placed` follows the
    planner (audits done, audits in all). With `ask_assigned`, accepted teams are asked again
    by a later team version in force on their first day."""
    from starcert.team_checking import team_rules

    today = local_day(application.clock.now(), application.config.zone)
    first = start or today
    last = first + timedelta(weeks=weeks)
    windows = due_windows(application, first, last)
    stored = application.database.reads.applications({w.case.application_id for w in windows})
    applications = {
        w.case.id: stored[w.case.application_id]
        for w in windows
        if w.case.id is not None and w.case.application_id in stored
    }
    book = team_rules(application)
    due: list[DueAudit] = []
    unsized: list[NoProposal] = []
    assigned: list[Assignment] = []
    for w in windows:
        case_id, case, kind = w.case.id or 0, w.case, w.kind
        window_from, window_to = w.window_from, w.window_to
        if w.assignment is not None:
            assigned.append(w.assignment)
            continue
        app_row = applications.get(case_id)
        probe = DueAudit(case_id, case.organisation_id, kind.value, window_from, window_to,
                         "", Decimal(0), 0)  # fmt: skip
        if app_row is None or None in (app_row.area, app_row.personnel, app_row.sites):
            unsized.append(NoProposal(probe, "its application records no area, personnel or sites"))
            continue
        assert app_row.area and app_row.personnel and app_row.sites
        time = audit_time(
            book.in_force(window_from).audit_time, kind.value, app_row.personnel,
            app_row.sites,
        )  # fmt: skip
        due.append(
            DueAudit(
                case_id,
                case.organisation_id,
                kind.value,
                window_from,
                window_to,
                app_row.area,
                time.days,
                time.members,
            )
        )
    auditors = application.auditors.list()
    booked: dict[int, list[date]] = {}
    for held in assigned:  # an accepted team is busy on its days
        span = [
            held.starts_on + timedelta(days=d)
            for d in range((held.ends_on - held.starts_on).days + 1)
        ]
        for member in held.member_ids:
            booked.setdefault(member, []).extend(span)
    made = plan(
        due, auditors, _Judge(book, applications, application), booked=booked, placed=placed
    )
    asked = _asked_again(application, book, assigned) if ask_assigned else {}
    return AuditPlan(first, last, made, tuple(unsized), tuple(assigned), asked)


def _asked_again(
    application: App, book: TeamBook, assigned: Sequence[Assignment]
) -> dict[int, Asked]:
    """The accepted teams asked again where the version in force on their first day is not the
    one that accepted them (the rules are deterministic: the same version would say the same;
    the register's changes are checked when the audit is recorded)."""
    from engine.rule_errors import NotInForce
    from starcert.team_checking import ask_again

    found: dict[int, Asked] = {}
    for a in assigned:
        try:
            rules = book.in_force(a.starts_on)
        except NotInForce:
            continue
        if rules.version != a.rules_version and a.id is not None:
            found[a.id] = ask_again(application, a, rules)
    return found


def _assigned(
    held: Sequence[Assignment], kind: AuditKind, opens: date, closes: date
) -> Assignment | None:
    """The accepted team of a due audit: planned inside its window, or near its last day."""
    for a in held:
        if a.kind == kind.value and (
            opens <= a.starts_on <= closes or same_audit(a, kind.value, closes)
        ):
            return a
    return None
