"""Certificate changes: what each asks for, the guard that allows it and the effect it has.

A scope extension is asked for first (the request goes on the trail), then decided once a
special audit recorded after the request has its findings closed; a scope reduction is an
operator's decision with a reason; a holder change renames the same legal entity; a transfer in
(IAF MD 2) issues our certificate for another body's, keeping its expiry and its cycle's dates.
An extension, a reduction and a holder change give the certificate its next version; a transfer
in issues its first (workflows.certificate_versions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows.certificate_versions import versioned_number
from workflows.context import TransitionContext
from workflows.effects import Run
from workflows.findings import FindingStatus
from workflows.guards import needs_reason
from workflows.model import Audit, AuditKind, Case, Event, StarLevel
from workflows.why import why


@dataclass(frozen=True)
class ScopeChange:
    scope: str


@dataclass(frozen=True)
class HolderChange:
    holder: str
    address: str | None
    credit_code: str


@dataclass(frozen=True)
class Transfer:
    """Another body's certificate as it stands (IAF MD 2), checked by the handler."""

    previous_body: str
    previous_number: str
    decided_on: date  # its cycle's certification decision: surveillances count from it
    expires_on: date  # stays the expiry of our certificate
    star_level: StarLevel
    surveillances: int  # surveillances done in the transferred cycle
    last_surveillance_on: date | None


@dataclass(frozen=True)
class PendingExtension:
    """The scope extension asked for and not yet decided, and the event that asked."""

    seq: int
    scope: str
    requested_on: date


def pending_extension(events: Sequence[Event]) -> PendingExtension | None:
    """The latest request after the last extension decided (or after a new certificate)."""
    pending = None
    for event in events:
        if event.trigger == "request_scope_extension":
            data = event.data
            pending = PendingExtension(
                event.seq, str(data["requested_scope"]), date.fromisoformat(data["requested_on"])
            )
        elif event.trigger in ("extend_scope", "transfer_in", "certify"):
            pending = None
    return pending


def special_audit_after(
    events: Sequence[Event], audits: Sequence[Audit], request: PendingExtension
) -> Audit | None:
    """The latest special audit put on the record after the request, dated on or after it."""
    noted = [
        e.data["audit"]
        for e in events
        if e.seq > request.seq and e.trigger == "note_audit" and "audit" in e.data
    ]
    keys = {
        (str(a["kind"]), str(a["date"]), str(a["auditor"]))
        for a in noted
        if a["kind"] == AuditKind.SPECIAL.value
    }
    found = [
        a
        for a in audits
        if a.kind is AuditKind.SPECIAL
        and a.audit_date >= request.requested_on
        and (str(a.kind), a.audit_date.isoformat(), a.auditor) in keys
    ]
    return max(found, key=lambda a: a.audit_date) if found else None


def open_findings(ctx: TransitionContext, audit: Audit) -> tuple[str, ...]:
    """The findings of `audit` not yet closed, each named: a scope extension waits for them
    (an observation too: an auditor closes it without a response)."""
    return tuple(
        f.describe()
        for f in ctx.load_findings()
        if f.audit_id == audit.id and f.status is not FindingStatus.CLOSED
    )


# --- guards --------------------------------------------------------------------------------------


def scope_requestable(case: Case, ctx: TransitionContext) -> str | None:
    change = ctx.change
    if isinstance(change, ScopeChange) and change.scope == case.scope:
        return why("the certificate's scope is already {scope!r}", scope=case.scope)
    return None


def scope_extensible(case: Case, ctx: TransitionContext) -> str | None:
    events = ctx.load_events()
    request = pending_extension(events)
    if request is None:
        return why("no scope extension is requested (request_scope_extension first)")
    audit = special_audit_after(events, ctx.load_audits(), request)
    if audit is None:
        return why(
            "the extension to {scope!r} asked on {day} needs a special audit recorded after the "
            "request",
            scope=request.scope,
            day=request.requested_on,
        )
    unclosed = open_findings(ctx, audit)
    if unclosed:
        return why(
            "the special audit of {day} has findings open: {findings}",
            day=audit.audit_date,
            findings=", ".join(unclosed),
        )
    return None


