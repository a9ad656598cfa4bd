"""Commands through the service layer over the in-memory store: one transaction each.

Long because every command of the lifecycle is driven here through the one service.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from lifecycle_doubles import SHANGHAI, PlainRules, credit_code, good_facts, sheet_scoring
from lifecycle_steps import OPERATOR, Office

from storage.memory.memory_store import MemoryStore
from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.case_service import CaseService
from workflows.errors import (
    CaseNotFound,
    IllegalTransition,
    InvalidInput,
    OrganisationNotFound,
)
from workflows.fake_clock import FakeClock
from workflows.model import IndicatorResult, StarLevel, State, SuspensionCause


def triggers(office: Office, case_id: int) -> list[str]:
    return [e.trigger for e in office.snapshot(case_id).events]


def surveil_on(office: Office, case_id: int, *days: date) -> None:
    for day in days:
        office.until(day)
        office.case_service.handle(
            c.RecordSurveillance(case_id, day, "zhao.lei", sheet_scoring(85), OPERATOR)
        )


def test_a_case_from_application_to_certificate(office: Office) -> None:
    case_id = office.certify(score=91)
    snap = office.snapshot(case_id)
    case = snap.case
    assert case.state is State.ACTIVE
    assert case.star_level is StarLevel.FOUR and case.final_score == Decimal(91)
    assert case.number == f"ASC-2024-{case_id:06d}"
    assert case.decided_on == date(2024, 2, 14) and case.expires_on == date(2027, 2, 13)
    assert case.rule_version == "test-2024.1"
    assert triggers(office, case_id) == [
        "submit_application",
        "accept_application",
        "complete_stage1",
        "record_stage2",
        "certify",
    ]
    assert [(e.from_state, e.to_state) for e in snap.events][-1] == (State.DECISION, State.ACTIVE)
    assert all(e.actor == OPERATOR for e in snap.events)
    assert snap.events[-1].rule_version == "test-2024.1"
    assert snap.events[-1].rule_hash == "sha256:test"
    assert snap.audits == 2
    assert office.open_deadlines(case_id) == {
        "surveillance_window_opens": date(2024, 11, 14),
        "surveillance_due": date(2025, 2, 14),
        "recert_reminder": date(2026, 11, 13),
        "expiry": date(2027, 2, 13),
    }
    with office.new_uow() as uow:
        assert verify_log(uow.events).ok


def test_deadlines_fire_at_the_start_of_the_next_day_in_the_bodys_zone(office: Office) -> None:
    case_id = office.certify()
    (window,) = [
        d for d in office.snapshot(case_id).deadlines if d.kind == "surveillance_window_opens"
    ]
    assert window.due_at.astimezone(SHANGHAI).isoformat() == "2024-11-15T00:00:00+08:00"


def test_review_refuses_with_every_failure_as_the_reason(office: Office) -> None:
    org = office.case_service.handle(c.RegisterOrganisation("Tiny", credit_code(99), OPERATOR))
    assert org.organisation_id is not None
    facts = replace(good_facts(), has_dedicated_funds=False)
    case_id = office.case_service.handle(
        c.SubmitApplication(
            org.organisation_id,
            office.today,
            office.today - timedelta(days=30),
            "s",
            facts,
            OPERATOR,
        )
    ).case_id
    assert case_id is not None
    result = office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    assert result.state is State.APPLICATION_REFUSED
    event = result.events[0]
    assert event.trigger == "refuse_application"
    assert event.reason is not None
    assert "no dedicated after-sales funds" in event.reason and "less than 3 months" in event.reason
    assert event.rule_version == "test-2024.1"
    earliest = office.today - timedelta(days=30) + relativedelta(months=3)
    assert (
        result.note == f"refused: {event.reason} (the running time allows applying from {earliest})"
    )


def test_decide_refuses_certification_below_70(office: Office) -> None:
    case_id = office.certify(score=69)
    snap = office.snapshot(case_id)
    assert snap.case.state is State.NOT_CERTIFIED and snap.case.number is None
    assert snap.deadlines == ()


# --- refused transitions write nothing ----------------------------------------------------------


def assert_refused_without_writes(
    office: Office, case_id: int, command: object, *words: str
) -> None:
    before = office.snapshot(case_id)
    with pytest.raises(IllegalTransition) as raised:
        office.case_service.handle(command)  # type: ignore[arg-type]
    message = str(raised.value)
    assert f"case {case_id}" in message
    for word in words:
        assert word in message
    assert office.snapshot(case_id) == before


def test_restoring_an_active_certificate_is_refused(office: Office) -> None:
    case_id = office.certify()
    assert_refused_without_writes(
        office,
        case_id,
        c.Restore(case_id, "why not", OPERATOR),
        "is active: restore refused",
        "allowed from active: surveil, fail_surveillance, suspend, withdraw, recertify, expire",
    )


def test_surveilling_a_withdrawn_certificate_is_refused(office: Office) -> None:
    case_id = office.certify()
    office.case_service.handle(c.Withdraw(case_id, "fraudulent records", OPERATOR))
    office.days(30)
    assert_refused_without_writes(
        office,
        case_id,
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(90), OPERATOR),
        "is withdrawn: surveil refused",
        "allowed from withdrawn: none",
    )


def test_expire_before_the_last_day_is_refused(office: Office) -> None:
    case_id = office.certify()
    assert_refused_without_writes(
        office, case_id, c.Expire(case_id, OPERATOR), "expire refused (valid through 2027-02-13"
    )


def test_decide_before_stage2_is_refused(office: Office) -> None:
    case_id = office.apply()
    assert_refused_without_writes(
        office, case_id, c.Decide(case_id, OPERATOR), "is applied: certify refused"
    )


# --- bad input is named and writes nothing ------------------------------------------------------


def test_unknown_case(office: Office) -> None:
    with pytest.raises(CaseNotFound, match="case 999"):
        office.case_service.handle(c.Withdraw(999, "x", OPERATOR))


def test_registration_checks_name_credit_code_and_duplicates(office: Office) -> None:
    handle = office.case_service.handle
    with pytest.raises(InvalidInput) as raised:
        handle(c.RegisterOrganisation("  ", credit_code(1), OPERATOR))
    assert raised.value.field == "name"
    with pytest.raises(InvalidInput, match="check character should be") as raised:
        handle(c.RegisterOrganisation("Acme", credit_code(1)[:-1] + "0", OPERATOR))
    assert raised.value.field == "credit_code"
    handle(c.RegisterOrganisation("Acme", credit_code(1).lower(), OPERATOR))
    with pytest.raises(InvalidInput, match="already registered") as raised:
        handle(c.RegisterOrganisation("Acme again", credit_code(1), OPERATOR))
    for hidden in ("A\x00B", "Acme\u202eCBA", "Acme\nLtd"):  # NUL, right-to-left override
        with pytest.raises(InvalidInput, match="control character U\\+") as raised:
            handle(c.RegisterOrganisation(hidden, credit_code(2), OPERATOR))
        assert raised.value.field == "name"
    # A GBK terminal's bytes reach argv as lone surrogates, as "\udcc9" does in JSON: no
    # database stores them, so they are bad input, not an encoding traceback from the driver.
    with pytest.raises(InvalidInput, match="is not UTF-8 text") as raised:
        handle(c.RegisterOrganisation("Acme \udcc9\udcc0", credit_code(2), OPERATOR))
    assert raised.value.field == "name"
    with office.new_uow() as uow:
        assert uow.organisations.by_credit_code(credit_code(1)) is not None
        assert uow.organisations.get(1).name == "Acme"
        assert uow.organisations.by_credit_code(credit_code(2)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submitted_on": date(2024, 1, 11)}, "submitted_on"),
        ({"service_system_since": date(2024, 1, 11)}, "service_system_since"),
        (
            {"service_system_since": date(2024, 1, 10), "submitted_on": date(2024, 1, 9)},
            "service_system_since",
        ),
        ({"scope": ""}, "scope"),
        ({"scope": "家电\u200f售后"}, "scope"),
        ({"scope": "家电\udcc9"}, "scope"),
        ({"by": ""}, "by"),
        ({"by": "li\udcc9"}, "by"),
        (
            {"facts": replace(good_facts(), last_major_failure=date(2024, 2, 1))},
            "facts.last_major_failure",
        ),
    ],
)
def test_application_input_errors_name_the_field(
    office: Office, change: dict[str, object], field: str
) -> None:
    org = office.case_service.handle(c.RegisterOrganisation("Acme", credit_code(1), OPERATOR))
    assert org.organisation_id is not None
    valid = c.SubmitApplication(
        org.organisation_id, date(2024, 1, 10), date(2023, 1, 1), "s", good_facts(), OPERATOR
    )
    with pytest.raises(InvalidInput) as raised:
        office.case_service.handle(replace(valid, **change))  # type: ignore[arg-type]
    assert raised.value.field == field
    with office.new_uow() as uow:
        assert uow.cases.list() == []


def test_application_for_an_unknown_organisation(office: Office) -> None:
    with pytest.raises(OrganisationNotFound):
        office.case_service.handle(
            c.SubmitApplication(7, date(2024, 1, 1), date(2023, 1, 1), "s", good_facts(), OPERATOR)
        )


def test_audit_dates_in_the_future_or_before_the_previous_audit(office: Office) -> None:
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput, match="in the future") as raised:
        office.case_service.handle(
            c.RecordStage1(case_id, office.today + timedelta(days=1), "a", OPERATOR)
        )
    assert raised.value.field == "audit_date"
    with pytest.raises(InvalidInput, match="before the application") as raised:
        office.case_service.handle(
            c.RecordStage1(case_id, office.today - timedelta(days=1), "a", OPERATOR)
        )
    assert office.snapshot(case_id) == before
    stage1_day = office.days(10)
    office.case_service.handle(c.RecordStage1(case_id, stage1_day, "a", OPERATOR))
    office.days(3)
    with pytest.raises(InvalidInput, match="before the case's previous audit") as raised:
        office.case_service.handle(
            c.RecordStage2(
                case_id, stage1_day - timedelta(days=1), "a", sheet_scoring(90), OPERATOR
            )
        )
    assert raised.value.field == "audit_date"


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (IndicatorResult(points=Decimal(7)), "sheet.staffing.points"),  # max 6
        (IndicatorResult(points=Decimal(-1)), "sheet.staffing.points"),
        (IndicatorResult(conforming=5, sampled=4), "sheet.staffing.conforming"),
        (IndicatorResult(), "sheet.staffing"),
    ],
)
def test_a_malformed_score_sheet_is_refused_and_nothing_is_written(
    office: Office, result: IndicatorResult, field: str
) -> None:
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    office.case_service.handle(c.RecordStage1(case_id, office.days(10), "a", OPERATOR))
    sheet = sheet_scoring(90)
    sheet = replace(sheet, results={**sheet.results, "staffing": result})
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput) as raised:
        office.case_service.handle(c.RecordStage2(case_id, office.days(5), "a", sheet, OPERATOR))
    assert raised.value.field == field
    assert office.snapshot(case_id) == before


def test_an_unknown_suspension_cause_is_named(office: Office) -> None:
    case_id = office.certify()
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput, match="'holiday' is not a suspension cause") as raised:
        office.case_service.handle(c.Suspend(case_id, "holiday", "x", OPERATOR))  # type: ignore[arg-type]
    assert raised.value.field == "cause"
    assert "an operator suspends for serious_nonconformity, mark_misuse, client_request" in str(
        raised.value
    )
    assert office.snapshot(case_id) == before


@pytest.mark.parametrize("cause", ["overdue_surveillance", "failed_surveillance"])
def test_an_operator_cannot_suspend_for_a_surveillance_cause(office: Office, cause: str) -> None:
    # Only a passing surveillance audit clears those: set by hand, nothing could lift it.
    case_id = office.certify()
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput, match="comes from a surveillance deadline") as raised:
        office.case_service.handle(c.Suspend(case_id, SuspensionCause(cause), "late", OPERATOR))
    assert raised.value.field == "cause"
    assert raised.value.message.startswith(f"'{cause}' comes from")  # the value, not the enum
    assert office.snapshot(case_id) == before


# --- operator transitions -----------------------------------------------------------------------


def test_suspend_then_restore_with_a_reason(office: Office) -> None:
    case_id = office.certify()
    office.days(30)
    result = office.case_service.handle(
        c.Suspend(case_id, SuspensionCause.MARK_MISUSE, "logo on uncertified goods", OPERATOR)
    )
    assert result.state is State.SUSPENDED
    assert office.open_deadlines(case_id) == {
        "suspension_limit": date(2024, 9, 15),  # suspended 2024-03-15 + 6 calendar months
        "recert_reminder": date(2026, 11, 13),  # a suspended client still plans re-certification
        "expiry": date(2027, 2, 13),
    }
    office.days(40)
    office.case_service.handle(c.Restore(case_id, "mark use corrected", OPERATOR))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE and snap.case.suspended_on is None
    assert "suspension_limit" not in office.open_deadlines(case_id)
    assert snap.events[-1].reason == "mark use corrected"
    assert snap.events[-1].rule_version == "test-2024.1"  # the terms that set the limit
    assert snap.events[-2].rule_version is None  # suspending asked no rules
    assert snap.events[-1].data["cleared_cause"] == "mark_misuse"


def test_surveillance_rebands_and_reanchors_the_next_one(office: Office) -> None:
    case_id = office.certify(score=85)
    office.until(date(2025, 1, 20))  # the window opened 2024-11-14: a reminder event
    assert triggers(office, case_id)[-1] == "remind"
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "zhao.lei", sheet_scoring(96), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert snap.case.star_level is StarLevel.FIVE
    assert snap.case.last_surveillance_on == date(2025, 1, 20)
    assert office.open_deadlines(case_id)["surveillance_due"] == date(2026, 1, 20)


def test_failed_surveillance_suspends_and_a_passing_one_allows_restore(office: Office) -> None:
    case_id = office.certify(score=85)
    office.until(date(2025, 1, 20))
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(60), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert snap.case.state is State.SUSPENDED
    assert snap.case.suspension_cause is SuspensionCause.FAILED_SURVEILLANCE
    office.days(1)
    assert_refused_without_writes(
        office, case_id, c.Restore(case_id, "trust us", OPERATOR),
        "the latest surveillance audit, of 2025-01-20", "did not pass",
    )  # fmt: skip
    office.days(30)
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(82), OPERATOR)
    )
    assert triggers(office, case_id)[-1] == "note_audit"
    assert office.snapshot(case_id).case.state is State.SUSPENDED
    office.case_service.handle(c.Restore(case_id, "corrective actions verified", OPERATOR))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE and snap.case.star_level is StarLevel.THREE
    assert office.open_deadlines(case_id)["surveillance_due"] == date(2026, 2, 14)


def test_a_refusal_by_its_guard_does_not_offer_the_same_trigger_again(office: Office) -> None:
    case_id = office.certify()
    office.until(office.today + timedelta(days=380))  # no surveillance: the daemon suspended it
    assert office.snapshot(case_id).case.suspension_cause is SuspensionCause.OVERDUE_SURVEILLANCE
    with pytest.raises(IllegalTransition, match="needs a passing surveillance audit") as raised:
        office.case_service.handle(c.Restore(case_id, "back", OPERATOR))
    assert "restore" not in raised.value.allowed and "withdraw" in raised.value.allowed


def test_a_surveillance_entered_twice_counts_once(office: Office) -> None:
    case_id = office.certify(score=85)
    office.days(200)
    command = c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(90), OPERATOR)
    office.case_service.handle(command)
    assert_refused_without_writes(office, case_id, command, "already credited", "special audit")
    assert office.snapshot(case_id).case.surveillances == 1


def test_a_surveillance_during_a_client_suspension_counts_for_the_year(office: Office) -> None:
    case_id = office.certify(score=85)  # decided 2024-03-01 in the fixture's calendar
    decided = office.snapshot(case_id).case.decided_on
    assert decided is not None
    office.until(decided + timedelta(days=300))
    office.case_service.handle(c.Suspend(case_id, "client_request", "moving premises", OPERATOR))
    office.days(20)
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(96), OPERATOR)
    )
    audited = office.today
    snap = office.snapshot(case_id)
    assert snap.case.state is State.SUSPENDED and snap.case.star_level is StarLevel.FIVE
    assert [e.trigger for e in snap.events][-1] == "surveil"
    office.until(decided + timedelta(days=380))  # past the anniversary, still suspended
    office.case_service.handle(c.Restore(case_id, "premises ready", OPERATOR))
    fired = office.until(office.today + timedelta(days=5))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE, [r.events[0].trigger for r in fired if r.events]
    assert office.open_deadlines(case_id)["surveillance_due"] == audited.replace(
        year=audited.year + 1
    )


def test_a_failed_surveillance_during_a_client_suspension_blocks_restore(office: Office) -> None:
    case_id = office.certify(score=96)
    office.days(100)
    office.case_service.handle(c.Suspend(case_id, "client_request", "stocktaking", OPERATOR))
    suspended_on = office.snapshot(case_id).case.suspended_on
    office.days(30)
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(50), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert snap.case.suspension_cause is SuspensionCause.FAILED_SURVEILLANCE
    assert snap.case.suspended_on == suspended_on
    assert [e.trigger for e in snap.events][-1] == "fail_surveillance"
    office.days(1)
    assert_refused_without_writes(
        office, case_id, c.Restore(case_id, "stocktaking over", OPERATOR), "did not pass"
    )


def test_a_surveillance_done_in_time_but_entered_late_clears_the_overdue_suspension(
    office: Office,
) -> None:
    case_id = office.certify(score=85)
    due = office.open_deadlines(case_id)["surveillance_due"]
    office.until(due + timedelta(days=3))  # the daemon suspends it the day after `due`
    cause = office.snapshot(case_id).case.suspension_cause
    assert cause is SuspensionCause.OVERDUE_SURVEILLANCE
    office.case_service.handle(
        c.RecordSurveillance(case_id, due - timedelta(days=4), "a", sheet_scoring(88), OPERATOR)
    )
    office.case_service.handle(c.Restore(case_id, "audit report came in late", OPERATOR))
    case = office.snapshot(case_id).case
    assert case.state is State.ACTIVE and case.surveillances == 1
    assert case.last_surveillance_on == due - timedelta(days=4)


def test_a_special_audit_goes_on_the_record_and_changes_no_state(office: Office) -> None:
    case_id = office.certify(score=91)
    before = office.snapshot(case_id).case
    complaint = office.days(20)
    office.case_service.handle(c.RecordSpecialAudit(case_id, complaint, "zhao.lei", None, OPERATOR))
    scored = office.days(10)
    office.case_service.handle(
        c.RecordSpecialAudit(case_id, scored, "zhao.lei", sheet_scoring(62), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE and snap.case.star_level is before.star_level
    assert snap.case.final_score == before.final_score  # a special audit never re-bands
    unscored, low = snap.events[-2:]
    assert (unscored.trigger, unscored.from_state, unscored.to_state) == (
        "note_audit",
        State.ACTIVE,
        State.ACTIVE,
    )
    assert unscored.data["audit"]["kind"] == "special" and "score" not in unscored.data
    assert Decimal(low.data["score"]["final_score"]) == 62 and low.data["score"]["passed"] is False
    assert low.rule_version == "test-2024.1"
    assert snap.audits == 4
    # What it found is the operator's call: suspend for the nonconformity, restore once cleared.
    office.case_service.handle(
        c.Suspend(case_id, SuspensionCause.SERIOUS_NONCONFORMITY, "special audit 62", OPERATOR)
    )
    follow_up = office.days(30)
    office.case_service.handle(
        c.RecordSpecialAudit(case_id, follow_up, "zhao.lei", sheet_scoring(88), OPERATOR)
    )
    assert office.snapshot(case_id).case.state is State.SUSPENDED
    assert office.snapshot(case_id).events[-1].data["score"]["passed"] is True


def test_a_special_audit_on_a_withdrawn_certificate_is_refused(office: Office) -> None:
    case_id = office.certify()
    office.case_service.handle(c.Withdraw(case_id, "fraudulent records", OPERATOR))
    assert_refused_without_writes(
        office,
        case_id,
        c.RecordSpecialAudit(case_id, office.days(5), "a", None, OPERATOR),
        "is withdrawn: note_audit refused",
    )


def test_cancel_by_the_client_and_withdrawal(office: Office) -> None:
    applied = office.apply()
    assert (
        office.case_service.handle(c.Cancel(applied, "client withdrew", OPERATOR)).state
        is State.CANCELLED
    )
    certified = office.certify()
    office.case_service.handle(c.Withdraw(certified, "false statements", OPERATOR))
    assert office.snapshot(certified).deadlines == ()
    with pytest.raises(InvalidInput) as raised:
        office.case_service.handle(c.Withdraw(certified, " ", OPERATOR))
    assert raised.value.field == "reason"


def test_recertification_before_expiry_renews_with_a_new_number(office: Office) -> None:
    case_id = office.certify()
    surveil_on(office, case_id, date(2025, 2, 1), date(2026, 2, 1))
    office.until(date(2026, 12, 31))
    office.case_service.handle(
        c.RecordRecertification(case_id, office.today, "a", sheet_scoring(92), OPERATOR)
    )
    case = office.snapshot(case_id).case
    assert case.number == f"ASC-2026-{case_id:06d}-R1"
    # effective from the decision, expiring on the old expiry (2027-02-13) plus the validity
    assert case.decided_on == date(2026, 12, 31) and case.expires_on == date(2030, 2, 13)
    assert office.open_deadlines(case_id)["expiry"] == date(2030, 2, 13)
    assert office.open_deadlines(case_id)["recert_reminder"] == date(2029, 11, 13)
    assert office.open_deadlines(case_id)["surveillance_due"] == date(2027, 12, 31)


def test_recertification_keeps_the_number_when_configured(
    store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    case_service = CaseService(
        store.uow, rules, clock, SHANGHAI, new_number_on_recertification=False
    )
    office = Office(case_service, store.uow, clock)
    case_id = office.certify()
    number = office.snapshot(case_id).case.number
    surveil_on(office, case_id, date(2025, 2, 1), date(2026, 2, 1))
    office.until(date(2027, 1, 10))
    office.case_service.handle(
        c.RecordRecertification(case_id, office.today, "a", sheet_scoring(92), OPERATOR)
    )
    assert office.snapshot(case_id).case.number == number == f"ASC-2024-{case_id:06d}"


def test_expiry_then_restoration_within_the_allowance(office: Office) -> None:
    case_id = office.certify()
    surveil_on(office, case_id, date(2025, 2, 1), date(2026, 2, 1))
    office.until(date(2027, 2, 14))  # expired at the start of 2027-02-14
    snap = office.snapshot(case_id)
    assert snap.case.state is State.EXPIRED
    assert snap.events[-1].trigger == "expire" and snap.events[-1].data["deadline"]["late"] is False
    assert office.open_deadlines(case_id) == {"restoration_allowance_ends": date(2027, 8, 13)}
    office.days(20)
    office.case_service.handle(
        c.RecordRecertification(case_id, office.today, "a", sheet_scoring(90), OPERATOR)
    )
    case = office.snapshot(case_id).case
    assert case.state is State.ACTIVE and case.decided_on == date(2027, 3, 6)
    assert case.number == f"ASC-2027-{case_id:06d}-R1"


# --- read side ----------------------------------------------------------------------------------


def test_allowed_triggers_and_may_say_why_without_writing(office: Office) -> None:
    case_id = office.certify()
    before = office.snapshot(case_id)
    checks = {check.trigger: check for check in office.case_service.allowed_triggers(case_id)}
    assert set(checks) == {
        "surveil",
        "fail_surveillance",
        "suspend",
        "withdraw",
        "recertify",
        "expire",
        "cancel",
        "note_audit",
        "request_scope_extension",
        "extend_scope",
        "reduce_scope",
        "change_holder",
    }
    assert checks["withdraw"].allowed and checks["suspend"].allowed
    assert checks["reduce_scope"].allowed and checks["change_holder"].allowed
    assert not checks["extend_scope"].allowed and "no scope extension" in checks["extend_scope"].why
    assert not checks["note_audit"].allowed and checks["note_audit"].why == "needs an audit"
    assert not checks["surveil"].allowed and checks["surveil"].why == "needs a surveillance audit"
    assert not checks["expire"].allowed and "valid through 2027-02-13" in checks["expire"].why
    may = office.case_service.may(case_id, "restore")
    assert not may.allowed and may.why == "not a trigger from active"
    assert office.case_service.may(case_id, "expire", as_of=date(2027, 2, 14)).allowed
    assert office.snapshot(case_id) == before
