"""The service layer: each command runs as ONE unit of work, all or nothing.

A command validates its input, loads the case, asks the rules where a guard needs a decision,
runs the transition on a copy, then writes — audit, case (optimistic version check), the sealed
event, the deadline changes — and commits. Any exception before the commit leaves the store as
it was. When another writer changed the case first, an operator's command fails with
ConcurrencyConflict (they look again and retry); a deadline is re-run against the new state, so a
deadline racing an operator is re-evaluated, never applied blindly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows import commands as c
from workflows.audit_trail import seal
from workflows.context import TransitionContext
from workflows.credit_code import validate_credit_code
from workflows.deadlines import (
    REMINDER_KINDS,
    already_reminded,
    due_at,
    due_day,
    local_day,
    next_surveillance_due,
    plan_across_versions,
    suspension_limit,
)
from workflows.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    StarcertError,
)
from workflows.lifecycle import (
    DEFAULT_LIFECYCLE,
    OPERATOR_CAUSES,
    SURVEILLANCE_CAUSES,
    LifecycleDefinition,
    Trigger,
    TriggerCheck,
)
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    State,
    SuspensionCause,
)
from workflows.numbering import CertificateNumbers
from workflows.ports import (
    Clock,
    LifecycleTerms,
    Notification,
    RulesPort,
    RuleStamp,
    UnitOfWork,
)
from workflows.recompute import deadline_moves

SUBMIT_APPLICATION = "submit_application"
DEADLINE_OBSOLETE = "deadline_obsolete"
DEADLINES_RECOMPUTED = "deadlines_recomputed"
"""Event trigger names outside the machine: a case's first event, and a deadline that no longer
applied when it fired (marked done, state unchanged)."""

CATCHES_UP = (
    c.RecordSurveillance,
    c.Suspend,
    c.Restore,
    c.Withdraw,
    c.Cancel,
    c.RecordRecertification,
    c.RecordSpecialAudit,
)
"""Operator commands on a certified case: the case's deadlines already due fire before them.
Expire is left out: it is itself what the expiry deadline does."""
MAX_CATCH_UP = 20  # more than a case ever has due at once: a bound, not a limit in practice


@dataclass(frozen=True)
class Result:
    command: str
    case_id: int | None = None
    organisation_id: int | None = None
    state: State | None = None
    events: tuple[Event, ...] = ()
    deadlines_added: tuple[Deadline, ...] = ()
    note: str = ""
    certificate: str | None = None  # the case's certificate number after the command, if any
    deferred: bool = False  # a deadline not fired yet: an earlier one of its case comes first


@dataclass(frozen=True)
class _Now:
    """The one reading of the clock a command works with."""

    instant: datetime
    today: date


class Lifecycle:
    """Runs operator and scheduler commands against the store, one transaction each."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        rules: RulesPort,
        clock: Clock,
        zone: ZoneInfo,
        *,
        new_number_on_recertification: bool = True,
        number_prefix: str = "ASC",
        definition: LifecycleDefinition = DEFAULT_LIFECYCLE,
        max_attempts: int = 3,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._uow_factory = uow_factory
        self._rules = rules
        self._clock = clock
        self._zone = zone
        self._numbering = CertificateNumbers(number_prefix, new_number_on_recertification)
        self._definition = definition
        self._max_attempts = max_attempts
        self._handlers: dict[type[Any], Callable[[UnitOfWork, Any, _Now], Result]] = {
            c.RegisterOrganisation: self._register,
            c.SubmitApplication: self._submit,
            c.ReviewApplication: self._review,
            c.RecordStage1: self._stage1,
            c.RecordStage2: self._stage2,
            c.Decide: self._decide,
            c.RecordSurveillance: self._surveillance,
            c.Suspend: self._suspend,
            c.Restore: self._restore,
            c.Withdraw: self._withdraw,
            c.Cancel: self._cancel,
            c.RecordRecertification: self._recertification,
            c.RecordSpecialAudit: self._special_audit,
            c.Expire: self._expire,
            c.FireDeadline: self._fire,
            c.RecomputeDeadlines: self._recompute,
        }

    # --- entry points ------------------------------------------------------------------------

    def handle(self, command: c.Command) -> Result:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a lifecycle command: {command!r}")
        _text("by", command.by, one_line=True)
        # An operator acted on the state they saw: if it changed meanwhile, they get the conflict
        # and decide again. A deadline has no one to ask, so it is re-evaluated on the new state.
        attempts = self._max_attempts if isinstance(command, c.FireDeadline) else 1
        fired_first: list[str] = []
        catch_up = isinstance(command, CATCHES_UP)
        attempt = 0
        while True:
            now = self._now()
            try:
                with self._uow_factory() as uow:
                    due = self._due_first(uow, command, now) if catch_up else None
                    if due is None:
                        result = handler(uow, command, now)
                        uow.commit()
                        return result
            except ConcurrencyConflict:
                attempt += 1
                if attempt >= attempts:
                    raise
                continue
            except IllegalTransition as exc:
                if not fired_first:
                    raise
                raise IllegalTransition(
                    exc.case,
                    exc.state,
                    exc.trigger,
                    exc.allowed,
                    f"{exc.why}; due before this command, first fired: {', '.join(fired_first)}",
                ) from exc
            done, fired = self._fire_first(due, command.by)
            fired_first.append(done)
            catch_up = fired and len(fired_first) < MAX_CATCH_UP

    def _due_first(self, uow: UnitOfWork, command: Any, now: _Now) -> Deadline | None:
        """The case's earliest open deadline if it is due and fires before an operator command.

        The command then meets the case a daemon that never stopped would have left: a
        surveillance dated after its due day finds the case suspended for it, not active. An
        incident (a failed firing, retried by the daemons) is left to them.
        """
        rows = uow.deadlines.open_for_case(command.case_id)  # in due order
        first = rows[0] if rows else None
        if first is None or first.due_at > now.instant or first.attempts:
            return None
        return first

    def _fire_first(self, due: Deadline, by: str) -> tuple[str, bool]:
        """Fire `due` as a daemon would: what it did (for a refusal of the command to name),
        and whether it fired; one that fails is left to the daemons, who make it an incident."""
        assert due.id is not None
        what = f"{due.kind} due {due.due_at.isoformat()}"
        try:
            result = self.handle(
                c.FireDeadline(deadline_id=due.id, case_id=due.case_id, by=f"catch-up:{by}")
            )
        except StarcertError as exc:
            return f"{what} failed ({exc})", False
        return f"{what} ({result.events[0].trigger if result.events else 'nothing'})", True

    @property
    def rules(self) -> RulesPort:
        return self._rules

    def allowed_triggers(self, case_id: int) -> list[TriggerCheck]:
        """Every operator trigger from the case's state, asked as if the operator gives a reason."""
        with self._uow_factory() as uow:
            case = _load(uow, case_id)
            ctx = self._context(uow, case, self._now().today, reason="(operator's reason)")
            ctx.cause = SuspensionCause.CLIENT_REQUEST
            return [
                self._definition.check(case, trigger, ctx)
                for trigger in self._definition.operator_triggers_from(case.state)
            ]

    def may(
        self,
        case_id: int,
        trigger: str,
        *,
        reason: str | None = None,
        cause: SuspensionCause | None = None,
        audit: Audit | None = None,
        as_of: date | None = None,
    ) -> TriggerCheck:
        """May `trigger` fire on the case now (or on `as_of`), and if not, why not? No writes."""
        with self._uow_factory() as uow:
            case = _load(uow, case_id)
            ctx = self._context(uow, case, as_of or self._now().today, reason=reason)
            ctx.cause = cause
            ctx.audit = audit
            return self._definition.check(case, trigger, ctx)

    # --- organisations and applications ------------------------------------------------------

    def _register(self, uow: UnitOfWork, cmd: c.RegisterOrganisation, now: _Now) -> Result:
        name = _text("name", cmd.name, one_line=True)
        code = validate_credit_code(cmd.credit_code)
        existing = uow.organisations.by_credit_code(code)
        if existing is not None:
            raise InvalidInput(
                "credit_code", f"{code} is already registered (organisation {existing.id})"
            )
        organisation = uow.organisations.add(Organisation(None, name, code))
        return Result("RegisterOrganisation", organisation_id=organisation.id)

    def _submit(self, uow: UnitOfWork, cmd: c.SubmitApplication, now: _Now) -> Result:
        scope = _text("scope", cmd.scope, one_line=True)
        _not_future("submitted_on", cmd.submitted_on, now.today)
        _not_future("service_system_since", cmd.service_system_since, now.today)
        if cmd.service_system_since > cmd.submitted_on:
            raise InvalidInput(
                "service_system_since",
                f"{cmd.service_system_since} is after submitted_on {cmd.submitted_on}",
            )
        failure = cmd.facts.last_major_failure
        if failure is not None:
            _not_future("facts.last_major_failure", failure, now.today)
        organisation = uow.organisations.get(cmd.organisation_id)
        draft = Application(
            None,
            _id("organisation_id", organisation.id),
            cmd.submitted_on,
            cmd.service_system_since,
            scope,
            cmd.facts,
        )
        try:  # else it could never be reviewed (nor shown): refuse it now, not at the review
            self._rules.terms(cmd.submitted_on)
            self._rules.review_application(draft, organisation, cmd.submitted_on)
        except LookupError as exc:
            raise InvalidInput("submitted_on", str(exc)) from None
        except ValueError as exc:  # a fact the rules cannot decide on, e.g. a date before 1900
            fact = str(getattr(exc, "fact", ""))
            field = _APPLICATION_FIELDS.get(fact, f"facts.{fact}" if fact else "facts")
            raise InvalidInput(field, str(getattr(exc, "message", exc))) from None
        application = uow.applications.add(draft)
        case = uow.cases.add(
            Case(
                id=None,
                organisation_id=_id("organisation_id", organisation.id),
                application_id=_id("application_id", application.id),
                state=State.APPLIED,
                holder=organisation.name,
                scope=scope,
            )
        )
        case_id = _id("case_id", case.id)
        event = seal(
            Event(
                case_id=case_id,
                seq=0,
                at=now.instant,
                actor=cmd.by,
                trigger=SUBMIT_APPLICATION,
                from_state=None,
                to_state=State.APPLIED,
                reason=None,
                rule_version=None,
                rule_hash=None,
                data={
                    "application_id": application.id,
                    "submitted_on": cmd.submitted_on.isoformat(),
                    "service_system_since": cmd.service_system_since.isoformat(),
                    "scope": scope,
                },
            ),
            uow.events.head(case_id),
        )
        stored = uow.events.append(event)
        return Result("SubmitApplication", case_id, organisation.id, State.APPLIED, (stored,))

    def _review(self, uow: UnitOfWork, cmd: c.ReviewApplication, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today)
        check = self._definition.check(case, Trigger.ACCEPT_APPLICATION, ctx)
        if check.allowed:
            return self._apply(
                uow, "ReviewApplication", case, Trigger.ACCEPT_APPLICATION, ctx, cmd.by, now
            )
        if case.state is not State.APPLIED:
            raise self._definition.refuse(case, check)
        verdict = ctx.review()
        ctx.reason = "; ".join(verdict.failures) or check.why
        done = self._apply(
            uow, "ReviewApplication", case, Trigger.REFUSE_APPLICATION, ctx, cmd.by, now
        )
        earliest = verdict.earliest_application
        after = f" (the running time allows applying from {earliest})" if earliest else ""
        return replace(done, note=f"refused: {ctx.reason}{after}")

    # --- audits and decisions ----------------------------------------------------------------

    def _stage1(self, uow: UnitOfWork, cmd: c.RecordStage1, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, cmd.audit_date)
        ctx.audit = self._new_audit(uow, case, ctx, AuditKind.STAGE1, cmd, now, sheet=None)
        return self._apply(uow, "RecordStage1", case, Trigger.COMPLETE_STAGE1, ctx, cmd.by, now)

    def _stage2(self, uow: UnitOfWork, cmd: c.RecordStage2, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, cmd.audit_date)
        ctx.audit = self._new_audit(uow, case, ctx, AuditKind.STAGE2, cmd, now, cmd.sheet)
        return self._apply(uow, "RecordStage2", case, Trigger.RECORD_STAGE2, ctx, cmd.by, now)

    def _decide(self, uow: UnitOfWork, cmd: c.Decide, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today)
        check = self._definition.check(case, Trigger.CERTIFY, ctx)
        if check.allowed:
            return self._apply(uow, "Decide", case, Trigger.CERTIFY, ctx, cmd.by, now)
        refuse = self._definition.check(case, Trigger.REFUSE_CERTIFICATION, ctx)
        if refuse.allowed:
            return self._apply(uow, "Decide", case, Trigger.REFUSE_CERTIFICATION, ctx, cmd.by, now)
        raise self._definition.refuse(case, check)

    def _surveillance(self, uow: UnitOfWork, cmd: c.RecordSurveillance, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, cmd.audit_date)
        if case.state is State.SUSPENDED and case.suspension_cause in SURVEILLANCE_CAUSES:
            # Credited when the restore it clears the way for comes (the latest one counts).
            ctx.audit = self._new_audit(uow, case, ctx, AuditKind.SURVEILLANCE, cmd, now, cmd.sheet)
            return self._note_audit(uow, "RecordSurveillance", case, ctx, cmd.by, now)
        if case.state not in (State.ACTIVE, State.SUSPENDED):
            raise self._definition.refuse(case, self._definition.check(case, Trigger.SURVEIL, ctx))
        ctx.audit = self._new_audit(uow, case, ctx, AuditKind.SURVEILLANCE, cmd, now, cmd.sheet)
        trigger = Trigger.SURVEIL if ctx.score(ctx.audit).passed else Trigger.FAIL_SURVEILLANCE
        return self._apply(uow, "RecordSurveillance", case, trigger, ctx, cmd.by, now)

    def _special_audit(self, uow: UnitOfWork, cmd: c.RecordSpecialAudit, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, cmd.audit_date)
        if case.state not in (State.ACTIVE, State.SUSPENDED):
            check = self._definition.check(case, Trigger.NOTE_AUDIT, ctx)
            raise self._definition.refuse(case, check)
        ctx.audit = self._new_audit(uow, case, ctx, AuditKind.SPECIAL, cmd, now, cmd.sheet)
        return self._note_audit(uow, "RecordSpecialAudit", case, ctx, cmd.by, now)

    def _note_audit(
        self, uow: UnitOfWork, command: str, case: Case, ctx: TransitionContext, by: str, now: _Now
    ) -> Result:
        """Record the context's audit with no change of state; a sheet's verdict goes in the event."""
        assert ctx.audit is not None
        stamp = None
        if ctx.audit.sheet is not None:
            verdict = ctx.score(ctx.audit)  # a malformed sheet is refused here too
            ctx.data = {
                "score": {"final_score": str(verdict.final_score), "passed": verdict.passed}
            }
            stamp = verdict.rules
        return self._apply(uow, command, case, Trigger.NOTE_AUDIT, ctx, by, now, stamp=stamp)

    def _recertification(self, uow: UnitOfWork, cmd: c.RecordRecertification, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today)
        trigger = Trigger.RESTORE_AFTER_EXPIRY if case.state is State.EXPIRED else Trigger.RECERTIFY
        if case.state not in (State.ACTIVE, State.EXPIRED):
            raise self._definition.refuse(case, self._definition.check(case, trigger, ctx))
        ctx.audit = self._new_audit(uow, case, ctx, AuditKind.RECERTIFICATION, cmd, now, cmd.sheet)
        return self._apply(uow, "RecordRecertification", case, trigger, ctx, cmd.by, now)

    # --- operator transitions ----------------------------------------------------------------

    def _suspend(self, uow: UnitOfWork, cmd: c.Suspend, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today, reason=_text("reason", cmd.reason))
        try:
            ctx.cause = SuspensionCause(cmd.cause)
        except ValueError:
            ctx.cause = None
        if ctx.cause not in OPERATOR_CAUSES:
            why = (
                "comes from a surveillance deadline or a failing surveillance audit"
                if ctx.cause in SURVEILLANCE_CAUSES
                else "is not a suspension cause"
            )
            allowed = ", ".join(OPERATOR_CAUSES)
            given = str(cmd.cause)  # the value, not the enum's repr
            raise InvalidInput("cause", f"{given!r} {why}; an operator suspends for {allowed}")
        return self._apply(uow, "Suspend", case, Trigger.SUSPEND, ctx, cmd.by, now)

    def _restore(self, uow: UnitOfWork, cmd: c.Restore, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today, reason=_text("reason", cmd.reason))
        return self._apply(uow, "Restore", case, Trigger.RESTORE, ctx, cmd.by, now)

    def _withdraw(self, uow: UnitOfWork, cmd: c.Withdraw, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today, reason=_text("reason", cmd.reason))
        return self._apply(uow, "Withdraw", case, Trigger.WITHDRAW, ctx, cmd.by, now)

    def _cancel(self, uow: UnitOfWork, cmd: c.Cancel, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today, reason=_text("reason", cmd.reason))
        return self._apply(uow, "Cancel", case, Trigger.CANCEL, ctx, cmd.by, now)

    def _expire(self, uow: UnitOfWork, cmd: c.Expire, now: _Now) -> Result:
        case = _load(uow, cmd.case_id)
        ctx = self._context(uow, case, now.today)
        return self._apply(uow, "Expire", case, Trigger.EXPIRE, ctx, cmd.by, now)

    # --- deadlines ---------------------------------------------------------------------------

    def _fire(self, uow: UnitOfWork, cmd: c.FireDeadline, now: _Now) -> Result:
        """Fire a deadline against the case's CURRENT state.

        The domain date of what it triggers is the day after its due day (the first day the
        obligation is missed), however late it fires. A deadline that no longer applies is
        marked done with a `deadline_obsolete` event saying why; one already done or cancelled
        is left alone and nothing is written.
        """
        case = _load(uow, cmd.case_id)
        open_rows = list(uow.deadlines.open_for_case(_id("case_id", case.id)))  # in due order
        deadline = next((d for d in open_rows if d.id == cmd.deadline_id), None)
        if deadline is None:
            return Result(
                "FireDeadline",
                case.id,
                state=case.state,
                certificate=case.number,
                note=f"deadline {cmd.deadline_id} is not open; nothing to do",
            )
        first = open_rows[0]
        if first.id != deadline.id:
            # A case's deadlines fire in due order, as for a daemon that never stopped: one
            # due earlier (held by another daemon, a dead one's lease, an incident) goes first.
            return Result(
                "FireDeadline",
                case.id,
                state=case.state,
                certificate=case.number,
                note=f"waits for deadline {first.id} ({first.kind}, due {first.due_at.isoformat()})",
                deferred=True,
            )
        due_on = due_day(deadline.due_at, self._zone)
        effective = due_on + timedelta(days=1)
        ctx = self._context(uow, case, effective)
        ctx.data = {
            "deadline": {
                "id": deadline.id,
                "kind": str(deadline.kind),
                "due_on": due_on.isoformat(),
                "due_at": deadline.due_at.isoformat(),
                "fired_at": now.instant.isoformat(),
                "late": local_day(now.instant, self._zone) > effective,
            }
        }
        uow.deadlines.mark_done(_id("deadline_id", deadline.id), now.instant)
        trigger, why = self._deadline_trigger(case, deadline.kind, due_on, ctx)
        # Judged by the numbers in force on the due day, as a rule version's recompute judged
        # it (a deadline due before the version's effective date keeps the old numbers).
        terms = ctx.terms_at(max(case.decided_on, due_on)) if case.decided_on else None
        stamp = terms.rules if terms else None
        if trigger is None:
            event = self._append(
                uow,
                case,
                DEADLINE_OBSOLETE,
                case.state,
                cmd.by,
                now,
                why,
                {**ctx.data, "obsolete": True},
                stamp,
            )
            uow.cases.save(case)  # bumps the version: the chain has one writer at a time
            # A certified case's deadlines are planned again: an obligation the rules moved (a
            # new version's numbers) is never left without its deadline. A case with no
            # decision has no plan to hold its rows to; they are left as they are.
            added = (
                self._reschedule(uow, case, ctx, now, deadline) if case.decided_on else ()
            )
            return Result(
                "FireDeadline",
                case.id,
                state=case.state,
                events=(event,),
                deadlines_added=added,
                note=f"obsolete: {why}",
                certificate=case.number,
            )
        result = self._apply(
            uow, "FireDeadline", case, trigger, ctx, cmd.by, now, stamp=stamp, fired=deadline
        )
        if trigger is Trigger.REMIND:
            uow.notifications.add(_reminder(case, deadline, due_on, result.events[0], now))
        return result

    def _deadline_trigger(
        self, case: Case, kind: DeadlineKind, due_on: date, ctx: TransitionContext
    ) -> tuple[Trigger | None, str]:
        """What a deadline of `kind` due on `due_on` does to the case as it is now, and why."""
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
            check = self._definition.check(case, Trigger.EXPIRE, ctx)
            return (Trigger.EXPIRE if check.allowed else None), check.why
        if kind is DeadlineKind.SUSPENSION_LIMIT:
            if state is State.SUSPENDED and case.suspended_on is not None:
                limit = suspension_limit(case.suspended_on, terms)
                if limit <= due_on:
                    ctx.reason = f"suspension since {case.suspended_on} passed its limit {limit}"
                    return Trigger.WITHDRAW, ctx.reason
            return None, f"no suspension past its limit on {due_on} ({state})"
        raise ValueError(f"unknown deadline kind {kind!r}")  # pragma: no cover

    def _recompute(self, uow: UnitOfWork, cmd: c.RecomputeDeadlines, now: _Now) -> Result:
        """Move open deadlines to a new version's lifecycle numbers; one event says which.

        Idempotent: a case already in line is left alone and nothing is written.
        """
        case = _load(uow, cmd.case_id)
        case_id = _id("case_id", case.id)
        if case.decided_on is None:
            return Result("RecomputeDeadlines", case_id, state=case.state, note="no certificate")
        terms = self._rules.terms(max(case.decided_on, cmd.effective_from))
        moves = deadline_moves(
            case,
            uow.deadlines.open_for_case(case_id),
            terms,
            cmd.effective_from,
            self._zone,
            uow.deadlines.done_for_case(case_id),
        )
        if not moves:
            return Result("RecomputeDeadlines", case_id, state=case.state, note="no deadline moves")
        added: list[Deadline] = []
        for move in moves:
            if move.before is not None:
                uow.deadlines.cancel_open(case_id, frozenset({move.kind}))
            if move.after is not None:
                at = due_at(move.after, self._zone)
                added.append(uow.deadlines.add(Deadline(None, case_id, move.kind, at)))
        reason = (
            f"rule version {terms.rules.version} from {cmd.effective_from} moves: "
            + "; ".join(m.words() for m in moves)
        )
        data = {
            "effective_from": cmd.effective_from.isoformat(),
            "moved": [m.to_dict() for m in moves],
        }
        event = self._append(
            uow, case, DEADLINES_RECOMPUTED, case.state, cmd.by, now, reason, data, terms.rules
        )
        uow.cases.save(case)  # bumps the version: the chain has one writer at a time
        return Result(
            "RecomputeDeadlines",
            case_id,
            state=case.state,
            events=(event,),
            deadlines_added=tuple(added),
            note=reason,
        )

    # --- the one write path ------------------------------------------------------------------

    def _apply(
        self,
        uow: UnitOfWork,
        command: str,
        case: Case,
        trigger: Trigger,
        ctx: TransitionContext,
        actor: str,
        now: _Now,
        *,
        stamp: RuleStamp | None = None,
        fired: Deadline | None = None,
    ) -> Result:
        """Transition, then write audit, case, event and deadlines in the caller's uow."""
        done = self._definition.apply(case, trigger, ctx)
        if ctx.audit is not None:
            uow.audits.add(ctx.audit)
        uow.cases.save(done.after)
        event = self._append(
            uow,
            done.after,
            str(trigger),
            done.before.state,
            actor,
            now,
            ctx.reason,
            {**ctx.data, **done.data},
            done.stamp or stamp or (ctx.asked[-1] if ctx.asked else None),
        )
        added = self._reschedule(uow, done.after, ctx, now, fired)
        return Result(
            command,
            case.id,
            state=done.after.state,
            events=(event,),
            deadlines_added=added,
            certificate=done.after.number,
        )

    def _append(
        self,
        uow: UnitOfWork,
        case: Case,
        trigger: str,
        from_state: State,
        actor: str,
        now: _Now,
        reason: str | None,
        data: Mapping[str, Any],
        stamp: RuleStamp | None,
    ) -> Event:
        case_id = _id("case_id", case.id)
        event = Event(
            case_id=case_id,
            seq=0,
            at=now.instant,
            actor=actor,
            trigger=trigger,
            from_state=from_state,
            to_state=case.state,
            reason=reason,
            rule_version=None if stamp is None else stamp.version,
            rule_hash=None if stamp is None else stamp.content_hash,
            data=dict(data),
        )
        return uow.events.append(seal(event, uow.events.head(case_id)))

    def _reschedule(
        self,
        uow: UnitOfWork,
        case: Case,
        ctx: TransitionContext,
        now: _Now,
        fired: Deadline | None,
    ) -> tuple[Deadline, ...]:
        """Cancel the open deadlines the new state makes obsolete and add the ones it needs.

        The deadline just fired is never re-added, nor a reminder that already fired for the
        same obligation; one missed (its time already past) is added and fires late, once.
        """
        case_id = _id("case_id", case.id)
        wanted: dict[DeadlineKind, datetime] = {}
        if case.decided_on is not None:
            terms: LifecycleTerms = ctx.terms_for(case)
            for kind, day in plan_across_versions(case, terms, ctx.later_terms(case)).items():
                at = due_at(day, self._zone)
                if fired is not None and fired.kind is kind and fired.due_at == at:
                    continue
                wanted[kind] = at
        have: dict[DeadlineKind, list[datetime]] = {}
        for d in uow.deadlines.open_for_case(case_id):  # in due order
            have.setdefault(d.kind, []).append(d.due_at)
        obsolete: set[DeadlineKind] = set()
        needed: list[Deadline] = []
        for kind in DeadlineKind:
            want = wanted.get(kind)
            held = have.get(kind, [])
            if held == ([] if want is None else [want]):
                continue
            if held:
                obsolete.add(kind)
            if want is not None:
                needed.append(Deadline(None, case_id, kind, want))
        if any(d.kind in REMINDER_KINDS for d in needed):
            done = uow.deadlines.done_for_case(case_id)
            needed = [
                d
                for d in needed
                if d.kind not in REMINDER_KINDS
                or not already_reminded(case, d.kind, d.due_at, done, self._zone)
            ]
        if obsolete:  # one DELETE for every kind that changes
            uow.deadlines.cancel_open(case_id, frozenset(obsolete))
        return tuple(uow.deadlines.add(deadline) for deadline in needed)

    # --- helpers -----------------------------------------------------------------------------

    def _now(self) -> _Now:
        instant = self._clock.now()
        return _Now(instant, local_day(instant, self._zone))

    def _context(
        self, uow: UnitOfWork, case: Case, as_of: date, *, reason: str | None = None
    ) -> TransitionContext:
        """The command's context; audits, application and organisation load only if asked for."""
        return TransitionContext(
            as_of=as_of,
            rules=self._rules,
            reason=reason,
            numbering=self._numbering,
            facts=_StoredFacts(uow, case),
        )

    def _new_audit(
        self,
        uow: UnitOfWork,
        case: Case,
        ctx: TransitionContext,
        kind: AuditKind,
        cmd: c.RecordStage1
        | c.RecordStage2
        | c.RecordSurveillance
        | c.RecordRecertification
        | c.RecordSpecialAudit,
        now: _Now,
        sheet: Any,
    ) -> Audit:
        """The command's audit, checked against the clock and the case's earlier dates."""
        auditor = _text("auditor", cmd.auditor, one_line=True)
        _not_future("audit_date", cmd.audit_date, now.today)
        application = ctx.load_application()
        if application is not None and cmd.audit_date < application.submitted_on:
            raise InvalidInput(
                "audit_date",
                f"{cmd.audit_date} is before the application of {application.submitted_on}",
            )
        previous = ctx.latest_audit_date()
        if previous is not None and cmd.audit_date < previous:
            raise InvalidInput(
                "audit_date", f"{cmd.audit_date} is before the case's previous audit of {previous}"
            )
        return Audit(None, _id("case_id", case.id), kind, cmd.audit_date, auditor, sheet)


