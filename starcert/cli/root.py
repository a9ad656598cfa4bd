"""The operator CLI, `starcert ...`: the top-level app, its --config option and `main`.

Each command group lives in a module of its own in this package. `starcert NAME ...` builds an
app holding only NAME's module (its imports and typer's work on the other forty-odd commands
are most of a short command's start-up); `starcert --help`, and any name not listed, get the
whole app. Exit codes and error lines: see starcert.cli.command_kit.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from starcert.cli import collector
from starcert.cli.command_kit import STATE, ConfigOpt, not_utf8

GROUPS: dict[str, str] = {
    "db": "db_commands:db_app",
    "org": "org_commands:org_app",
    "audit": "audit_commands:audit_app",
    "rules": "rules_commands:rules_app",
    "incidents": "incident_commands:incidents_app",
    "users": "user_commands:users_app",
    "auditor": "auditor_commands:auditor_app",
    "translations": "translation_commands:translations_app",
    "team": "team_commands:team_app",
    "certificate": "certificate_commands:certificate_app",
    "finding": "finding_commands:finding_app",
    "change": "change_commands:change_app",
    "plan": "plan_commands:plan_app",
}
"""Sub-command groups: name → module:Typer app."""

COMMANDS: dict[str, str] = {
    "serve": "daemon_commands",
    "fire-due": "daemon_commands",
    "status": "daemon_commands",
    "health": "daemon_commands",
    "simulate": "simulate_command",
    "api": "api_command",
    **dict.fromkeys(
        ("apply", "review", "decide", "suspend", "restore", "withdraw", "cancel", "show", "list"),
        "case_commands",
    ),
    "export": "case_commands",
}
"""Top-level commands: name → the module whose `register(app)` adds them."""

ORDER = (
    "db",
    "org",
    "auditor",
    "team",
    "plan",
    "audit",
    "finding",
    "change",
    "rules",
    "serve",
    "simulate",
    "incidents",
    "users",
    "translations",
    "api",
    "apply",
    "certificate",
)
"""The order of `starcert --help`: each group, or the first command of each module."""


def _version(wanted: bool) -> None:
    """`starcert --version`: the installed package, and the database schema it reads and writes."""
    if not wanted:
        return
    from importlib.metadata import version

    from storage.sql.schema import SCHEMA_REVISION

    typer.echo(f"starcert {version('starcert')} (database schema {SCHEMA_REVISION})")
    raise typer.Exit()


def _main(
    config: ConfigOpt = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="the starcert version and the database schema revision it expects",
        ),
    ] = False,
) -> None:
    STATE["config_path"] = config


def _add(app: typer.Typer, name: str) -> None:
    if name in GROUPS:
        module, attribute = GROUPS[name].split(":")
        group = getattr(importlib.import_module(f"starcert.cli.{module}"), attribute)
        app.add_typer(group, name=name)
    else:
        importlib.import_module(f"starcert.cli.{COMMANDS[name]}").register(app)


@functools.cache
def app_for(name: str | None) -> typer.Typer:
    """The app for `starcert NAME ...`: NAME's group or module alone; None: every command."""
    built = typer.Typer(
        help="starcert: GB/T 27922 after-sales service certification.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: no <bool> on flags, choice lists never cut mid-word
    )
    built.callback()(_main)
    if name is None:
        for first in ORDER:
            _add(built, first)
    elif name in GROUPS:
        _add(built, name)
    else:
        _add(built, next(n for n in ORDER if COMMANDS.get(n) == COMMANDS[name]))
    return built


def command_named(args: Sequence[str]) -> str | None:
    """The command `args` name, if it is one of ours (after `--config PATH` or `--config=PATH`)."""
    rest = list(args)
    while rest and rest[0].startswith("--config"):
        rest = rest[1:] if "=" in rest[0] else rest[2:]
    if rest and (rest[0] in GROUPS or rest[0] in COMMANDS):
        return rest[0]
    return None


def __getattr__(name: str) -> typer.Typer:
    """`starcert.cli.root.app`: the whole CLI, built when asked for (tests and doc tools)."""
    if name == "app":
        return app_for(None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    problem = not_utf8(sys.argv[1:])
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        sys.exit(2)
    collector.pause()
    try:
        app_for(command_named(sys.argv[1:]))()
    finally:
        STATE.clear()  # this run's --config ends with it, even where several run in one process
        collector.resume()
