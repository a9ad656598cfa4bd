"""An operator's sanctions and their end: suspension, restoration, withdrawal, cancellation,
each dated the day it took effect (entered late, a past day)."""

from __future__ import annotations

from workflows import commands as c
from workflows.certificate_machine import Trigger
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.errors import InvalidInput
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    dated,
    text,
    transition,
)
from workflows.model import OPERATOR_CAUSES, SURVEILLANCE_CAUSES, Case, SuspensionCause
from workflows.why import listing, why


def suspend(cmd: c.Suspend, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = _dated_context(cmd, reads, setup, case, now)
    try:
        ctx.cause = SuspensionCause(cmd.cause)
    except ValueError:
        ctx.cause = None
    if ctx.cause not in OPERATOR_CAUSES:
        said = (
            why("comes from a surveillance deadline or a failing surveillance audit")
            if ctx.cause in SURVEILLANCE_CAUSES
            else why("is not a suspension cause")
        )
        given = str(cmd.cause)  # the value, not the enum's repr
        raise InvalidInput(
            "cause",
            why(
                "{given!r} {said}; an operator suspends for {allowed}",
                given=given,
                said=said,
                allowed=listing(OPERATOR_CAUSES),
            ),
        )
    check = setup.machine.check(case, Trigger.SUSPEND, ctx)
    return transition("Suspend", reads, setup, now, case, check, ctx, cmd.by)


def restore(cmd: c.Restore, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    return _with_reason("Restore", Trigger.RESTORE, cmd, reads, setup, now)


def withdraw(cmd: c.Withdraw, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    return _with_reason("Withdraw", Trigger.WITHDRAW, cmd, reads, setup, now)


def cancel(cmd: c.Cancel, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    return _with_reason("Cancel", Trigger.CANCEL, cmd, reads, setup, now)


def _with_reason(
    command: str,
    trigger: Trigger,
    cmd: c.Restore | c.Withdraw | c.Cancel,
    reads: CaseReads,
    setup: Setup,
    now: Now,
) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = _dated_context(cmd, reads, setup, case, now)
    check = setup.machine.check(case, trigger, ctx)
    return transition(command, reads, setup, now, case, check, ctx, cmd.by)


def _dated_context(
    cmd: c.Suspend | c.Restore | c.Withdraw | c.Cancel,
    reads: CaseReads,
    setup: Setup,
    case: Case,
    now: Now,
) -> TransitionContext:
    """The context on the day the sanction took effect (`on`, or today), recorded in the event
    as `on`: a suspension's limit runs from it."""
    reason = text("reason", cmd.reason)
    day = dated(cmd.on, reads, setup, case, now)
    ctx = context(reads, setup, case, day, reason=reason)
    ctx.data = {"on": day.isoformat()}
    return ctx
