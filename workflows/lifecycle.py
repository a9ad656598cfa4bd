"""The certificate lifecycle: which trigger moves a case from which state to which, and when.

One `transitions.Machine` holds the definition and is shared by every case: a case is never
added to it; each trigger runs on a throw-away `_Run` that wraps a *copy* of the case, so an
exception anywhere in a transition (guard, effect, rules) leaves the caller's case untouched —
`transitions` itself does not roll back. There are no automatic `to_<state>` shortcuts.

Guards are pure functions `(case, context) -> why-not | None`. The machine uses them as its
conditions and `check` evaluates the very same functions without running any effect, so "may
I, and if not why not" and the transition itself can never disagree.

    applied ──accept_application──▶ stage1 ──complete_stage1──▶ stage2 ──record_stage2──▶ decision
    applied ──refuse_application──▶ application_refused
    decision ──certify──▶ active;  decision ──refuse_certification──▶ not_certified
    active ──surveil / recertify──▶ active (re-band / new validity period)
    active ──fail_surveillance / suspend──▶ suspended ──restore──▶ active
    suspended ──surveil / fail_surveillance──▶ suspended (credited / now the cause)
    active | suspended ──withdraw──▶ withdrawn
    active | suspended ──expire──▶ expired ──restore_after_expiry──▶ active
    applied … suspended ──cancel──▶ cancelled
    remind: any state, no change (a trail entry); note_audit: active | suspended, no change
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, cast

from transitions import EventData, Machine

from workflows.context import TransitionContext
from workflows.deadlines import (
    expiry_date,
    recert_window_opens,
    restoration_ends,
    suspension_limit,
)
from workflows.errors import IllegalTransition
from workflows.model import TERMINAL_STATES, Audit, AuditKind, Case, State, SuspensionCause
from workflows.ports import RuleStamp, ScoreVerdict


class Trigger(StrEnum):
    ACCEPT_APPLICATION = "accept_application"
    REFUSE_APPLICATION = "refuse_application"
    COMPLETE_STAGE1 = "complete_stage1"
    RECORD_STAGE2 = "record_stage2"
    CERTIFY = "certify"
    REFUSE_CERTIFICATION = "refuse_certification"
    SURVEIL = "surveil"
    FAIL_SURVEILLANCE = "fail_surveillance"
    SUSPEND = "suspend"
    RESTORE = "restore"
    WITHDRAW = "withdraw"
    RECERTIFY = "recertify"
    EXPIRE = "expire"
    RESTORE_AFTER_EXPIRY = "restore_after_expiry"
    CANCEL = "cancel"
    REMIND = "remind"
    NOTE_AUDIT = "note_audit"


SURVEILLANCE_CAUSES = frozenset(
    {SuspensionCause.OVERDUE_SURVEILLANCE, SuspensionCause.FAILED_SURVEILLANCE}
)
"""Causes only a passing surveillance audit clears; the others are cleared by an operator."""
OPERATOR_CAUSES = tuple(c for c in SuspensionCause if c not in SURVEILLANCE_CAUSES)
"""Causes an operator suspends for; the surveillance causes come from the deadline the daemon
fires and from recording the failing audit, with the evidence that clears them."""


@dataclass(frozen=True)
class TriggerCheck:
    trigger: str
    allowed: bool
    why: str  # why not, or what allows it


@dataclass(frozen=True)
class Transitioned:
    """A transition that ran on a copy: the case before and after, and what the event records."""

    trigger: Trigger
    before: Case
    after: Case
    data: Mapping[str, Any]
    stamp: RuleStamp | None


Guard = Callable[[Case, TransitionContext], str | None]


class _Run:
    """The model `transitions` moves: a copy of the case plus what the event will record."""

    def __init__(self, case: Case, context: TransitionContext) -> None:
        self.case = case
        self.context = context
        self.data: dict[str, Any] = {}
        self.stamp: RuleStamp | None = None

    @property
    def state(self) -> State:
        return self.case.state

    @state.setter
    def state(self, value: State) -> None:
        self.case.state = State(value)


Effect = Callable[[_Run], None]


@dataclass(frozen=True)
class TransitionSpec:
    trigger: Trigger
    sources: frozenset[State]
    dest: State | None  # None: the case stays where it is
    guard: Guard | None = None
    effect: Effect | None = None
    summary: str = ""
    operator: bool = True  # False: only the daemon fires it; never offered to an operator


# --- guards ----------------------------------------------------------------------------------


def _needs_reason(_case: Case, ctx: TransitionContext) -> str | None:
    if ctx.reason is None or not ctx.reason.strip():
        return "a reason is required"
    return None


def _brought(ctx: TransitionContext, kind: AuditKind) -> Audit | str:
    audit = ctx.audit
    if audit is None or audit.kind is not kind:
        return f"needs a {kind} audit"
    if audit.sheet is None:
        return f"the {kind} audit of {audit.audit_date} has no score sheet"
    return audit


def _score_text(verdict: ScoreVerdict) -> str:
    band = verdict.star_level or "not certified"
    return f"score {verdict.final_score} ({band})"


def _eligible(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = ctx.review()
    if verdict.eligible:
        return None
    return "application not eligible: " + "; ".join(verdict.failures)


def _stage1_recorded(_case: Case, ctx: TransitionContext) -> str | None:
    return None if ctx.latest(AuditKind.STAGE1) else "no stage 1 audit is recorded"


def _stage2_scores(_case: Case, ctx: TransitionContext) -> str | None:
    audit = _brought(ctx, AuditKind.STAGE2)
    if isinstance(audit, str):
        return audit
    ctx.score(audit)  # a malformed sheet raises here, before anything changes
    return None


def _latest_stage2(ctx: TransitionContext) -> ScoreVerdict | str:
    audit = ctx.latest(AuditKind.STAGE2)
    if audit is None or audit.sheet is None:
        return "no scored stage 2 audit is recorded"
    return ctx.score(audit)


def _stage2_passed(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = _latest_stage2(ctx)
    if isinstance(verdict, str):
        return verdict
    return None if verdict.passed else f"stage 2 {_score_text(verdict)} did not pass"


def _stage2_failed(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = _latest_stage2(ctx)
    if isinstance(verdict, str):
        return verdict
    return f"stage 2 {_score_text(verdict)} passed" if verdict.passed else None


def _surveillance(passed: bool) -> Guard:
    def guard(case: Case, ctx: TransitionContext) -> str | None:
        audit = _brought(ctx, AuditKind.SURVEILLANCE)
        if isinstance(audit, str):
            return audit
        if case.decided_on is not None and audit.audit_date < case.decided_on:
            return f"surveillance audit of {audit.audit_date} predates the decision"
        last = case.last_surveillance_on if case.surveillances else None
        if last is not None and audit.audit_date <= last:
            return (
                f"the surveillance of {last} is already credited: a surveillance audit must be "
                "dated after it (record another visit as a special audit)"
            )
        if case.state is State.SUSPENDED and case.suspension_cause in SURVEILLANCE_CAUSES:
            return (
                f"suspended for {case.suspension_cause}: the audit goes on the record "
                "(note_audit) and clears the suspension on restore"
            )
        verdict = ctx.score(audit)
        if verdict.passed == passed:
            return None
        return f"surveillance {_score_text(verdict)} {'did not pass' if passed else 'passed'}"

    return guard


def _suspend_allowed(case: Case, ctx: TransitionContext) -> str | None:
    if ctx.cause is None:
        return "a suspension cause is required"
    return _needs_reason(case, ctx)


def _uncredited_surveillance(case: Case, ctx: TransitionContext) -> Audit | None:
    """The latest scored surveillance audit not yet credited to the cycle, if any.

    Credited: the one the case's last surveillance date records, and those before it (or, when
    none is, those before the decision). An audit done in time but entered after the daemon
    suspended the case is still a candidate: it is the date of the audit that counts.
    """
    after = case.last_surveillance_on if case.surveillances else None
    found = [
        (a.audit_date, i, a)
        for i, a in enumerate(ctx.all_audits())
        if a.kind is AuditKind.SURVEILLANCE
        and a.sheet is not None
        and (after is None or a.audit_date > after)
        and (case.decided_on is None or a.audit_date >= case.decided_on)
    ]
    return max(found, key=lambda t: t[:2])[2] if found else None  # latest: date, then recorded


def _clearing_surveillance(case: Case, ctx: TransitionContext) -> Audit | None:
    """The audit that clears a surveillance cause: the latest uncredited one, if it passes."""
    audit = _uncredited_surveillance(case, ctx)
    return audit if audit is not None and ctx.score(audit).passed else None


def _restorable(case: Case, ctx: TransitionContext) -> str | None:
    if case.suspended_on is None or case.decided_on is None:
        return "the case has no suspension date"
    limit = suspension_limit(case.suspended_on, ctx.terms_for(case))
    if ctx.as_of > limit:
        return f"suspension limit passed on {limit}"
    if case.suspension_cause in SURVEILLANCE_CAUSES:
        latest = _uncredited_surveillance(case, ctx)
        if latest is None:
            since = (
                f"after the last one credited ({case.last_surveillance_on})"
                if case.surveillances
                else f"on or after the decision ({case.decided_on})"
            )
            return f"cause {case.suspension_cause} needs a passing surveillance audit dated {since}"
        verdict = ctx.score(latest)
        if not verdict.passed:
            return (
                f"cause {case.suspension_cause}: the latest surveillance audit, of "
                f"{latest.audit_date}, {_score_text(verdict)} did not pass"
            )
        return None
    return _needs_reason(case, ctx)


def _recertifiable(case: Case, ctx: TransitionContext) -> str | None:
    audit = _brought(ctx, AuditKind.RECERTIFICATION)
    if isinstance(audit, str):
        return audit
    if case.expires_on is None:
        return "the case has no expiry date"
    if case.decided_on is not None and audit.audit_date < case.decided_on:
        return (
            f"recertification audit of {audit.audit_date} predates the decision of "
            f"{case.decided_on} it would renew"
        )
    if audit.audit_date > case.expires_on:
        return f"recertification audit of {audit.audit_date} is after expiry on {case.expires_on}"
    if ctx.as_of > case.expires_on:
        return f"certificate expired on {case.expires_on}; expire it, then restore_after_expiry"
    verdict = ctx.score(audit)
    return None if verdict.passed else f"recertification {_score_text(verdict)} did not pass"


def _past_expiry(case: Case, ctx: TransitionContext) -> str | None:
    if case.expires_on is None:
        return "the case has no expiry date"
    if ctx.as_of > case.expires_on:
        return None
    return f"valid through {case.expires_on} (as of {ctx.as_of})"


def _restorable_after_expiry(case: Case, ctx: TransitionContext) -> str | None:
    if case.expires_on is None or case.decided_on is None:
        return "the case has no expiry date"
    terms = ctx.terms_for(case)
    if terms.restoration_after_expiry_months <= 0:
        return "the rules allow no restoration after expiry"
    if case.suspension_cause is not None:
        return (
            f"expired while suspended ({case.suspension_cause}, since {case.suspended_on}): the "
            "allowance restores a certificate whose re-certification was outstanding, not a "
            "suspension never lifted; the client applies anew"
        )
    ends = restoration_ends(case.expires_on, terms)
    if ctx.as_of > ends:
        return f"restoration allowance ended on {ends}"
    audit = _brought(ctx, AuditKind.RECERTIFICATION)
    if isinstance(audit, str):
        return audit
    opens = recert_window_opens(case.expires_on, terms)
    if audit.audit_date < opens:  # done before expiry, decided after it: what the allowance is for
        return (
            f"recertification audit of {audit.audit_date} is before the re-certification "
            f"window opened on {opens}"
        )
    verdict = ctx.score(audit)
    return None if verdict.passed else f"recertification {_score_text(verdict)} did not pass"


def _brings_audit(_case: Case, ctx: TransitionContext) -> str | None:
    return None if ctx.audit is not None else "needs an audit"


# --- effects ---------------------------------------------------------------------------------


def _audit_data(audit: Audit | None) -> dict[str, Any]:
    if audit is None:
        return {}
    return {
        "audit": {
            "kind": str(audit.kind),
            "date": audit.audit_date.isoformat(),
            "auditor": audit.auditor,
        }
    }


def _verdict_data(verdict: ScoreVerdict) -> dict[str, Any]:
    return {
        "final_score": str(verdict.final_score),
        "passed": verdict.passed,
        "star_level": None if verdict.star_level is None else str(verdict.star_level),
        "reasons": list(verdict.reasons),
    }


def _record_review(run: _Run) -> None:
    verdict = run.context.reviewed
    if verdict is not None:
        run.stamp = verdict.rules
        run.data["failures"] = list(verdict.failures)


def _record_audit(run: _Run) -> None:
    run.data.update(_audit_data(run.context.audit))


def _record_scored_audit(run: _Run) -> None:
    audit = run.context.audit
    assert audit is not None  # the guard made sure
    verdict = run.context.score(audit)
    run.data.update(_audit_data(audit), score=_verdict_data(verdict))
    run.stamp = verdict.rules


def _start_cycle(run: _Run, verdict: ScoreVerdict, renewed: bool) -> None:
    """Issue a certificate for a new validity period starting on the decision date."""
    ctx, case = run.context, run.case
    if ctx.numbering is None:
        raise ValueError("issuing a certificate needs a numbering policy")
    terms = ctx.terms_at(ctx.as_of)
    old_number = case.number
    case.number = (
        ctx.numbering.renewed(case, ctx.as_of)
        if renewed and case.number
        else ctx.numbering.first(case, ctx.as_of)
    )
    case.decided_on = ctx.as_of
    case.issued_on = ctx.as_of
    case.expires_on = expiry_date(ctx.as_of, terms.validity_months)
    case.star_level = verdict.star_level
    case.final_score = verdict.final_score
    case.rule_version = verdict.rules.version
    case.last_surveillance_on = None
    case.surveillances = 0
    case.suspended_on = None
    case.suspension_cause = None
    run.stamp = verdict.rules
    run.data.update(
        score=_verdict_data(verdict),
        number=case.number,
        previous_number=old_number,
        decided_on=case.decided_on.isoformat(),
        expires_on=case.expires_on.isoformat(),
        terms_version=terms.rules.version,
    )


def _certify(run: _Run) -> None:
    verdict = _latest_stage2(run.context)
    assert not isinstance(verdict, str)  # the guard made sure
    _start_cycle(run, verdict, renewed=False)


def _refuse_certification(run: _Run) -> None:
    verdict = _latest_stage2(run.context)
    assert not isinstance(verdict, str)
    run.stamp = verdict.rules
    run.data["score"] = _verdict_data(verdict)


def _rebanded(run: _Run, audit: Audit, verdict: ScoreVerdict) -> None:
    case = run.case
    run.data.update(
        previous_star_level=None if case.star_level is None else str(case.star_level),
    )
    case.star_level = verdict.star_level
    case.final_score = verdict.final_score
    case.rule_version = verdict.rules.version
    case.last_surveillance_on = audit.audit_date
    case.surveillances += 1  # the period's next surveillance, however early or late


def _surveil(run: _Run) -> None:
    audit = run.context.audit
    assert audit is not None
    verdict = run.context.score(audit)
    _record_scored_audit(run)
    _rebanded(run, audit, verdict)


def _fail_surveillance(run: _Run) -> None:
    """Suspend for the failed audit; already suspended, the cause becomes the failed audit
    (only a passing surveillance clears it now) and the suspension keeps its start and limit."""
    audit = run.context.audit
    assert audit is not None
    _record_scored_audit(run)
    case = run.case
    if case.state is State.SUSPENDED:
        run.data["previous_cause"] = (
            None if case.suspension_cause is None else str(case.suspension_cause)
        )
    else:
        case.suspended_on = audit.audit_date
    case.suspension_cause = SuspensionCause.FAILED_SURVEILLANCE


def _suspend(run: _Run) -> None:
    run.case.suspended_on = run.context.as_of
    run.case.suspension_cause = run.context.cause
    run.data["cause"] = str(run.context.cause)


def _restore(run: _Run) -> None:
    case, ctx = run.case, run.context
    run.data["cleared_cause"] = (
        None if case.suspension_cause is None else str(case.suspension_cause)
    )
    if case.suspension_cause in SURVEILLANCE_CAUSES:
        audit = _clearing_surveillance(case, ctx)
        assert audit is not None
        verdict = ctx.score(audit)
        run.data.update(_audit_data(audit), score=_verdict_data(verdict))
        run.stamp = verdict.rules
        _rebanded(run, audit, verdict)
    case.suspended_on = None
    case.suspension_cause = None


def _renew(run: _Run) -> None:
    audit = run.context.audit
    assert audit is not None
    run.data.update(_audit_data(audit))
    _start_cycle(run, run.context.score(audit), renewed=True)


def _expire(run: _Run) -> None:
    expires_on = run.case.expires_on
    run.data["expired_after"] = None if expires_on is None else expires_on.isoformat()


# --- the definition --------------------------------------------------------------------------

_LIVE = frozenset(State) - TERMINAL_STATES - {State.EXPIRED}
_CERTIFIED = frozenset({State.ACTIVE, State.SUSPENDED})


def _one(state: State) -> frozenset[State]:
    return frozenset({state})


LIFECYCLE: tuple[TransitionSpec, ...] = (
    TransitionSpec(
        Trigger.ACCEPT_APPLICATION,
        _one(State.APPLIED),
        State.STAGE1,
        _eligible,
        _record_review,
        "prerequisites and running time hold",
    ),
    TransitionSpec(
        Trigger.REFUSE_APPLICATION,
        _one(State.APPLIED),
        State.APPLICATION_REFUSED,
        None,
        _record_review,
        "always open to an operator",
    ),
    TransitionSpec(
        Trigger.COMPLETE_STAGE1,
        _one(State.STAGE1),
        State.STAGE2,
        _stage1_recorded,
        _record_audit,
        "a stage 1 audit is recorded",
    ),
    TransitionSpec(
        Trigger.RECORD_STAGE2,
        _one(State.STAGE2),
        State.DECISION,
        _stage2_scores,
        _record_scored_audit,
        "a stage 2 audit whose sheet scores",
    ),
    TransitionSpec(
        Trigger.CERTIFY,
        _one(State.DECISION),
        State.ACTIVE,
        _stage2_passed,
        _certify,
        "the latest stage 2 score passes",
    ),
    TransitionSpec(
        Trigger.REFUSE_CERTIFICATION,
        _one(State.DECISION),
        State.NOT_CERTIFIED,
        _stage2_failed,
        _refuse_certification,
        "the latest stage 2 score fails",
    ),
    TransitionSpec(
        Trigger.SURVEIL,
        _CERTIFIED,
        None,
        _surveillance(passed=True),
        _surveil,
        "a passing surveillance audit (re-bands the certificate; a suspended one stays so)",
    ),
    TransitionSpec(
        Trigger.FAIL_SURVEILLANCE,
        _CERTIFIED,
        State.SUSPENDED,
        _surveillance(passed=False),
        _fail_surveillance,
        "a failing surveillance audit (suspends, or makes it the suspension's cause)",
    ),
    TransitionSpec(
        Trigger.SUSPEND,
        _one(State.ACTIVE),
        State.SUSPENDED,
        _suspend_allowed,
        _suspend,
        "a cause and a reason",
    ),
    TransitionSpec(
        Trigger.RESTORE,
        _one(State.SUSPENDED),
        State.ACTIVE,
        _restorable,
        _restore,
        "cause cleared within the suspension limit",
    ),
    TransitionSpec(
        Trigger.WITHDRAW,
        _CERTIFIED,
        State.WITHDRAWN,
        _needs_reason,
        None,
        "a reason",
    ),
    TransitionSpec(
        Trigger.RECERTIFY,
        _one(State.ACTIVE),
        None,
        _recertifiable,
        _renew,
        "a passing recertification audit and decision before expiry",
    ),
    TransitionSpec(
        Trigger.EXPIRE,
        _CERTIFIED,
        State.EXPIRED,
        _past_expiry,
        _expire,
        "the validity period has ended",
    ),
    TransitionSpec(
        Trigger.RESTORE_AFTER_EXPIRY,
        _one(State.EXPIRED),
        State.ACTIVE,
        _restorable_after_expiry,
        _renew,
        "a passing recertification audit from the window's opening, within the allowance",
    ),
    TransitionSpec(Trigger.CANCEL, _LIVE, State.CANCELLED, _needs_reason, None, "a reason"),
    TransitionSpec(
        Trigger.REMIND, frozenset(State), None, None, None, "always (trail only)", operator=False
    ),
    TransitionSpec(
        Trigger.NOTE_AUDIT,
        frozenset({State.ACTIVE, State.SUSPENDED}),
        None,
        _brings_audit,
        _record_audit,
        "an audit on the record, no change of state (special; surveillance while suspended "
        "for a surveillance cause, credited on restore)",
    ),
)


def case_label(case: Case) -> str:
    label = f"case {case.id}"
    return f"certificate {case.number} ({label})" if case.number else label


@dataclass
class LifecycleDefinition:
    """An immutable lifecycle and the one shared machine that runs it."""

    specs: tuple[TransitionSpec, ...] = LIFECYCLE
    _by_trigger: dict[str, TransitionSpec] = field(init=False, repr=False)
    _machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_trigger = {str(spec.trigger): spec for spec in self.specs}
        machine = Machine(
            model=None,
            states=list(State),
            initial=None,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for spec in self.specs:
            sources: list[Any] = sorted(spec.sources)
            machine.add_transition(
                str(spec.trigger),
                sources,
                spec.dest,
                conditions=[_condition(spec.guard)] if spec.guard else [],
                before=[_callback(spec.effect)] if spec.effect else [],
            )
        self._machine = machine

    def spec(self, trigger: str) -> TransitionSpec | None:
        return self._by_trigger.get(str(trigger))

    def triggers_from(self, state: State) -> list[str]:
        """Triggers whose source includes `state`, guards not asked, in definition order."""
        return [str(spec.trigger) for spec in self.specs if state in spec.sources]

    def operator_triggers_from(self, state: State) -> list[str]:
        """The triggers from `state` an operator may ask for (what "allowed" lists offer)."""
        return [
            str(spec.trigger) for spec in self.specs if state in spec.sources and spec.operator
        ]

    def check(self, case: Case, trigger: str, context: TransitionContext) -> TriggerCheck:
        """May `trigger` fire on `case` now? Runs no effect and changes nothing."""
        spec = self.spec(trigger)
        if spec is None:
            return TriggerCheck(str(trigger), False, f"unknown trigger {trigger!r}")
        if case.state not in spec.sources:
            return TriggerCheck(spec.trigger, False, f"not a trigger from {case.state}")
        why = spec.guard(case, context) if spec.guard else None
        if why is not None:
            return TriggerCheck(spec.trigger, False, why)
        return TriggerCheck(spec.trigger, True, spec.summary or "allowed")

    def refuse(self, case: Case, check: TriggerCheck) -> IllegalTransition:
        """The refusal, naming the other triggers an operator may ask for from the case's state
        (their own guards decide when asked; the one just refused is not among them)."""
        others = [t for t in self.operator_triggers_from(case.state) if t != str(check.trigger)]
        return IllegalTransition(case_label(case), str(case.state), check.trigger, others, check.why)

    def apply(self, case: Case, trigger: str, context: TransitionContext) -> Transitioned:
        """Run `trigger` on a copy of `case`; raise IllegalTransition when it may not fire."""
        check = self.check(case, trigger, context)
        if not check.allowed:
            raise self.refuse(case, check)
        run = _Run(replace(case), context)
        if not self._machine.events[str(trigger)].trigger(run):
            raise self.refuse(case, TriggerCheck(check.trigger, False, "guard refused"))
        return Transitioned(Trigger(trigger), case, run.case, dict(run.data), run.stamp)


def _condition(guard: Guard) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        run = cast(_Run, event.model)
        return guard(run.case, run.context) is None

    return condition


def _callback(effect: Effect) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        effect(cast(_Run, event.model))

    return callback


DEFAULT_LIFECYCLE = LifecycleDefinition()
