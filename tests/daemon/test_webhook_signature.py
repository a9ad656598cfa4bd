"""Signed webhook deliveries, checked by a real receiving server with the very function
docs/operations.md gives receivers: the daemon's delivery passes it; a tampered body, a stale
timestamp or another secret does not."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from daemon_helpers import REPO, certify, make_site, wait_until

from starcert.webhook_signature import signed_headers
from workflows.fake_clock import FakeClock

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
WINDOW_OPEN = T0 + timedelta(days=300)
SECRET = "s3cret-shared-with-the-receiver"

Verified = Callable[..., bool]


def documented_check() -> Verified:
    """The `verified` function of docs/operations.md's "Signed webhooks", as written there."""
    doc = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    section = doc.split("### Signed webhooks", 1)[1]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/operations.md", "exec"), namespace)
    check: Verified = namespace["verified"]
    return check


@contextmanager
def receiver(secret: bytes) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server that answers 204 to a verified delivery and 401 to any other."""
    verified = documented_check()
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k: v for k, v in self.headers.items()}
            ok = verified(secret, headers, body)
            got.append({"headers": headers, "body": body, "ok": ok})
            self.send_response(204 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_signed_delivery_passes_the_documented_check_and_a_tampered_one_fails(
    tmp_path: Path,
) -> None:
    with receiver(SECRET.encode()) as (url, got):
        site = make_site(tmp_path / "site", webhook=url)
        with site.config.open("a", encoding="utf-8") as config:
            config.write(f'webhook_secret = "{SECRET}"\n')  # [notifications] is the last table
        certify(site, FakeClock(T0), 1)
        daemon = site.serve("d", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until("a delivery", lambda: daemon.events("notification_delivered"), timeout=30)
            assert daemon.term() == 0
        finally:
            site.stop_all()
        [delivery] = got
        assert delivery["ok"] is True
        headers, body = delivery["headers"], delivery["body"]
        assert headers["X-Starcert-Signature"].startswith("sha256=")
        assert abs(int(headers["X-Starcert-Timestamp"]) - time.time()) < 60  # real time
        assert "(signed)" in daemon.out.read_text()

        sent = {k: headers[k] for k in ("X-Starcert-Timestamp", "X-Starcert-Signature")}
        tampered = body.replace(b'"surveillance_window_opens"', b'"expiry"', 1)
        assert tampered != body
        assert _post(url, tampered, sent) == 401
        stale = signed_headers(SECRET.encode(), int(time.time()) - 301, body)
        assert _post(url, body, stale) == 401
        other = signed_headers(b"another secret", int(time.time()), body)
        assert _post(url, body, other) == 401
        assert _post(url, body, sent) == 204  # the genuine one, again: still fresh
    assert [g["ok"] for g in got] == [True, False, False, False, True]


def test_without_a_secret_deliveries_carry_no_signature(tmp_path: Path) -> None:
    with receiver(b"") as (url, got):
        site = make_site(tmp_path / "site", webhook=url)
        certify(site, FakeClock(T0), 1)
        daemon = site.serve("d", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until("a refused delivery", lambda: got, timeout=30)
            assert daemon.term() == 0
        finally:
            site.stop_all()
    assert "X-Starcert-Signature" not in got[0]["headers"] and got[0]["ok"] is False
    assert "(unsigned)" in daemon.out.read_text()
