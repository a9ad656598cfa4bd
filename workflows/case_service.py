"""The case service: each command runs as ONE unit of work, all or nothing.

A command's handler reads what it needs, asks the rules where a guard needs a decision, and
returns a change set; `change_set.write` stores it — audit, case (optimistic version check),
the sealed event, the deadline changes, the outbox — and the service commits. Any exception
before the commit leaves the store as it was. When another writer changed the case first, an
operator's command fails with ConcurrencyConflict (they look again and retry); a deadline is
re-run against the new state, so a deadline racing an operator is re-evaluated, never applied
blindly. The deadline runner fires a batch in one unit of work of its own (`fire_in`), each
firing in a savepoint, so a batch costs one commit and a failed firing is undone alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows import commands as c
from workflows.certificate_machine import DEFAULT_MACHINE, CertificateMachine, TriggerCheck
from workflows.change_set import ChangeSet, Result, write
from workflows.deadlines import due_at, local_day
from workflows.errors import (
    ConcurrencyConflict,
    IllegalTransition,
    InvalidInput,
    StarcertError,
)
from workflows.handlers import (
    applications,
    certificates,
    changes,
    deadline_firing,
    finding_steps,
    sanctions,
)
from workflows.handlers.handler_kit import CaseReads, Now, Setup, context, text
from workflows.model import Audit, Deadline, SuspensionCause
from workflows.numbering import CertificateNumbers
from workflows.ports import Clock, RulesPort, UnitOfWork
from workflows.why import listing, why

Handler = Callable[[Any, CaseReads, Setup, Now], ChangeSet]

HANDLERS: dict[type[Any], Handler] = {
    c.RegisterOrganisation: applications.register,
    c.SubmitApplication: applications.submit,
    c.ReviewApplication: applications.review,
    c.RecordStage1: applications.stage1,
    c.RecordStage2: applications.stage2,
    c.Decide: certificates.decide,
    c.RecordSurveillance: certificates.surveillance,
    c.RecordSpecialAudit: certificates.special_audit,
    c.RecordRecertification: certificates.recertification,
    c.Expire: certificates.expire,
    c.Suspend: sanctions.suspend,
    c.Restore: sanctions.restore,
    c.Withdraw: sanctions.withdraw,
    c.Cancel: sanctions.cancel,
    c.FireDeadline: deadline_firing.fire,
    c.RecomputeDeadlines: deadline_firing.recompute,
    c.RecordFinding: finding_steps.record,
    c.RespondToFinding: finding_steps.respond,
    c.CloseFinding: finding_steps.close,
    c.RejectFindingResponse: finding_steps.reject,
    c.RequestScopeExtension: changes.request_extension,
    c.ExtendScope: changes.extend,
    c.ReduceScope: changes.reduce,
    c.ChangeHolder: changes.change_holder,
    c.TransferIn: changes.transfer_in,
}

CATCHES_UP = (
    c.Decide,
    c.RecordSurveillance,
    c.Suspend,
    c.Restore,
    c.Withdraw,
    c.Cancel,
    c.RecordRecertification,
    c.RecordSpecialAudit,
    c.RecordFinding,
    c.RespondToFinding,
    c.CloseFinding,
    c.RejectFindingResponse,
    c.RequestScopeExtension,
    c.ExtendScope,
    c.ReduceScope,
    c.ChangeHolder,
)
"""Operator commands on a case with deadlines (a certificate, or findings awaiting the decision):
the case's deadlines already due (by the command's day, if dated back) fire before them.
Expire is left out: it is itself what the expiry deadline does."""
MAX_CATCH_UP = 20  # more than a case ever has due at once: a bound, not a limit in practice


class CaseService:
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
        machine: CertificateMachine = DEFAULT_MACHINE,
        max_attempts: int = 3,
        audit_gate: Callable[[c.Command], None] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._uow_factory = uow_factory
        self._clock = clock
        self._setup = Setup(
            rules, machine, CertificateNumbers(number_prefix, new_number_on_recertification), zone
        )
        self._max_attempts = max_attempts
        self._audit_gate = audit_gate  # refuses an audit its assignment does not allow

    @property
    def rules(self) -> RulesPort:
        return self._setup.rules

    def handle(self, command: c.Command, *, expected_version: int | None = None) -> Result:
        """Run `command`; with `expected_version`, only on the case as the caller last saw it."""
        handler = HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"not a lifecycle command: {command!r}")
        text("by", command.by, one_line=True)
        if self._audit_gate is not None:
            self._audit_gate(command)
        # An operator acted on the state they saw: if it changed meanwhile, they get the conflict
        # and decide again. A deadline has no one to ask, so it is re-evaluated on the new state.
        attempts = self._max_attempts if isinstance(command, c.FireDeadline) else 1
        fired_first: list[str] = []
        catch_up = isinstance(command, CATCHES_UP)
        if catch_up and getattr(command, "on", None) is not None:
            self._check_day(handler, command, expected_version)
        attempt = 0
        while True:
            now = self._now()
            try:
                with self._uow_factory() as uow:
                    reads = CaseReads(uow, expected_version)
                    due = self._due_first(reads, command, now) if catch_up else None
                    if due is None:
                        result = write(uow, handler(command, reads, self._setup, now))
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
                    why(
                        "{why}; due before this command, first fired: {fired}",
                        why=exc.why,
                        fired=listing(fired_first),
                    ),
                ) from exc
            expected_version = None  # checked on the case as seen, before its deadlines fired
            done, fired = self._fire_first(due, command.by)
            fired_first.append(done)
            catch_up = fired and len(fired_first) < MAX_CATCH_UP

    def _check_day(self, handler: Handler, command: Any, expected_version: int | None) -> None:
        """Refuse a command's day before catching up on anything: a bad `on` writes nothing.

        The deadlines the catch-up fires fall before that day, so they cannot move its bounds;
        any other refusal is left to the command itself, on the case as caught up.
        """
        with self._uow_factory() as uow:
            try:
                handler(command, CaseReads(uow, expected_version), self._setup, self._now())
            except InvalidInput as exc:
                if exc.field == "on":
                    raise
            except StarcertError:
                pass

    def fire_in(self, uow: UnitOfWork, command: c.FireDeadline) -> Result:
        """Fire a deadline in the caller's unit of work, in a savepoint: a failure undoes this
        firing alone, and the caller commits. A lost race is re-run on the new state, as
        `handle` does, each attempt in a savepoint of its own."""
        text("by", command.by, one_line=True)
        attempt = 0
        while True:
            now = self._now()
            try:
                with uow.savepoint():
                    reads = CaseReads(uow)
                    return write(uow, deadline_firing.fire(command, reads, self._setup, now))
            except ConcurrencyConflict:
                attempt += 1
                if attempt >= self._max_attempts:
                    raise

    def _due_first(self, reads: CaseReads, command: Any, now: Now) -> Deadline | None:
        """The case's earliest open deadline if it is due and fires before an operator command.

        The command then meets the case a daemon that never stopped would have left: a
        surveillance dated after its due day finds the case suspended for it, not active. An
        incident (a failed firing, retried by the daemons) is left to them.
        """
        reads.case(command.case_id)  # the caller's expected version, checked before anything
        rows = reads.open_deadlines(command.case_id)  # in due order
        first = rows[0] if rows else None
        cutoff = now.instant
        on = getattr(command, "on", None)  # a command dated in the past: what was due by then
        if on is not None:
            try:
                cutoff = min(cutoff, due_at(on - timedelta(days=1), self._setup.zone))
            except OverflowError:  # dated before the calendar's first days: nothing was due
                return None  # (the command's own bounds then refuse the day, naming it)
        if first is None or first.due_at > cutoff or first.attempts:
            return None
        return first

    def _fire_first(self, due: Deadline, by: str) -> tuple[str, bool]:
        """Fire `due` as a daemon would: what it did (for a refusal of the command to name),
        and whether it fired; one that fails is left to the daemons, who make it an incident."""
        assert due.id is not None
        at = due.due_at.isoformat()
        try:
            result = self.handle(
                c.FireDeadline(deadline_id=due.id, case_id=due.case_id, by=f"catch-up:{by}")
            )
        except StarcertError as exc:
            return why(
                "{kind} due {at} failed ({error})", kind=due.kind, at=at, error=str(exc)
            ), False
        trigger = result.events[0].trigger if result.events else "nothing"
        return why("{kind} due {at} ({trigger})", kind=due.kind, at=at, trigger=trigger), True

    def allowed_triggers(self, case_id: int) -> list[TriggerCheck]:
        """Every operator trigger from the case's state, asked as if the operator gives a reason."""
        with self._uow_factory() as uow:
            reads = CaseReads(uow)
            case = reads.case(case_id)
            ctx = context(reads, self._setup, case, self._now().today, reason="(operator's reason)")
            ctx.cause = SuspensionCause.CLIENT_REQUEST
            machine = self._setup.machine
            return [machine.check(case, t, ctx) for t in machine.operator_triggers_from(case.state)]

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
            reads = CaseReads(uow)
            case = reads.case(case_id)
            ctx = context(reads, self._setup, case, as_of or self._now().today, reason=reason)
            ctx.cause = cause
            ctx.audit = audit
            return self._setup.machine.check(case, trigger, ctx)

    def _now(self) -> Now:
        instant = self._clock.now()
        return Now(instant, local_day(instant, self._setup.zone))
