"""The operator CLI, `starcert ...`: the top-level app, its --config option and `main`.

Each command group lives in a module of its own in this package. Exit codes and error lines:
see starcert.cli.command_kit.
"""

from __future__ import annotations

import sys

import typer

from starcert.cli import (
    api_command,
    case_commands,
    daemon_commands,
    simulate_command,
    user_commands,
)
from starcert.cli.audit_commands import audit_app
from starcert.cli.command_kit import STATE, ConfigOpt, not_utf8
from starcert.cli.db_commands import db_app
from starcert.cli.incident_commands import incidents_app
from starcert.cli.org_commands import org_app
from starcert.cli.rules_commands import rules_app

app = typer.Typer(
    help="starcert: GB/T 27922 after-sales service certification.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Commands are listed in `starcert --help` in the order they are added here.
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(audit_app, name="audit")
app.add_typer(rules_app, name="rules")
daemon_commands.register(app)
simulate_command.register(app)
app.add_typer(incidents_app, name="incidents")
user_commands.register(app)
api_command.register(app)
case_commands.register(app)


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    STATE["config_path"] = config


def main() -> None:
    problem = not_utf8(sys.argv[1:])
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        sys.exit(2)
    try:
        app()
    finally:
        STATE.clear()  # this run's --config ends with it, even where several run in one process
