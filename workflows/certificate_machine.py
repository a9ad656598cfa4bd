"""The certificate state machine: which trigger moves a case from which state to which, and when.

One `transitions.Machine` holds the definition and is shared by every case: a case is never
added to it; each trigger runs on a throw-away `Run` that wraps a *copy* of the case, so an
exception anywhere in a transition (guard, effect, rules) leaves the caller's case untouched —
`transitions` itself does not roll back. There are no automatic `to_<state>` shortcuts.
Long because the lifecycle is one definition to read whole: its triggers, their guards, the machine.

Guards are pure functions `(case, context) -> why-not | None`, asked once per command: `check`
runs the guard without any effect, and `apply` takes that very check as the machine's condition,
so "may I, and if not why not" and the transition itself can never disagree. `apply` runs the
machine's transition for the case's state and the trigger, found once per (state, trigger): what
an event's dispatch would look up again on every trigger (our own `check` has made sure of the
source) is done when the machine is built.

    applied ──accept_application──▶ stage1 ──complete_stage1──▶ stage2 ──record_stage2──▶ decision
    applied ──refuse_application──▶ application_refused
    decision ──certify──▶ active;  decision ──refuse_certification──▶ not_certified
    active ──surveil / recertify──▶ active (re-band / new validity period)
    active ──fail_surveillance / suspend──▶ suspended ──restore──▶ active
    suspended ──surveil / fail_surveillance──▶ suspended (credited / now the cause)
    active | suspended ──withdraw──▶ withdrawn
    active | suspended ──expire──▶ expired ──restore_after_expiry──▶ active
    applied … suspended ──cancel──▶ cancelled
    stage1 | stage2 | decision ──refuse_for_findings──▶ not_certified (the scheduler)
    remind: any state, no change (a trail entry); note_audit: active | suspended, no change
    active ──request_scope_extension──▶ active (trail only) ──extend_scope──▶ active (new version)
    active | suspended ──reduce_scope / change_holder──▶ same state (new version)
    applied | stage1 ──transfer_in──▶ active (another body's certificate, its dates kept)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from transitions import EventData, Machine
from transitions.core import Event as MachineEvent
from transitions.core import State as MachineState
from transitions.core import Transition

from workflows import certificate_changes as cc
from workflows import effects as fx
from workflows import findings_guards as fg
from workflows import guards as g
from workflows.context import TransitionContext
from workflows.effects import Effect, Run
from workflows.errors import IllegalTransition
from workflows.guards import Guard
from workflows.model import LIVE_STATES, Case, State
from workflows.ports import RuleStamp
from workflows.why import why


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
    REFUSE_FOR_FINDINGS = "refuse_for_findings"
    REQUEST_SCOPE_EXTENSION = "request_scope_extension"
    EXTEND_SCOPE = "extend_scope"
    REDUCE_SCOPE = "reduce_scope"
    CHANGE_HOLDER = "change_holder"
    TRANSFER_IN = "transfer_in"


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


@dataclass(frozen=True)
class TransitionSpec:
    trigger: Trigger
    sources: frozenset[State]
    dest: State | None  # None: the case stays where it is
    guard: Guard | None = None
    effect: Effect | None = None
    summary: str = ""
    operator: bool = True  # False: only the daemon fires it; never offered to an operator


_CERTIFIED = frozenset({State.ACTIVE, State.SUSPENDED})


def _one(state: State) -> frozenset[State]:
    return frozenset({state})


TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec(
        Trigger.ACCEPT_APPLICATION,
        _one(State.APPLIED),
        State.STAGE1,
        g.eligible,
        fx.record_review,
        why("prerequisites and running time hold"),
    ),
    TransitionSpec(
        Trigger.REFUSE_APPLICATION,
        _one(State.APPLIED),
        State.APPLICATION_REFUSED,
        None,
        fx.record_review,
        why("always open to an operator"),
    ),
    TransitionSpec(
        Trigger.COMPLETE_STAGE1,
        _one(State.STAGE1),
        State.STAGE2,
        g.stage1_recorded,
        fx.record_audit,
        why("a stage 1 audit is recorded"),
    ),
    TransitionSpec(
        Trigger.RECORD_STAGE2,
        _one(State.STAGE2),
        State.DECISION,
        g.stage2_scores,
        fx.record_scored_audit,
        why("a stage 2 audit whose sheet scores"),
    ),
    TransitionSpec(
        Trigger.CERTIFY,
        _one(State.DECISION),
        State.ACTIVE,
        fg.certifiable,
        fx.certify,
        why("the latest stage 2 score passes"),
    ),
    TransitionSpec(
        Trigger.REFUSE_CERTIFICATION,
        _one(State.DECISION),
        State.NOT_CERTIFIED,
        g.stage2_failed,
        fx.refuse_certification,
        why("the latest stage 2 score fails"),
    ),
    TransitionSpec(
        Trigger.SURVEIL,
        _CERTIFIED,
        None,
        g.surveillance(passed=True),
        fx.surveil,
        why("a passing surveillance audit (re-bands the certificate; a suspended one stays so)"),
    ),
    TransitionSpec(
        Trigger.FAIL_SURVEILLANCE,
        _CERTIFIED,
        State.SUSPENDED,
        g.surveillance(passed=False),
        fx.fail_surveillance,
        why("a failing surveillance audit (suspends, or makes it the suspension's cause)"),
    ),
    TransitionSpec(
        Trigger.SUSPEND,
        _one(State.ACTIVE),
        State.SUSPENDED,
        g.suspend_allowed,
        fx.suspend,
        why("a cause and a reason"),
    ),
    TransitionSpec(
        Trigger.RESTORE,
        _one(State.SUSPENDED),
        State.ACTIVE,
        fg.restorable,
        fx.restore,
        why("cause cleared within the suspension limit"),
    ),
    TransitionSpec(
        Trigger.WITHDRAW,
        _CERTIFIED,
        State.WITHDRAWN,
        g.needs_reason,
        None,
        why("a reason"),
    ),
    TransitionSpec(
        Trigger.RECERTIFY,
        _one(State.ACTIVE),
        None,
        fg.recertifiable,
        fx.renew,
        why("a passing recertification audit and decision before expiry"),
    ),
    TransitionSpec(
        Trigger.EXPIRE,
        _CERTIFIED,
        State.EXPIRED,
        g.past_expiry,
        fx.expire,
        why("the validity period has ended"),
    ),
    TransitionSpec(
        Trigger.RESTORE_AFTER_EXPIRY,
        _one(State.EXPIRED),
        State.ACTIVE,
        fg.restorable_after_expiry,
        fx.renew,
        why("a passing recertification audit from the window's opening, within the allowance"),
    ),
    TransitionSpec(Trigger.CANCEL, LIVE_STATES, State.CANCELLED, g.needs_reason, None, "a reason"),
    TransitionSpec(
        Trigger.REMIND, frozenset(State), None, None, None, "always (trail only)", operator=False
    ),
    TransitionSpec(
        Trigger.NOTE_AUDIT,
        frozenset({State.ACTIVE, State.SUSPENDED}),
        None,
        g.brings_audit,
        fx.record_audit,
        why(
            "an audit on the record, no change of state (special; surveillance while suspended "
            "for a surveillance cause, credited on restore)"
        ),
    ),
    TransitionSpec(
        Trigger.REFUSE_FOR_FINDINGS,
        frozenset({State.STAGE1, State.STAGE2, State.DECISION}),
        State.NOT_CERTIFIED,
        fg.refusable_for_findings,
        None,
        why("a major finding not closed within its period"),
        operator=False,
    ),
    TransitionSpec(
        Trigger.REQUEST_SCOPE_EXTENSION,
        _one(State.ACTIVE),
        None,
        cc.scope_requestable,
        cc.request_extension,
        why("a scope other than the certificate's (decided after a special audit)"),
    ),
    TransitionSpec(
        Trigger.EXTEND_SCOPE,
        _one(State.ACTIVE),
        None,
        cc.scope_extensible,
        cc.extend_scope,
        why("a requested extension and a special audit after the request, its findings closed"),
    ),
    TransitionSpec(
        Trigger.REDUCE_SCOPE,
        _CERTIFIED,
        None,
        cc.scope_reducible,
        cc.reduce_scope,
        why("a narrower scope and a reason"),
    ),
    TransitionSpec(
        Trigger.CHANGE_HOLDER,
        _CERTIFIED,
        None,
        cc.holder_changeable,
        cc.change_holder,
        why("a new name or address of the same legal entity (credit code unchanged)"),
    ),
    TransitionSpec(
        Trigger.TRANSFER_IN,
        frozenset({State.APPLIED, State.STAGE1}),
        State.ACTIVE,
        cc.transferable,
        cc.transfer_in,
        why("another body's valid certificate, not suspended, withdrawn or expired (IAF MD 2)"),
    ),
)


_Step = tuple[Trigger, MachineEvent, Transition, MachineState]
"""What `apply` runs for one (state, trigger): the machine's event, its transition, the source."""


