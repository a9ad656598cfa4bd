"""Findings and corrective actions through the case service: decisions wait for major findings,
the scheduler refuses or suspends when one outlives its period, bad input writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_doubles import sheet_scoring
from lifecycle_steps import OPERATOR, Office

from storage.memory.memory_store import MemoryStore
from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.errors import IllegalTransition, InvalidInput, NotFound
from workflows.findings import FindingStatus, Severity
from workflows.model import DeadlineKind, State, SuspensionCause

AUDITOR = "zhao.lei"


def _to_decision(office: Office) -> tuple[int, int]:
    """A case scored at stage 2 and awaiting its decision; its stage 2 audit's id."""
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    office.case_service.handle(c.RecordStage1(case_id, office.days(10), AUDITOR, OPERATOR))
    office.case_service.handle(
        c.RecordStage2(case_id, office.days(20), AUDITOR, sheet_scoring(85), OPERATOR)
    )
    return case_id, _audit_ids(office, case_id)[-1]


def _audit_ids(office: Office, case_id: int) -> list[int]:
    with office.new_uow() as uow:
        return [a.id for a in uow.audits.for_case(case_id) if a.id is not None]


def _findings(office: Office, case_id: int) -> list:  # type: ignore[type-arg]
    with office.new_uow() as uow:
        return list(uow.findings.for_case(case_id))


def _major(
    office: Office, case_id: int, audit_id: int, severity: Severity = Severity.MAJOR
) -> None:
    office.case_service.handle(
        c.RecordFinding(case_id, audit_id, severity, "repair", "no repair records kept", AUDITOR)
    )


def _respond(office: Office, case_id: int, number: int = 1) -> None:
    office.case_service.handle(
        c.RespondToFinding(
            case_id, number, "no record form", "records kept since", "weekly check of records",
            office.today, OPERATOR,
        )
    )  # fmt: skip


def test_a_decision_waits_for_the_major_finding_and_certifies_once_it_is_closed(
    office: Office,
) -> None:
    case_id, audit_id = _to_decision(office)
    _major(office, case_id, audit_id)
    (finding,) = _findings(office, case_id)
    assert (finding.label, finding.status, finding.due_on) == (
        "F1",
        FindingStatus.OPEN,
        finding.audit_date + timedelta(days=90),
    )
    assert str(DeadlineKind.FINDINGS_DUE) in office.open_deadlines(case_id)
    office.days(3)
    with pytest.raises(IllegalTransition, match=r"major finding F1 \(repair.*open"):
        office.case_service.handle(c.Decide(case_id, OPERATOR))
    _respond(office, case_id)
    office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR))
    result = office.case_service.handle(c.Decide(case_id, OPERATOR))
    assert result.state is State.ACTIVE
    (closed,) = _findings(office, case_id)
    assert (closed.status, closed.closed_on, closed.closed_by) == (
        FindingStatus.CLOSED,
        office.today,
        AUDITOR,
    )
    office.until(office.today + timedelta(days=100))  # its deadline passes: nothing happens
    assert office.snapshot(case_id).case.state is State.ACTIVE
    with office.new_uow() as uow:
        assert verify_log(uow.events, case_row=uow.cases.get).broken is None


def test_an_application_whose_major_finding_outlives_its_period_is_refused_by_the_scheduler(
    office: Office,
) -> None:
    case_id, audit_id = _to_decision(office)
    _major(office, case_id, audit_id)
    due = _findings(office, case_id)[0].due_on
    office.until(due)
    assert office.snapshot(case_id).case.state is State.DECISION
    fired = office.until(due + timedelta(days=1))
    assert [r.state for r in fired] == [State.NOT_CERTIFIED]
    last = office.snapshot(case_id).events[-1]
    assert last.trigger == "refuse_for_findings" and last.actor == "scheduler"
    assert last.reason is not None and "major finding F1" in last.reason
    assert "not closed within its period" in last.reason


def test_a_major_finding_open_past_its_period_suspends_the_certificate_until_it_is_closed(
    office: Office,
) -> None:
    case_id = office.certify()
    office.days(60)
    office.case_service.handle(c.RecordSpecialAudit(case_id, office.today, AUDITOR, None, OPERATOR))
    _major(office, case_id, _audit_ids(office, case_id)[-1])
    _major(office, case_id, _audit_ids(office, case_id)[-1], Severity.MINOR)
    due = _findings(office, case_id)[0].due_on
    office.until(due + timedelta(days=1))
    case = office.snapshot(case_id).case
    assert (case.state, case.suspension_cause) == (
        State.SUSPENDED,
        SuspensionCause.UNRESOLVED_NONCONFORMITY,
    )
    with pytest.raises(IllegalTransition, match=r"F1 .*past its period"):
        office.case_service.handle(c.Restore(case_id, "corrected", OPERATOR))
    _respond(office, case_id)
    office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR))
    assert office.case_service.handle(c.Restore(case_id, "corrected", OPERATOR)).state is (
        State.ACTIVE
    )
    with office.new_uow() as uow:
        assert verify_log(uow.events, case_row=uow.cases.get).broken is None


def test_a_rejected_response_opens_the_finding_again(office: Office) -> None:
    case_id, audit_id = _to_decision(office)
    _major(office, case_id, audit_id)
    _respond(office, case_id)
    office.case_service.handle(c.RejectFindingResponse(case_id, 1, "no evidence given", AUDITOR))
    (finding,) = _findings(office, case_id)
    assert (finding.status, finding.rejected_reason) == (FindingStatus.OPEN, "no evidence given")
    with pytest.raises(InvalidInput, match="finding: cannot close it: F1 has no response"):
        office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR))
    triggers = [e.trigger for e in office.snapshot(case_id).events[-3:]]
    assert triggers == ["record_finding", "respond_to_finding", "reject_finding_response"]


