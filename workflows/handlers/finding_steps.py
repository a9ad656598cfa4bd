"""Findings: record one with an audit, the client's response, its verification or rejection.

Each command writes the finding and an event on the case's trail (the case itself unchanged,
its version moved: two auditors acting on one case at once meet the version check). A major
finding brings its `findings_due` deadline, which the scheduler fires on its due day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from workflows import commands as c
from workflows.certificate_machine import case_label
from workflows.change_set import ChangeSet
from workflows.deadlines import due_at
from workflows.errors import IllegalTransition, InvalidInput
from workflows.findings import (
    CorrectionPeriods,
    Finding,
    FindingNotFound,
    FindingStatus,
    Severity,
    correction_due,
    finding_dict,
)
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    dated,
    last_event_day,
    need_id,
    not_future,
    sealed_event,
    text,
)
from workflows.model import TERMINAL_STATES, Case, Deadline, DeadlineKind
from workflows.ports import RuleStamp
from workflows.why import listing, why

RECORD_FINDING = "record_finding"
RESPOND_TO_FINDING = "respond_to_finding"
CLOSE_FINDING = "close_finding"
REJECT_FINDING_RESPONSE = "reject_finding_response"
FINDING_TRIGGERS = frozenset(
    {RECORD_FINDING, RESPOND_TO_FINDING, CLOSE_FINDING, REJECT_FINDING_RESPONSE}
)
"""Event trigger names outside the machine: a finding's steps, the case's state unchanged."""


def record(cmd: c.RecordFinding, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = _live(reads, cmd.case_id, RECORD_FINDING)
    case_id = need_id("case_id", case.id)
    severity = _member(Severity, cmd.severity, "severity")
    indicator = text("indicator", cmd.indicator, one_line=True)
    evidence = text("evidence", cmd.evidence)
    audits = reads.uow.audits.for_case(case_id)
    audit = next((a for a in audits if a.id == cmd.audit_id), None)
    if audit is None:
        have = listing(a.id for a in audits) or why("none yet")
        raise InvalidInput(
            "audit_id",
            why(
                "audit {audit} is not an audit of case {case} (its audits: {have})",
                audit=cmd.audit_id,
                case=case_id,
                have=have,
            ),
        )
    day = dated(cmd.on, reads, setup, case, now, ("the audit", audit.audit_date))
    terms = setup.rules.terms(audit.audit_date)
    if terms.indicators and indicator not in terms.indicators:
        raise InvalidInput(
            "indicator",
            why(
                "{indicator!r} is not an indicator of rule version {version} in force on the "
                "audit date {day}; one of: {indicators}",
                indicator=indicator,
                version=terms.rules.version,
                day=audit.audit_date,
                indicators=listing(terms.indicators),
            ),
        )
    findings = reads.uow.findings.for_case(case_id)
    periods = CorrectionPeriods(terms.major_correction_days, terms.minor_plan_days)
    finding = Finding(
        id=None,
        case_id=case_id,
        number=max((f.number for f in findings), default=0) + 1,
        audit_id=need_id("audit_id", audit.id),
        audit_date=audit.audit_date,
        severity=severity,
        indicator=indicator,
        evidence=evidence,
        recorded_by=text("by", cmd.by, one_line=True),
        recorded_on=day,
        due_on=correction_due(severity, audit.audit_date, periods),
    )
    add: tuple[Deadline, ...] = ()
    if severity is Severity.MAJOR and finding.due_on is not None:
        add = (
            Deadline(None, case_id, DeadlineKind.FINDINGS_DUE, due_at(finding.due_on, setup.zone)),
        )
    said = f"{finding.describe()} recorded"
    return _change(
        "RecordFinding",
        reads,
        now,
        case,
        RECORD_FINDING,
        cmd.by,
        finding,
        said,
        terms.rules,
        add,
        on=day,
    )


def respond(cmd: c.RespondToFinding, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = _live(reads, cmd.case_id, RESPOND_TO_FINDING)
    finding = _finding(reads, case, cmd.number)
    if finding.status is not FindingStatus.OPEN:
        raise _not_now(finding, why("respond to it"))
    not_future("responded_on", cmd.responded_on, now.today)
    if cmd.responded_on < finding.audit_date:
        raise InvalidInput(
            "responded_on",
            why(
                "{day} is before the audit of {audit} that raised {finding}",
                day=cmd.responded_on,
                audit=finding.audit_date,
                finding=finding.label,
            ),
        )
    if finding.rejected_on is not None and cmd.responded_on < finding.rejected_on:
        raise InvalidInput(
            "responded_on",
            why(
                "{day} is before the rejection of {rejected} it answers",
                day=cmd.responded_on,
                rejected=finding.rejected_on,
            ),
        )
    # The client's own date, bounded by the finding alone; on the trail from the day the case's
    # last event leaves it (a later step may be dated back to it, never before that event).
    last = last_event_day(reads, setup, case)
    on_record = cmd.responded_on if last is None else max(cmd.responded_on, last)
    answered = replace(
        finding,
        status=FindingStatus.RESPONDED,
        cause=text("cause", cmd.cause),
        correction=text("correction", cmd.correction),
        corrective_action=text("corrective_action", cmd.corrective_action),
        responded_on=cmd.responded_on,
        responded_by=text("by", cmd.by, one_line=True),
    )
    said = f"response to {finding.label} of {cmd.responded_on}"
    return _change(
        "RespondToFinding", reads, now, case, RESPOND_TO_FINDING, cmd.by, answered, said,
        on=on_record,
    )  # fmt: skip


def close(cmd: c.CloseFinding, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = _live(reads, cmd.case_id, CLOSE_FINDING)
    finding = _finding(reads, case, cmd.number)
    observation = finding.severity is Severity.OBSERVATION
    if finding.status is FindingStatus.CLOSED or (
        finding.status is FindingStatus.OPEN and not observation
    ):
        raise _not_now(finding, why("close it"))
    floors = (("the response", finding.responded_on), ("the audit", finding.audit_date))
    day = dated(cmd.on, reads, setup, case, now, *floors)
    closed = replace(
        finding,
        status=FindingStatus.CLOSED,
        closed_on=day,
        closed_by=text("by", cmd.by, one_line=True),
    )
    late = finding.due_on is not None and day > finding.due_on
    said = f"{finding.label} verified and closed" + (
        f" after its due day {finding.due_on}" if late else ""
    )
    return _change("CloseFinding", reads, now, case, CLOSE_FINDING, cmd.by, closed, said, on=day)


def reject(cmd: c.RejectFindingResponse, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = _live(reads, cmd.case_id, REJECT_FINDING_RESPONSE)
    finding = _finding(reads, case, cmd.number)
    if finding.status is not FindingStatus.RESPONDED:
        raise _not_now(finding, why("reject its response"))
    reason = text("reason", cmd.reason)
    day = dated(cmd.on, reads, setup, case, now, ("the response", finding.responded_on))
    reopened = replace(
        finding,
        status=FindingStatus.OPEN,
        rejected_reason=reason,
        rejected_on=day,
        rejected_by=text("by", cmd.by, one_line=True),
    )
    said = f"response to {finding.label} rejected: {reason}"
    return _change(
        "RejectFindingResponse",
        reads,
        now,
        case,
        REJECT_FINDING_RESPONSE,
        cmd.by,
        reopened,
        said,
        on=day,
    )


def _live(reads: CaseReads, case_id: int, trigger: str) -> Case:
    case = reads.case(case_id)
    if case.state in TERMINAL_STATES:
        raise IllegalTransition(
            case_label(case),
            str(case.state),
            trigger,
            [],
            why("the case is closed: its findings stay as they are"),
        )
    return case


def _finding(reads: CaseReads, case: Case, number: int) -> Finding:
    findings: Sequence[Finding] = reads.uow.findings.for_case(need_id("case_id", case.id))
    found = next((f for f in findings if f.number == number), None)
    if found is None:
        have = ", ".join(f.label for f in findings) or "none"
        raise FindingNotFound(
            f"finding: case {case.id} has no finding F{number} (its findings: {have})"
        )
    return found


def _not_now(finding: Finding, what: str) -> InvalidInput:
    if finding.status is FindingStatus.CLOSED:
        state = why("is already closed (on {day})", day=finding.closed_on)
    elif finding.status is FindingStatus.RESPONDED:
        state = why("has a response of {day} awaiting verification", day=finding.responded_on)
    else:
        state = why("has no response to verify yet")
    said = why("cannot {what}: {finding} {state}", what=what, finding=finding.label, state=state)
    return InvalidInput("finding", said)


def _member(kind: Any, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        said = why("{value!r} is not one of: {allowed}", value=value, allowed=listing(kind))
        raise InvalidInput(field, said) from None


def _change(
    command: str,
    reads: CaseReads,
    now: Now,
    case: Case,
    trigger: str,
    actor: str,
    finding: Finding,
    reason: str,
    stamp: RuleStamp | None = None,
    add: tuple[Deadline, ...] = (),
    on: date | None = None,
) -> ChangeSet:
    data: dict[str, Any] = {
        "finding": {k: v for k, v in finding_dict(finding).items() if k != "id"}
    }
    if on is not None:
        data["on"] = on.isoformat()
    event = sealed_event(reads, case, trigger, case.state, actor, now, reason, data, stamp)
    return ChangeSet(
        command,
        case=case.copy(),
        events=(event,),
        findings=(finding,),
        add=add,
        at=now.instant,
        note=reason,
    )
