"""`GET /metrics`: Prometheus text format, for any account's token (give Prometheus a viewer).

Behind the same bearer tokens as the rest of the operator API: the numbers say how busy the body
is and which daemons run, which the public need not see. How each number is gathered:
starcert.metrics.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from starcert.api.auth import Reader, application_of
from starcert.api.error_responses import ERROR_RESPONSES

router = APIRouter(responses=ERROR_RESPONSES, tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "the metrics"}},
)
def metrics(request: Request, who: Reader) -> Response:
    """Deadlines, commands, verification requests, outbox and rule version, in Prometheus form."""
    from starcert.metrics import exposition

    return Response(exposition(application_of(request)), media_type=CONTENT_TYPE_LATEST)
