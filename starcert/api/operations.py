"""What the API and the console do, once: read models, commands run as an account, public views.

Routes and pages stay thin: they parse, call one function here, and render. Every write goes
through `App.case_service.handle` with `by=<account name>`, so the event log names the account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from engine.book import RuleBook
from starcert import views
from starcert.accounts import Principal
from starcert.api import schemas as s
from starcert.export import register_rows
from storage.database import case_holding
from workflows import commands as c
from workflows.certificate_machine import Trigger, TriggerCheck
from workflows.certificate_versions import split_version, versioned_number
from workflows.change_set import Result
from workflows.errors import CaseNotFound, InvalidInput
from workflows.findings import finding_dict
from workflows.model import Audit, Case, Deadline, Event, StarLevel, State
from workflows.read_ports import PublicLookups

if TYPE_CHECKING:
    from starcert.app import App

CERTIFICATE_NUMBER = re.compile(
    r"^[A-Z0-9]{1,8}-[0-9]{4}-[0-9]{6,12}(-R[0-9]{1,4})?(-A[1-9][0-9]{0,5})?$"
)
SCHEME_NAME = "GB/T 27922-2011"

ANNOUNCED: dict[str, Literal["grant", "renewal", "suspension", "restoration", "withdrawal"]] = {
    Trigger.CERTIFY: "grant",
    Trigger.RECERTIFY: "renewal",
    Trigger.RESTORE_AFTER_EXPIRY: "renewal",
    Trigger.SUSPEND: "suspension",
    Trigger.FAIL_SURVEILLANCE: "suspension",
    Trigger.RESTORE: "restoration",
    Trigger.WITHDRAW: "withdrawal",
    Trigger.TRANSFER_IN: "grant",  # a certificate new to our register
}
"""Events a certification body publishes, by the public word for them."""


# --- domain values to bodies ---------------------------------------------------------------------


def case_out(case: Case) -> s.CaseOut:
    return s.CaseOut.model_validate(views.case_dict(case))


def event_out(event: Event) -> s.EventOut:
    return s.EventOut.model_validate(views.plain(event))


def deadline_out(deadline: Deadline) -> s.DeadlineOut:
    return s.DeadlineOut.model_validate(views.plain(deadline))


def audit_out(audit: Audit) -> s.AuditOut:
    data = views.plain(audit)
    return s.AuditOut.model_validate(data)


# --- reading -------------------------------------------------------------------------------------


def case_detail(application: App, case_id: int) -> s.CaseDetail:
    return case_detail_and_checks(application, case_id)[0]


def case_detail_and_checks(
    application: App, case_id: int
) -> tuple[s.CaseDetail, list[TriggerCheck]]:
    """The case's detail, and its trigger checks as the domain gave them (their reasons keep
    their message and values, which the console says in the page's language)."""
    with application.uow() as uow:
        case = uow.cases.get(case_id)
        deadlines = list(uow.deadlines.open_for_case(case_id))
        audits = list(uow.audits.for_case(case_id))
        findings = list(uow.findings.for_case(case_id))
    checks = list(application.case_service.allowed_triggers(case_id))
    detail = s.CaseDetail(
        case=case_out(case),
        triggers=[s.TriggerOut(trigger=k.trigger, allowed=k.allowed, why=k.why) for k in checks],
        open_deadlines=[deadline_out(d) for d in deadlines],
        audits=[audit_out(a) for a in audits],
        findings=[s.FindingOut.model_validate(finding_dict(f)) for f in findings],
    )
    return detail, checks


def case_by_number(application: App, number: str) -> Case:
    return case_holding(application.database, checked_number(number))


def history(application: App, case_id: int) -> list[s.EventOut]:
    with application.uow() as uow:
        uow.cases.get(case_id)
        return [event_out(e) for e in uow.events.for_case(case_id)]


def search(
    application: App,
    *,
    text: str | None,
    state: State | None,
    star_level: StarLevel | None,
    overdue: bool,
    limit: int,
    offset: int,
    holder: str | None = None,
    due_within_days: int | None = None,
) -> s.CasePage:
    """`due_within_days`: only cases with an open deadline due from now to that many days on."""
    now = application.clock.now()
    due = None if due_within_days is None else (now, now + timedelta(days=due_within_days))
    with application.uow() as uow:
        only = list(uow.deadlines.overdue_case_ids(now)) if overdue else None
        cases, total = uow.reads.search_cases(
            text=text or None,
            state=state,
            star_level=star_level,
            only_ids=only,
            holder=holder or None,
            due_between=due,
            limit=limit,
            offset=offset,
        )
    return s.CasePage(items=[case_out(k) for k in cases], total=total, limit=limit, offset=offset)


def deadlines(
    application: App, window: Literal["overdue", "upcoming"], days: int, limit: int
) -> list[s.DeadlineRow]:
    now = application.clock.now()
    with application.uow() as uow:
        if window == "overdue":
            rows = uow.reads.open_deadlines_between(None, now, limit)
        else:
            rows = uow.reads.open_deadlines_between(now, now + timedelta(days=days), limit)
    return [
        s.DeadlineRow(
            deadline=deadline_out(r.deadline),
            certificate_number=r.number,
            holder=r.holder,
            state=r.state,
        )
        for r in rows
    ]


