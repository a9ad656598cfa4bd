"""CLI commands of the daemon: serve, fire-due, status, health, incidents, simulate."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer

from engine.vocabulary import EARLIEST_DATE, LATEST_DATE
from starcert import views
from starcert.app import App
from starcert.cli_common import (
    MAX_ID,
    By,
    Json,
    Reason,
    emit,
    load,
    open_app,
    run,
    write_register_file,
)
from starcert.clock import ShiftedClock, SystemClock
from starcert.config import Config, DatabaseConfig
from starcert.daemon import Daemon, default_worker_name, is_database_down, is_write_conflict
from starcert.daemon_status import health, read_status, status_text
from starcert.export import check_writable
from starcert.incidents import list_incidents, resolve, retry
from workflows.deadline_runner import DeadlineRunner
from workflows.errors import DatabaseUnavailable, InvalidInput, StarcertError
from workflows.model import Deadline

Worker = Annotated[str | None, typer.Option("--worker", help="name in leases and logs")]
ClockStart = Annotated[
    str | None,
    typer.Option(
        "--clock-start",
        help="run on a clock that reads this ISO instant now and advances at real speed "
        "(rehearsals and tests; default: the real time)",
    ),
]

incidents_app = typer.Typer(help="Deadlines whose firing failed.", no_args_is_help=True)


def parse_instant(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not an ISO date or instant") from None
    if moment.tzinfo is None:
        raise InvalidInput(option, f"{text!r} has no time zone (add +08:00 or Z)")
    return moment.astimezone(UTC)


def runner_for(application: App, worker: str | None) -> DeadlineRunner:
    daemon = application.config.daemon
    return DeadlineRunner(
        lifecycle=application.lifecycle,
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
        config = load()
        clock = (
            ShiftedClock(parse_instant(clock_start, "--clock-start"))
            if clock_start
            else SystemClock()
        )
        application = App(config, clock=clock)
        try:
            runner = runner_for(application, worker)
            notes = config.notifications
            deliverer = None
            if notes.webhook_url:
                from starcert.notify import WebhookChannel
                from workflows.outbox_delivery import Deliverer

                deliverer = Deliverer(
                    uow_factory=application.uow,
                    channel=WebhookChannel(notes.webhook_url, notes.timeout_seconds),
                    clock=clock,
                    worker=runner.worker,
                    lease=timedelta(seconds=notes.timeout_seconds + 5),  # outlives one send
                    max_attempts=notes.max_attempts,
                    backoff=timedelta(seconds=notes.backoff_seconds),
                )
            daemon = Daemon(
                runner,
                clock=clock,
                heartbeats=application.database.heartbeats,
                tick_seconds=config.daemon.tick_seconds,
                deliverer=deliverer,
                deliver_seconds=notes.poll_seconds,
            )

            api = None
            if config.api.serve_with_daemon:
                from starcert.api.server import start_api_thread

                api = start_api_thread(application, config.api.host, config.api.port)

            def banner() -> None:
                shifted = f"  clock:    starts at {clock_start}\n" if clock_start else ""
                http = (
                    f"http://{config.api.host}:{config.api.port}  (/console, /verify, /openapi.json)"
                    if api
                    else "not served (set [api] serve_with_daemon, or run: starcert api)"
                )
                webhook = notes.webhook_url or "(none: reminders stay in the outbox)"
                typer.echo(
                    f"starcert daemon {runner.worker} (pid {os.getpid()})\n"
                    f"  database: {views.safe_url(config.database_url)}\n"
                    f"  rules:    {config.paths.rules_dir}\n{shifted}"
                    f"  webhook:  {webhook}\n"
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
) -> None:
    """Exit 0 when the database answers and a daemon ticked recently; else 1, with the reason."""
    config = run(load)
    default_age = _health_age(config)
    application = App(config)
    try:
        ok, reason = health(
            application.database,
            SystemClock().now(),
            timedelta(seconds=max_age) if max_age else default_age,
            worker,
        )
    except DatabaseUnavailable as exc:
        ok, reason = False, f"database unreachable: {exc}"
    except StarcertError as exc:  # no database there, or not at this starcert's schema
        ok, reason = False, str(exc)
    finally:
        application.close()
    typer.echo(("healthy: " if ok else "unhealthy: ") + reason)
    if not ok:
        raise typer.Exit(1)


def _incident_dict(d: Deadline) -> dict[str, object]:
    return {
        "id": d.id,
        "case": d.case_id,
        "kind": str(d.kind),
        "due_at": d.due_at.isoformat(),
        "attempts": d.attempts,
        "retry_after": d.claimed_until.isoformat() if d.claimed_until else None,
        "error": d.last_error,
    }


@incidents_app.command("list")
def incidents_list(as_json: Json = False) -> None:
    """Deadlines whose firing failed, with their error and next retry."""

    def go() -> None:
        with open_app() as application:
            rows = [_incident_dict(d) for d in list_incidents(application.uow)]

        def human() -> str:
            if not rows:
                return "no incidents"
            return "\n".join(
                f"deadline {r['id']} case {r['case']} {r['kind']} due {r['due_at']}: "
                f"{r['attempts']} attempts, retry after {r['retry_after']}: {r['error']}"
                for r in rows
            )

        emit(rows, as_json, human)

    run(go)


@incidents_app.command("retry")
def incidents_retry(
    deadline_id: Annotated[int, typer.Argument(help="deadline id", min=1, max=MAX_ID)], as_json: Json = False
) -> None:
    """Clear the back-off: the next daemon tick fires the deadline again."""

    def go() -> None:
        with open_app() as application:
            row = retry(application.uow, deadline_id)
        data = _incident_dict(row)
        emit(data, as_json, lambda: f"deadline {deadline_id} will be retried on the next tick")

    run(go)


@incidents_app.command("resolve")
def incidents_resolve(
    deadline_id: Annotated[int, typer.Argument(help="deadline id", min=1, max=MAX_ID)],
    reason: Reason,
    by: By,
    as_json: Json = False,
) -> None:
    """Close an incident without firing it; the case's trail records who and why."""

    def go() -> None:
        with open_app() as application:
            event = resolve(application.uow, application.clock, deadline_id, reason=reason, by=by)
        data = {"deadline": deadline_id, "case": event.case_id, "event_seq": event.seq}
        emit(
            data,
            as_json,
            lambda: f"deadline {deadline_id} resolved; case {event.case_id} event {event.seq}",
        )

    run(go)


