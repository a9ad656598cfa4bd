"""What the team rules are asked about a proposed audit team: the facts, read from the register
(qualifications, areas, client relations) and from the client's past audits (rotation), each with
the words that say how it was found. The rules themselves decide (engine); this module only
counts and dates. Pure: every record and the audit date are given.

Certification cycles of a client: each of its cases is a cycle from its first audit, and each
re-certification audit starts the next; a surveillance belongs to the cycle it falls in. An audit
names who did it in its `auditor` text (names or registration numbers, comma-separated).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows.auditors import Auditor
from workflows.errors import InvalidInput
from workflows.model import Application, Audit, AuditKind, Case, State

GRADE_RANK = {"auditor": 1, "senior_auditor": 2}
_INITIAL = frozenset({AuditKind.STAGE1, AuditKind.STAGE2})
_SPLIT = re.compile(r"[,，、;；]")


@dataclass(frozen=True)
class ProposedTeam:
    leader: Auditor
    members: tuple[Auditor, ...]  # the leader first


@dataclass(frozen=True)
class TeamFacts:
    facts: Mapping[str, Any]  # as the team rules name them (engine.team_facts)
    said: Mapping[str, str]  # fact -> how it was found, in words


def team_of(auditors: Sequence[Auditor], leader_id: int | None) -> ProposedTeam:
    """The team as given: the leader (`leader_id`, else the first) and every member once."""
    if not auditors:
        raise InvalidInput("--auditors", "name at least one auditor")
    ids = [a.id for a in auditors]
    if len(set(ids)) != len(ids):
        raise InvalidInput("--auditors", "an auditor is named twice")
    if leader_id is None:
        leader = auditors[0]
    else:
        found = [a for a in auditors if a.id == leader_id]
        if not found:
            raise InvalidInput("--leader", f"auditor {leader_id} is not in the team")
        leader = found[0]
    return ProposedTeam(leader, (leader, *(a for a in auditors if a is not leader)))


def next_audit_kind(case: Case) -> AuditKind:
    """The audit a case is waiting for, by its state (an operator may name another)."""
    if case.state is State.APPLIED or case.state is State.STAGE1:
        return AuditKind.STAGE1
    if case.state is State.STAGE2:
        return AuditKind.STAGE2
    return AuditKind.SURVEILLANCE


def team_facts(
    team: ProposedTeam,
    application: Application,
    area: str,
    audit_date: date,
    kind: AuditKind,
    required_size: int,
    history: Iterable[tuple[Case, Sequence[Audit]]],
) -> TeamFacts:
    """The facts of `team` auditing `application`'s client on `audit_date`.

    `history` holds every case of the client with its recorded audits; `required_size` is the
    team the audit time asks for.
    """
    leader = team.leader.qualification
    said: dict[str, str] = {}
    facts: dict[str, Any] = {
        "audit_date": audit_date,
        "leader_registered_on": leader.registered_on,
        "leader_valid_until": leader.valid_until,
        "leader_grade_rank": GRADE_RANK[leader.grade.value],
        "team_size": len(team.members),
        "required_team_size": required_size,
    }
    said["leader"] = (
        f"{_who(team.leader)}: {leader.grade.value} {leader.registration}, registered "
        f"{leader.registered_on}, valid until {leader.valid_until}"
    )
    competent = [a for a in team.members if area in a.areas]
    facts["competent_members"] = len(competent)
    said["competent_members"] = f"{len(competent)} in {area}" + (
        f" ({', '.join(_who(a) for a in competent)})" if competent else ""
    )
    facts["last_relation_end"], said["last_relation_end"] = _last_relation(
        team, application.organisation_id, audit_date
    )
    facts["longest_run_of_cycles"], said["longest_run_of_cycles"] = _rotation(team, kind, history)
    said["team_size"] = f"{len(team.members)} member(s); the audit time asks for {required_size}"
    return TeamFacts(facts, said)


def _who(auditor: Auditor) -> str:
    return f"{auditor.name} (auditor {auditor.id})"


def _last_relation(
    team: ProposedTeam, organisation_id: int, audit_date: date
) -> tuple[date | None, str]:
    latest: tuple[date, Auditor, str] | None = None
    for member in team.members:
        for relation in member.relations:
            if relation.organisation_id != organisation_id or relation.starts_on > audit_date:
                continue
            ended = min(relation.ends_on or audit_date, audit_date)
            if latest is None or ended > latest[0]:
                latest = (ended, member, relation.kind.value)
    if latest is None:
        return None, "no member has declared a relation with the client"
    ended, member, kind = latest
    lasting = " (still lasting)" if ended == audit_date else ""
    return ended, f"{_who(member)}: {kind} with the client until {ended}{lasting}"


def _rotation(
    team: ProposedTeam, kind: AuditKind, history: Iterable[tuple[Case, Sequence[Audit]]]
) -> tuple[int, str]:
    by_cycle: dict[int, set[str]] = {}
    cycle = 0
    planned_case_started = False
    cases = sorted(history, key=lambda pair: pair[0].id or 0)
    for position, (_case, audits) in enumerate(cases):
        started = False
        for audit in sorted(audits, key=lambda a: (a.audit_date, a.id or 0)):
            if not started or audit.kind is AuditKind.RECERTIFICATION:
                cycle += 1
                started = True
            by_cycle.setdefault(cycle, set()).update(_names(audit.auditor))
        if position == len(cases) - 1:
            planned_case_started = started
    starts_new = kind is AuditKind.RECERTIFICATION or (
        kind in _INITIAL and not planned_case_started
    )
    planned = cycle + 1 if starts_new or cycle == 0 else cycle
    longest, who = 1, team.members[0]
    for member in team.members:
        keys = {member.name.strip(), member.qualification.registration.strip()}
        run = 1
        while planned - run >= 1 and keys & by_cycle.get(planned - run, set()):
            run += 1
        if run > longest:
            longest, who = run, member
    if longest == 1:
        return 1, f"cycle {planned} of the client: no member audited it in the cycle before"
    return longest, f"{_who(who)} audits the client in {longest} consecutive cycles up to {planned}"


def _names(text: str) -> set[str]:
    return {part.strip() for part in _SPLIT.split(text) if part.strip()}
