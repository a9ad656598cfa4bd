"""Decisions and sanctions entered late, on the in-memory store: the day they happened sets the
case's dates, deadlines due before it fire first, the rest when the daemon next runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_doubles import sheet_scoring
from lifecycle_steps import OPERATOR, Office

from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.errors import InvalidInput
from workflows.model import State, SuspensionCause


def test_a_withdrawal_dated_after_an_overdue_surveillance_follows_the_suspension_it_brought(
    office: Office,
) -> None:
    case_id = office.certify()
    office.clock.advance(timedelta(days=400))  # the daemon was down: nothing fired
    written = office.clock.now()
    on = office.today - timedelta(days=10)
    office.case_service.handle(c.Withdraw(case_id, "entered late", OPERATOR, on))
    events = office.snapshot(case_id).events
    assert [e.trigger for e in events[-2:]] == ["suspend", "withdraw"]
    assert events[-2].data["cause"] == SuspensionCause.OVERDUE_SURVEILLANCE
    assert events[-1].data["on"] == on.isoformat() and events[-1].at == written
    with office.new_uow() as uow:
        assert verify_log(uow.events, case_row=uow.cases.get).ok


def test_a_suspension_dated_back_runs_its_limit_from_its_day(office: Office) -> None:
    case_id = office.certify()
    office.until(office.today + timedelta(days=200))
    on = office.today - timedelta(days=190)
    office.case_service.handle(
        c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "asked", OPERATOR, on)
    )
    assert office.snapshot(case_id).case.suspended_on == on
    office.fire_due()  # its six months ended a week ago: the next run withdraws it
    assert office.snapshot(case_id).case.state is State.WITHDRAWN


def test_a_decision_is_dated_between_its_stage_2_audit_and_today(office: Office) -> None:
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    office.case_service.handle(c.RecordStage1(case_id, office.days(10), "zhao.lei", OPERATOR))
    stage2 = office.days(20)
    office.case_service.handle(
        c.RecordStage2(case_id, stage2, "zhao.lei", sheet_scoring(85), OPERATOR)
    )
    office.days(30)
    before = office.snapshot(case_id)
    for on, message in (
        (office.today + timedelta(days=1), r"on: .* is in the future"),
        (stage2 - timedelta(days=1), r"on: .* is before the stage 2 audit of"),
    ):
        with pytest.raises(InvalidInput, match=message):
            office.case_service.handle(c.Decide(case_id, OPERATOR, on))
    assert office.snapshot(case_id) == before
    office.case_service.handle(c.Decide(case_id, OPERATOR, stage2 + timedelta(days=2)))
    case = office.snapshot(case_id).case
    assert case.decided_on == stage2 + timedelta(days=2)
    assert case.expires_on is not None and case.expires_on.year == case.decided_on.year + 3
