"""Certificate changes under /api/cases/{id}: scope extension (asked, then granted), scope
reduction, holder change, transfer in; and the certificate's versions, each with its event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request

from starcert import views
from starcert.api import change_schemas as cs
from starcert.api import operations as ops
from starcert.api import schemas as s
from starcert.api.auth import Operator, Reader, application_of
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.api.routes_cases import RowId
from workflows import commands as c
from workflows.certificate_versions import versions

router = APIRouter(prefix="/api/cases", responses=ERROR_RESPONSES, tags=["changes"])


@router.post("/{case_id}/scope-extension-request", response_model=s.CommandResult)
def request_extension(
    case_id: RowId, body: cs.ScopeIn, request: Request, who: Operator
) -> s.CommandResult:
    """Record the client's request for a wider scope; a special audit after it comes next."""
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.RequestScopeExtension(cid, body.scope, who.name),
    )


@router.post("/{case_id}/extend-scope", response_model=s.CommandResult)
def extend_scope(
    case_id: RowId,
    request: Request,
    who: Operator,
    body: Annotated[s.VersionIn | None, Body()] = None,
) -> s.CommandResult:
    """Grant the requested scope: needs a special audit recorded after the request, its findings
    closed. The certificate gets its next version."""
    version = body.expected_version if body else None
    return ops.run(
        application_of(request), case_id, version, lambda cid: c.ExtendScope(cid, who.name)
    )


@router.post("/{case_id}/reduce-scope", response_model=s.CommandResult)
def reduce_scope(
    case_id: RowId, body: cs.ReducedScopeIn, request: Request, who: Operator
) -> s.CommandResult:
    """Reduce the scope, with the reason; the certificate gets its next version."""
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.ReduceScope(cid, body.scope, body.reason, who.name),
    )


@router.post("/{case_id}/holder", response_model=s.CommandResult)
def change_holder(
    case_id: RowId, body: cs.HolderIn, request: Request, who: Operator
) -> s.CommandResult:
    """A new name or address of the same legal entity: its credit code must not change."""
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.ChangeHolder(
            cid, body.holder, body.credit_code, who.name, address=body.address
        ),
    )


@router.post("/{case_id}/transfer-in", response_model=s.CommandResult)
def transfer_in(
    case_id: RowId, body: cs.TransferIn, request: Request, who: Operator
) -> s.CommandResult:
    """Issue our certificate on an application for another body's valid one (IAF MD 2): its
    expiry and cycle dates stay, so the next audit planned is the one due in that cycle."""
    return ops.run(
        application_of(request),
        case_id,
        body.expected_version,
        lambda cid: c.TransferIn(
            case_id=cid,
            previous_body=body.previous_body,
            previous_number=body.previous_number,
            previous_status=body.previous_status,
            decided_on=body.decided_on,
            expires_on=body.expires_on,
            star_level=body.star_level,
            by=who.name,
            surveillances=body.surveillances,
            last_surveillance_on=body.last_surveillance_on,
        ),
    )


@router.get("/{case_id}/versions", response_model=list[cs.VersionOut])
def certificate_versions(case_id: RowId, request: Request, who: Reader) -> list[cs.VersionOut]:
    """Every version of the case's certificate, oldest first, with the event that made it."""
    with application_of(request).uow() as uow:
        uow.cases.get(case_id)
        events = uow.events.for_case(case_id)
    return [cs.VersionOut.model_validate(views.plain(v)) for v in versions(events)]
