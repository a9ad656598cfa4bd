"""The operator API under /api: organisations, applications, cases, audits, triggers, lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from starcert.api import operations as ops
from starcert.api import schemas as s
from starcert.api.auth import Auditor, Operator, Reader, application_of
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.export import register_csv, register_rows
from workflows import commands as c
from workflows.model import StarLevel, State

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)

RowId = Annotated[int, Path(ge=1, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


# --- who am I, organisations and applications ----------------------------------------------------


@router.get("/me", response_model=s.Me, tags=["accounts"])
def me(who: Reader) -> s.Me:
    """The account the token belongs to."""
    return s.Me(name=who.name, role=who.role.value)


@router.post(
    "/organisations", status_code=201, response_model=s.OrganisationOut, tags=["organisations"]
)
def add_organisation(body: s.OrganisationIn, request: Request, who: Operator) -> s.OrganisationOut:
    """Register an organisation (its unified social credit code is checked)."""
    application = application_of(request)
    result = application.case_service.handle(
        c.RegisterOrganisation(
            name=body.name,
            credit_code=body.credit_code,
            by=who.name,
            contact_email=body.contact_email,
        )
    )
    assert result.organisation_id is not None
    return get_organisation(result.organisation_id, request, who)


@router.get(
    "/organisations/{organisation_id}", response_model=s.OrganisationOut, tags=["organisations"]
)
def get_organisation(organisation_id: RowId, request: Request, who: Reader) -> s.OrganisationOut:
    with application_of(request).uow() as uow:
        org = uow.organisations.get(organisation_id)
    assert org.id is not None
    return s.OrganisationOut(
        id=org.id, name=org.name, credit_code=org.credit_code, contact_email=org.contact_email
    )


@router.patch(
    "/organisations/{organisation_id}", response_model=s.OrganisationOut, tags=["organisations"]
)
def update_organisation(
    organisation_id: RowId, body: s.OrganisationUpdate, request: Request, who: Operator
) -> s.OrganisationOut:
    """Change the contact e-mail reminders are written to (null or "" removes it)."""
    from starcert.contacts import set_contact_email

    set_contact_email(application_of(request), organisation_id, body.contact_email)
    return get_organisation(organisation_id, request, who)


@router.post(
    "/applications", status_code=201, response_model=s.CommandResult, tags=["applications"]
)
def submit_application(body: s.ApplicationIn, request: Request, who: Operator) -> s.CommandResult:
    """Submit an application; the answer is the new case, in state `applied`."""
    from workflows.auditors import check_area
    from workflows.model import PrerequisiteFacts

    application = application_of(request)
    if body.area is not None:
        check_area(body.area, application.config.auditors.areas, "area")
    result = application.case_service.handle(
        c.SubmitApplication(
            organisation_id=body.organisation_id,
            submitted_on=body.submitted_on,
            service_system_since=body.service_system_since,
            scope=body.scope,
            facts=PrerequisiteFacts(**body.facts.model_dump()),
            by=who.name,
            area=body.area,
            personnel=body.personnel,
            sites=body.sites,
        )
    )
    return ops.result_out(result)


# --- cases ---------------------------------------------------------------------------------------


@router.get("/cases", response_model=s.CasePage, tags=["cases"])
def list_cases(
    request: Request,
    who: Reader,
    q: Annotated[str | None, Query(max_length=200, description="number or holder text")] = None,
    state: State | None = None,
    star_level: StarLevel | None = None,
    overdue: Annotated[bool, Query(description="only cases with a passed open deadline")] = False,
    holder: Annotated[
        str | None, Query(max_length=200, description="part of the holder's name")
    ] = None,
    due_within_days: Annotated[
        int | None, Query(ge=1, le=3650, description="only cases with a deadline due within")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> s.CasePage:
    """Cases by text, state, star level, holder, overdue or soon due deadlines, a page at a time."""
    return ops.search(
        application_of(request),
        text=q,
        state=state,
        star_level=star_level,
        overdue=overdue,
        holder=holder,
        due_within_days=due_within_days,
        limit=limit,
        offset=offset,
    )


@router.get("/cases/{case_id}", response_model=s.CaseDetail, tags=["cases"])
def get_case(case_id: RowId, request: Request, who: Reader) -> s.CaseDetail:
    """A case with its certificate, open deadlines, audits and the triggers allowed now."""
    return ops.case_detail(application_of(request), case_id)


@router.get("/certificates/{number}", response_model=s.CaseDetail, tags=["cases"])
def get_case_by_number(
    number: Annotated[str, Path(max_length=100)], request: Request, who: Reader
) -> s.CaseDetail:
    """The case holding certificate `number` (operator view, with everything)."""
    application = application_of(request)
    case = ops.case_by_number(application, number)
    assert case.id is not None
    return ops.case_detail(application, case.id)


@router.get("/cases/{case_id}/history", response_model=list[s.EventOut], tags=["cases"])
def case_history(case_id: RowId, request: Request, who: Reader) -> list[s.EventOut]:
    """The case's hash-chained event log, oldest first."""
    return ops.history(application_of(request), case_id)