def test_an_observation_closes_without_a_response_and_holds_up_nothing(office: Office) -> None:
    case_id, audit_id = _to_decision(office)
    _major(office, case_id, audit_id, Severity.OBSERVATION)
    assert _findings(office, case_id)[0].due_on is None
    assert str(DeadlineKind.FINDINGS_DUE) not in office.open_deadlines(case_id)
    assert office.case_service.handle(c.Decide(case_id, OPERATOR)).state is State.ACTIVE
    office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR))


def test_bad_finding_commands_name_the_field_and_write_nothing(
    office: Office, store: MemoryStore
) -> None:
    case_id, audit_id = _to_decision(office)
    other_id, other_audit = _to_decision(office)
    _major(office, case_id, audit_id)
    before = office.snapshot(case_id)
    service = office.case_service
    bad = [
        (c.RecordFinding(case_id, other_audit, Severity.MAJOR, "repair", "x", AUDITOR),
         InvalidInput, f"audit_id: audit {other_audit} is not an audit of case {case_id}"),
        (c.RecordFinding(case_id, audit_id, "grave", "repair", "x", AUDITOR),  # type: ignore[arg-type]
         InvalidInput, "severity: 'grave' is not one of"),
        (c.RecordFinding(case_id, audit_id, Severity.MAJOR, "repair", "  ", AUDITOR),
         InvalidInput, "evidence: must not be empty"),
        (c.CloseFinding(case_id, 7, AUDITOR), NotFound, "has no finding F7"),
        (c.RespondToFinding(case_id, 1, "a", "b", "c", audit_date(office, audit_id) - timedelta(days=1), OPERATOR),
         InvalidInput, "responded_on: .* is before the audit of"),
        (c.RespondToFinding(case_id, 1, "a", "b", "c", office.today + timedelta(days=1), OPERATOR),
         InvalidInput, "responded_on: .* is in the future"),
        (c.CloseFinding(case_id, 1, AUDITOR), InvalidInput, "F1 has no response to verify"),
    ]  # fmt: skip
    for command, error, message in bad:
        with pytest.raises(error, match=message):
            service.handle(command)
    assert office.snapshot(case_id) == before
    _respond(office, case_id)
    service.handle(c.CloseFinding(case_id, 1, AUDITOR))
    with pytest.raises(InvalidInput, match=r"F1 is already closed \(on "):
        service.handle(c.CloseFinding(case_id, 1, AUDITOR))
    assert _findings(office, other_id) == []


def audit_date(office: Office, audit_id: int):  # type: ignore[no-untyped-def]
    with office.new_uow() as uow:
        for case_id in uow.events.all_case_ids():
            for audit in uow.audits.for_case(case_id):
                if audit.id == audit_id:
                    return audit.audit_date
    raise AssertionError(audit_id)


def test_a_closure_entered_late_but_dated_within_the_period_keeps_the_certificate(
    office: Office,
) -> None:
    case_id = office.certify()
    office.days(30)
    office.case_service.handle(c.RecordSpecialAudit(case_id, office.today, AUDITOR, None, OPERATOR))
    _major(office, case_id, _audit_ids(office, case_id)[-1])
    due = _findings(office, case_id)[0].due_on
    office.case_service.handle(
        c.RespondToFinding(case_id, 1, "c", "fix", "plan", office.today, OPERATOR)
    )
    office.clock.advance(timedelta(days=95))  # the daemon was down: nothing fired yet
    assert office.today > due
    office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR, on=due - timedelta(days=1)))
    office.fire_due()
    assert office.snapshot(case_id).case.state is State.ACTIVE
    closed = _findings(office, case_id)[0]
    assert closed.closed_on == due - timedelta(days=1)
    obsolete = [e for e in office.snapshot(case_id).events if e.trigger == "deadline_obsolete"]
    assert obsolete and "no major finding is unresolved" in (obsolete[-1].reason or "")
    before = office.snapshot(case_id)
    audit_id = _audit_ids(office, case_id)[-1]
    for on, message in (
        (office.today + timedelta(days=1), r"on: .* is in the future"),
        (due - timedelta(days=95), r"on: .* is before the audit of"),
        (due, r"on: .* is before the case's last event, of"),
    ):
        with pytest.raises(InvalidInput, match=message):
            office.case_service.handle(
                c.RecordFinding(case_id, audit_id, Severity.MINOR, "repair", "x", AUDITOR, on=on)
            )
    assert office.snapshot(case_id) == before


def test_a_closure_dated_after_its_period_is_entered_after_the_suspension_it_caused(
    office: Office,
) -> None:
    case_id = office.certify()
    office.days(30)
    office.case_service.handle(c.RecordSpecialAudit(case_id, office.today, AUDITOR, None, OPERATOR))
    _major(office, case_id, _audit_ids(office, case_id)[-1])
    due = _findings(office, case_id)[0].due_on
    _respond(office, case_id)
    office.clock.advance(timedelta(days=100))
    # Dated after the due day: the suspension due before it is fired first, then the closure.
    office.case_service.handle(c.CloseFinding(case_id, 1, AUDITOR, on=due + timedelta(days=3)))
    events = office.snapshot(case_id).events
    assert [e.trigger for e in events[-2:]] == ["suspend", "close_finding"]
    # Nothing may now be dated before the suspension.
    with pytest.raises(InvalidInput, match=r"on: .* is before the case's last event"):
        office.case_service.handle(
            c.RecordFinding(case_id, _audit_ids(office, case_id)[-1], Severity.MINOR, "repair",
                            "x", AUDITOR, on=due)
        )  # fmt: skip