class _StoredFacts:
    """A case's stored audits, application and organisation, read from the command's unit of work."""

    def __init__(self, uow: UnitOfWork, case: Case) -> None:
        self._uow = uow
        self._case = case

    def audits(self) -> Sequence[Audit]:
        return self._uow.audits.for_case(_id("case_id", self._case.id))

    def latest_audit_date(self) -> date | None:
        return self._uow.audits.latest_date(_id("case_id", self._case.id))

    def application(self) -> Application:
        return self._uow.applications.get(self._case.application_id)

    def organisation(self) -> Organisation:
        return self._uow.organisations.get(self._case.organisation_id)


REMINDER_CHANNEL = "webhook"


def _reminder(
    case: Case, deadline: Deadline, due_on: date, event: Event, now: _Now
) -> Notification:
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


_APPLICATION_FIELDS = {"application_date": "submitted_on", "service_system_since": "service_system_since"}
"""The submission's own name for a fact the rules refuse; the rest are `facts.<name>`."""


def _load(uow: UnitOfWork, case_id: int) -> Case:
    try:
        return uow.cases.get(case_id)
    except NotFound:
        raise
    except LookupError as exc:
        raise CaseNotFound(f"case {case_id} not found") from exc


def _text(field: str, value: str, *, one_line: bool = False) -> str:
    """Stripped, non-empty text with no control characters (a reason may span lines).

    Names and scopes are shown publicly: there, line breaks and invisible format characters
    (a right-to-left override turns "ABC" into "CBA" on the page) are refused too.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must not be empty")
    if value.isprintable():  # the usual case, in C: no control or format character at all
        return value.strip()
    allowed = "" if one_line else "\n\t"
    for ch in value:
        kind = unicodedata.category(ch)
        if kind == "Cs":  # bytes that are not UTF-8, e.g. typed in a GBK terminal, reach us so
            raise InvalidInput(field, "is not UTF-8 text (is the terminal set to UTF-8?)")
        if (kind == "Cc" and ch not in allowed) or (one_line and kind == "Cf"):
            raise InvalidInput(field, f"contains the control character U+{ord(ch):04X}")
    return value.strip()


def _not_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidInput(field, f"{day} is in the future (today is {today})")


def _id(field: str, value: int | None) -> int:
    if value is None:
        raise ValueError(f"{field} was not assigned by storage")
    return value


__all__ = [
    "DEADLINES_RECOMPUTED",
    "DEADLINE_OBSOLETE",
    "SUBMIT_APPLICATION",
    "Lifecycle",
    "Result",
]