def rule_versions(application: App, today: date) -> list[s.RuleVersionOut]:
    book: RuleBook = application.rules.book
    try:
        current = book.in_force(today)
    except LookupError:
        current = None
    return [
        s.RuleVersionOut(
            ruleset=v.name,
            version=v.version,
            title=v.title,
            effective_from=v.effective_from,
            content_hash=v.content_hash,
            source=v.source,
            in_force=current is not None and v.version == current.version,
        )
        for v in book.versions
    ]


def register(application: App) -> list[s.RegisterEntry]:
    return [s.RegisterEntry.model_validate(r) for r in register_rows(application.uow)]


# --- public --------------------------------------------------------------------------------------


def checked_number(number: str) -> str:
    """The number as issued (upper case, as people copy it off paper in any case), or refused."""
    issued = number.strip().upper()
    if not CERTIFICATE_NUMBER.fullmatch(issued):
        raise InvalidInput(
            "number", f"{number[:40]!r} is not a certificate number (like ASC-2026-000001)"
        )
    return issued


def verify(lookups: PublicLookups, number: str) -> s.PublicCertificate:
    """The certificate as it stands; an earlier version's number says which version replaced it."""
    asked = checked_number(number)
    number, version = split_version(asked)
    found = lookups.verify(number)
    status = None if found is None else views.PUBLIC_STATUS.get(found.state)
    if found is not None and status is not None and version != found.amendments:
        current = versioned_number(found.number, found.amendments)
        if version > found.amendments:
            raise CaseNotFound(f"no certificate {asked} on the register (its latest is {current})")
        raise CaseNotFound(
            f"certificate {asked} was superseded by version {current} of the certificate: "
            "verify that number"
        )
    if found is None or status is None:
        replaced = lookups.replaced_number(number) if found is None else None
        if replaced is not None and replaced.current is not None:
            when = f" on {replaced.replaced_on}" if replaced.replaced_on else ""
            raise CaseNotFound(
                f"certificate {asked} was replaced{when} by its renewal, certificate "
                f"{replaced.current}: verify that number"
            )
        raise CaseNotFound(f"no certificate {asked} on the register")
    return s.PublicCertificate(
        certificate_number=versioned_number(found.number, found.amendments) or found.number,
        certification_status=status,  # type: ignore[arg-type]
        certified_entity_name=found.holder,
        certification_scope=found.scope,
        star_level=found.star_level,
        certification_issue_date=found.issued_on,
        certification_expiry_date=found.expires_on,
        last_surveillance_date=found.last_surveillance_on,
        scheme_name=SCHEME_NAME,
    )


def announcements(
    application: App, limit: int, since: datetime | None = None
) -> list[s.Announcement]:
    zone = application.config.zone
    with application.uow() as uow:
        found = uow.reads.recent_events(list(ANNOUNCED), limit, since)
    return [
        s.Announcement(
            date=e.event.at.astimezone(zone).date(),
            action=ANNOUNCED[e.event.trigger],
            certificate_number=e.number,
            certified_entity_name=e.holder,
            certification_scope=e.scope,
            star_level=e.star_level,
        )
        for e in found
    ]


# --- writing -------------------------------------------------------------------------------------


def run(
    application: App,
    case_id: int,
    expected_version: int | None,
    command: Callable[[int], c.Command],
) -> s.CommandResult:
    """Run one command on a case; refuse with a version conflict if it moved since the caller
    saw it (checked in the command's own transaction)."""
    result = application.case_service.handle(command(case_id), expected_version=expected_version)
    return result_out(result)


def result_out(result: Result) -> s.CommandResult:
    """The command's answer, from the case it wrote (no second read)."""
    assert result.case is not None
    return s.CommandResult(
        case=case_out(result.case),
        events=[event_out(e) for e in result.events],
        note=result.note or None,
    )


def audit_command(principal: Principal, body: s.AuditIn) -> Callable[[int], c.Command]:
    from starcert.inputs import parse_sheet
    from workflows.model import AuditKind

    auditor = body.auditor or principal.name
    by = principal.name
    if body.kind is AuditKind.STAGE1:
        if body.sheet is not None:
            raise InvalidInput("sheet", "a stage 1 document review has no score sheet")
        return lambda cid: c.RecordStage1(cid, body.audit_date, auditor, by)
    sheet = (
        None
        if body.sheet is None
        else parse_sheet(body.sheet.model_dump(mode="json"), "sheet", separator=".")
    )
    if body.kind is AuditKind.SPECIAL:
        return lambda cid: c.RecordSpecialAudit(cid, body.audit_date, auditor, sheet, by)
    if sheet is None:
        raise InvalidInput("sheet", f"a {body.kind.value} audit needs a score sheet")
    kinds: dict[AuditKind, Any] = {
        AuditKind.STAGE2: c.RecordStage2,
        AuditKind.SURVEILLANCE: c.RecordSurveillance,
        AuditKind.RECERTIFICATION: c.RecordRecertification,
    }
    kind = kinds[body.kind]
    return lambda cid: kind(
        case_id=cid, audit_date=body.audit_date, auditor=auditor, sheet=sheet, by=by
    )


def triggers_allowed(application: App, case_id: int) -> Sequence[str]:
    return [k.trigger for k in application.case_service.allowed_triggers(case_id) if k.allowed]
