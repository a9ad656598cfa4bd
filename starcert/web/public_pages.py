"""Public pages: the landing page, the certificate query, verification by number, the recent
announcements, and the certification body's logo. Each names the body ([body] in config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api import public_documents
from starcert.api import public_query as pq
from starcert.api.auth import application_of
from starcert.api.error_responses import ApiError, ErrorBody, describe
from starcert.api.routes_public import limit_lookups, public_lookups, public_query
from starcert.web.language import N_
from starcert.web.language import gettext as _
from starcert.web.render import page
from workflows.errors import NotFound, StarcertError

router = APIRouter(include_in_schema=False)

REFUSALS: dict[str, str] = {
    "number": N_("That is not a certificate number."),
    "holder": N_("Give more of the holder's name."),
    "credit_code": N_("That unified social credit code is not valid."),
    "query": N_("Search by one of the three: number, holder name or credit code."),
    "page": N_("There is no such page of answers."),
    "rate_limited": N_("Too many lookups from this address: wait a moment and try again."),
    "not_found": N_("No certificate was found for this number."),
}
"""What a refused query says first, in the page's language, by the field (or the refusal's
code) it names; the API's exact message follows it."""


@dataclass(frozen=True)
class Refusal:
    """A refused query as a page shows it: a sentence in its language, then the exact words."""

    lead: str
    detail: str


def refusal(body: ErrorBody) -> Refusal:
    lead = REFUSALS.get(body.field or "") or REFUSALS.get(body.code)
    return Refusal(_(lead) if lead else "", body.message)


def public_page(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """`name` rendered with the body's identity, which every public page shows."""
    return page(name, status, headers, body=application_of(request).config.body, **context)


@router.get("/", response_class=HTMLResponse)
async def landing_page(request: Request) -> HTMLResponse:
    return public_page(request, "landing.html")


@router.get("/certificates", response_class=HTMLResponse)
async def certificates_page(
    request: Request,
    number: Annotated[str | None, Query()] = None,
    holder: Annotated[str | None, Query()] = None,
    credit_code: Annotated[str | None, Query()] = None,
    page: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The query's answer as a page: every query is answered as a page, a malformed one with
    what is wrong in it (the JSON API's message)."""
    asked = {
        k: (v or "").strip()[:200]
        for k, v in (("number", number), ("holder", holder), ("credit_code", credit_code))
    }
    context: dict[str, Any] = {"asked": asked}
    if not any(asked.values()):
        return public_page(request, "certificates.html", found=None, error=None, **context)
    try:
        await limit_lookups(request)
        which = int(page) if page and page.isascii() and page.isdigit() else 1
        found = await run_in_threadpool(
            public_query,
            request,
            asked["number"] or None,
            asked["holder"] or None,
            asked["credit_code"] or None,
            min(max(which, 1), pq.MAX_PAGES),
        )
    except ApiError as exc:
        return public_page(
            request,
            "certificates.html",
            exc.status,
            exc.headers,
            found=None,
            error=refusal(exc.body),
            **context,
        )
    except StarcertError as exc:
        status, body = describe(exc)
        return public_page(
            request, "certificates.html", status, found=None, error=refusal(body), **context
        )
    return public_page(request, "certificates.html", found=found, error=None, **context)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request,
    number: Annotated[str | None, Query()] = None,
    hash: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The page answers every query as a page; a number too long to be one is said so there.
    With `hash` (a certificate document's QR code carries it), it says which version of the
    certificate's document that hash is of, if any."""
    if not number:
        return public_page(request, "verify.html", number="", found=None, error=None)
    number = number.strip()[:200]  # checked_number refuses anything this long, by name
    try:
        await limit_lookups(request)
        asked = public_documents.checked(None if hash is None else hash[:200])
        found = await run_in_threadpool(ops.verify, public_lookups(request), number)
        found = await run_in_threadpool(
            public_documents.with_documents, application_of(request), found, asked
        )
    except ApiError as exc:
        return public_page(
            request,
            "verify.html",
            exc.status,
            exc.headers,
            number=number,
            found=None,
            error=refusal(exc.body),
        )
    except StarcertError as exc:
        status, body = describe(exc)
        return public_page(
            request, "verify.html", status, number=number, found=None, error=refusal(body)
        )
    return public_page(request, "verify.html", number=number, found=found, error=None)


@router.get("/announcements", response_class=HTMLResponse)
async def announcements_page(request: Request) -> HTMLResponse:
    items = await run_in_threadpool(ops.announcements, application_of(request), 100)
    return public_page(request, "announcements.html", items=items)


@router.get("/body/logo")
def body_logo(request: Request) -> Response:
    """The body's logo as configured (checked at start to be a PNG, JPEG or WebP), as itself."""
    body = application_of(request).config.body
    if body is None or body.logo_file is None or body.logo_type is None:
        raise NotFound("no logo is configured ([body] logo_file)")
    return Response(
        body.logo_file.read_bytes(),
        media_type=body.logo_type,
        headers={"Cache-Control": "public, max-age=3600", "Content-Disposition": "inline"},
    )
