"""`starcert api`: serve the HTTP API, public verification and console on its own."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from starcert import views
from starcert.cli.command_kit import open_app, run


def api_cmd(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8427,
    verify_rate: Annotated[
        float, typer.Option("--verify-rate", min=0.01, help="public lookups/s per client")
    ] = 5.0,
    verify_burst: Annotated[
        int, typer.Option("--verify-burst", min=1, help="lookups a client may make at once")
    ] = 30,
) -> None:
    """Serve the API (its OpenAPI document at /openapi.json), /verify and the /console."""
    from starcert.api.server import ensure_can_listen, run_api
    from starcert.api.settings import ApiSettings

    # One JSON line per request (starcert.api.access_log) on stderr, as `starcert serve` logs.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)

    def go() -> None:
        ensure_can_listen(host, port)  # before the banner says it serves
        with open_app() as application:
            typer.echo(
                f"starcert API on http://{host}:{port}  (console /console, verify /verify, "
                f"OpenAPI /openapi.json)\n  database: "
                f"{views.safe_url(application.config.database_url)}"
            )
            settings = ApiSettings(verify_rate_per_second=verify_rate, verify_burst=verify_burst)
            run_api(application, host, port, settings)

    run(go)


def register(app: typer.Typer) -> None:
    app.command("api")(api_cmd)
