"""The console's certificate changes: an operator's form posts here, with the same checks as
every console write (starcert.web.console.operator_form); a refusal shows on the case page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api.auth import application_of
from starcert.web import change_forms
from starcert.web.console import operator_form, refused_on_case
from workflows.errors import StarcertError

router = APIRouter(prefix="/console", include_in_schema=False)


@router.post("/cases/{case_id}/changes/{change}")
async def change_certificate(
    request: Request, case_id: Annotated[int, Path(ge=1, le=2**62)], change: str
) -> Response:
    checked = await operator_form(request)
    if isinstance(checked, Response):
        return checked
    session, form = checked
    principal, _ = session
    version_text = form.get("expected_version", "")
    version = int(version_text) if version_text.isdigit() else None

    def go() -> None:
        command = change_forms.command(change, form, principal.name)
        ops.run(application_of(request), case_id, version, command)

    try:
        await run_in_threadpool(go)
    except StarcertError as exc:
        return await refused_on_case(request, session, case_id, exc)
    return RedirectResponse(f"/console/cases/{case_id}?done={change}", status_code=303)
