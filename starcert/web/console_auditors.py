"""The console's auditor register pages: each auditor's qualification status (valid, expiring,
lapsed) and one auditor's record with its history. For operators and auditors, as over the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, form_token
from starcert.api.error_responses import describe
from starcert.web.console_session import session_of, to_login
from starcert.web.language import gettext as _
from starcert.web.render import page
from starcert.web.terms import term
from workflows.auditors import AuditorQuery, qualification_status
from workflows.errors import StarcertError

router = APIRouter(prefix="/console", include_in_schema=False)

PLANNERS = frozenset({Role.OPERATOR, Role.AUDITOR})
"""Who sees the auditor register (as over the API, starcert.api.routes_auditors)."""


def _planner(request: Request) -> tuple[Principal, str] | Response:
    found = session_of(request)
    if found is None:
        return to_login()
    if found[0].role not in PLANNERS:
        return page(
            "message.html",
            403,
            title=_("Refused"),
            message=_("%(name)s is a %(role)s; the auditor register is for operators and auditors.")
            % {"name": found[0].name, "role": term(found[0].role)},
        )
    return found


@router.get("/auditors", response_class=HTMLResponse)
def auditors_page(request: Request) -> Response:
    found = _planner(request)
    if isinstance(found, Response):
        return found
    application = application_of(request)
    today = application.clock.now().astimezone(application.config.zone).date()
    warn = application.config.auditors.expiring_days
    rows = [
        (a, qualification_status(a, today, warn).value)
        for a in application.auditors.list(AuditorQuery())
    ]
    return page(
        "auditors.html", who=found[0], csrf=form_token(found[1]), rows=rows, today=today, warn=warn
    )


@router.get("/auditors/{auditor_id}", response_class=HTMLResponse)
def auditor_page(request: Request, auditor_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    found = _planner(request)
    if isinstance(found, Response):
        return found
    application = application_of(request)
    try:
        auditor = application.auditors.get(auditor_id)
        history = application.auditors.history(auditor_id)
    except StarcertError as exc:
        code, body = describe(exc)
        return page("message.html", code, title=_("Not found"), message=body.message)
    today = application.clock.now().astimezone(application.config.zone).date()
    warn = application.config.auditors.expiring_days
    return page(
        "auditor.html",
        who=found[0],
        csrf=form_token(found[1]),
        auditor=auditor,
        standing=qualification_status(auditor, today, warn).value,
        history=list(reversed(history)),
        today=today,
        warn=warn,
        zone=application.config.zone,
    )
