"""`create_app(App) -> FastAPI`: the operator API, the public verification and the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from starcert.api import (
    docs_pages,
    error_responses,
    routes_accounts,
    routes_assignments,
    routes_auditors,
    routes_cases,
    routes_changes,
    routes_checkpoints,
    routes_documents,
    routes_findings,
    routes_metrics,
    routes_public,
    routes_rules,
    routes_teams,
)
from starcert.api.access_log import AccessLog
from starcert.api.body_limit import BodyLimit
from starcert.api.ratelimit import verify_limit
from starcert.api.security_headers import SecurityHeaders
from starcert.api.settings import ApiSettings
from starcert.web.language import PageLanguage

if TYPE_CHECKING:
    from starcert.app import App

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"

DESCRIPTION = """GB/T 27922 after-sales service certification: cases, audits, decisions, the
certificate lifecycle and the public register.

Every `/api` route needs `Authorization: Bearer <token>` (tokens from
`starcert users add NAME --role ROLE`); `/verify` and `/public` need none;
roles: operator, auditor, rule_author, viewer, admin. Errors are JSON `{code, message, field}`."""


def rule_body_limit(max_file_bytes: int) -> int:
    """A body carrying a rule file of the largest allowed size, JSON-escaped (a newline or a
    quote doubles), with room for the rest of the request: the file's own cap then answers
    with its size and the limit (422), not the body's (413)."""
    return 2 * max_file_bytes + 64 * 1024


def create_app(application: App, settings: ApiSettings | None = None) -> FastAPI:
    from starcert.web import (
        certificate_document_page,
        console,
        console_auditors,
        console_changes,
        console_findings,
        console_incidents,
        public_pages,
    )

    settings = settings or ApiSettings()
    lookups = application.database.public_lookups()  # its own handle: autocommit reads
    limit = verify_limit(application, settings)

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        yield
        lookups.close()
        limit.close()

    api = FastAPI(
        title="starcert",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs_pages serves them, each with its content policy
        redoc_url=None,
    )
    api.state.starcert = application
    api.state.public_lookups = lookups
    api.state.settings = settings
    api.state.verify_limit = limit
    error_responses.install(api)
    api.include_router(routes_public.router)
    api.include_router(routes_checkpoints.router)
    api.include_router(routes_cases.router)
    api.include_router(routes_documents.router)
    api.include_router(routes_changes.router)
    api.include_router(routes_rules.router)
    api.include_router(routes_accounts.router)
    api.include_router(routes_metrics.router)
    api.include_router(routes_auditors.router)
    api.include_router(routes_teams.router)
    api.include_router(routes_findings.router)
    api.include_router(routes_assignments.router)
    api.include_router(public_pages.router)
    api.include_router(certificate_document_page.router)
    api.include_router(console.router)
    api.include_router(console_auditors.router)
    api.include_router(console_incidents.router)
    api.include_router(console_findings.router)
    api.include_router(console_changes.router)
    docs_pages.install(api)
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        wider=("/api/rules/", rule_body_limit(application.config.rules.max_file_bytes)),
    )
    api.add_middleware(PageLanguage, default=lambda: application.config.web.language)
    api.add_middleware(SecurityHeaders)
    api.add_middleware(AccessLog, clock=application.clock, metrics=application.metrics)
    if application.config.api.trusted_proxies:  # outermost: the rest see the client it names
        api.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(application.config.api.trusted_proxies)
        )
    # Open the database and load the rules once now, not lazily inside concurrent requests.
    _ = application.database, application.case_service
    return api
