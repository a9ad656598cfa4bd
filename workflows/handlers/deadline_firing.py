"""Deadlines: firing one against the case as it is now, and moving them to new rule numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from workflows import commands as c
from workflows.certificate_machine import Trigger, TriggerCheck
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.deadlines import (
    REMINDER_KINDS,
    due_at,
    due_day,
    local_day,
    next_surveillance_due,
    suspension_limit,
)
from workflows.findings import listed, unresolved
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    need_id,
    replan,
    sealed_event,
    transition,
)
from workflows.model import Case, Deadline, DeadlineKind, Event, State, SuspensionCause
from workflows.ports import Notification
from workflows.recompute import deadline_moves

DEADLINE_OBSOLETE = "deadline_obsolete"
DEADLINES_RECOMPUTED = "deadlines_recomputed"
"""Event trigger names outside the machine: a deadline that no longer applied when it fired
(marked done, state unchanged), and open deadlines moved to a new rule version's numbers."""
REMINDER_CHANNEL = "webhook"
EMAIL_CHANNEL = "email"
EMAILED_KINDS = frozenset({DeadlineKind.SURVEILLANCE_WINDOW_OPENS, DeadlineKind.RECERT_REMINDER})
"""The reminders also e-mailed to the organisation's contact: before the surveillance is due,
and before expiry (their lead times are the rule file's lifecycle numbers)."""


