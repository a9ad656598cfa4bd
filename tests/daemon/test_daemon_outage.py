"""PostgreSQL unreachable for a while (a TCP proxy between the daemon and the server is cut, then
restored): the daemon logs, backs off, resumes, and loses nothing."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemon_helpers import (
    all_deadline_ids,
    bulk_active_cases,
    bulk_deadlines,
    firings,
    make_site,
    open_deadlines,
    wait_until,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.postgres


class Proxy:
    """Forwards 127.0.0.1:<port> to the server; `cut` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            self._spawn(self._pipe, client, upstream)
            self._spawn(self._pipe, upstream, client)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):  # shutdown wakes the blocked accept() on Linux
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.join(2)


def test_the_daemon_backs_off_while_the_database_is_away_and_loses_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    server = make_url(pg_url)
    proxy = Proxy((server.host or "127.0.0.1", server.port or 5432))
    via_proxy = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    site = make_site(tmp_path / "site", via_proxy, batch=10, lease=2)
    direct = create_engine(pg_url)
    try:
        cases = bulk_active_cases(direct, 300)
        total = bulk_deadlines(direct, cases, 2, datetime.now(UTC) - timedelta(hours=1))
        daemon = site.serve("d")
        wait_until("some firings", lambda: total - open_deadlines(direct) >= 100, timeout=60)
        proxy.cut()
        wait_until(
            "the outage noticed",
            lambda: len(daemon.events("database_unavailable")) >= 3,
            timeout=30,
        )
        stalled = open_deadlines(direct)
        time.sleep(1)
        assert open_deadlines(direct) == stalled  # nothing fires while away
        assert daemon.proc.poll() is None  # and the daemon is still there
        proxy.restore()
        wait_until("every deadline fired", lambda: open_deadlines(direct) == 0, timeout=90)
        assert daemon.term() == 0
        outages = daemon.events("database_unavailable")
        waits = [o["retry_in_s"] for o in outages[:4]]
        assert waits == sorted(waits) and waits[-1] > waits[0]  # backed off
        assert daemon.events("database_back")
        counts = firings(direct)
        assert set(counts) == all_deadline_ids(direct) and max(counts.values()) == 1
    finally:
        site.stop_all()
        proxy.close()
        direct.dispose()
