"""Security headers on every answer: what a browser may load, frame, send and keep.

Our pages load only our own script-free HTML and stylesheet, so the policy allows nothing inline
and nothing from elsewhere; JSON needs even less but the same policy harms it not. /docs and
/redoc load their viewers from here too, but run one inline script and style themselves: they
set their own policy (starcert.api.docs_pages), which is kept. Console pages and API answers are
someone's data: no cache may keep them. An answer given over https (directly, or through a proxy
`[api] trusted_proxies` names, which says so) tells the browser to use https only from then on
(HSTS, one year); over plain http the header would mean nothing and is not sent.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # no includeSubDomains: the body's other hosts are not ours to bind
PRIVATE_PREFIXES = ("/console", "/api")
"""Paths whose answers depend on who asks (the console's session, the API's token)."""


class SecurityHeaders:
    """ASGI middleware: adds the headers as each response starts, whatever produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        private = any(path == p or path.startswith(p + "/") for p in PRIVATE_PREFIXES)
        secure = scope.get("scheme") == "https"  # a trusted proxy's X-Forwarded-Proto set it

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                headers.setdefault("Content-Security-Policy", PAGE_POLICY)
                if private:
                    headers["Cache-Control"] = "no-store"
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)
