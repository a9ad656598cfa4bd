"""CLI commands of the daemon: serve, and one tick on demand (fire-due)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Annotated

import typer

from starcert import views
from starcert.app import App
from starcert.cli_common import Json, emit, open_app, run
from starcert.daemon import DeadlineRunner, default_worker_name, serve

Worker = Annotated[str | None, typer.Option("--worker", help="name in leases and logs")]


def runner_for(application: App, worker: str | None) -> DeadlineRunner:
    daemon = application.config.daemon
    return DeadlineRunner(
        lifecycle=application.lifecycle,
        uow_factory=application.uow,
        clock=application.clock,
        worker=worker or default_worker_name(),
        lease=timedelta(seconds=daemon.lease_seconds),
        batch_size=daemon.batch_size,
    )


def serve_cmd(worker: Worker = None) -> None:
    """Run the daemon: fire every due deadline, on time, until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    def go() -> None:
        with open_app() as application:
            runner = runner_for(application, worker)
            config = application.config

            def banner() -> None:
                typer.echo(
                    f"starcert daemon {runner.worker} (pid {os.getpid()})\n"
                    f"  database: {views.safe_url(config.database_url)}\n"
                    f"  rules:    {config.paths.rules_dir}\n"
                    f"  ticks every {config.daemon.tick_seconds:g}s and at the next due deadline\n"
                    f"  stop with Ctrl-C or: kill -TERM {os.getpid()}"
                )

            serve(runner, config.daemon.tick_seconds, banner)
            typer.echo("starcert daemon stopped")

    run(go)


def fire_due(worker: Worker = None, as_json: Json = False) -> None:
    """Fire every deadline due now once, then exit (what one daemon tick does)."""

    def go() -> None:
        with open_app() as application:
            report = runner_for(application, worker).tick()
        data = {k: v for k, v in vars(report).items() if k != "fired_ids"}
        emit(data, as_json, lambda: ", ".join(f"{k} {v}" for k, v in data.items()))

    run(go)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.command("fire-due")(fire_due)
