"""The lifecycle's effects: what a transition writes on the copy of the case it runs on.

An effect runs only after its guard allowed the trigger; what it records for the event goes in
`Run.data`, and the rule version that decided it in `Run.stamp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.context import TransitionContext
from workflows.deadlines import expiry_date, renewed_expiry
from workflows.guards import clearing_surveillance, latest_stage2
from workflows.model import SURVEILLANCE_CAUSES, Audit, Case, State, SuspensionCause
from workflows.ports import RuleStamp, ScoreVerdict


class Run:
    """The model `transitions` moves: a copy of the case plus what the event will record."""

    def __init__(self, case: Case, context: TransitionContext, *, allowed: bool) -> None:
        self.case = case
        self.context = context
        self.allowed = allowed  # the guard's answer, asked once before the machine runs
        self.data: dict[str, Any] = {}
        self.stamp: RuleStamp | None = None

    @property
    def state(self) -> str:
        return _NAMES[self.case.state]

    @state.setter
    def state(self, value: str) -> None:
        self.case.state = _STATES[value]


_STATES = {state.value: state for state in State}
_NAMES = {state: state.value for state in State}
"""A state by its plain name and back (the machine knows plain names), without the Enum's own
lookups."""

Effect = Callable[[Run], None]


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


def record_review(run: Run) -> None:
    verdict = run.context.reviewed
    if verdict is not None:
        run.stamp = verdict.rules
        run.data["failures"] = list(verdict.failures)


def record_audit(run: Run) -> None:
    run.data.update(_audit_data(run.context.audit))


def record_scored_audit(run: Run) -> None:
    audit = run.context.audit
    assert audit is not None  # the guard made sure
    verdict = run.context.score(audit)
    run.data.update(_audit_data(audit), score=_verdict_data(verdict))
    run.stamp = verdict.rules


def _start_cycle(run: Run, verdict: ScoreVerdict, renewed: bool) -> None:
    """Issue a certificate effective from the decision date.

    A first certificate is valid for the validity from its decision. A renewed one (a
    re-certification decided before expiry, or a restoration within the allowance after it)
    continues the prior cycle (ISO/IEC 17021-1, 9.6.3.2): its expiry is the prior expiry plus
    the validity, whatever day it was decided on.
    """
    ctx, case = run.context, run.case
    if ctx.numbering is None:
        raise ValueError("issuing a certificate needs a numbering policy")
    terms = ctx.terms_at(ctx.as_of)
    old_number = case.number
    prior_expiry = case.expires_on if renewed else None
    case.number = (
        ctx.numbering.renewed(case, ctx.as_of)
        if renewed and case.number
        else ctx.numbering.first(case, ctx.as_of)
    )
    case.decided_on = ctx.as_of
    case.issued_on = ctx.as_of
    case.expires_on = (
        expiry_date(ctx.as_of, terms.validity_months)
        if prior_expiry is None
        else renewed_expiry(prior_expiry, terms.validity_months)
    )
    case.star_level = verdict.star_level
    case.final_score = verdict.final_score
    case.rule_version = verdict.rules.version
    case.last_surveillance_on = None
    case.surveillances = 0
    if case.number != old_number:  # a new number starts its versions again (-A1, -A2 ...)
        case.amendments = 0
    case.suspended_on = None
    case.suspension_cause = None
    run.stamp = verdict.rules
    run.data.update(
        score=_verdict_data(verdict),
        number=case.number,
        previous_number=old_number,
        decided_on=case.decided_on.isoformat(),
        expires_on=case.expires_on.isoformat(),
        previous_expires_on=None if prior_expiry is None else prior_expiry.isoformat(),
        terms_version=terms.rules.version,
    )


def certify(run: Run) -> None:
    verdict = latest_stage2(run.context)
    assert not isinstance(verdict, str)  # the guard made sure
    _start_cycle(run, verdict, renewed=False)


def refuse_certification(run: Run) -> None:
    verdict = latest_stage2(run.context)
    assert not isinstance(verdict, str)
    run.stamp = verdict.rules
    run.data["score"] = _verdict_data(verdict)


def _rebanded(run: Run, audit: Audit, verdict: ScoreVerdict) -> None:
    case = run.case
    run.data.update(
        previous_star_level=None if case.star_level is None else str(case.star_level),
    )
    case.star_level = verdict.star_level
    case.final_score = verdict.final_score
    case.rule_version = verdict.rules.version
    case.last_surveillance_on = audit.audit_date
    case.surveillances += 1  # the period's next surveillance, however early or late


def surveil(run: Run) -> None:
    audit = run.context.audit
    assert audit is not None
    verdict = run.context.score(audit)
    record_scored_audit(run)
    _rebanded(run, audit, verdict)


def fail_surveillance(run: Run) -> None:
    """Suspend for the failed audit; already suspended, the cause becomes the failed audit
    (only a passing surveillance clears it now) and the suspension keeps its start and limit."""
    audit = run.context.audit
    assert audit is not None
    record_scored_audit(run)
    case = run.case
    if case.state is State.SUSPENDED:
        run.data["previous_cause"] = (
            None if case.suspension_cause is None else str(case.suspension_cause)
        )
    else:
        case.suspended_on = audit.audit_date
    case.suspension_cause = SuspensionCause.FAILED_SURVEILLANCE


def suspend(run: Run) -> None:
    run.case.suspended_on = run.context.as_of
    run.case.suspension_cause = run.context.cause
    run.data["cause"] = str(run.context.cause)
    run.data["suspended_on"] = run.context.as_of.isoformat()


def restore(run: Run) -> None:
    case, ctx = run.case, run.context
    run.data["cleared_cause"] = (
        None if case.suspension_cause is None else str(case.suspension_cause)
    )
    if case.suspension_cause in SURVEILLANCE_CAUSES:
        audit = clearing_surveillance(case, ctx)
        assert audit is not None
        verdict = ctx.score(audit)
        run.data.update(_audit_data(audit), score=_verdict_data(verdict))
        run.stamp = verdict.rules
        _rebanded(run, audit, verdict)
    case.suspended_on = None
    case.suspension_cause = None


def renew(run: Run) -> None:
    audit = run.context.audit
    assert audit is not None
    run.data.update(_audit_data(audit))
    _start_cycle(run, run.context.score(audit), renewed=True)


def expire(run: Run) -> None:
    expires_on = run.case.expires_on
    run.data["expired_after"] = None if expires_on is None else expires_on.isoformat()
