"""One JSON line per HTTP request (event "http_request"), through the daemon's JSON log.

Written for every answer, refusals included (401, 403, 413, 429, a failed console log-in), so
an operator can tell who asked what and when. Query values that may carry a secret (token,
password, secret, key, signature) are replaced by "***"; headers and bodies are never logged.
The account is the one the API's bearer token named (starcert.api.auth sets it on the request).
It also counts /verify lookups for /metrics, by status.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflows.ports import Clock
from workflows.worker_log import JsonLog

if TYPE_CHECKING:
    from starcert.metrics import ProcessMetrics

LOGGER = "starcert.access"
SECRET_WORDS = ("token", "password", "passwd", "secret", "key", "signature", "session")
ACCOUNT = "account"
"""The request-state key `authenticated` fills with the caller's account name."""


class _WallClock:
    """The real time through a shifted clock (`starcert serve --clock-start`), else the clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        instant = self.clock.now()
        to_wall = getattr(self.clock, "to_wall", None)
        return instant if to_wall is None else to_wall(instant)


def shown_query(query: str) -> str:
    """The query string with the values of secret-looking keys replaced by ***."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    hidden = [(k, "***" if any(w in k.lower() for w in SECRET_WORDS) else v) for k, v in pairs]
    return urlencode(hidden, safe="*/:")


def is_verification(path: str) -> bool:
    return path == "/verify" or path.startswith("/verify/")


class AccessLog:
    """ASGI middleware: times each request and logs its answer once the response has started."""

    def __init__(self, app: ASGIApp, clock: Clock, metrics: ProcessMetrics) -> None:
        self.app = app
        self.log = JsonLog(_WallClock(clock), LOGGER)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})  # shared with the request's
        status = 500  # unless the app answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._line(scope, state, status, time.perf_counter() - started)

    def _line(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        path = str(scope.get("path", ""))
        query = shown_query(scope.get("query_string", b"").decode("latin-1"))
        client = scope.get("client")
        level = logging.WARNING if status >= 500 else logging.INFO
        self.log(
            level,
            "http_request",
            method=scope.get("method"),
            path=f"{path}?{query}" if query else path,
            status=status,
            duration_ms=round(seconds * 1000, 3),
            client=client[0] if client else None,
            account=state.get(ACCOUNT),
        )
        if is_verification(path):
            self.metrics.verification_requests.labels(str(status)).inc()
