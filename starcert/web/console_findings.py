"""The case page's finding forms: an auditor records a finding, verifies and closes it or
rejects the response; an operator or an auditor records the client's response. The same checks
as every console write (own origin, live session, form token), then the role."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, form_token
from starcert.web import console
from starcert.web.console_session import session_of, to_login
from starcert.web.language import N_
from starcert.web.language import gettext as _
from starcert.web.render import page
from starcert.web.same_origin import from_own_page
from starcert.web.terms import term
from workflows import commands as c
from workflows.errors import InvalidInput, StarcertError
from workflows.findings import Severity
from workflows.why import why

router = APIRouter(prefix="/console", include_in_schema=False)

CaseId = Annotated[int, Path(ge=1, le=2**62)]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
STEPS: dict[str, frozenset[Role]] = {
    "respond": frozenset({Role.OPERATOR, Role.AUDITOR}),
    "close": frozenset({Role.AUDITOR}),
    "reject": frozenset({Role.AUDITOR}),
}
"""A finding's steps from the console, and who may take each."""
NEEDS: dict[frozenset[Role], str] = {
    frozenset({Role.AUDITOR}): N_("%(name)s is a %(role)s; this needs auditor."),
    frozenset({Role.OPERATOR, Role.AUDITOR}): N_(
        "%(name)s is a %(role)s; this needs auditor or operator."
    ),
}
"""What a refused role is told, by who may take the step."""


@router.post("/cases/{case_id}/findings")
async def record(request: Request, case_id: CaseId) -> Response:
    checked = await _signed_form(request, frozenset({Role.AUDITOR}))
    if isinstance(checked, Response):
        return checked
    session, form = checked

    def command() -> c.Command:
        try:
            audit_id = int(form.get("audit_id", ""))
        except ValueError:
            raise InvalidInput("audit_id", why("choose the audit that raised it")) from None
        try:
            severity = Severity(form.get("severity", ""))
        except ValueError:
            said = why("choose major, minor or observation")
            raise InvalidInput("severity", said) from None
        return c.RecordFinding(
            case_id, audit_id, severity, form.get("indicator", ""), form.get("evidence", ""),
            session[0].name,
        )  # fmt: skip

    return await _run(request, session, case_id, command, "recorded")


@router.post("/cases/{case_id}/findings/{number}/{step}")
async def step(request: Request, case_id: CaseId, number: Number, step: str) -> Response:
    roles = STEPS.get(step)
    if roles is None:
        return page("message.html", 404, title=_("Not found"), message=_("No such finding action."))
    checked = await _signed_form(request, roles)
    if isinstance(checked, Response):
        return checked
    session, form = checked
    by = session[0].name

    def command() -> c.Command:
        if step == "close":
            return c.CloseFinding(case_id, number, by)
        if step == "reject":
            return c.RejectFindingResponse(case_id, number, form.get("reason", ""), by)
        try:
            day = date.fromisoformat(form.get("responded_on", ""))
        except ValueError:
            raise InvalidInput("responded_on", why("expected a date YYYY-MM-DD")) from None
        return c.RespondToFinding(
            case_id, number, form.get("cause", ""), form.get("correction", ""),
            form.get("corrective_action", ""), day, by,
        )  # fmt: skip

    return await _run(request, session, case_id, command, step)


async def _run(
    request: Request,
    session: tuple[Principal, str],
    case_id: int,
    command: Callable[[], c.Command],
    done: str,
) -> Response:
    application = application_of(request)

    def go() -> None:
        application.case_service.handle(command())

    try:
        await run_in_threadpool(go)
    except StarcertError as exc:
        return await console.refused_on_case(request, session, case_id, exc)
    return RedirectResponse(f"/console/cases/{case_id}?finding={done}#findings", status_code=303)


async def _signed_form(
    request: Request, roles: frozenset[Role]
) -> tuple[tuple[Principal, str], dict[str, str]] | Response:
    if not from_own_page(request):
        return page(
            "message.html", 403, title=_("Refused"),
            message=_("This form was not posted from this console's own pages."),
        )  # fmt: skip
    session = await run_in_threadpool(session_of, request)
    if session is None:
        return to_login()
    principal, token = session
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    if not hmac.compare_digest(form.get("csrf", ""), form_token(token)):
        return page(
            "message.html", 403, title=_("Refused"),
            message=_("The form token does not match this session; reload the page."),
        )  # fmt: skip
    if principal.role not in roles:
        return page(
            "message.html", 403, title=_("Refused"),
            message=_(NEEDS[roles]) % {"name": principal.name, "role": term(principal.role)},
        )  # fmt: skip
    return session, form
