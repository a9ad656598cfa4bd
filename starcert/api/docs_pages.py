"""/docs (Swagger UI) and /redoc, from files served here, each page with a content policy of its own.

The viewers' files come from the fastapi-offline package (Swagger UI and ReDoc, as released) and
are served under /docs-assets, so the pages work without the internet and load nothing from
elsewhere. Swagger UI starts from one inline script: the policy allows exactly that script (by
its sha256), not inline script in general. Both viewers style themselves at run time, so their
pages (only theirs) allow inline style; ReDoc searches in a worker it makes from a blob.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def assets_folder() -> Path:
    """Where the installed fastapi-offline package keeps the viewers' files."""
    return Path(str(files("fastapi_offline") / "static"))


def _policy(html: str) -> str:
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    directives = [
        "default-src 'none'",
        " ".join(["script-src 'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def install(api: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Serve /docs, /redoc and their files (build the FastAPI with docs_url=None, redoc_url=None)."""
    favicon = f"{ASSETS}/favicon.png"
    swagger = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{api.title} - Swagger UI",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=favicon,
        swagger_ui_parameters={"validatorUrl": None},  # its badge would call validator.swagger.io
    )
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{api.title} - ReDoc",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=favicon,
        with_google_fonts=False,
    )
    for path, response in (("/docs", swagger), ("/redoc", redoc)):
        body = bytes(response.body)
        policy = _policy(body.decode())

        def serve(body: bytes = body, policy: str = policy) -> HTMLResponse:
            return HTMLResponse(body, headers={"Content-Security-Policy": policy})

        api.add_api_route(path, serve, include_in_schema=False, methods=["GET"])
    api.mount(ASSETS, StaticFiles(directory=assets_folder()), name="docs-assets")
