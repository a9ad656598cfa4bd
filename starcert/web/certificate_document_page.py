"""The public copy of a valid certificate's current document, linked from /verify: the page
(print-ready HTML) and its PDF. Each counts against the lookup limit of /verify; a certificate
that is not valid now (suspended, withdrawn, expired, cancelled) has no document served, only
its status at /verify."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from starcert.api import operations as ops
from starcert.api.auth import application_of
from starcert.api.routes_public import limit_lookups, public_lookups
from starcert.documents import document_reads as reads
from starcert.documents.document_html import page_policy
from starcert.documents.document_versions import DocumentVersion
from workflows.errors import CaseNotFound

router = APIRouter(include_in_schema=False)

Number = Annotated[str, Path(max_length=100)]


async def _current(request: Request, number: str, form: reads.Format) -> Response:
    await limit_lookups(request)
    found = ops.verify(public_lookups(request), number)
    if found.certification_status != "active":
        raise CaseNotFound(
            f"certificate {found.certificate_number} is {found.certification_status}: no "
            f"document is served for it (its status: /verify?number={found.certificate_number})"
        )
    application = application_of(request)

    def made_now() -> tuple[DocumentVersion, bytes]:
        documents = reads.documents_of_number(application, found.certificate_number)
        return reads.rendered(application, documents, None, form)

    made, data = await run_in_threadpool(made_now)
    headers = {
        "Content-Disposition": f'inline; filename="{reads.file_name(made, form)}"',
        "X-Content-Hash": made.content_hash,
        "Cache-Control": "no-cache",  # a new version replaces it: always ask again
    }
    if form == "html":
        headers["Content-Security-Policy"] = page_policy()
    return Response(data, media_type=reads.MEDIA_TYPES[form], headers=headers)


@router.get("/certificates/{number}/document")
async def current_document_page(number: Number, request: Request) -> Response:
    return await _current(request, number, "html")


@router.get("/certificates/{number}/document.pdf")
async def current_document_pdf(number: Number, request: Request) -> Response:
    return await _current(request, number, "pdf")
