"""Serving the API with uvicorn: in the foreground (`starcert api`) or beside the daemon."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from starcert.api.factory import create_app
from starcert.api.settings import ApiSettings
from workflows.errors import StarcertError

if TYPE_CHECKING:
    from starcert.app import App


class ApiCannotListen(StarcertError):
    """The API's address is taken (another starcert, or another program) or not ours to bind."""

    def __init__(self, host: str, port: int, why: str) -> None:
        super().__init__(
            f"the API cannot listen on {host}:{port} ({why}): another process serves there; "
            "choose another [api] port (or --port), or for a second daemon on this host set "
            "[api] serve_with_daemon = false"
        )


def ensure_can_listen(host: str, port: int) -> None:
    """Refuse before anything starts, with one clear line, when the address is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ApiCannotListen(host, port, exc.strerror or str(exc)) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise ApiCannotListen(host, port, exc.strerror or str(exc)) from None


def server_for(
    application: App, host: str, port: int, settings: ApiSettings | None = None
) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(application, settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,  # create_app believes only [api] trusted_proxies, not loopback
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def run_api(application: App, host: str, port: int, settings: ApiSettings | None = None) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn installs the handlers)."""
    ensure_can_listen(host, port)
    server_for(application, host, port, settings).run()


@dataclass
class ApiThread:
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_api_thread(
    application: App,
    host: str = "127.0.0.1",
    port: int = 8427,
    settings: ApiSettings | None = None,
    ready_timeout: float = 15,
) -> ApiThread:
    """Serve the API on a background thread (e.g. inside `starcert serve`); returns once it listens.

    uvicorn takes no signals off the main thread; the caller stops it with `.stop()`.
    """
    ensure_can_listen(host, port)
    server = server_for(application, host, port, settings)
    thread = threading.Thread(target=server.run, name="starcert-api", daemon=True)
    thread.start()
    waited = threading.Event()
    while not server.started and thread.is_alive() and not waited.wait(0.05):
        ready_timeout -= 0.05
        if ready_timeout <= 0:
            server.should_exit = True
            raise RuntimeError(f"the API did not start listening on {host}:{port}")
    if not server.started:  # taken between the check and uvicorn's bind
        raise ApiCannotListen(host, port, "uvicorn could not bind it")
    return ApiThread(server, thread)
