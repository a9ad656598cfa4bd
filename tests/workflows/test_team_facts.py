"""The facts a proposed team is judged on: relations with the client as of the audit day, and
how many consecutive certification cycles a member has audited the client (rotation)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workflows.auditors import Auditor, Grade, Qualification, Relation, RelationKind
from workflows.errors import InvalidInput
from workflows.model import Application, Audit, AuditKind, Case, PrerequisiteFacts, State
from workflows.team_check import ProposedTeam, team_facts, team_of

FACTS = PrerequisiteFacts(True, True, True, None, True, True)
APPLICATION = Application(1, 7, date(2020, 1, 1), date(2019, 1, 1), "家电", FACTS)
DAY = date(2026, 6, 1)


def auditor(id_: int, name: str, *relations: Relation) -> Auditor:
    q = Qualification(f"REG-{id_}", Grade.SENIOR_AUDITOR, date(2015, 1, 1), date(2030, 1, 1))
    return Auditor(id_, name, q, ("household_appliances",), ("zh",), (), relations)


WANG, LI = auditor(1, "王芳"), auditor(2, "李明")


def case(id_: int) -> Case:
    return Case(id_, 7, id_, State.ACTIVE, "闽江家电", "家电")


def audit(case_id: int, kind: AuditKind, day: date, by: str) -> Audit:
    return Audit(None, case_id, kind, day, by, None)


def facts(
    team: ProposedTeam, kind: AuditKind, *history: tuple[Case, list[Audit]]
) -> dict[str, Any]:
    return dict(team_facts(team, APPLICATION, "household_appliances", DAY, kind, 1, history).facts)


def test_a_member_who_audited_the_two_cycles_before_makes_a_third_consecutive() -> None:
    first = [audit(1, AuditKind.STAGE2, date(2020, 3, 1), "王芳"),
             audit(1, AuditKind.SURVEILLANCE, date(2021, 3, 1), "李明")]  # fmt: skip
    second = [audit(1, AuditKind.RECERTIFICATION, date(2023, 2, 1), "REG-1, 李明")]
    history = (case(1), first + second)
    team = team_of([WANG], None)
    assert facts(team, AuditKind.RECERTIFICATION, history)["longest_run_of_cycles"] == 3
    # Within the second cycle a surveillance makes no new cycle: two in a row.
    assert facts(team, AuditKind.SURVEILLANCE, history)["longest_run_of_cycles"] == 2
    said = team_facts(
        team, APPLICATION, "household_appliances", DAY, AuditKind.RECERTIFICATION, 1, [history]
    ).said
    assert said["longest_run_of_cycles"].startswith("王芳 (auditor 1) audits the client in 3")


def test_a_gap_of_one_cycle_starts_the_count_again() -> None:
    history = (
        case(1),
        [audit(1, AuditKind.STAGE2, date(2017, 3, 1), "王芳"),
         audit(1, AuditKind.RECERTIFICATION, date(2020, 2, 1), "赵强"),
         audit(1, AuditKind.RECERTIFICATION, date(2023, 2, 1), "王芳")],
    )  # fmt: skip
    got = facts(team_of([WANG, LI], None), AuditKind.RECERTIFICATION, history)
    assert got["longest_run_of_cycles"] == 2
    # A new case of the same client (it applied again after expiry) is the next cycle.
    again = facts(team_of([WANG], None), AuditKind.STAGE1, history, (case(2), []))
    assert again["longest_run_of_cycles"] == 2
    assert facts(team_of([LI], None), AuditKind.STAGE1)["longest_run_of_cycles"] == 1


def test_the_latest_relation_with_the_client_counts_and_a_lasting_one_ends_on_the_audit_day() -> (
    None
):
    ended = Relation(7, RelationKind.CONSULTANCY, date(2019, 1, 1), date(2024, 5, 31))
    other_client = Relation(8, RelationKind.EMPLOYMENT, date(2025, 1, 1), None)
    lasting = Relation(7, RelationKind.EMPLOYMENT, date(2026, 1, 1), None)
    future = Relation(7, RelationKind.CONSULTANCY, date(2027, 1, 1), None)
    team = team_of([auditor(3, "赵强", ended, other_client, future), WANG], None)
    assert facts(team, AuditKind.STAGE2)["last_relation_end"] == date(2024, 5, 31)
    assert facts(team_of([WANG], None), AuditKind.STAGE2)["last_relation_end"] is None
    now = team_of([WANG, auditor(4, "钱丽", lasting)], None)
    assert facts(now, AuditKind.STAGE2)["last_relation_end"] == DAY


def test_a_team_names_each_member_once_and_its_leader_among_them() -> None:
    assert team_of([LI, WANG], 1).members == (WANG, LI)
    with pytest.raises(InvalidInput, match="named twice"):
        team_of([WANG, WANG], None)
    with pytest.raises(InvalidInput, match="--leader: auditor 9 is not in the team"):
        team_of([WANG], 9)
