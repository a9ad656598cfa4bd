"""The daemon's commands: serve, fire-due (one tick), status and health."""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from starcert import views
from starcert.cli import collector
from starcert.cli.command_kit import (
    Json,
    emit,
    load,
    open_app,
    parse_instant,
    run,
)
from starcert.wall_clock import SystemClock, clock_starting
from workflows.errors import DatabaseUnavailable, StarcertError

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.config import Config
    from workflows.deadline_runner import DeadlineRunner

Worker = Annotated[str | None, typer.Option("--worker", help="name in leases and logs")]
ClockStart = Annotated[
    str | None,
    typer.Option(
        "--clock-start",
        help="run on a clock that reads this ISO instant now and advances at real speed "
        "(rehearsals and tests; default: $STARCERT_CLOCK_START, else the real time)",
    ),
]


def runner_for(application: App, worker: str | None) -> DeadlineRunner:
    from starcert.daemon import default_worker_name, is_database_down, is_write_conflict
    from workflows.deadline_runner import DeadlineRunner

    daemon = application.config.daemon
    return DeadlineRunner(
        case_service=application.case_service,
        uow_factory=application.uow,
        clock=application.clock,
        worker=worker or default_worker_name(),
        lease=timedelta(seconds=daemon.lease_seconds),
        batch_size=daemon.batch_size,
        incident_backoff=timedelta(seconds=daemon.incident_backoff_seconds),
        is_write_conflict=is_write_conflict,
        is_database_down=is_database_down,
    )


def serve_cmd(worker: Worker = None, clock_start: ClockStart = None) -> None:
    """Run the daemon: fire every due deadline, on time, until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # our own JSON lines say it all
    logging.getLogger("transitions").setLevel(logging.WARNING)  # it narrates every callback

    def go() -> None:
        from starcert.app import App
        from starcert.daemon import Daemon

        config = load()
        clock = clock_starting(
            parse_instant(clock_start, "--clock-start") if clock_start else config.clock_start
        )
        application = App(config, clock=clock)
        collector.resume()  # the daemon runs for months
        try:
            runner = runner_for(application, worker)
            from starcert.notify import deliverers_for

            notes = config.notifications
            deliverer = deliverers_for(config, application.uow, clock, runner.worker)
            from starcert.audit_warnings import send_warnings
            from starcert.checkpoint_keys import sign_if_keyed

            daemon = Daemon(
                runner,
                clock=clock,
                heartbeats=application.database.heartbeats,
                tick_seconds=config.daemon.tick_seconds,
                deliverer=deliverer,
                deliver_seconds=notes.poll_seconds,
                checkpointer=lambda: sign_if_keyed(
                    application.database.checkpoints, config.audit.key_file, clock.now()
                ),
                checkpoint_seconds=config.audit.checkpoint_seconds,
                warner=lambda: [w.text for w in send_warnings(application)],
            )

            api = None
            if config.api.serve_with_daemon:
                from starcert.api.server import start_api_thread

                api = start_api_thread(application, config.api.host, config.api.port)

            def banner() -> None:
                start = clock_start or (config.clock_start and config.clock_start.isoformat())
                shifted = f"  clock:    starts at {start}\n" if start else ""
                http = (
                    f"http://{config.api.host}:{config.api.port}  (/console, /verify, /openapi.json)"
                    if api
                    else "not served (set [api] serve_with_daemon, or run: starcert api)"
                )
                webhook = notes.webhook_url or "(none: reminders stay in the outbox)"
                key = config.audit.key_file
                signs = (
                    f"every {config.audit.checkpoint_seconds:g}s with {key}"
                    if key.exists()
                    else f"off (no key at {key}: starcert audit keygen)"
                )
                if notes.webhook_url:
                    webhook += " (signed)" if notes.webhook_secret else " (unsigned)"
                smtp = config.email
                email = (
                    f"{smtp.smtp_host}:{smtp.smtp_port} ({smtp.tls}) from {smtp.from_address}"
                    if smtp.smtp_host
                    else "(none: e-mails stay in the outbox)"
                )
                typer.echo(
                    f"starcert daemon {runner.worker} (pid {os.getpid()})\n"
                    f"  database: {views.safe_url(config.database_url)}\n"
                    f"  rules:    {config.paths.rules_dir}\n{shifted}"
                    f"  webhook:  {webhook}\n"
                    f"  checkpoints: {signs}\n"
                    f"  e-mail:   {email}\n"
                    f"  api:      {http}\n"
                    f"  ticks every {config.daemon.tick_seconds:g}s and at the next due deadline\n"
                    f"  stop with Ctrl-C or: kill -TERM {os.getpid()}",
                )
                sys.stdout.flush()

            try:
                daemon.run(banner)
            finally:
                if api is not None:
                    api.stop()
            typer.echo("starcert daemon stopped")
        finally:
            application.close()

    run(go)


def fire_due(worker: Worker = None, as_json: Json = False) -> None:
    """Fire every deadline due now once, then exit (what one daemon tick does)."""

    def go() -> None:
        with open_app() as application:
            report = runner_for(application, worker).tick()
        data = report.counts()
        emit(data, as_json, lambda: ", ".join(f"{k} {v}" for k, v in data.items()))

    run(go)


def status_cmd(as_json: Json = False) -> None:
    """What the daemons are doing: heartbeats, overdue, leases, incidents, next deadlines."""

    def go() -> None:
        from starcert.daemon_status import read_status, status_text

        with open_app() as application:
            status = read_status(
                application.database,
                application.clock.now(),
                max_attempts=application.config.notifications.max_attempts,
            )
            silent = _health_age(application.config)
        emit(status.as_dict(), as_json, lambda: status_text(status, silent))

    run(go)


def _health_age(config: Config) -> timedelta:
    """How long a daemon may go unheard and still count as running (health's default age)."""
    seconds = config.daemon.health_max_age_seconds or (3 * config.daemon.tick_seconds + 60)
    return timedelta(seconds=seconds)


def health_cmd(
    worker: Worker = None,
    max_age: Annotated[
        float | None,
        typer.Option(
            "--max-age", help="seconds since the last tick (or a busy daemon's beat) still healthy"
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Exit 0 when the database answers and a daemon ticked recently; else 1, with the reason.

    With --json, one object: healthy, reason, checked_at, max_age_seconds, worker."""
    from starcert.app import App
    from starcert.daemon_status import health

    config = run(load)
    age = timedelta(seconds=max_age) if max_age else _health_age(config)
    application = App(config)
    checked_at = SystemClock().now()
    try:
        ok, reason = health(application.database, checked_at, age, worker)
    except DatabaseUnavailable as exc:
        ok, reason = False, f"database unreachable: {exc}"
    except StarcertError as exc:  # no database there, or not at this starcert's schema
        ok, reason = False, str(exc)
    finally:
        application.close()
    data = {
        "healthy": ok,
        "reason": reason,
        "checked_at": checked_at.isoformat(),
        "max_age_seconds": age.total_seconds(),
        "worker": worker,
    }
    emit(data, as_json, lambda: ("healthy: " if ok else "unhealthy: ") + reason)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.command("fire-due")(fire_due)
    app.command("status")(status_cmd)
    app.command("health")(health_cmd)
