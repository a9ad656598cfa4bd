"""Who a console request comes from: the live session its cookie names (starcert.web.console_login
keeps them), or none, and the way back to log in."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from starcert.accounts import Principal
from starcert.api.auth import application_of
from starcert.web import console_login

COOKIE = "starcert_session"


def session_of(request: Request) -> tuple[Principal, str] | None:
    """Who holds the request's live session, and its id; None sends them to log in."""
    found = console_login.current(application_of(request), request.cookies.get(COOKIE))
    return None if found is None else (found.who, found.session_id)


def to_login() -> RedirectResponse:
    """To the log-in page, forgetting a cookie whose session has ended."""
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
