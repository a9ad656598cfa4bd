"""Public, anonymous, read-only: certificate verification, the certificate query and the
announcements feed (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api import public_documents
from starcert.api import public_query as pq
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
            "too many certificate lookups (verifications and queries) from this address; slow down",
            headers={"Retry-After": retry_after(wait)},
        )


@router.get("/health", response_model=s.Health)
async def health() -> s.Health:
    return s.Health(status="ok")


@router.get("/verify/{number}", response_model=s.PublicCertificate)
async def verify(
    number: Annotated[str, Path(max_length=200)],
    request: Request,
    hash: Annotated[
        str | None,
        Query(max_length=200, description="a content hash printed on a certificate document"),
    ] = None,
) -> s.PublicCertificate:
    """Check a certificate by its number: public fields only (IAF CertSearch status words), and
    its current document's content hash. With `hash` (64 hexadecimal characters, as printed on a
    document), `hash_check` says whether it is the current version's, an older one's, or none's.

    The lookup runs on the event loop: one indexed autocommit read is shorter than a thread
    hand-off (measured in bench/bench_verify.py on SQLite and PostgreSQL); the documents are
    read from the case's trail in a thread.
    """
    await limit_lookups(request)
    asked = public_documents.checked(hash)
    found = ops.verify(public_lookups(request), number)
    return await run_in_threadpool(
        public_documents.with_documents, application_of(request), found, asked
    )


def public_lookups(request: Request) -> PublicLookups:
    lookups: PublicLookups = request.app.state.public_lookups
    return lookups


@router.get("/public/certificates", response_model=pq.CertificateQuery)
async def certificates(
    request: Request,
    number: Annotated[str | None, Query(max_length=200)] = None,
    holder: Annotated[str | None, Query(max_length=200)] = None,
    credit_code: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=pq.MAX_PAGES)] = 1,
) -> pq.CertificateQuery:
    """Find certificates by exactly one of: `number`; `holder`, a part of the holder's name
    (2 to 100 characters, any case); `credit_code`, the holder's unified social credit code.
    20 a page, at most 10 pages; public fields only. Counts against the lookup limit of /verify.
    """
    await limit_lookups(request)
    return await run_in_threadpool(public_query, request, number, holder, credit_code, page)


def public_query(
    request: Request, number: str | None, holder: str | None, credit_code: str | None, page: int
) -> pq.CertificateQuery:
    """The query's answer (the page shows the same); refused naming the field when malformed."""
    key, value = pq.checked_query(number, holder, credit_code)
    application = application_of(request)
    return pq.query(
        public_lookups(request),
        key,
        value,
        page,
        now=application.clock.now(),
        zone=application.config.zone,
    )


@router.get("/public/announcements", response_model=list[s.Announcement])
def announcements(
    request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[s.Announcement]:
    """Recent grants, renewals, suspensions, restorations and withdrawals, newest first."""
    return ops.announcements(application_of(request), limit)