def case_label(case: Case) -> str:
    label = f"case {case.id}"
    return f"certificate {case.number} ({label})" if case.number else label


@dataclass
class CertificateMachine:
    """An immutable lifecycle and the one shared machine that runs it."""

    specs: tuple[TransitionSpec, ...] = TRANSITIONS
    _by_trigger: dict[str, TransitionSpec] = field(init=False, repr=False)
    _machine: Machine = field(init=False, repr=False)
    _steps: dict[tuple[State, str], _Step] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_trigger = {str(spec.trigger): spec for spec in self.specs}
        # The machine knows the states by their plain names: `transitions` reads an Enum state's
        # name through the enum at every step of a trigger, which costs more than the step.
        machine = _Machine(
            model=None,
            states=[state.value for state in State],
            initial=None,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for spec in self.specs:
            sources: list[Any] = sorted(state.value for state in spec.sources)
            machine.add_transition(
                str(spec.trigger),
                sources,
                None if spec.dest is None else spec.dest.value,
                conditions=[_checked] if spec.guard else [],
                before=[_callback(spec.effect)] if spec.effect else [],
            )
        self._machine = machine
        if not machine.lean():
            raise ValueError("the lifecycle's machine has callbacks besides its effects")
        self._steps = {}
        for spec in self.specs:
            event = machine.events[str(spec.trigger)]
            for state in spec.sources:
                (transition,) = event.transitions[state.value]
                source = machine.get_state(state.value)
                self._steps[(state, str(spec.trigger))] = (spec.trigger, event, transition, source)

    def spec(self, trigger: str) -> TransitionSpec | None:
        return self._by_trigger.get(str(trigger))

    def triggers_from(self, state: State) -> list[str]:
        """Triggers whose source includes `state`, guards not asked, in definition order."""
        return [str(spec.trigger) for spec in self.specs if state in spec.sources]

    def operator_triggers_from(self, state: State) -> list[str]:
        """The triggers from `state` an operator may ask for (what "allowed" lists offer)."""
        return [str(spec.trigger) for spec in self.specs if state in spec.sources and spec.operator]

    def check(self, case: Case, trigger: str, context: TransitionContext) -> TriggerCheck:
        """May `trigger` fire on `case` now? Runs no effect and changes nothing."""
        spec = self.spec(trigger)
        if spec is None:
            return TriggerCheck(str(trigger), False, f"unknown trigger {trigger!r}")
        if case.state not in spec.sources:
            not_from = why("not a trigger from {state}", state=case.state)
            return TriggerCheck(spec.trigger, False, not_from)
        why_not = spec.guard(case, context) if spec.guard else None
        if why_not is not None:
            return TriggerCheck(spec.trigger, False, why_not)
        return TriggerCheck(spec.trigger, True, spec.summary or why("allowed"))

    def refuse(self, case: Case, check: TriggerCheck) -> IllegalTransition:
        """The refusal, naming the other triggers an operator may ask for from the case's state
        (their own guards decide when asked; the one just refused is not among them)."""
        others = [t for t in self.operator_triggers_from(case.state) if t != str(check.trigger)]
        return IllegalTransition(
            case_label(case), str(case.state), check.trigger, others, check.why
        )

    def apply(self, case: Case, check: TriggerCheck, context: TransitionContext) -> Transitioned:
        """Run the trigger `check` allowed on a copy of `case` (its guard is not asked again)."""
        if not check.allowed:
            raise self.refuse(case, check)
        step = self._steps.get((case.state, check.trigger))  # a Trigger hashes as its name
        if step is None:  # a check made for another case
            raise self.refuse(case, TriggerCheck(str(check.trigger), False, "not allowed here"))
        trigger, event, transition, source = step
        run = Run(case.copy(), context, allowed=True)
        moved = EventData(source, event, self._machine, run, (), {})
        moved.transition = transition
        if not transition.execute(moved):
            raise self.refuse(case, TriggerCheck(str(check.trigger), False, "refused"))
        return Transitioned(trigger, case, run.case, run.data, run.stamp)

    def fire(self, case: Case, trigger: str, context: TransitionContext) -> Transitioned:
        """Check `trigger`, then apply it; IllegalTransition when it may not fire."""
        return self.apply(case, self.check(case, trigger, context), context)


class _Transition(Transition):
    """A `transitions` transition run without the steps this machine leaves empty.

    The lifecycle's machine has no prepare or after callbacks and no state or machine-wide
    ones (`_Machine.lean` makes sure): its transition is the condition, the effect and the
    state change. `Transition.execute` walks five empty callback lists and logs each step,
    which cost more than the transition itself.
    """

    def execute(self, event_data: EventData) -> bool:
        for condition in self.conditions:
            if not condition.check(event_data):
                return False
        effects: list[Any] = self.before  # callables (`lean`)
        for effect in effects:
            effect(event_data)  # as Machine.callback calls a callable, send_event on
        if self.dest:
            event_data.machine.set_state(self.dest, event_data.model)
        return True


class _Machine(Machine):
    transition_cls = _Transition

    def lean(self) -> bool:
        """Nothing but conditions and `before` effects on any transition: what `_Transition`
        runs is then all there is to run."""
        machine_wide = (
            self.before_state_change, self.after_state_change, self.prepare_event,
            self.finalize_event, self.on_exception, self.on_final,
        )  # fmt: skip
        states = self.states.values()
        steps = (
            t for event in self.events.values() for ts in event.transitions.values() for t in ts
        )
        return (
            not any(machine_wide)
            and not any(s.on_enter or s.on_exit or s.final for s in states)
            and all(not t.prepare and not t.after and all(map(callable, t.before)) for t in steps)
        )


def _checked(event: EventData) -> bool:
    """The machine's condition: the guard's answer `check` already gave for this run."""
    run: Any = event.model  # a Run (no typing.cast: a call, on every transition)
    return bool(run.allowed)


def _callback(effect: Effect) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        run: Any = event.model  # a Run
        effect(run)

    return callback


DEFAULT_MACHINE = CertificateMachine()
