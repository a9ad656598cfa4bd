"""Public pages: verify a certificate by its number, and the recent announcements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api.auth import application_of
from starcert.api.error_responses import ApiError, describe
from starcert.api.routes_public import limit_lookups, public_lookups
from starcert.web.render import page
from workflows.errors import StarcertError

router = APIRouter(include_in_schema=False)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request, number: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The page answers every query as a page; a number too long to be one is said so there."""
    if not number:
        return page("verify.html", number="", found=None, error=None)
    number = number.strip()[:200]  # checked_number refuses anything this long, by name
    try:
        await limit_lookups(request)
        found = await run_in_threadpool(ops.verify, public_lookups(request), number)
    except ApiError as exc:
        return page(
            "verify.html",
            exc.status,
            exc.headers,
            number=number,
            found=None,
            error=exc.body.message,
        )
    except StarcertError as exc:
        status, body = describe(exc)
        return page("verify.html", status, number=number, found=None, error=body.message)
    return page("verify.html", number=number, found=found, error=None)


@router.get("/announcements", response_class=HTMLResponse)
async def announcements_page(request: Request) -> HTMLResponse:
    items = await run_in_threadpool(ops.announcements, application_of(request), 100)
    return page("announcements.html", items=items)
