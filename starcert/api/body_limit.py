"""Refuse request bodies over a size before any route reads them (413, JSON)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: reads the body up to `limit` bytes, then replays it to the app.

    A Content-Length over the limit is refused at once; a chunked body is refused as soon as it
    passes the limit. Either way the app never runs, so nothing is written.
    """

    def __init__(self, app: ASGIApp, limit: int, wider: tuple[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.wider = wider  # (path prefix, its own limit): rule files travel in bodies there

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.wider is not None and scope["path"].startswith(self.wider[0]):
            limit = max(limit, self.wider[1])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _refuse(send, 400, "bad_request", "Content-Length is not a number")
                return
            if too_big:
                await _refuse_size(send, limit)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse_size(send, limit)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse_size(send: Send, limit: int) -> None:
    await _refuse(send, 413, "body_too_large", f"request body is over {limit} bytes")


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps({"code": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
