"""The certificate: the decision, surveillance and special audits, re-certification, expiry."""

from __future__ import annotations

from datetime import date

from workflows import commands as c
from workflows.certificate_machine import Trigger
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.errors import InvalidInput
from workflows.findings import closed_after, listed
from workflows.guards import latest_stage2
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    dated,
    new_audit,
    not_future,
    transition,
)
from workflows.model import SURVEILLANCE_CAUSES, AuditKind, Case, State
from workflows.why import why


def decide(cmd: c.Decide, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    ctx.as_of = decision_day(cmd.on, reads, setup, case, ctx, now)
    ctx.data = {"on": ctx.as_of.isoformat()}
    check = setup.machine.check(case, Trigger.CERTIFY, ctx)
    if check.allowed:
        return transition("Decide", reads, setup, now, case, check, ctx, cmd.by)
    refuse = setup.machine.check(case, Trigger.REFUSE_CERTIFICATION, ctx)
    if refuse.allowed:
        return transition("Decide", reads, setup, now, case, refuse, ctx, cmd.by)
    raise setup.machine.refuse(case, check)


def decision_day(
    on: date | None, reads: CaseReads, setup: Setup, case: Case, ctx: TransitionContext, now: Now
) -> date:
    """The decision's day (`on`, or today): never in the future, never before the stage 2 audit
    it decides on, nor before a major finding it needs was closed (still open that day), nor
    before the case's last event. Checked in that order: a finding's closure is often that last
    event, and the refusal naming the finding says more."""
    day = now.today if on is None else on
    not_future("on", day, now.today)
    stage2 = ctx.latest(AuditKind.STAGE2)
    if stage2 is not None and day < stage2.audit_date:
        raise InvalidInput(
            "on",
            why("{day} is before the stage 2 audit of {audit}", day=day, audit=stage2.audit_date),
        )
    verdict = latest_stage2(ctx)
    if not isinstance(verdict, str) and verdict.passed:
        late = closed_after(ctx.load_findings(), day)
        if late:
            raise InvalidInput(
                "on",
                why(
                    "{findings} was still open on {day} (closed on {closed}): a major finding "
                    "must be closed before the decision",
                    findings=listed(late),
                    day=day,
                    closed=max(f.closed_on for f in late if f.closed_on is not None),
                ),
            )
    return dated(on, reads, setup, case, now)  # today's, when undated


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