def fire(cmd: c.FireDeadline, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    """Fire a deadline against the case's CURRENT state.

    The domain date of what it triggers is the day after its due day (the first day the
    obligation is missed), however late it fires. A deadline that no longer applies is marked
    done with a `deadline_obsolete` event saying why; one already done or cancelled is left
    alone and nothing is written.
    """
    case = reads.case(cmd.case_id)
    open_rows = reads.open_deadlines(need_id("case_id", case.id))  # in due order
    deadline = next((d for d in open_rows if d.id == cmd.deadline_id), None)
    if deadline is None:
        note = f"deadline {cmd.deadline_id} is not open; nothing to do"
        return ChangeSet("FireDeadline", case=case, note=note)
    first = open_rows[0]
    if first.id != deadline.id:
        # A case's deadlines fire in due order, as for a daemon that never stopped: one due
        # earlier (held by another daemon, a dead one's lease, an incident) goes first.
        note = f"waits for deadline {first.id} ({first.kind}, due {first.due_at.isoformat()})"
        return ChangeSet("FireDeadline", case=case, note=note, deferred=True)
    due_on = due_day(deadline.due_at, setup.zone)
    effective = due_on + timedelta(days=1)
    ctx = context(reads, setup, case, effective)
    ctx.data = {
        "deadline": {
            "id": deadline.id,
            "kind": str(deadline.kind),
            "due_on": due_on.isoformat(),
            "due_at": deadline.due_at.isoformat(),
            "fired_at": now.instant.isoformat(),
            "late": local_day(now.instant, setup.zone) > effective,
        }
    }
    check, why = _deadline_check(setup, case, deadline.kind, due_on, ctx)
    # Judged by the numbers in force on the due day, as a rule version's recompute judged it
    # (a deadline due before the version's effective date keeps the old numbers).
    terms = ctx.terms_at(max(case.decided_on, due_on)) if case.decided_on else None
    stamp = terms.rules if terms else None
    if check is None:
        event = sealed_event(
            reads,
            case,
            DEADLINE_OBSOLETE,
            case.state,
            cmd.by,
            now,
            why,
            {**ctx.data, "obsolete": True},
            stamp,
        )
        # A certified case's deadlines are planned again: an obligation the rules moved (a new
        # version's numbers) is never left without its deadline. A case with no decision has
        # no plan to hold its rows to; they are left as they are.
        cancel, add = (
            replan(reads, setup, case, ctx, deadline) if case.decided_on else (frozenset(), ())
        )
        return ChangeSet(
            "FireDeadline",
            case=case,
            events=(event,),
            done=(need_id("deadline_id", deadline.id),),
            cancel=cancel,
            add=add,
            at=now.instant,
            note=f"obsolete: {why}",
        )

    def reminder(after: Case, event: Event) -> tuple[Notification, ...]:
        message = _reminder(after, deadline, due_on, event, now)
        if deadline.kind not in EMAILED_KINDS:
            return (message,)
        contact = reads.organisation(after.organisation_id).contact_email
        if contact is None:
            return (message,)
        surveillance = next((d for d in open_rows if d.kind is DeadlineKind.SURVEILLANCE_DUE), None)
        payload = {
            **message.payload,
            "to": contact,
            "surveillance_due_on": (
                None
                if surveillance is None
                else due_day(surveillance.due_at, setup.zone).isoformat()
            ),
        }
        return (message, replace(message, channel=EMAIL_CHANNEL, payload=payload))

    return transition(
        "FireDeadline", reads, setup, now, case, check, ctx, cmd.by, stamp=stamp, fired=deadline,
        notify=reminder if check.trigger == Trigger.REMIND else None,
    )  # fmt: skip


def _deadline_check(
    setup: Setup, case: Case, kind: DeadlineKind, due_on: date, ctx: TransitionContext
) -> tuple[TriggerCheck | None, str]:
    """What a deadline of `kind` due on `due_on` does to the case as it is now (its trigger,
    checked once), or None and why it no longer applies."""
    trigger, why = _deadline_trigger(case, kind, due_on, ctx)
    if trigger is None:
        return None, why
    check = setup.machine.check(case, trigger, ctx)
    if trigger is Trigger.EXPIRE:  # an expiry applies exactly when its guard allows it
        return (check if check.allowed else None), check.why
    return check, why


def _deadline_trigger(
    case: Case, kind: DeadlineKind, due_on: date, ctx: TransitionContext
) -> tuple[Trigger | None, str]:
    state = case.state
    if kind in REMINDER_KINDS:
        relevant = {
            DeadlineKind.SURVEILLANCE_WINDOW_OPENS: {State.ACTIVE},
            DeadlineKind.RECERT_REMINDER: {State.ACTIVE, State.SUSPENDED},
            DeadlineKind.RESTORATION_ALLOWANCE_ENDS: {State.EXPIRED},
        }[kind]
        if state in relevant:
            ctx.reason = f"{kind} on {due_on}"
            return Trigger.REMIND, ctx.reason
        return None, f"{kind} does not apply to a {state} case"
    if kind is DeadlineKind.FINDINGS_DUE:
        return _findings_trigger(case, due_on, ctx)
    if case.decided_on is None:
        return None, f"case {case.id} has no certification decision"
    terms = ctx.terms_at(max(case.decided_on, due_on))
    if kind is DeadlineKind.SURVEILLANCE_DUE:
        due = next_surveillance_due(case, terms) if state is State.ACTIVE else None
        if state is not State.ACTIVE or due is None or due > due_on:
            return (
                None,
                f"surveillance due on {due_on} no longer outstanding ({state}, next due {due})",
            )
        ctx.cause = SuspensionCause.OVERDUE_SURVEILLANCE
        ctx.reason = f"surveillance due on {due} was not done"
        return Trigger.SUSPEND, ctx.reason
    if kind is DeadlineKind.EXPIRY:
        return Trigger.EXPIRE, ""  # its guard decides, in _deadline_check
    if kind is DeadlineKind.SUSPENSION_LIMIT:
        if state is State.SUSPENDED and case.suspended_on is not None:
            limit = suspension_limit(case.suspended_on, terms)
            if limit <= due_on:
                ctx.reason = f"suspension since {case.suspended_on} passed its limit {limit}"
                return Trigger.WITHDRAW, ctx.reason
        return None, f"no suspension past its limit on {due_on} ({state})"
    raise ValueError(f"unknown deadline kind {kind!r}")  # pragma: no cover


def _findings_trigger(
    case: Case, due_on: date, ctx: TransitionContext
) -> tuple[Trigger | None, str]:
    """A major finding's period has ended: refuse the application, or suspend the certificate,
    when a major finding is still unresolved (judged on the first day it is late)."""
    late = unresolved(ctx.load_findings(), ctx.as_of)
    if not late:
        return None, f"no major finding is unresolved past {due_on}"
    ctx.reason = f"{listed(late)} not closed within its period"
    ctx.data = {**ctx.data, "findings": [f.label for f in late]}
    if case.state in (State.STAGE1, State.STAGE2, State.DECISION):
        return Trigger.REFUSE_FOR_FINDINGS, ctx.reason
    if case.state is State.ACTIVE:
        ctx.cause = SuspensionCause.UNRESOLVED_NONCONFORMITY
        return Trigger.SUSPEND, ctx.reason
    return None, f"{ctx.reason}, but the case is {case.state}"


def recompute(cmd: c.RecomputeDeadlines, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    """Move open deadlines to a new version's lifecycle numbers; one event says which.

    Idempotent: a case already in line is left alone and nothing is written.
    """
    case = reads.case(cmd.case_id)
    case_id = need_id("case_id", case.id)
    if case.decided_on is None:
        return ChangeSet("RecomputeDeadlines", case=case, note="no certificate")
    terms = setup.rules.terms(max(case.decided_on, cmd.effective_from))
    moves = deadline_moves(
        case,
        reads.open_deadlines(case_id),
        terms,
        cmd.effective_from,
        setup.zone,
        reads.done_deadlines(case_id),
    )
    if not moves:
        return ChangeSet("RecomputeDeadlines", case=case, note="no deadline moves")
    reason = f"rule version {terms.rules.version} from {cmd.effective_from} moves: " + "; ".join(
        m.words() for m in moves
    )
    data = {"effective_from": cmd.effective_from.isoformat(), "moved": [m.to_dict() for m in moves]}
    event = sealed_event(
        reads, case, DEADLINES_RECOMPUTED, case.state, cmd.by, now, reason, data, terms.rules
    )
    return ChangeSet(
        "RecomputeDeadlines",
        case=case,
        events=(event,),
        cancel=frozenset(m.kind for m in moves if m.before is not None),
        add=tuple(
            Deadline(None, case_id, m.kind, due_at(m.after, setup.zone))
            for m in moves
            if m.after is not None
        ),
        at=now.instant,
        note=reason,
    )


def _reminder(case: Case, deadline: Deadline, due_on: date, event: Event, now: Now) -> Notification:
    """The outbox message a reminder firing sends, written in the firing's own transaction."""
    return Notification(
        id=None,
        case_id=case.id,
        kind=str(deadline.kind),
        channel=REMINDER_CHANNEL,
        payload={
            "kind": str(deadline.kind),
            "case_id": case.id,
            "certificate": case.number,
            "holder": case.holder,
            "state": str(case.state),
            "due_on": due_on.isoformat(),
            "expires_on": case.expires_on.isoformat() if case.expires_on else None,
            "event_seq": event.seq,
            "reason": event.reason,
        },
        created_at=now.instant,
        deliver_after=now.instant,
    )
