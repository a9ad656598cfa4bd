"""The console's incidents page: deadlines whose firing failed, with retry and resolve for
operators (what `starcert incidents retry|resolve` does); every role sees the list. Below it,
the planning warnings that hold today (starcert.audit_warnings), as the daemon sends them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, form_token
from starcert.api.error_responses import describe
from starcert.audit_warnings import current_warnings
from starcert.incidents import list_incidents, resolve, retry
from starcert.web import reasons
from starcert.web.console import operator_form
from starcert.web.console_session import session_of, to_login
from starcert.web.language import N_
from starcert.web.language import gettext as _
from starcert.web.render import page
from workflows.errors import StarcertError
from workflows.planning_warnings import EXPIRING

router = APIRouter(prefix="/console", include_in_schema=False)

INCIDENT_ACTIONS = frozenset({"retry", "resolve"})
"""What `starcert incidents retry|resolve` does, from the console; operators only."""
DONE = {"retry": N_("retry"), "resolve": N_("resolve")}


def _render_incidents(
    request: Request,
    session: tuple[Principal, str],
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    principal, token = session
    application = application_of(request)
    # Qualifications are the register's personal data: only those who read it see them.
    reads_register = principal.role in (Role.OPERATOR, Role.AUDITOR)
    warnings = [w for w in current_warnings(application) if reads_register or w.kind != EXPIRING]
    return page(
        "incidents.html",
        status,
        who=principal,
        csrf=form_token(token),
        incidents=list_incidents(application.uow),
        can_act=principal.role is Role.OPERATOR,
        warnings=warnings,
        lead_days=application.config.auditors.assignment_lead_days,
        warning_days=application.config.auditors.qualification_warning_days,
        zone=application.config.zone,
        notice=notice,
        error=error,
    )


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, done: str | None = None) -> Response:
    found = session_of(request)
    if found is None:
        return to_login()
    notice = _("Done: %(action)s.") % {"action": _(DONE[done])} if done in DONE else None
    return _render_incidents(request, found, notice=notice)


@router.post("/incidents/{deadline_id}/{action}")
async def incident_act(
    request: Request, deadline_id: Annotated[int, Path(ge=1, le=2**62)], action: str
) -> Response:
    checked = await operator_form(request)
    if isinstance(checked, Response):
        return checked
    session, form = checked
    if action not in INCIDENT_ACTIONS:
        return page(
            "message.html", 404, title=_("Not found"), message=_("No such incident action.")
        )
    application = application_of(request)

    def go() -> None:
        if action == "retry":
            retry(application.uow, deadline_id)
        else:
            resolve(
                application.uow,
                application.clock,
                deadline_id,
                reason=form.get("reason", ""),
                by=session[0].name,
            )

    try:
        await run_in_threadpool(go)
    except StarcertError as exc:
        status, body = describe(exc)
        message = reasons.refused(exc, body.message)
        return await run_in_threadpool(_render_incidents, request, session, None, message, status)
    return RedirectResponse(f"/console/incidents?done={action}", status_code=303)
