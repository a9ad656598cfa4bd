"""Public, anonymous, read-only: certificate verification and the announcements feed (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api import schemas as s
from starcert.api.auth import application_of
from starcert.api.error_responses import ERROR_RESPONSES, ApiError
from starcert.api.ratelimit import ClientLimit, retry_after
from workflows.read_ports import PublicLookups

router = APIRouter(responses=ERROR_RESPONSES, tags=["public"])


def client_address(request: Request) -> str:
    """The peer's address, or the client a proxy in [api] trusted_proxies forwarded for."""
    return request.client.host if request.client else "unknown"


async def limit_lookups(request: Request) -> None:
    """429 with Retry-After once a client has spent its lookups (counted in the database, off
    the event loop: a write may wait for the database's lock)."""
    limit: ClientLimit = request.app.state.verify_limit
    wait = await run_in_threadpool(limit.take, client_address(request))
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            "too many verification lookups from this address; slow down",
            headers={"Retry-After": retry_after(wait)},
        )


@router.get("/health", response_model=s.Health)
async def health() -> s.Health:
    return s.Health(status="ok")


@router.get("/verify/{number}", response_model=s.PublicCertificate)
async def verify(
    number: Annotated[str, Path(max_length=200)], request: Request
) -> s.PublicCertificate:
    """Check a certificate by its number: public fields only (IAF CertSearch status words).

    The lookup runs on the event loop: one indexed autocommit read is shorter than a thread
    hand-off (measured in bench/bench_verify.py on SQLite and PostgreSQL).
    """
    await limit_lookups(request)
    return ops.verify(public_lookups(request), number)


def public_lookups(request: Request) -> PublicLookups:
    lookups: PublicLookups = request.app.state.public_lookups
    return lookups


@router.get("/public/announcements", response_model=list[s.Announcement])
def announcements(
    request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[s.Announcement]:
    """Recent grants, renewals, suspensions, restorations and withdrawals, newest first."""
    return ops.announcements(application_of(request), limit)
