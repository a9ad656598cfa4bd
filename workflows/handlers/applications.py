"""Organisations, applications and the audits before a decision: register, submit, review,
stage 1 and stage 2."""

from __future__ import annotations

from dataclasses import replace

from workflows import commands as c
from workflows.certificate_machine import Trigger
from workflows.change_set import ChangeSet, Opening
from workflows.contact_email import checked_contact_email
from workflows.credit_code import validate_credit_code
from workflows.errors import InvalidInput
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    need_id,
    new_audit,
    not_future,
    text,
    transition,
)
from workflows.model import Application, AuditKind, Case, Organisation, State

_APPLICATION_FIELDS = {
    "application_date": "submitted_on",
    "service_system_since": "service_system_since",
}
"""The submission's own name for a fact the rules refuse; the rest are `facts.<name>`."""
MAX_COUNT = 10_000_000
"""Most personnel or sites an application may give: more than any organisation has."""


def register(cmd: c.RegisterOrganisation, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    """A code already registered is refused by the store as it writes (InvalidInput naming the
    organisation holding it), in the same transaction: no read of its own here."""
    name = text("name", cmd.name, one_line=True)
    code = validate_credit_code(cmd.credit_code)
    contact = checked_contact_email(cmd.contact_email)
    return ChangeSet("RegisterOrganisation", organisation=Organisation(None, name, code, contact))


def submit(cmd: c.SubmitApplication, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    scope = text("scope", cmd.scope, one_line=True)
    not_future("submitted_on", cmd.submitted_on, now.today)
    not_future("service_system_since", cmd.service_system_since, now.today)
    if cmd.service_system_since > cmd.submitted_on:
        raise InvalidInput(
            "service_system_since",
            f"{cmd.service_system_since} is after submitted_on {cmd.submitted_on}",
        )
    failure = cmd.facts.last_major_failure
    if failure is not None:
        not_future("facts.last_major_failure", failure, now.today)
    for name, count in (("personnel", cmd.personnel), ("sites", cmd.sites)):
        if count is not None and not 1 <= count <= MAX_COUNT:
            raise InvalidInput(name, f"must be 1..{MAX_COUNT}, got {count}")
    area = None if cmd.area is None else text("area", cmd.area, one_line=True)
    organisation = reads.organisation(cmd.organisation_id)
    organisation_id = need_id("organisation_id", organisation.id)
    draft = Application(
        None, organisation_id, cmd.submitted_on, cmd.service_system_since, scope, cmd.facts,
        area, cmd.personnel, cmd.sites,
    )  # fmt: skip
    try:  # else it could never be reviewed (nor shown): refuse it now, not at the review
        setup.rules.terms(cmd.submitted_on)
        setup.rules.review_application(draft, organisation, cmd.submitted_on)
    except LookupError as exc:
        raise InvalidInput("submitted_on", str(exc)) from None
    except ValueError as exc:  # a fact the rules cannot decide on, e.g. a date before 1900
        fact = str(getattr(exc, "fact", ""))
        field = _APPLICATION_FIELDS.get(fact, f"facts.{fact}" if fact else "facts")
        raise InvalidInput(field, str(getattr(exc, "message", exc))) from None
    case = Case(
        id=None,
        organisation_id=organisation_id,
        application_id=0,  # assigned with the application's row
        state=State.APPLIED,
        holder=organisation.name,
        scope=scope,
    )
    return ChangeSet(
        "SubmitApplication", opening=Opening(draft, case, cmd.by, now.instant), at=now.instant
    )


def review(cmd: c.ReviewApplication, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    check = setup.machine.check(case, Trigger.ACCEPT_APPLICATION, ctx)
    if check.allowed:
        return transition("ReviewApplication", reads, setup, now, case, check, ctx, cmd.by)
    if case.state is not State.APPLIED:
        raise setup.machine.refuse(case, check)
    verdict = ctx.review()
    ctx.reason = "; ".join(verdict.failures) or check.why
    refuse = setup.machine.check(case, Trigger.REFUSE_APPLICATION, ctx)
    change = transition("ReviewApplication", reads, setup, now, case, refuse, ctx, cmd.by)
    earliest = verdict.earliest_application
    after = f" (the running time allows applying from {earliest})" if earliest else ""
    return replace(change, note=f"refused: {ctx.reason}{after}")


def stage1(cmd: c.RecordStage1, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, cmd.audit_date)
    ctx.audit = new_audit(case, ctx, AuditKind.STAGE1, cmd.audit_date, cmd.auditor, now, None)
    check = setup.machine.check(case, Trigger.COMPLETE_STAGE1, ctx)
    return transition("RecordStage1", reads, setup, now, case, check, ctx, cmd.by)


def stage2(cmd: c.RecordStage2, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, cmd.audit_date)
    ctx.audit = new_audit(case, ctx, AuditKind.STAGE2, cmd.audit_date, cmd.auditor, now, cmd.sheet)
    check = setup.machine.check(case, Trigger.RECORD_STAGE2, ctx)
    return transition("RecordStage2", reads, setup, now, case, check, ctx, cmd.by)
