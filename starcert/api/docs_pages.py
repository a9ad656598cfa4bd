"""/docs (Swagger UI) and /redoc, each with a content policy of its own.

The viewers come from a CDN and Swagger UI starts from one inline script: the policy allows that
CDN and exactly that script (by its sha256), not inline script in general. Both viewers style
themselves at run time, so their pages (only theirs) allow inline style.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _policy(html: str, *, styles: tuple[str, ...], fonts: tuple[str, ...]) -> str:
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    directives = [
        "default-src 'none'",
        " ".join(["script-src", CDN, *hashes]),
        " ".join(["style-src", CDN, *styles, "'unsafe-inline'"]),
        " ".join(["font-src", *fonts]),
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "connect-src 'self'",
        "worker-src blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def install(api: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Serve /docs and /redoc (build the FastAPI with docs_url=None, redoc_url=None)."""
    swagger = get_swagger_ui_html(openapi_url=openapi_url, title=f"{api.title} - Swagger UI")
    redoc = get_redoc_html(openapi_url=openapi_url, title=f"{api.title} - ReDoc")
    pages = {
        "/docs": (swagger, _policy(bytes(swagger.body).decode(), styles=(), fonts=("data:",))),
        "/redoc": (
            redoc,
            _policy(
                bytes(redoc.body).decode(),
                styles=("https://fonts.googleapis.com",),
                fonts=("https://fonts.gstatic.com", "data:"),
            ),
        ),
    }
    for path, (response, policy) in pages.items():
        body = bytes(response.body)

        def serve(body: bytes = body, policy: str = policy) -> HTMLResponse:
            return HTMLResponse(body, headers={"Content-Security-Policy": policy})

        api.add_api_route(path, serve, include_in_schema=False, methods=["GET"])
