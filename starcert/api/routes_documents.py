"""Operators' certificate documents: the versions of a certificate's document and each version
as PDF or HTML, regenerated from the case's trail (starcert.documents)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from starcert.api.auth import Reader, application_of
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.documents import document_reads as reads
from starcert.documents.document_html import page_policy
from starcert.documents.document_versions import DocumentVersion

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES, tags=["documents"])

Number = Annotated[str, Path(max_length=100, description="certificate number, as issued")]


class DocumentVersionOut(BaseModel):
    """One version of a certificate's document: what made it (the event) and its hash."""

    model_config = ConfigDict(extra="forbid")

    number: str
    version: int
    label: str
    effective_on: date
    made_by: str  # the trigger of the event that made it
    event_seq: int
    content_hash: str


def _out(v: DocumentVersion) -> DocumentVersionOut:
    return DocumentVersionOut(
        number=v.number,
        version=v.version,
        label=v.content.label,
        effective_on=v.content.effective_on,
        made_by=v.trigger,
        event_seq=v.seq,
        content_hash=v.content_hash,
    )


@router.get("/certificates/{number}/documents", response_model=list[DocumentVersionOut])
def document_versions(number: Number, request: Request, who: Reader) -> list[DocumentVersionOut]:
    """The versions of the certificate's document, oldest first. A version is made by each
    event that changes what it certifies (issue, re-banding, restoration with a new score,
    renewal); a number a renewal replaced keeps its own versions."""
    found = reads.documents_of_number(application_of(request), number)
    return [_out(v) for v in found.versions]


FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the document: one A4 page",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/certificates/{number}/document", response_class=Response, responses=FILE)
async def document(
    number: Number,
    request: Request,
    who: Reader,
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    format: Literal["pdf", "html"] = "pdf",
) -> Response:
    """Version `version` of the certificate's document (the newest without it), as PDF or as
    self-contained HTML with a print stylesheet; the content hash is in `X-Content-Hash`."""
    application = application_of(request)

    def made_now() -> tuple[DocumentVersion, bytes]:
        found = reads.documents_of_number(application, number)
        return reads.rendered(application, found, version, format)

    made, data = await run_in_threadpool(made_now)
    headers = {
        "Content-Disposition": f'inline; filename="{reads.file_name(made, format)}"',
        "X-Content-Hash": made.content_hash,
    }
    if format == "html":
        headers["Content-Security-Policy"] = page_policy()  # admits its inline stylesheet
    return Response(data, media_type=reads.MEDIA_TYPES[format], headers=headers)
