"""Findings under /api/cases/{case_id}/findings: auditors record, verify and reject; the
client's response is recorded by an operator or an auditor; every role reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Path, Request

from starcert.accounts import Principal, Role
from starcert.api import finding_schemas as fs
from starcert.api import operations as ops
from starcert.api import schemas as s
from starcert.api.auth import Auditor, Reader, application_of, require
from starcert.api.error_responses import ERROR_RESPONSES
from workflows import commands as c
from workflows.findings import Finding, FindingNotFound, finding_dict

if TYPE_CHECKING:
    from starcert.app import App

router = APIRouter(prefix="/api/cases/{case_id}/findings", responses=ERROR_RESPONSES)

CaseId = Annotated[int, Path(ge=1, le=2**62)]
Number = Annotated[int, Path(ge=1, le=2**31 - 1, description="the finding's number (F1: 1)")]
Recorder = Annotated[Principal, Depends(require(Role.OPERATOR, Role.AUDITOR))]


@router.get("", response_model=list[s.FindingOut], tags=["findings"])
def list_findings(case_id: CaseId, request: Request, who: Reader) -> list[s.FindingOut]:
    """The case's findings by number, with their state and due day."""
    with application_of(request).uow() as uow:
        uow.cases.get(case_id)
        return [finding_out(f) for f in uow.findings.for_case(case_id)]


@router.post("", status_code=201, response_model=fs.FindingResult, tags=["findings"])
def record_finding(
    case_id: CaseId, body: fs.FindingIn, request: Request, who: Auditor
) -> fs.FindingResult:
    """Record a finding with one of the case's audits; a major one must be closed before the
    certification decision, and within the rule file's period."""
    command = c.RecordFinding(
        case_id, body.audit_id, body.severity, body.indicator, body.evidence, who.name, body.on
    )
    return _run(application_of(request), case_id, None, command, body.expected_version)


@router.post("/{finding}/response", response_model=fs.FindingResult, tags=["findings"])
def respond(
    case_id: CaseId, finding: Number, body: fs.ResponseIn, request: Request, who: Recorder
) -> fs.FindingResult:
    """The client's response: cause, correction, corrective action and its date."""
    command = c.RespondToFinding(
        case_id, finding, body.cause, body.correction, body.corrective_action,
        body.responded_on, who.name,
    )  # fmt: skip
    return _run(application_of(request), case_id, finding, command, body.expected_version)


@router.post("/{finding}/close", response_model=fs.FindingResult, tags=["findings"])
def close(
    case_id: CaseId, finding: Number, request: Request, who: Auditor, body: fs.CloseIn | None = None
) -> fs.FindingResult:
    """Verify the response and close the finding (an observation needs no response)."""
    command = c.CloseFinding(case_id, finding, who.name, body.on if body else None)
    version = body.expected_version if body else None
    return _run(application_of(request), case_id, finding, command, version)


@router.post("/{finding}/reject", response_model=fs.FindingResult, tags=["findings"])
def reject(
    case_id: CaseId, finding: Number, body: fs.ReasonOnly, request: Request, who: Auditor
) -> fs.FindingResult:
    """Reject the response with a reason: the finding is open again, awaiting another."""
    command = c.RejectFindingResponse(case_id, finding, body.reason, who.name, body.on)
    return _run(application_of(request), case_id, finding, command, body.expected_version)


def finding_out(finding: Finding) -> s.FindingOut:
    return s.FindingOut.model_validate(finding_dict(finding))


def _run(
    application: App, case_id: int, number: int | None, command: c.Command, version: int | None
) -> fs.FindingResult:
    result = application.case_service.handle(command, expected_version=version)
    with application.uow() as uow:
        findings = list(uow.findings.for_case(case_id))
    wanted = number if number is not None else max(f.number for f in findings)
    finding = next((f for f in findings if f.number == wanted), None)
    if finding is None:  # pragma: no cover - the command just wrote it
        raise FindingNotFound(f"finding F{wanted} of case {case_id} not found")
    out = ops.result_out(result)
    return fs.FindingResult(
        finding=finding_out(finding), case=out.case, events=out.events, note=out.note
    )
