"""Reminders reach a real local webhook receiver: retried with back-off, delivered once, and
sent again with the same idempotency key when the daemon dies between the send and the mark."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from daemon_helpers import certify, make_site, wait_until
from sqlalchemy import create_engine, text

from workflows.fake_clock import FakeClock

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
WINDOW_OPEN = T0 + timedelta(days=300)  # past the window opening (9 months), before the due date

Answer = Callable[[int], int]  # n-th request (1-based) -> HTTP status to answer


@contextmanager
def receiver(
    answer: Answer, on_request: Callable[[int], None] = lambda n: None
) -> Iterator[list[dict[str, Any]]]:
    """A real HTTP server on a free local port; yields the requests it got."""
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = answer(len(got) + 1)
            got.append({"key": self.headers["Idempotency-Key"], "body": body, "status": status})
            on_request(len(got))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        got.append({"url": f"http://127.0.0.1:{server.server_address[1]}/hook"})
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _outbox(url: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text("SELECT id, kind, attempts, delivered_at, last_error FROM notifications")
            )
        )
    engine.dispose()
    return rows


def test_a_reminder_is_retried_with_back_off_and_delivered_once(tmp_path: Path) -> None:
    with receiver(lambda n: 500 if n <= 2 else 200) as got:
        url = got.pop(0)["url"]
        site = make_site(tmp_path / "site", webhook=url, notify_backoff=0.3)
        [case_id] = certify(site, FakeClock(T0), 1)
        daemon = site.serve("d", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until(
                "delivery", lambda: any(r.delivered_at for r in _outbox(site.url)), timeout=30
            )
            assert daemon.term() == 0
        finally:
            site.stop_all()
    [row] = _outbox(site.url)
    assert row.kind == "surveillance_window_opens" and row.attempts == 2  # two failures, then ok
    assert [r["status"] for r in got] == [500, 500, 200]
    assert {r["key"] for r in got} == {f"starcert-notification-{row.id}"}
    body = got[-1]["body"]
    assert body["kind"] == "surveillance_window_opens" and body["case_id"] == case_id
    assert body["payload"]["certificate"].startswith("ASC") and body["payload"]["due_on"]
    failures = daemon.events("notification_failed")
    assert [f["attempts"] for f in failures] == [1, 2]
    retry_gap = datetime.fromisoformat(failures[1]["ts"]) - datetime.fromisoformat(
        failures[0]["ts"]
    )
    assert retry_gap >= timedelta(seconds=0.3)  # backed off before the second try
    assert len(daemon.events("notification_delivered")) == 1


def test_a_daemon_killed_between_send_and_mark_sends_again_with_the_same_key(
    tmp_path: Path,
) -> None:
    victims: list[Any] = []

    def kill_first_sender(n: int) -> None:
        if n == 1:
            victims[0].kill9()  # the receiver has the message; the daemon never marks it

    with receiver(lambda n: 200, kill_first_sender) as got:
        url = got.pop(0)["url"]
        site = make_site(tmp_path / "site", webhook=url)
        certify(site, FakeClock(T0), 1)
        victims.append(site.serve("first", "--clock-start", WINDOW_OPEN.isoformat()))
        wait_until("the first daemon died", lambda: victims[0].proc.poll() is not None, timeout=30)
        assert not any(r.delivered_at for r in _outbox(site.url))
        second = site.serve("second", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until(
                "delivery", lambda: any(r.delivered_at for r in _outbox(site.url)), timeout=30
            )
            assert second.term() == 0
        finally:
            site.stop_all()
    [row] = _outbox(site.url)
    assert len(got) == 2 and {r["key"] for r in got} == {f"starcert-notification-{row.id}"}
    assert len({r["key"] for r in got}) == 1  # a receiver keeping keys sees one message
    assert second.events("deadline_fired") == []  # the reminder itself fired once, by the first


def test_sigterm_stops_delivery_after_the_send_in_hand(tmp_path: Path) -> None:
    # A receiver slower than the daemon's timeout: every send fails, and is retried soon.
    def slow(n: int) -> None:
        time.sleep(3)  # past the 2 s timeout

    with receiver(lambda n: 200, on_request=slow) as got:
        url = got.pop(0)["url"]
        site = make_site(tmp_path / "site", webhook=url, notify_backoff=0.1)
        certify(site, FakeClock(T0), 10)
        daemon = site.serve("d", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until("a send failing", lambda: daemon.events("notification_failed"), timeout=30)
            asked = time.monotonic()
            assert daemon.term(timeout=30) == 0
            took = time.monotonic() - asked
        finally:
            site.stop_all()
    assert took < 2 * 2 + 3, took  # the send in hand (2 s timeout), not every retry of all ten
    assert daemon.events("stopped")
