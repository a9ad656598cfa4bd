"""The certificate: the decision, surveillance and special audits, re-certification, expiry."""

from __future__ import annotations

from workflows import commands as c
from workflows.certificate_machine import Trigger
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    new_audit,
    transition,
)
from workflows.model import SURVEILLANCE_CAUSES, AuditKind, Case, State


def decide(cmd: c.Decide, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    check = setup.machine.check(case, Trigger.CERTIFY, ctx)
    if check.allowed:
        return transition("Decide", reads, setup, now, case, check, ctx, cmd.by)
    refuse = setup.machine.check(case, Trigger.REFUSE_CERTIFICATION, ctx)
    if refuse.allowed:
        return transition("Decide", reads, setup, now, case, refuse, ctx, cmd.by)
    raise setup.machine.refuse(case, check)


def surveillance(cmd: c.RecordSurveillance, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, cmd.audit_date)
    kind = AuditKind.SURVEILLANCE
    if case.state is State.SUSPENDED and case.suspension_cause in SURVEILLANCE_CAUSES:
        # Credited when the restore it clears the way for comes (the latest one counts).
        ctx.audit = new_audit(case, ctx, kind, cmd.audit_date, cmd.auditor, now, cmd.sheet)
        return _note_audit("RecordSurveillance", reads, setup, now, case, ctx, cmd.by)
    if case.state not in (State.ACTIVE, State.SUSPENDED):
        raise setup.machine.refuse(case, setup.machine.check(case, Trigger.SURVEIL, ctx))
    ctx.audit = new_audit(case, ctx, kind, cmd.audit_date, cmd.auditor, now, cmd.sheet)
    trigger = Trigger.SURVEIL if ctx.score(ctx.audit).passed else Trigger.FAIL_SURVEILLANCE
    check = setup.machine.check(case, trigger, ctx)
    return transition("RecordSurveillance", reads, setup, now, case, check, ctx, cmd.by)


def special_audit(cmd: c.RecordSpecialAudit, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, cmd.audit_date)
    if case.state not in (State.ACTIVE, State.SUSPENDED):
        raise setup.machine.refuse(case, setup.machine.check(case, Trigger.NOTE_AUDIT, ctx))
    ctx.audit = new_audit(case, ctx, AuditKind.SPECIAL, cmd.audit_date, cmd.auditor, now, cmd.sheet)
    return _note_audit("RecordSpecialAudit", reads, setup, now, case, ctx, cmd.by)


def _note_audit(
    command: str,
    reads: CaseReads,
    setup: Setup,
    now: Now,
    case: Case,
    ctx: TransitionContext,
    by: str,
) -> ChangeSet:
    """Record the context's audit with no change of state; a sheet's verdict goes in the event."""
    assert ctx.audit is not None
    stamp = None
    if ctx.audit.sheet is not None:
        verdict = ctx.score(ctx.audit)  # a malformed sheet is refused here too
        ctx.data = {"score": {"final_score": str(verdict.final_score), "passed": verdict.passed}}
        stamp = verdict.rules
    check = setup.machine.check(case, Trigger.NOTE_AUDIT, ctx)
    return transition(command, reads, setup, now, case, check, ctx, by, stamp=stamp)


def recertification(
    cmd: c.RecordRecertification, reads: CaseReads, setup: Setup, now: Now
) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    trigger = Trigger.RESTORE_AFTER_EXPIRY if case.state is State.EXPIRED else Trigger.RECERTIFY
    if case.state not in (State.ACTIVE, State.EXPIRED):
        raise setup.machine.refuse(case, setup.machine.check(case, trigger, ctx))
    ctx.audit = new_audit(
        case, ctx, AuditKind.RECERTIFICATION, cmd.audit_date, cmd.auditor, now, cmd.sheet
    )
    check = setup.machine.check(case, trigger, ctx)
    return transition("RecordRecertification", reads, setup, now, case, check, ctx, cmd.by)


def expire(cmd: c.Expire, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    check = setup.machine.check(case, Trigger.EXPIRE, ctx)
    return transition("Expire", reads, setup, now, case, check, ctx, cmd.by)