# --- lifecycle triggers --------------------------------------------------------------------------

Versioned = Annotated[s.VersionIn | None, Body()]


@router.post("/cases/{case_id}/review", response_model=s.CommandResult, tags=["lifecycle"])
def review(
    case_id: RowId, request: Request, who: Operator, body: Versioned = None
) -> s.CommandResult:
    """Application review: accept (stage 1 next) or refuse, by the rules in force."""
    version = body.expected_version if body else None
    return ops.run(
        application_of(request),
        case_id,
        version,
        lambda cid: c.ReviewApplication(case_id=cid, by=who.name),
    )


@router.post("/cases/{case_id}/audits", response_model=s.CommandResult, tags=["lifecycle"])
def record_audit(
    case_id: RowId, body: s.AuditIn, request: Request, who: Auditor
) -> s.CommandResult:
    """Record an audit and apply what it decides (stage 2 → decision; surveillance re-bands)."""
    command = ops.audit_command(who, body)
    return ops.run(application_of(request), case_id, body.expected_version, command)


@router.post("/cases/{case_id}/decide", response_model=s.CommandResult, tags=["lifecycle"])
def decide(
    case_id: RowId,
    request: Request,
    who: Operator,
    body: Annotated[s.DecideIn | None, Body()] = None,
) -> s.CommandResult:
    """Certification decision from the stage 2 score: certify with a star level, or refuse;
    `on` dates a decision entered late."""
    version = body.expected_version if body else None
    on = body.on if body else None
    return ops.run(
        application_of(request), case_id, version, lambda cid: c.Decide(cid, who.name, on)
    )


@router.post("/cases/{case_id}/suspend", response_model=s.CommandResult, tags=["lifecycle"])
def suspend(case_id: RowId, body: s.SuspendIn, request: Request, who: Operator) -> s.CommandResult:
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.Suspend(cid, body.cause, body.reason, who.name, body.on),
    )


@router.post("/cases/{case_id}/restore", response_model=s.CommandResult, tags=["lifecycle"])
def restore(case_id: RowId, body: s.ReasonIn, request: Request, who: Operator) -> s.CommandResult:
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.Restore(cid, body.reason, who.name, body.on),
    )


@router.post("/cases/{case_id}/withdraw", response_model=s.CommandResult, tags=["lifecycle"])
def withdraw(case_id: RowId, body: s.ReasonIn, request: Request, who: Operator) -> s.CommandResult:
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.Withdraw(cid, body.reason, who.name, body.on),
    )


@router.post("/cases/{case_id}/cancel", response_model=s.CommandResult, tags=["lifecycle"])
def cancel(case_id: RowId, body: s.ReasonIn, request: Request, who: Operator) -> s.CommandResult:
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.Cancel(cid, body.reason, who.name, body.on),
    )


@router.post("/cases/{case_id}/expire", response_model=s.CommandResult, tags=["lifecycle"])
def expire(
    case_id: RowId, request: Request, who: Operator, body: Versioned = None
) -> s.CommandResult:
    """Expire a certificate whose validity has ended (the daemon does this on time)."""
    version = body.expected_version if body else None
    return ops.run(
        application_of(request), case_id, version, lambda cid: c.Expire(case_id=cid, by=who.name)
    )


# --- deadlines, register, rules ------------------------------------------------------------------


@router.get("/deadlines", response_model=list[s.DeadlineRow], tags=["deadlines"])
def list_deadlines(
    request: Request,
    who: Reader,
    window: Literal["overdue", "upcoming"] = "upcoming",
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
    limit: Limit = 100,
) -> list[s.DeadlineRow]:
    """Open deadlines already passed (overdue) or due within `days` (upcoming)."""
    return ops.deadlines(application_of(request), window, days, limit)


@router.get(
    "/register",
    response_model=list[s.RegisterEntry],
    tags=["register"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_register(
    request: Request, who: Reader, format: Literal["json", "csv"] = "json"
) -> list[s.RegisterEntry] | Response:
    """The certificate register in IAF CertSearch field names, as JSON or CSV (the file
    `starcert export --out` writes: UTF-8 with a byte order mark, for Excel)."""
    application = application_of(request)
    if format == "json":
        return ops.register(application)
    return Response(
        register_csv(register_rows(application.uow)),  # formula-like cells neutralised
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="register.csv"'},
    )


@router.get("/rules/versions", response_model=list[s.RuleVersionOut], tags=["rules"])
def rule_versions(request: Request, who: Reader) -> list[s.RuleVersionOut]:
    """Every loaded version of the rule set; `in_force` marks the one deciding today."""
    application = application_of(request)
    today = application.clock.now().astimezone(application.config.zone).date()
    return ops.rule_versions(application, today)
