"""The audit planner: a team and a start date for every due audit, or the reason there is none.

Pure: the due audits, the register, the audit time and the team rules' judgement are given (the
judge is the rules engine, injected by the composition root), so the planner never proposes a
team the rules refuse: each proposal is one the judge accepted.

How it plans, earliest window end first (a missed re-certification costs the client its
certificate): leaders are tried in order of preference (competent in the case's area, senior,
least loaded), each on the first day of the window on which it and enough members (competent
ones first, least loaded) are free for the whole audit (their unavailable ranges, this plan's
earlier proposals, and their fair share). The first team the judge accepts is proposed; the days
spread over the members (a 3-day audit by two takes two days). At most MAX_JUDGED teams are put to
the judge for one audit. The fair share caps each auditor at twice an even split of the plan's
person-days (at least the longest audit); seniors lead most audits, so a tighter cap would leave
audits without a leader while juniors sit idle. An audit with no accepted team gets the reason:
the refusals the judge gave the last team tried, or that nobody was free.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice

from workflows.auditors import Auditor, available_on

MAX_JUDGED = 12
"""Teams the rules are asked about for one audit before it is given up, with their reason."""
FAIR_SHARE = Decimal(2)
_NONE = Decimal(0)


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
    placed: Callable[[int, int], None] | None = None,
) -> Plan:
    """Propose a team and a start day for each due audit, or say why not; `placed` is told
    (audits done, audits in all) after each."""
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
        if placed is not None:
            placed(len(result.proposals) + len(result.impossible), len(audits))
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
    able = {a.id for a in competent}
    # Leaders: competent seniors first (a leader usually must be one), then by load.
    leaders = sorted(
        auditors,
        key=lambda a: (a.id not in able, a.qualification.grade.value != "senior_auditor",
                       load.get(a.id or 0, _NONE), a.id or 0),
    )  # fmt: skip
    members = sorted(
        auditors, key=lambda a: (a.id not in able, load.get(a.id or 0, _NONE), a.id or 0)
    )
    days = (audit.window_to - audit.window_from).days + 1
    spans = [
        [audit.window_from + timedelta(days=d + i) for i in range(length)] for d in range(days)
    ]

    def free(a: Auditor, span: list[date]) -> bool:
        key = a.id or 0
        taken = busy.get(key)
        return (
            load.get(key, _NONE) + share <= fair
            and (taken is None or taken.isdisjoint(span))
            and (not a.unavailable or all(available_on(a, d) for d in span))
        )

    refusals: tuple[str, ...] = ()
    judged = 0
    tried: set[tuple[int, ...]] = set()
    for leader in leaders:
        if judged >= MAX_JUDGED:
            break
        # The leader's first day in the window on which the whole team is free.
        for span in spans:
            if not free(leader, span):
                continue
            rest = list(islice((m for m in members if m is not leader and free(m, span)), size - 1))
            if len(rest) == size - 1:
                break
        else:
            continue
        team = [leader, *rest]
        key = tuple(a.id or 0 for a in team)
        if key in tried:
            continue
        tried.add(key)
        judged += 1
        verdict = judge(audit, team, span[0])
        if verdict.accepted:
            return Proposal(audit, span[0], span[-1], leader, tuple(team))
        refusals = verdict.failures
    if not judged:
        return NoProposal(
            audit,
            f"no team of {size} is free for {length} day(s) within its fair share on any day "
            f"{audit.window_from}..{audit.window_to}",
        )
    return NoProposal(
        audit,
        f"{judged} team(s) tried on {audit.window_from}..{audit.window_to}, every one refused; "
        "the last by " + ", ".join(refusals),
    )
