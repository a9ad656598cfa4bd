"""The planner, on registers and due audits Hypothesis makes up, judged by the shipped team rules
through the engine: it never proposes a team the rules refuse, every due audit gets a proposal or
a stated reason, and no auditor is booked twice on a day, on a day off, or past the fair share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.team_evaluate import evaluate_team
from engine.team_loader import load_team_rules
from engine.team_rules import TeamRules, audit_time
from tests.engine.conftest import RULES
from workflows.auditors import (
    Auditor,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
    available_on,
)
from workflows.model import Application, AuditKind, PrerequisiteFacts
from workflows.planning import DueAudit, Verdict, plan, span_days
from workflows.team_check import ProposedTeam, team_facts

RULESET: TeamRules = load_team_rules(
    (RULES / "team-gbt27922.yaml").read_bytes(), "team-gbt27922.yaml"
)
AREAS = ("household_appliances", "automobiles", "logistics")
START = date(2026, 6, 1)
FACTS = PrerequisiteFacts(True, True, True, None, True, True)


def judged(audit: DueAudit, team: Sequence[Auditor], day: date) -> tuple[bool, tuple[str, ...]]:
    application = Application(
        audit.case_id, audit.organisation_id, START, START, "x", FACTS, audit.area
    )
    facts = team_facts(
        ProposedTeam(team[0], tuple(team)), application, audit.area, day,
        AuditKind(audit.kind), audit.members, (),
    )  # fmt: skip
    decision = evaluate_team(RULESET, facts.facts, day)
    return decision.accepted, tuple(r.rule for r in decision.failures)


def judge(audit: DueAudit, team: Sequence[Auditor], day: date) -> Verdict:
    accepted, failures = judged(audit, team, day)
    return Verdict(accepted, failures)


@st.composite
def auditors(draw: st.DrawFn) -> list[Auditor]:
    found = []
    for i in range(draw(st.integers(1, 8))):
        until = START + timedelta(days=draw(st.integers(-30, 400)))
        off = draw(st.integers(0, 40))
        relation = draw(st.sampled_from([(), (Relation(draw(st.integers(1, 4)),
                        RelationKind.CONSULTANCY, date(2024, 1, 1), None),)]))  # fmt: skip
        found.append(
            Auditor(
                i + 1,
                f"auditor {i + 1}",
                Qualification(f"R{i}", draw(st.sampled_from(list(Grade))), date(2020, 1, 1), until),
                tuple(sorted(draw(st.sets(st.sampled_from(AREAS), max_size=2)))),
                ("zh",),
                (Unavailability(START + timedelta(days=off), START + timedelta(days=off + 5)),),
                relation,
            )
        )
    return found


@st.composite
def due_audits(draw: st.DrawFn) -> list[DueAudit]:
    found = []
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["surveillance", "recertification"]))
        time = audit_time(
            RULESET.audit_time, kind, draw(st.integers(1, 2000)), draw(st.integers(1, 6))
        )
        opens = START + timedelta(days=draw(st.integers(0, 50)))
        found.append(
            DueAudit(
                i + 1, draw(st.integers(1, 4)), kind, opens,
                opens + timedelta(days=draw(st.integers(0, 20))),
                draw(st.sampled_from(AREAS)), time.days, time.members,
            )
        )  # fmt: skip
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(register=auditors(), due=due_audits())
def test_the_planner_proposes_only_what_the_rules_accept_and_says_why_otherwise(
    register: list[Auditor], due: list[DueAudit]
) -> None:
    told: list[tuple[int, int]] = []
    made = plan(due, register, judge, placed=lambda done, total: told.append((done, total)))
    assert told == [(n, len(due)) for n in range(1, len(due) + 1)]  # what a progress bar shows
    answered = Counter(p.audit.case_id for p in made.proposals)
    answered.update(n.audit.case_id for n in made.impossible)
    assert answered == Counter(a.case_id for a in due)  # each once
    assert all(n.reason for n in made.impossible)
    booked: Counter[tuple[int, date]] = Counter()
    load: Counter[int] = Counter()
    for p in made.proposals:
        assert judged(p.audit, p.members, p.starts_on) == (True, ())  # judged afresh
        assert p.audit.window_from <= p.starts_on <= p.audit.window_to
        assert p.members[0] is p.leader and len(p.members) >= p.audit.members
        assert (p.ends_on - p.starts_on).days + 1 == span_days(p.audit, len(p.members))
        day = p.starts_on
        while day <= p.ends_on:
            for m in p.members:
                assert m.id is not None and available_on(m, day)
                booked[(m.id, day)] += 1
            day += timedelta(days=1)
        for m in p.members:
            assert m.id is not None
            load[m.id] += p.audit.days / len(p.members)  # type: ignore[assignment]
    assert all(n == 1 for n in booked.values())
    assert all(Decimal(v) <= made.fair_share for v in load.values())
