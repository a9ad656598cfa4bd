"""`starcert simulate`: the daemon's code on a simulated clock, over a throw-away database."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starcert.cli import collector
from starcert.cli.command_kit import (
    Json,
    ProgressOpt,
    emit,
    load,
    parse_instant,
    run,
    write_register_file,
)
from starcert.cli.progress_bar import progress_bar, wanted
from starcert.export import check_writable
from starcert.wall_clock import SystemClock
from workflows.errors import InvalidInput

if TYPE_CHECKING:
    from starcert.config import Config

MAX_POPULATION = 1_000_000
"""Ten times the largest population measured (bench/README.md); a typo of more digits would run
for days with nothing to show."""


def _start_instant(text: str, option: str, config: Config) -> datetime:
    """A date means 10:00 that day in the body's time zone; an instant is taken as given.

    Both within the years the rules can date (1900-2999): past them the calendar overflows.
    """
    from engine.vocabulary import EARLIEST_DATE, LATEST_DATE

    try:
        day = date.fromisoformat(text)
    except ValueError:
        instant = parse_instant(text, option)
    else:
        instant = datetime.combine(day, time(10, 0), tzinfo=config.zone).astimezone(UTC)
    if not EARLIEST_DATE.year <= instant.year <= LATEST_DATE.year:
        raise InvalidInput(
            option,
            f"{text} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}, the years rules date",
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
    progress: ProgressOpt = None,
) -> None:
    """Drive the daemon's code on a simulated clock, from --from to --to, and show the register."""
    from starcert.app import App
    from starcert.config import DatabaseConfig
    from starcert.simulate import Simulation, summary_text
    from starcert.simulation_target import refuse_live_database
    from storage.database import upgrade
    from workflows.fake_clock import FakeClock

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
            collector.resume()  # the simulation decides when to collect
            try:
                simulation = Simulation(application, clock, seed=seed, operators=operators)
                show = wanted(as_json, progress)
                with progress_bar(show) as bar:
                    report = simulation.run(finish, population=population, progress=bar.update)
                if out_csv is not None:
                    write_register_file(application, out_csv, "--csv", show_progress=show)
            finally:
                application.close()
        emit(report.as_dict(), as_json, lambda: summary_text(report))

    run(go)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