def scope_reducible(case: Case, ctx: TransitionContext) -> str | None:
    change = ctx.change
    if isinstance(change, ScopeChange) and change.scope == case.scope:
        return why("the certificate's scope is already {scope!r}", scope=case.scope)
    return needs_reason(case, ctx)


def holder_changeable(case: Case, ctx: TransitionContext) -> str | None:
    change = ctx.change
    if isinstance(change, HolderChange) and change.holder == case.holder and not change.address:
        return why(
            "the holder is already {holder!r} and no new address is given", holder=case.holder
        )
    return None


def transferable(_case: Case, ctx: TransitionContext) -> str | None:
    change = ctx.change
    if isinstance(change, Transfer) and change.expires_on < ctx.as_of:
        return why("the certificate to transfer expired on {day}", day=change.expires_on)
    return None


# --- effects -------------------------------------------------------------------------------------


def _versioned(run: Run, data: Mapping[str, Any]) -> None:
    case = run.case
    case.amendments += 1
    run.data.update(data, amendment=case.amendments)
    run.data["number"] = versioned_number(case.number, case.amendments)


def request_extension(run: Run) -> None:
    change = run.context.change
    assert isinstance(change, ScopeChange)
    run.data.update(
        requested_scope=change.scope,
        requested_on=run.context.as_of.isoformat(),
        scope=run.case.scope,
    )


def extend_scope(run: Run) -> None:
    ctx, case = run.context, run.case
    events = ctx.load_events()
    request = pending_extension(events)
    assert request is not None  # the guard made sure
    audit = special_audit_after(events, ctx.load_audits(), request)
    assert audit is not None
    previous, case.scope = case.scope, request.scope
    _versioned(
        run,
        {
            "previous_scope": previous,
            "scope": case.scope,
            "requested_in": request.seq,
            "special_audit": {"date": audit.audit_date.isoformat(), "auditor": audit.auditor},
        },
    )


def reduce_scope(run: Run) -> None:
    change, case = run.context.change, run.case
    assert isinstance(change, ScopeChange)
    previous, case.scope = case.scope, change.scope
    _versioned(run, {"previous_scope": previous, "scope": case.scope})


def change_holder(run: Run) -> None:
    change, case = run.context.change, run.case
    assert isinstance(change, HolderChange)
    previous, case.holder = case.holder, change.holder
    _versioned(
        run,
        {
            "previous_holder": previous,
            "holder": case.holder,
            "address": change.address,
            "credit_code": change.credit_code,
        },
    )


def transfer_in(run: Run) -> None:
    """Issue our certificate for the transferred one: its expiry and cycle dates stay, so the
    next audit planned is the one due in that cycle."""
    ctx, case, t = run.context, run.case, run.context.change
    assert isinstance(t, Transfer)
    if ctx.numbering is None:
        raise ValueError("issuing a certificate needs a numbering policy")
    terms = ctx.terms_at(ctx.as_of)
    case.number = ctx.numbering.first(case, ctx.as_of)
    case.decided_on = t.decided_on
    case.issued_on = ctx.as_of
    case.expires_on = t.expires_on
    case.star_level = t.star_level
    case.final_score = None
    case.rule_version = terms.rules.version
    case.surveillances = t.surveillances
    case.last_surveillance_on = t.last_surveillance_on
    case.suspended_on = None
    case.suspension_cause = None
    case.amendments = 0
    run.stamp = terms.rules
    run.data.update(
        number=case.number,
        issued_on=ctx.as_of.isoformat(),
        previous_body=t.previous_body,
        previous_number=t.previous_number,
        decided_on=t.decided_on.isoformat(),
        expires_on=t.expires_on.isoformat(),
        star_level=str(t.star_level),
        surveillances=t.surveillances,
        last_surveillance_on=(
            None if t.last_surveillance_on is None else t.last_surveillance_on.isoformat()
        ),
        terms_version=terms.rules.version,
    )