MAX_POPULATION = 1_000_000
"""Ten times the largest population measured (bench/README.md); a typo of more digits would run
for days with nothing to show."""


def _start_instant(text: str, option: str, config: Config) -> datetime:
    """A date means 10:00 that day in the body's time zone; an instant is taken as given.

    Both within the years the rules can date (1900-2999): past them the calendar overflows.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        instant = parse_instant(text, option)
    else:
        instant = datetime.combine(day, time(10, 0), tzinfo=config.zone).astimezone(UTC)
    if not EARLIEST_DATE.year <= instant.year <= LATEST_DATE.year:
        raise InvalidInput(
            option, f"{text} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}, the years rules date"
        )
    return instant


def simulate_cmd(
    start: Annotated[str, typer.Option("--from", help="simulated start: YYYY-MM-DD or instant")],
    end: Annotated[str, typer.Option("--to", help="simulated end: YYYY-MM-DD or instant")],
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="database URL to run on, CHANGED by the run: a copy, never the installation's "
            "own (default: a throw-away SQLite)",
        ),
    ] = None,
    population: Annotated[
        int,
        typer.Option(
            "--population", min=0, max=MAX_POPULATION, help="certified cases to create at --from"
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the population")] = 1,
    operators: Annotated[
        bool,
        typer.Option(
            "--operators/--no-operators",
            help="play the body's side too: surveillances, re-certifications, restorations",
        ),
    ] = True,
    out_csv: Annotated[
        Path | None, typer.Option("--csv", help="write the resulting register as CSV here")
    ] = None,
    as_json: Json = False,
) -> None:
    """Drive the daemon's code on a simulated clock, from --from to --to, and show the register."""
    from starcert.simulate import Simulation, summary_text
    from starcert.simulation_target import refuse_live_database
    from storage.database import upgrade
    from workflows.clock import FakeClock

    def go() -> None:
        config = load()
        begin = _start_instant(start, "--from", config)
        finish = _start_instant(end, "--to", config)
        if finish <= begin:
            raise InvalidInput("--to", f"{end} is not after --from {start}")
        if database is not None:
            refuse_live_database(database, config.database_url, SystemClock().now())
        if out_csv is not None:
            check_writable(out_csv, "--csv")  # before the simulation, not after it
        with tempfile.TemporaryDirectory(prefix="starcert-sim-") as tmp:
            url = database or f"sqlite:///{Path(tmp) / 'simulation.db'}"
            upgrade(url)
            sim_config = config.model_copy(update={"database": DatabaseConfig(url=url)})
            clock = FakeClock(begin)
            application = App(sim_config, clock=clock)
            try:
                simulation = Simulation(application, clock, seed=seed, operators=operators)
                report = simulation.run(finish, population=population)
                if out_csv is not None:
                    write_register_file(application, out_csv, "--csv")
            finally:
                application.close()
        emit(report.as_dict(), as_json, lambda: summary_text(report))

    run(go)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.command("fire-due")(fire_due)
    app.command("status")(status_cmd)
    app.command("health")(health_cmd)
    app.command("simulate")(simulate_cmd)
    app.add_typer(incidents_app, name="incidents")


__all__ = ["register"]
