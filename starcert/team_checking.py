"""`team check`, once for the CLI and the API: the case, its application and the client's past
audits read from the database, the auditors from the register, the audit time and the verdict
from the team rules in force on the audit date (published in the database; the shipped team files
are published first when none is). Reads only; writes nothing but that first publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.conditions import facts_used
from engine.team_evaluate import TeamBook, TeamDecision, evaluate_team
from engine.team_rules import AuditTime, AuditTimeError, TeamRules, audit_time
from workflows.assignments import Assignment
from workflows.auditors import Auditor, AuditorNotFound, check_area
from workflows.deadlines import local_day
from workflows.errors import InvalidInput, NotFound
from workflows.model import AuditKind, Case
from workflows.team_check import ProposedTeam, TeamFacts, next_audit_kind, team_facts, team_of

if TYPE_CHECKING:
    from starcert.app import App


@dataclass(frozen=True)
class Sizing:
    """What the audit time reads, and where each value came from."""

    area: str
    personnel: int
    sites: int
    sources: dict[str, str]  # name -> "application" or the option that gave it


@dataclass(frozen=True)
class TeamVerdict:
    case: Case
    kind: AuditKind
    audit_date: date
    team: ProposedTeam
    sizing: Sizing
    time: AuditTime
    facts: TeamFacts
    decision: TeamDecision
    rules: TeamRules

    def because(self, rule_key: str) -> str:
        """The facts a rule reads, in words: why it said what it said."""
        rule = next(r for r in self.rules.rules if r.key == rule_key)
        said = self.facts.said
        keys = []
        for fact in sorted(facts_used(rule.fires_when)):
            key = "leader" if fact.startswith("leader_") else fact
            key = "team_size" if key == "required_team_size" else key
            if key in said and key not in keys:
                keys.append(key)
        return "; ".join(said[k] for k in keys)

    def to_dict(self) -> dict[str, Any]:
        verdicts = [
            *(("refused", r) for r in self.decision.failures),
            *(("note", r) for r in self.decision.notes),
            *(("passed", r) for r in self.decision.passed),
        ]
        order = {r.key: i for i, r in enumerate(self.rules.rules)}
        verdicts.sort(key=lambda pair: order[pair[1].rule])
        return {
            "accepted": self.decision.accepted,
            "case_id": self.case.id,
            "holder": self.case.holder,
            "kind": self.kind.value,
            "audit_date": self.audit_date.isoformat(),
            "leader": self.team.leader.id,
            "members": [{"id": a.id, "name": a.name} for a in self.team.members],
            "area": self.sizing.area,
            "personnel": self.sizing.personnel,
            "sites": self.sizing.sites,
            "given_by": self.sizing.sources,
            "audit_time": self.time.to_dict(),
            "rules": [
                {
                    "rule": r.rule,
                    "verdict": verdict,
                    "message": r.message,
                    "because": self.because(r.rule),
                }
                for verdict, r in verdicts
            ],
            "ruleset": self.decision.ruleset,
            "version": self.decision.version,
            "content_hash": self.decision.content_hash,
        }


@dataclass(frozen=True)
class TeamRequest:
    case_id: int
    auditors: Sequence[str]  # ids or registration numbers
    leader: str | None = None
    on: date | None = None
    kind: AuditKind | None = None
    area: str | None = None
    personnel: int | None = None
    sites: int | None = None
    adjust: tuple[str, ...] = ()


OPTION = {"auditors": "--auditors", "leader": "--leader", "area": "--area"}


def check_team(
    application: App, request: TeamRequest, rules: TeamRules | None = None
) -> TeamVerdict:
    """The verdict of the team rules in force on the audit date on `request`'s team (or of
    `rules`, a version not yet published, for its impact)."""
    day = request.on or local_day(application.clock.now(), application.config.zone)
    members = [auditor_named(application, ref, "--auditors") for ref in request.auditors]
    leader = (
        None if request.leader is None else auditor_named(application, request.leader, "--leader")
    )
    team = team_of(members, None if leader is None else leader.id)
    with application.uow() as uow:
        case = uow.cases.get(request.case_id)
        app_row = uow.applications.get(case.application_id)
        history = [
            (c, list(uow.audits.for_case(c.id)))
            for c in uow.reads.cases_of_organisation(case.organisation_id)
            if c.id is not None
        ]
    sizing = _sizing(application, request, app_row.area, app_row.personnel, app_row.sites)
    kind = request.kind or next_audit_kind(case)
    rules = rules or team_rules(application).in_force(day)
    try:
        time = audit_time(rules.audit_time, kind.value, sizing.personnel, sizing.sites,
                          request.adjust)  # fmt: skip
    except AuditTimeError as exc:
        raise InvalidInput(f"--{exc.field}", exc.message) from None
    facts = team_facts(team, app_row, sizing.area, day, kind, time.members, history)
    decision = evaluate_team(rules, facts.facts, day)
    return TeamVerdict(case, kind, day, team, sizing, time, facts, decision, rules)


Refusal = tuple[tuple[str, str], ...]
"""The rules that refuse a team, each with its message."""


@dataclass(frozen=True)
class Asked:
    """An accepted team asked again: the rules that refuse it (none: accepted), or why it
    could not be asked."""

    refused: Refusal = ()
    not_asked: str | None = None

    def refused_json(self) -> list[dict[str, str]]:
        return [{"rule": rule, "message": message} for rule, message in self.refused]


def ask_again(application: App, assignment: Assignment, rules: TeamRules) -> Asked:
    """What `rules` say of an accepted team on its audit's first day, asked as `plan accept`
    asked the version that accepted it. It cannot be asked when an auditor left the register,
    or the application records no size (the operator's options at accept are not kept)."""
    request = TeamRequest(
        case_id=assignment.case_id,
        auditors=[str(m) for m in assignment.member_ids],
        leader=str(assignment.leader_id),
        on=assignment.starts_on,
        kind=AuditKind(assignment.kind),
    )
    try:
        verdict = check_team(application, request, rules)
    except InvalidInput as exc:
        return Asked(not_asked=exc.message)
    except NotFound as exc:
        return Asked(not_asked=str(exc))
    return Asked(tuple((f.rule, f.message) for f in verdict.decision.failures))


def team_rules(application: App) -> TeamBook:
    """The book of published team versions (the shipped ones published first if none is)."""
    from starcert.rule_publication import file_cap
    from starcert.team_rules_store import published_team_book, seed_team_shipped

    seed_team_shipped(
        application.uow,
        application.config.paths.rules_dir,
        application.clock.now(),
        file_cap(application.config),
    )
    return published_team_book(application.uow)


def auditor_named(application: App, ref: str, option: str) -> Auditor:
    """The auditor `ref` names, by register id or registration number (InvalidInput naming
    `option` when there is none)."""
    text = ref.strip()
    register = application.auditors
    if text.isascii() and text.isdigit():  # "³" is a digit to str.isdigit, not to int()
        number = int(text)
        try:
            if number > 2**62:  # no row id is larger; SQLite's driver overflows past 2**63
                raise AuditorNotFound(text)
            return register.get(number)
        except AuditorNotFound:
            raise InvalidInput(option, f"no auditor {text} in the register") from None
    found = register.register.by_registration(text)
    if found is None:
        raise InvalidInput(option, f"no auditor with id or registration {text!r}")
    return found


def _sizing(
    application: App, request: TeamRequest, area: str | None, personnel: int | None,
    sites: int | None,
) -> Sizing:  # fmt: skip
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, given, stored in (
        ("area", request.area, area),
        ("personnel", request.personnel, personnel),
        ("sites", request.sites, sites),
    ):
        if given is not None:
            values[name], sources[name] = given, f"--{name}"
        elif stored is not None:
            values[name], sources[name] = stored, "application"
        else:
            raise InvalidInput(
                f"--{name}",
                f"the application of case {request.case_id} records no {name} (it was made "
                f"before applications recorded it): give --{name}",
            )
    check_area(values["area"], application.config.auditors.areas, "--area")
    return Sizing(values["area"], values["personnel"], values["sites"], sources)
