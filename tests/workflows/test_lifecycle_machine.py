"""The lifecycle definition on its own: triggers, guards, effects, and that it works on copies.

Long because each transition of the certificate's life has its cases here, in lifecycle order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lifecycle_doubles import PlainRules, good_facts, sheet_scoring

from workflows.certificate_machine import DEFAULT_MACHINE, TRANSITIONS, Trigger
from workflows.context import TransitionContext
from workflows.deadlines import plan
from workflows.errors import IllegalTransition
from workflows.model import (
    TERMINAL_STATES,
    Application,
    Audit,
    AuditKind,
    Case,
    Organisation,
    StarLevel,
    State,
    SuspensionCause,
)
from workflows.numbering import CertificateNumbers

LC = DEFAULT_MACHINE
DECIDED = date(2024, 3, 15)
NUMBERS = CertificateNumbers("ASC", new_number_on_recertification=True)


def case_in(state: State, **fields: object) -> Case:
    case = Case(id=42, organisation_id=1, application_id=1, state=state, holder="Acme", scope="s")
    if state in (State.ACTIVE, State.SUSPENDED, State.EXPIRED):
        case.number, case.star_level, case.final_score = "ASC-2024-000042", StarLevel.THREE, 85
        case.decided_on, case.issued_on, case.expires_on = DECIDED, DECIDED, date(2027, 3, 14)
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def audit(kind: AuditKind, on: date, score: int | None = 85) -> Audit:
    return Audit(None, 42, kind, on, "auditor", None if score is None else sheet_scoring(score))


def ctx(
    as_of: date = date(2025, 1, 10), rules: PlainRules | None = None, **kw: object
) -> TransitionContext:
    application = Application(1, 1, date(2024, 1, 5), date(2023, 6, 1), "s", good_facts())
    context = TransitionContext(
        as_of=as_of, rules=rules or PlainRules(), application=application,
        organisation=Organisation(1, "Acme", "x"), numbering=NUMBERS,
    )  # fmt: skip
    for name, value in kw.items():
        setattr(context, name, value)
    return context


def test_every_state_is_covered_and_terminal_states_only_remind() -> None:
    for state in State:
        triggers = LC.triggers_from(state)
        if state in TERMINAL_STATES:
            assert triggers == ["remind"], state
            assert LC.operator_triggers_from(state) == [], state
        else:
            assert len(triggers) > 1, state


def test_there_are_no_automatic_shortcuts() -> None:
    machine = LC._machine
    assert not any(name.startswith("to_") for name in machine.events)
    assert set(machine.events) == {str(spec.trigger) for spec in TRANSITIONS}


def test_unknown_trigger_is_refused_with_a_reason() -> None:
    check = LC.check(case_in(State.ACTIVE), "to_active", ctx())
    assert not check.allowed and "unknown trigger" in check.why


# --- each trigger: allowed case ----------------------------------------------------------------


def test_accept_application_asks_the_rules() -> None:
    done = LC.fire(case_in(State.APPLIED), Trigger.ACCEPT_APPLICATION, ctx())
    assert done.after.state is State.STAGE1
    assert done.stamp is not None and done.stamp.version == "test-2024.1"


def test_accept_application_is_refused_with_every_failure() -> None:
    context = ctx()
    assert context.application is not None
    context.application = replace(
        context.application,
        facts=replace(good_facts(), has_dedicated_funds=False, has_trained_staff=False),
    )
    check = LC.check(case_in(State.APPLIED), Trigger.ACCEPT_APPLICATION, context)
    assert not check.allowed
    assert "no dedicated after-sales funds" in check.why and "not formally trained" in check.why


def test_refuse_application_is_always_open_from_applied() -> None:
    done = LC.fire(case_in(State.APPLIED), Trigger.REFUSE_APPLICATION, ctx(reason="no"))
    assert done.after.state is State.APPLICATION_REFUSED


def test_complete_stage1_needs_a_stage1_audit() -> None:
    case = case_in(State.STAGE1)
    assert LC.check(case, Trigger.COMPLETE_STAGE1, ctx()).why == "no stage 1 audit is recorded"
    done = LC.fire(
        case, Trigger.COMPLETE_STAGE1, ctx(audit=audit(AuditKind.STAGE1, date(2024, 2, 1), None))
    )
    assert done.after.state is State.STAGE2
    assert done.data["audit"] == {"kind": "stage1", "date": "2024-02-01", "auditor": "auditor"}


def test_record_stage2_scores_the_sheet_and_lets_malformed_sheets_raise() -> None:
    case = case_in(State.STAGE2)
    done = LC.fire(
        case, Trigger.RECORD_STAGE2, ctx(audit=audit(AuditKind.STAGE2, date(2024, 3, 1), 91))
    )
    assert done.after.state is State.DECISION
    assert done.data["score"]["star_level"] == "four_star"
    sheet = sheet_scoring(91)
    malformed = replace(sheet, results={**sheet.results, "bogus": sheet.results["repair"]})
    bad = Audit(None, 42, AuditKind.STAGE2, date(2024, 3, 1), "a", malformed)
    with pytest.raises(ValueError, match=r"sheet\.bogus"):
        LC.fire(case, Trigger.RECORD_STAGE2, ctx(audit=bad))
    assert case.state is State.STAGE2


def test_certify_issues_the_certificate() -> None:
    stage2 = audit(AuditKind.STAGE2, date(2024, 3, 1), 96)
    done = LC.fire(case_in(State.DECISION), Trigger.CERTIFY, ctx(as_of=DECIDED, audits=[stage2]))
    after = done.after
    assert after.state is State.ACTIVE
    assert after.number == "ASC-2024-000042"
    assert after.star_level is StarLevel.FIVE and after.final_score == Decimal(96)
    assert (after.decided_on, after.issued_on, after.expires_on) == (
        DECIDED,
        DECIDED,
        date(2027, 3, 14),
    )
    assert after.rule_version == "test-2024.1"


@pytest.mark.parametrize("score", [69, 70])
def test_certify_and_refuse_certification_split_at_70(score: int) -> None:
    context = ctx(audits=[audit(AuditKind.STAGE2, date(2024, 3, 1), score)])
    certify = LC.check(case_in(State.DECISION), Trigger.CERTIFY, context)
    refuse = LC.check(case_in(State.DECISION), Trigger.REFUSE_CERTIFICATION, context)
    assert certify.allowed == (score >= 70) and refuse.allowed == (score < 70)
    if score < 70:
        assert certify.why == "stage 2 score 69.00 (not certified) did not pass"


def test_five_special_deductions_refuse_certification_whatever_the_score() -> None:
    sheet = replace(sheet_scoring(100), special_deductions=("a", "b", "c", "d", "e"))
    stage2 = Audit(None, 42, AuditKind.STAGE2, date(2024, 3, 1), "x", sheet)
    done = LC.fire(case_in(State.DECISION), Trigger.REFUSE_CERTIFICATION, ctx(audits=[stage2]))
    assert done.after.state is State.NOT_CERTIFIED and done.data["score"]["final_score"] == "95"


@pytest.mark.parametrize(("score", "star"), [(98, StarLevel.FIVE), (72, StarLevel.QUALIFIED)])
def test_surveil_rebands_up_or_down(score: int, star: StarLevel) -> None:
    s = audit(AuditKind.SURVEILLANCE, date(2025, 3, 1), score)
    done = LC.fire(case_in(State.ACTIVE), Trigger.SURVEIL, ctx(audit=s))
    assert done.after.state is State.ACTIVE
    assert done.after.star_level is star and done.after.last_surveillance_on == date(2025, 3, 1)
    assert done.data["previous_star_level"] == "three_star"


def test_fail_surveillance_suspends_from_the_audit_date() -> None:
    s = audit(AuditKind.SURVEILLANCE, date(2025, 3, 1), 60)
    assert not LC.check(case_in(State.ACTIVE), Trigger.SURVEIL, ctx(audit=s)).allowed
    done = LC.fire(case_in(State.ACTIVE), Trigger.FAIL_SURVEILLANCE, ctx(audit=s))
    assert done.after.state is State.SUSPENDED
    assert done.after.suspended_on == date(2025, 3, 1)
    assert done.after.suspension_cause is SuspensionCause.FAILED_SURVEILLANCE


def test_suspend_needs_a_cause_and_a_reason() -> None:
    case = case_in(State.ACTIVE)
    assert LC.check(case, Trigger.SUSPEND, ctx(reason="x")).why == "a suspension cause is required"
    assert (
        LC.check(case, Trigger.SUSPEND, ctx(cause=SuspensionCause.MARK_MISUSE, reason=" ")).why
        == "a reason is required"
    )
    done = LC.fire(
        case,
        Trigger.SUSPEND,
        ctx(cause=SuspensionCause.MARK_MISUSE, reason="logo on uncertified goods"),
    )
    assert done.after.state is State.SUSPENDED and done.after.suspended_on == date(2025, 1, 10)


def test_restore_after_a_surveillance_cause_needs_the_latest_surveillance_to_pass() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 3, 16),
        suspension_cause=SuspensionCause.OVERDUE_SURVEILLANCE,
    )
    none = LC.check(case, Trigger.RESTORE, ctx(as_of=date(2025, 3, 20), reason="ok"))
    assert not none.allowed and "needs a passing surveillance audit dated on or after the " in (
        none.why
    )
    early = audit(AuditKind.SURVEILLANCE, date(2025, 3, 1), 90)
    failing = audit(AuditKind.SURVEILLANCE, date(2025, 4, 1), 50)
    check = LC.check(
        case, Trigger.RESTORE, ctx(as_of=date(2025, 4, 2), audits=[early, failing], reason="ok")
    )
    assert not check.allowed and "the latest surveillance audit, of 2025-04-01" in check.why
    passing = audit(AuditKind.SURVEILLANCE, date(2025, 4, 20), 93)
    done = LC.fire(
        case, Trigger.RESTORE, ctx(as_of=date(2025, 4, 21), audits=[early, failing, passing])
    )
    assert done.after.state is State.ACTIVE and done.after.suspended_on is None
    assert done.after.star_level is StarLevel.FOUR and done.after.last_surveillance_on == date(
        2025, 4, 20
    )


def test_a_surveillance_done_in_time_but_entered_after_the_suspension_clears_it() -> None:
    # Due 2025-03-15; the daemon suspended on 2025-03-16; the audit of 2025-03-10 comes in late.
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 3, 16),
        suspension_cause=SuspensionCause.OVERDUE_SURVEILLANCE,
    )
    in_time = audit(AuditKind.SURVEILLANCE, date(2025, 3, 10), 92)
    done = LC.fire(case, Trigger.RESTORE, ctx(as_of=date(2025, 3, 20), audits=[in_time]))
    assert done.after.state is State.ACTIVE and done.after.surveillances == 1
    assert done.after.last_surveillance_on == date(2025, 3, 10)


def test_an_audit_already_credited_does_not_clear_a_later_suspension() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2026, 3, 16),
        suspension_cause=SuspensionCause.OVERDUE_SURVEILLANCE,
        surveillances=1,
        last_surveillance_on=date(2025, 3, 10),
    )
    credited = audit(AuditKind.SURVEILLANCE, date(2025, 3, 10), 92)
    check = LC.check(
        case, Trigger.RESTORE, ctx(as_of=date(2026, 3, 20), audits=[credited], reason="ok")
    )
    assert not check.allowed and "after the last one credited (2025-03-10)" in check.why


def test_a_passing_surveillance_while_suspended_for_another_cause_is_credited() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 1, 15),
        suspension_cause=SuspensionCause.CLIENT_REQUEST,
    )
    brought = audit(AuditKind.SURVEILLANCE, date(2025, 2, 20), 96)
    done = LC.fire(case, Trigger.SURVEIL, ctx(as_of=date(2025, 2, 20), audit=brought))
    after = done.after
    assert after.state is State.SUSPENDED and after.suspended_on == date(2025, 1, 15)
    assert after.surveillances == 1 and after.last_surveillance_on == date(2025, 2, 20)
    assert after.star_level is StarLevel.FIVE
    assert after.suspension_cause is SuspensionCause.CLIENT_REQUEST


def test_a_failing_surveillance_while_suspended_becomes_the_suspensions_cause() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2024, 9, 1),
        suspension_cause=SuspensionCause.CLIENT_REQUEST,
    )
    failing = audit(AuditKind.SURVEILLANCE, date(2024, 12, 10), 50)
    assert not LC.check(case, Trigger.SURVEIL, ctx(audit=failing)).allowed
    done = LC.fire(case, Trigger.FAIL_SURVEILLANCE, ctx(as_of=date(2024, 12, 10), audit=failing))
    after = done.after
    assert after.state is State.SUSPENDED and after.surveillances == 0
    assert after.suspension_cause is SuspensionCause.FAILED_SURVEILLANCE
    assert after.suspended_on == date(2024, 9, 1)  # the suspension keeps its limit
    assert done.data["previous_cause"] == "client_request"
    check = LC.check(
        after, Trigger.RESTORE, ctx(as_of=date(2024, 12, 11), audits=[failing], reason="ok")
    )
    assert not check.allowed and "did not pass" in check.why


def test_a_surveillance_while_suspended_for_a_surveillance_cause_waits_for_restore() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 3, 16),
        suspension_cause=SuspensionCause.OVERDUE_SURVEILLANCE,
    )
    brought = audit(AuditKind.SURVEILLANCE, date(2025, 3, 20), 96)
    check = LC.check(case, Trigger.SURVEIL, ctx(audit=brought))
    assert not check.allowed and "clears the suspension on restore" in check.why
    assert LC.check(case, Trigger.NOTE_AUDIT, ctx(audit=brought)).allowed


def test_restore_for_other_causes_needs_a_reason_and_the_limit() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 1, 31),
        suspension_cause=SuspensionCause.CLIENT_REQUEST,
    )
    assert (
        LC.check(case, Trigger.RESTORE, ctx(as_of=date(2025, 2, 1))).why == "a reason is required"
    )
    assert LC.check(case, Trigger.RESTORE, ctx(as_of=date(2025, 7, 31), reason="ok")).allowed
    late = LC.check(case, Trigger.RESTORE, ctx(as_of=date(2025, 8, 1), reason="ok"))
    assert not late.allowed and late.why == "suspension limit passed on 2025-07-31"


@pytest.mark.parametrize("state", [State.ACTIVE, State.SUSPENDED])
def test_withdraw_from_active_or_suspended(state: State) -> None:
    assert LC.check(case_in(state), Trigger.WITHDRAW, ctx()).why == "a reason is required"
    assert (
        LC.fire(case_in(state), Trigger.WITHDRAW, ctx(reason="fraud")).after.state
        is State.WITHDRAWN
    )


def test_recertify_starts_a_new_cycle_with_a_new_number() -> None:
    r = audit(AuditKind.RECERTIFICATION, date(2027, 1, 10), 91)
    done = LC.fire(
        case_in(State.ACTIVE, last_surveillance_on=date(2026, 3, 1)),
        Trigger.RECERTIFY,
        ctx(as_of=date(2027, 2, 1), audit=r),
    )
    after = done.after
    assert after.state is State.ACTIVE
    assert (after.decided_on, after.expires_on) == (date(2027, 2, 1), date(2030, 3, 14))
    assert after.number == "ASC-2027-000042-R1" and after.star_level is StarLevel.FOUR
    assert after.last_surveillance_on is None
    again = LC.fire(
        after,
        Trigger.RECERTIFY,
        ctx(as_of=date(2029, 12, 1), audit=audit(AuditKind.RECERTIFICATION, date(2029, 11, 1))),
    )
    assert again.after.number == "ASC-2029-000042-R2"


def test_recertify_keeps_the_number_when_the_body_says_so() -> None:
    r = audit(AuditKind.RECERTIFICATION, date(2027, 1, 10), 91)
    context = ctx(as_of=date(2027, 2, 1), audit=r)
    context.numbering = CertificateNumbers("ASC", new_number_on_recertification=False)
    assert (
        LC.fire(case_in(State.ACTIVE), Trigger.RECERTIFY, context).after.number == "ASC-2024-000042"
    )


def test_recertify_must_finish_before_expiry() -> None:
    case = case_in(State.ACTIVE)
    late_audit = ctx(
        as_of=date(2027, 3, 15), audit=audit(AuditKind.RECERTIFICATION, date(2027, 3, 15))
    )
    assert "is after expiry on 2027-03-14" in LC.check(case, Trigger.RECERTIFY, late_audit).why
    late_decision = ctx(
        as_of=date(2027, 3, 15), audit=audit(AuditKind.RECERTIFICATION, date(2027, 3, 1))
    )
    assert "expired on 2027-03-14" in LC.check(case, Trigger.RECERTIFY, late_decision).why
    before = ctx(as_of=date(2026, 12, 1), audit=audit(AuditKind.RECERTIFICATION, date(2024, 3, 14)))
    why = LC.check(case, Trigger.RECERTIFY, before).why
    assert "of 2024-03-14 predates the decision of 2024-03-15" in why


@pytest.mark.parametrize("state", [State.ACTIVE, State.SUSPENDED])
def test_expire_only_after_the_last_valid_day(state: State) -> None:
    assert not LC.check(case_in(state), Trigger.EXPIRE, ctx(as_of=date(2027, 3, 14))).allowed
    assert (
        LC.fire(case_in(state), Trigger.EXPIRE, ctx(as_of=date(2027, 3, 15))).after.state
        is State.EXPIRED
    )


def test_a_certificate_that_expired_while_suspended_is_not_restored_after_expiry() -> None:
    case = case_in(
        State.EXPIRED,
        suspended_on=date(2027, 1, 1),
        suspension_cause=SuspensionCause.SERIOUS_NONCONFORMITY,
    )
    renewal = audit(AuditKind.RECERTIFICATION, date(2027, 4, 1), score=96)
    check = LC.check(case, Trigger.RESTORE_AFTER_EXPIRY, ctx(as_of=date(2027, 4, 2), audit=renewal))
    assert not check.allowed
    assert check.why.startswith("expired while suspended (serious_nonconformity, since 2027-01-01)")
    assert plan(case, PlainRules().terms(date(2027, 4, 2))) == {}  # no allowance to remind of


def test_restore_after_expiry_within_the_allowance() -> None:
    case = case_in(State.EXPIRED)  # expired after 2027-03-14; its window opened 2026-12-14
    too_early = audit(AuditKind.RECERTIFICATION, date(2026, 12, 13))
    assert (
        LC.check(
            case, Trigger.RESTORE_AFTER_EXPIRY, ctx(as_of=date(2027, 4, 1), audit=too_early)
        ).why
        == "recertification audit of 2026-12-13 is before the re-certification window opened "
        "on 2026-12-14"
    )
    before_expiry = audit(AuditKind.RECERTIFICATION, date(2027, 3, 1))  # decided after expiry
    audited_in_time = LC.fire(
        case, Trigger.RESTORE_AFTER_EXPIRY, ctx(as_of=date(2027, 4, 1), audit=before_expiry)
    )
    assert audited_in_time.after.state is State.ACTIVE
    after_expiry = audit(AuditKind.RECERTIFICATION, date(2027, 4, 1))
    too_late = LC.check(
        case, Trigger.RESTORE_AFTER_EXPIRY, ctx(as_of=date(2027, 9, 15), audit=after_expiry)
    )
    assert too_late.why == "restoration allowance ended on 2027-09-14"
    done = LC.fire(
        case, Trigger.RESTORE_AFTER_EXPIRY, ctx(as_of=date(2027, 4, 2), audit=after_expiry)
    )
    assert done.after.state is State.ACTIVE and done.after.expires_on == date(2030, 3, 14)
    never = ctx(
        as_of=date(2027, 4, 2),
        audit=after_expiry,
        rules=PlainRules(restoration_after_expiry_months=0),
    )
    assert (
        LC.check(case, Trigger.RESTORE_AFTER_EXPIRY, never).why
        == "the rules allow no restoration after expiry"
    )


@pytest.mark.parametrize(
    "state", [s for s in State if s not in TERMINAL_STATES and s is not State.EXPIRED]
)
def test_cancel_from_every_live_state(state: State) -> None:
    assert (
        LC.fire(case_in(state), Trigger.CANCEL, ctx(reason="client")).after.state is State.CANCELLED
    )


@pytest.mark.parametrize("state", [State.EXPIRED, *sorted(TERMINAL_STATES)])
def test_cancel_is_refused_once_the_case_is_over(state: State) -> None:
    assert not LC.check(case_in(state), Trigger.CANCEL, ctx(reason="client")).allowed


@pytest.mark.parametrize("state", list(State))
def test_remind_leaves_every_state_as_it_is(state: State) -> None:
    done = LC.fire(case_in(state), Trigger.REMIND, ctx())
    assert done.after.state is state and done.before.state is state


def test_note_audit_records_while_suspended_without_moving() -> None:
    case = case_in(
        State.SUSPENDED,
        suspended_on=date(2025, 1, 1),
        suspension_cause=SuspensionCause.FAILED_SURVEILLANCE,
    )
    done = LC.fire(
        case, Trigger.NOTE_AUDIT, ctx(audit=audit(AuditKind.SURVEILLANCE, date(2025, 2, 1)))
    )
    assert done.after.state is State.SUSPENDED


# --- refusals and isolation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (State.ACTIVE, Trigger.RESTORE),
        (State.WITHDRAWN, Trigger.SURVEIL),
        (State.EXPIRED, Trigger.WITHDRAW),
        (State.APPLIED, Trigger.CERTIFY),
        (State.NOT_CERTIFIED, Trigger.CANCEL),
    ],
)
def test_illegal_trigger_names_case_state_and_allowed_triggers(
    state: State, trigger: Trigger
) -> None:
    case = case_in(state)
    with pytest.raises(IllegalTransition) as raised:
        LC.fire(
            case, trigger, ctx(reason="r", audit=audit(AuditKind.SURVEILLANCE, date(2025, 1, 1)))
        )
    error = raised.value
    assert error.state == str(state) and error.trigger == str(trigger)
    assert error.allowed == tuple(LC.operator_triggers_from(state))
    assert "remind" not in error.allowed  # the daemon's alone: never offered to an operator
    assert "case 42" in str(error) and f"is {state}" in str(error)
    assert case.state is state


def test_the_check_has_no_side_effects_and_agrees_with_apply() -> None:
    case = case_in(State.DECISION)
    context = ctx(audits=[audit(AuditKind.STAGE2, date(2024, 3, 1), 88)])
    snapshot = replace(case)
    assert LC.check(case, Trigger.CERTIFY, context).allowed
    assert case == snapshot
    assert LC.fire(case, Trigger.CERTIFY, context).after.state is State.ACTIVE
    assert case == snapshot


class ExplodingTerms(PlainRules):
    def terms(self, as_of: date):  # type: ignore[no-untyped-def]
        raise RuntimeError("rules store unavailable")


def test_an_exception_inside_a_transition_leaves_the_case_untouched() -> None:
    case = case_in(State.DECISION)
    snapshot = replace(case)
    context = ctx(audits=[audit(AuditKind.STAGE2, date(2024, 3, 1), 88)], rules=ExplodingTerms())
    with pytest.raises(RuntimeError, match="rules store unavailable"):
        LC.fire(case, Trigger.CERTIFY, context)  # fails in the effect, after the guard passed
    assert case == snapshot
