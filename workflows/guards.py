"""The lifecycle's guards: pure functions `(case, context) -> why-not | None`.

A guard asks the rules only through the context, which remembers each answer, so the check an
operator sees and the transition that follows share one verdict. Guards change nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from workflows.context import TransitionContext
from workflows.deadlines import recert_window_opens, restoration_ends, suspension_limit
from workflows.model import SURVEILLANCE_CAUSES, Audit, AuditKind, Case, State
from workflows.ports import ScoreVerdict
from workflows.why import why

Guard = Callable[[Case, TransitionContext], str | None]


def needs_reason(_case: Case, ctx: TransitionContext) -> str | None:
    if ctx.reason is None or not ctx.reason.strip():
        return why("a reason is required")
    return None


def brought(ctx: TransitionContext, kind: AuditKind) -> Audit | str:
    audit = ctx.audit
    if audit is None or audit.kind is not kind:
        return why("needs a {kind} audit", kind=kind)
    if audit.sheet is None:
        return why(
            "the {kind} audit of {date} has no score sheet", kind=kind, date=audit.audit_date
        )
    return audit


def score_text(verdict: ScoreVerdict) -> str:
    band = verdict.star_level or "not certified"
    return why("score {score} ({band})", score=verdict.final_score, band=band)


def eligible(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = ctx.review()
    if verdict.eligible:
        return None
    return why("application not eligible: {failures}", failures="; ".join(verdict.failures))


def stage1_recorded(_case: Case, ctx: TransitionContext) -> str | None:
    if ctx.audit is not None and ctx.audit.kind is AuditKind.STAGE1:
        return None  # the command brings one: no need to load the recorded ones to know
    return None if ctx.latest(AuditKind.STAGE1) else why("no stage 1 audit is recorded")


def stage2_scores(_case: Case, ctx: TransitionContext) -> str | None:
    audit = brought(ctx, AuditKind.STAGE2)
    if isinstance(audit, str):
        return audit
    ctx.score(audit)  # a malformed sheet raises here, before anything changes
    return None


def latest_stage2(ctx: TransitionContext) -> ScoreVerdict | str:
    audit = ctx.latest(AuditKind.STAGE2)
    if audit is None or audit.sheet is None:
        return why("no scored stage 2 audit is recorded")
    return ctx.score(audit)


def stage2_passed(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = latest_stage2(ctx)
    if isinstance(verdict, str):
        return verdict
    return (
        None if verdict.passed else why("stage 2 {score} did not pass", score=score_text(verdict))
    )


def stage2_failed(_case: Case, ctx: TransitionContext) -> str | None:
    verdict = latest_stage2(ctx)
    if isinstance(verdict, str):
        return verdict
    return why("stage 2 {score} passed", score=score_text(verdict)) if verdict.passed else None


def surveillance(passed: bool) -> Guard:
    def guard(case: Case, ctx: TransitionContext) -> str | None:
        audit = brought(ctx, AuditKind.SURVEILLANCE)
        if isinstance(audit, str):
            return audit
        if case.decided_on is not None and audit.audit_date < case.decided_on:
            return why("surveillance audit of {date} predates the decision", date=audit.audit_date)
        last = case.last_surveillance_on if case.surveillances else None
        if last is not None and audit.audit_date <= last:
            return why(
                "the surveillance of {last} is already credited: a surveillance audit must be "
                "dated after it (record another visit as a special audit)",
                last=last,
            )
        if case.state is State.SUSPENDED and case.suspension_cause in SURVEILLANCE_CAUSES:
            return why(
                "suspended for {cause}: the audit goes on the record "
                "(note_audit) and clears the suspension on restore",
                cause=case.suspension_cause,
            )
        verdict = ctx.score(audit)
        if verdict.passed == passed:
            return None
        if passed:
            return why("surveillance {score} did not pass", score=score_text(verdict))
        return why("surveillance {score} passed", score=score_text(verdict))

    return guard


def suspend_allowed(case: Case, ctx: TransitionContext) -> str | None:
    if ctx.cause is None:
        return why("a suspension cause is required")
    return needs_reason(case, ctx)


def uncredited_surveillance(case: Case, ctx: TransitionContext) -> Audit | None:
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


def clearing_surveillance(case: Case, ctx: TransitionContext) -> Audit | None:
    """The audit that clears a surveillance cause: the latest uncredited one, if it passes."""
    audit = uncredited_surveillance(case, ctx)
    return audit if audit is not None and ctx.score(audit).passed else None


def restorable(case: Case, ctx: TransitionContext) -> str | None:
    if case.suspended_on is None or case.decided_on is None:
        return why("the case has no suspension date")
    limit = suspension_limit(case.suspended_on, ctx.terms_for(case))
    if ctx.as_of > limit:
        return why("suspension limit passed on {limit}", limit=limit)
    if case.suspension_cause in SURVEILLANCE_CAUSES:
        latest = uncredited_surveillance(case, ctx)
        if latest is None:
            since = (
                why("after the last one credited ({day})", day=case.last_surveillance_on)
                if case.surveillances
                else why("on or after the decision ({day})", day=case.decided_on)
            )
            return why(
                "cause {cause} needs a passing surveillance audit dated {since}",
                cause=case.suspension_cause,
                since=since,
            )
        verdict = ctx.score(latest)
        if not verdict.passed:
            return why(
                "cause {cause}: the latest surveillance audit, of {date}, {score} did not pass",
                cause=case.suspension_cause,
                date=latest.audit_date,
                score=score_text(verdict),
            )
        return None
    return needs_reason(case, ctx)


def recertifiable(case: Case, ctx: TransitionContext) -> str | None:
    audit = brought(ctx, AuditKind.RECERTIFICATION)
    if isinstance(audit, str):
        return audit
    if case.expires_on is None:
        return why("the case has no expiry date")
    if case.decided_on is not None and audit.audit_date < case.decided_on:
        return why(
            "recertification audit of {date} predates the decision of {decided} it would renew",
            date=audit.audit_date,
            decided=case.decided_on,
        )
    if audit.audit_date > case.expires_on:
        return why(
            "recertification audit of {date} is after expiry on {expiry}",
            date=audit.audit_date,
            expiry=case.expires_on,
        )
    if ctx.as_of > case.expires_on:
        return why(
            "certificate expired on {expiry}; expire it, then restore_after_expiry",
            expiry=case.expires_on,
        )
    verdict = ctx.score(audit)
    if verdict.passed:
        return None
    return why("recertification {score} did not pass", score=score_text(verdict))


def past_expiry(case: Case, ctx: TransitionContext) -> str | None:
    if case.expires_on is None:
        return why("the case has no expiry date")
    if ctx.as_of > case.expires_on:
        return None
    return why("valid through {expiry} (as of {day})", expiry=case.expires_on, day=ctx.as_of)


def restorable_after_expiry(case: Case, ctx: TransitionContext) -> str | None:
    if case.expires_on is None or case.decided_on is None:
        return why("the case has no expiry date")
    terms = ctx.terms_for(case)
    if terms.restoration_after_expiry_months <= 0:
        return why("the rules allow no restoration after expiry")
    if case.suspension_cause is not None:
        return why(
            "expired while suspended ({cause}, since {since}): the allowance restores a "
            "certificate whose re-certification was outstanding, not a suspension never lifted; "
            "the client applies anew",
            cause=case.suspension_cause,
            since=case.suspended_on,
        )
    ends = restoration_ends(case.expires_on, terms)
    if ctx.as_of > ends:
        return why("restoration allowance ended on {ends}", ends=ends)
    audit = brought(ctx, AuditKind.RECERTIFICATION)
    if isinstance(audit, str):
        return audit
    opens = recert_window_opens(case.expires_on, terms)
    if audit.audit_date < opens:  # done before expiry, decided after it: what the allowance is for
        return why(
            "recertification audit of {date} is before the re-certification window opened on "
            "{opens}",
            date=audit.audit_date,
            opens=opens,
        )
    verdict = ctx.score(audit)
    if verdict.passed:
        return None
    return why("recertification {score} did not pass", score=score_text(verdict))


def brings_audit(_case: Case, ctx: TransitionContext) -> str | None:
    return None if ctx.audit is not None else why("needs an audit")
