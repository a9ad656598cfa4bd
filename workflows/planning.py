"""The audit planner: a team and a start date for every due audit, or the reason there is none.

Pure: the due audits, the register, the audit time and the team rules' judgement are given (the
judge is the rules engine, injected by the composition root), so the planner never proposes a
team the rules refuse: each proposal is one the judge accepted.

How it plans, earliest window end first (a missed re-certification costs the client its
certificate): for each audit, each day of its window from the first, the auditors free for the
whole audit (their unavailable ranges and this plan's earlier proposals) and under their fair
share are tried least-loaded first: a leader, then members (competent ones in the case's area
first) up to the size the audit time asks. The first team the judge accepts is proposed; the days
spread over the members (a 3-day audit by two takes two days). The fair share is 125% of an even
split of the plan's person-days over the auditors, at least the longest audit (so one large audit
never finds nobody "fair"). An audit with no accepted team gets the reason: the refusals the
judge gave the last team tried, or that nobody was free.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from workflows.auditors import Auditor, available_on

MAX_TRIES = 6
"""Teams tried a day before the next day is tried: enough to get round one refusal or two."""
FAIR_SHARE = Decimal("1.25")


@dataclass(frozen=True)
class DueAudit:
    case_id: int
    organisation_id: int
    kind: str  # surveillance | recertification | stage1 | stage2
    window_from: date  # earliest start day
    window_to: date  # latest start day
    area: str
    days: Decimal  # person-days (audit time)
    members: int  # team size the audit time asks for


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    failures: tuple[str, ...] = ()  # rule keys that refused


Judge = Callable[[DueAudit, Sequence[Auditor], date], Verdict]
"""The team rules on a team (leader first) for a due audit starting on a day."""


@dataclass(frozen=True)
class Proposal:
    audit: DueAudit
    starts_on: date
    ends_on: date
    leader: Auditor
    members: tuple[Auditor, ...]  # leader first


@dataclass(frozen=True)
class NoProposal:
    audit: DueAudit
    reason: str


@dataclass
class Plan:
    proposals: list[Proposal] = field(default_factory=list)
    impossible: list[NoProposal] = field(default_factory=list)
    load: dict[int, Decimal] = field(default_factory=dict)  # auditor id -> person-days planned
    fair_share: Decimal = Decimal(0)


def span_days(audit: DueAudit, members: int) -> int:
    """Calendar days the audit takes: its person-days over the members, whole days."""
    return max(1, math.ceil(audit.days / members))


def plan(
    due: Iterable[DueAudit],
    auditors: Sequence[Auditor],
    judge: Judge,
    *,
    booked: Mapping[int, Iterable[date]] | None = None,
) -> Plan:
    """Propose a team and a start day for each due audit, or say why not."""
    audits = sorted(due, key=lambda a: (a.window_to, a.window_from, a.case_id))
    total = sum((a.days for a in audits), Decimal(0))
    longest = max((a.days for a in audits), default=Decimal(0))
    fair = max(longest, total / max(1, len(auditors)) * FAIR_SHARE)
    result = Plan(fair_share=fair)
    load: dict[int, Decimal] = defaultdict(Decimal)
    busy: dict[int, set[date]] = defaultdict(set)
    for auditor_id, days in (booked or {}).items():
        busy[auditor_id].update(days)
    by_area: dict[str, list[Auditor]] = defaultdict(list)
    for a in auditors:
        for area in a.areas:
            by_area[area].append(a)
    for audit in audits:
        found = _place(audit, auditors, by_area.get(audit.area, []), judge, load, busy, fair)
        if isinstance(found, Proposal):
            result.proposals.append(found)
            share = audit.days / len(found.members)
            day = found.starts_on
            while day <= found.ends_on:
                for m in found.members:
                    busy[_id(m)].add(day)
                day += timedelta(days=1)
            for m in found.members:
                load[_id(m)] += share
        else:
            result.impossible.append(found)
    result.load = dict(load)
    return result


def _id(auditor: Auditor) -> int:
    assert auditor.id is not None
    return auditor.id


def _place(
    audit: DueAudit,
    auditors: Sequence[Auditor],
    competent: Sequence[Auditor],
    judge: Judge,
    load: Mapping[int, Decimal],
    busy: Mapping[int, set[date]],
    fair: Decimal,
) -> Proposal | NoProposal:
    size = max(1, audit.members)
    length = span_days(audit, size)
    share = audit.days / size
    refusals: tuple[str, ...] = ()
    tried = 0
    day = audit.window_from
    while day <= audit.window_to:
        span = [day + timedelta(days=i) for i in range(length)]

        def free(a: Auditor, span: list[date] = span) -> bool:
            taken = busy.get(_id(a), ())
            return (
                load.get(_id(a), Decimal(0)) + share <= fair
                and all(d not in taken and available_on(a, d) for d in span)
            )

        for team in _teams(competent, auditors, free, load, size):
            tried += 1
            verdict = judge(audit, team, day)
            if verdict.accepted:
                return Proposal(audit, day, span[-1], team[0], tuple(team))
            refusals = verdict.failures
        day += timedelta(days=1)
    if not tried:
        return NoProposal(
            audit,
            f"no team of {size} is free for {length} day(s) within its fair share on any day "
            f"{audit.window_from}..{audit.window_to}",
        )
    return NoProposal(
        audit,
        f"every team tried on {audit.window_from}..{audit.window_to} was refused; the last by "
        + ", ".join(refusals),
    )


def _teams(
    competent: Sequence[Auditor],
    auditors: Sequence[Auditor],
    free: Callable[[Auditor], bool],
    load: Mapping[int, Decimal],
    size: int,
) -> Iterable[list[Auditor]]:
    """Candidate teams, least-loaded first: led by a competent auditor, then by others (the
    rules may ask the leader for more than competence), competent members added first; at most
    MAX_TRIES teams."""

    def by_load(pool: Iterable[Auditor]) -> list[Auditor]:
        return sorted((a for a in pool if free(a)), key=lambda a: (load.get(_id(a), 0), _id(a)))

    able = by_load(competent)
    everyone = by_load(auditors)
    others = [a for a in everyone if a not in able]
    half = MAX_TRIES // 2
    leaders = [*able[:half], *others[: MAX_TRIES - min(half, len(able))]]
    for leader in leaders:
        team = [leader]
        for other in (*able, *everyone):
            if len(team) >= size:
                break
            if other is not leader and other not in team:
                team.append(other)
        if len(team) == size:
            yield team
