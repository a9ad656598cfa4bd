"""The operator console: search, certificate page with timeline and diagram, deadlines, triggers.

Login pastes an API token once; the cookie (HttpOnly, SameSite=Strict, Secure over https) then
carries only a session id, the session kept by the server (starcert.web.console_login). Every
POST must come from our own origin (starcert.web.same_origin), and every POST but log-in also
carries a form token derived from the session id, so another site can neither log a visitor in
nor forge a console write. Roles are those of the API: only operators get buttons, and the
server checks again on POST.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from starcert.accounts import Principal, Role
from starcert.api import operations as ops
from starcert.api import schemas as s
from starcert.api.auth import application_of, form_token
from starcert.api.error_responses import describe
from starcert.views import scored_audits
from starcert.web import change_forms, console_login, diagram, reasons
from starcert.web.action_forms import DATED, NEEDS_REASON, action_command
from starcert.web.certificate_filters import FILTERS, echo, parse_filters
from starcert.web.console_session import COOKIE, session_of, to_login
from starcert.web.language import N_
from starcert.web.language import gettext as _
from starcert.web.render import page
from starcert.web.same_origin import from_own_page
from starcert.web.terms import term
from workflows.deadlines import local_day
from workflows.errors import InvalidInput, StarcertError
from workflows.model import OPERATOR_CAUSES, StarLevel, State

router = APIRouter(prefix="/console", include_in_schema=False)

ACTIONS: dict[str, str] = {
    "accept_application": "review",
    "refuse_application": "review",
    "certify": "decide",
    "refuse_certification": "decide",
    "suspend": "suspend",
    "restore": "restore",
    "withdraw": "withdraw",
    "cancel": "cancel",
    "expire": "expire",
}
"""Triggers an operator fires from the console, by the command that fires them. Audit triggers
need a score sheet and are recorded through the API or the CLI."""

CONSEQUENCES: dict[str, str] = {
    "withdraw": N_(
        "Withdrawing makes the certificate invalid on the public register at once; "
        "it cannot be restored."
    ),
    "cancel": N_(
        "Cancelling ends the certificate at the client's request; the public register shows it "
        "cancelled at once, and it cannot be restored."
    ),
}
"""Actions that cannot be undone: the first POST only shows this and asks to confirm; only a
POST that carries confirm=yes acts."""


def _cross_site() -> Response:
    return page(
        "message.html",
        403,
        title=_("Refused"),
        message=_("This form was not posted from this console's own pages."),
    )


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


# --- login ---------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return page("login.html", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    if not from_own_page(request):
        return _cross_site()
    token = (await _form(request)).get("token", "").strip()
    session = await run_in_threadpool(console_login.log_in, application_of(request), token)
    if session is None:
        return page("login.html", 401, error=_("That token is unknown or revoked."))
    request.state.account = session.who.name  # the access log names who logged in
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        session.session_id,
        max_age=session.max_age_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not from_own_page(request):
        return _cross_site()
    found = await run_in_threadpool(session_of, request)
    form = await _form(request)
    if found is not None:
        if not _form_ok(found[1], form):
            return page("message.html", 403, title=_("Refused"), message=_("Form token mismatch."))
        await run_in_threadpool(console_login.log_out, application_of(request), found[1])
    return to_login()


def _form_ok(token: str, form: dict[str, str]) -> bool:
    return hmac.compare_digest(form.get("csrf", ""), form_token(token))


# --- pages ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """The certificate list, narrowed by the filters in the address (certificate_filters)."""
    found = session_of(request)
    if found is None:
        return to_login()
    principal, token = found
    application = application_of(request)
    asked = {k: v for k, v in request.query_params.items() if k in FILTERS}
    error, status = None, 200
    try:
        chosen = parse_filters(asked)
    except InvalidInput as exc:
        error, status, chosen = str(exc), 422, None
    if chosen is None:
        results = s.CasePage(items=[], total=0, limit=50, offset=0)
    else:
        results = ops.search(
            application,
            text=q,
            state=chosen.state,
            star_level=chosen.star_level,
            overdue=chosen.overdue,
            holder=chosen.holder,
            due_within_days=chosen.due_within_days,
            limit=50,
            offset=offset,
        )
    today = application.clock.now().astimezone(application.config.zone).date()
    return page(
        "home.html",
        status,
        who=principal,
        csrf=form_token(token),
        q=q or "",
        filters=echo(asked),
        error=error,
        states=[x.value for x in State],
        stars=[x.value for x in reversed(StarLevel)],
        results=results,
        next_query=urlencode({"q": q or "", **asked, "offset": results.offset + results.limit}),
        overdue=ops.deadlines(application, "overdue", 0, 50),
        upcoming=ops.deadlines(application, "upcoming", 60, 50),
        rules=ops.rule_versions(application, today),
        zone=application.config.zone,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: Annotated[int, Path(ge=1, le=2**62)], done: str | None = None
) -> Response:
    found = session_of(request)
    if found is None:
        return to_login()
    # Only the console's own redirect after an action says "done": a link cannot make it say more.
    known = {*ACTIONS.values(), *change_forms.CHANGES.values()}
    notice = _("Done: %(action)s.") % {"action": term(done)} if done in known else None
    return _render_case(request, found, case_id, notice=notice)


def _render_case(
    request: Request,
    session: tuple[Principal, str],
    case_id: Annotated[int, Path(ge=1, le=2**62)],
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    principal, token = session
    application = application_of(request)
    try:
        detail, checks = ops.case_detail_and_checks(application, case_id)
        events = ops.history(application, case_id)
    except StarcertError as exc:
        code, body = describe(exc)
        return page("message.html", code, title=_("Not found"), message=body.message)
    allowed = [t.trigger for t in detail.triggers if t.allowed]
    audits = [
        {
            "date": a["audit_date"],
            "kind": a["kind"],
            "auditor": a["auditor"],
            "sheet": a.get("sheet") is not None,
            "score": None if score is None else score.get("final_score"),
            "band": None if score is None else (score.get("star_level") or "not passed"),
        }
        for a, score in scored_audits(
            [a.model_dump(mode="json") for a in detail.audits],
            [e.model_dump(mode="json") for e in events],
        )
    ]
    actions: dict[str, list[str]] = {}
    if principal.role is Role.OPERATOR:
        for trigger in allowed:
            if trigger in ACTIONS:
                actions.setdefault(ACTIONS[trigger], []).append(trigger)
    return page(
        "case.html",
        status,
        who=principal,
        csrf=form_token(token),
        detail=detail,
        case=detail.case,
        events=list(reversed(events)),
        audits=audits,
        diagram=diagram.svg(detail.case.state, allowed),
        reasons={k.trigger: reasons.say(k.why) for k in checks},
        actions=actions,
        needs_reason=NEEDS_REASON,
        dated=DATED,
        today=local_day(application.clock.now(), application.config.zone).isoformat(),
        causes=[c.value for c in OPERATOR_CAUSES],
        zone=application.config.zone,
        notice=notice,
        error=error,
        changes=change_forms.offered(principal, allowed),
        versions=change_forms.versions_of(application, case_id),
        stars=[s.value for s in StarLevel],
    )


async def refused_on_case(
    request: Request, session: tuple[Principal, str], case_id: int, exc: StarcertError
) -> Response:
    """The case page again, saying in the page's language why the action was refused (the
    finding and certificate change forms show their refusals on it too)."""
    status, body = describe(exc, case_id)
    message = reasons.refused(exc, body.message)
    return await run_in_threadpool(_render_case, request, session, case_id, None, message, status)


# --- writes --------------------------------------------------------------------------------------


async def operator_form(
    request: Request,
) -> tuple[tuple[Principal, str], dict[str, str]] | Response:
    """A console write's checks, in order: our own origin, a live session, the form token, and
    the operator role. Returns the session and the form, or the refusal to send."""
    if not from_own_page(request):
        return _cross_site()
    session = await run_in_threadpool(session_of, request)
    if session is None:
        return to_login()
    principal, token = session
    form = await _form(request)
    if not _form_ok(token, form):
        return page(
            "message.html",
            403,
            title=_("Refused"),
            message=_("The form token does not match this session; reload the page."),
        )
    if principal.role is not Role.OPERATOR:
        return page(
            "message.html",
            403,
            title=_("Refused"),
            message=_("%(name)s is a %(role)s; this needs operator.")
            % {"name": principal.name, "role": term(principal.role)},
        )
    return session, form


@router.post("/cases/{case_id}/actions/{action}")
async def act(
    request: Request, case_id: Annotated[int, Path(ge=1, le=2**62)], action: str
) -> Response:
    checked = await operator_form(request)
    if isinstance(checked, Response):
        return checked
    session, form = checked
    principal, token = session
    version_text = form.get("expected_version", "")
    version = int(version_text) if version_text.isascii() and version_text.isdigit() else None
    if action in CONSEQUENCES and form.get("confirm") != "yes":
        try:
            action_command(action, form, principal.name)  # a missing reason is said first
        except StarcertError as exc:
            return await refused_on_case(request, session, case_id, exc)
        return page(
            "confirm.html",
            who=principal,
            csrf=form_token(token),
            case_id=case_id,
            action=action,
            reason=form.get("reason", "").strip(),
            on=form.get("on", "").strip()[:40],
            expected_version="" if version is None else version_text,
            consequence=_(CONSEQUENCES[action]),
        )

    def go() -> None:
        ops.run(
            application_of(request), case_id, version, action_command(action, form, principal.name)
        )

    try:
        await run_in_threadpool(go)
    except StarcertError as exc:
        return await refused_on_case(request, session, case_id, exc)
    return RedirectResponse(f"/console/cases/{case_id}?done={action}", status_code=303)
