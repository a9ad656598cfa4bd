"""What every CLI module shares: options, the App for one command, errors to exit codes, output.

Exit codes: 0 done; 2 bad input; 3 transition refused; 4 not found; 5 conflict (retry);
1 any other starcert error. Errors go to stderr as one line naming what is wrong.

Importing a command module costs little (`starcert --help` imports them all): the App, and
through it the database and the rules engine, are imported by the helpers here that need them,
when a command calls them.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from starcert import export, views
from starcert.cli import collector, trigger_commands
from starcert.cli.progress_bar import progress_bar
from workflows.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    DatabaseUnavailable,
    IllegalTransition,
    InvalidInput,
    NotFound,
    StarcertError,
)

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.config import Config
    from workflows.change_set import Result

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="config file (default: $STARCERT_CONFIG or config.toml)"
    ),
]
By = Annotated[str, typer.Option("--by", metavar="NAME", help="operator who does this (recorded)")]
Reason = Annotated[str, typer.Option("--reason", metavar="TEXT", help="why (recorded)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
On = Annotated[
    str | None,
    typer.Option(
        "--on",
        metavar="DATE",
        help="the day it happened, YYYY-MM-DD (default today; not before the case's last event)",
    ),
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="progress bar on stderr (default: on a terminal, without --json)",
    ),
]
CaseRef = Annotated[str, typer.Argument(metavar="CASE", help="case id or certificate number")]
MAX_ID = 2**62
"""No row id is larger (the API's bound too); SQLite's integers end at 2**63, and a larger
number given to its driver fails with an OverflowError instead of finding nothing."""

STATE: dict[str, Any] = {}
T = TypeVar("T")


def load() -> Config:
    """The config named by --config (set by the main callback), else the default lookup."""
    from starcert.config import load_config

    return load_config(STATE.get("config_path"))


@contextmanager
def open_app() -> Iterator[App]:
    from starcert.app import App
    from starcert.wall_clock import clock_starting

    config = load()
    application = App(config, clock=clock_starting(config.clock_start))
    collector.resume()
    try:
        yield application
    finally:
        application.close()


def os_user() -> str | None:
    """The host account running the command, recorded beside the `--by` it declares.

    `getpass.getuser` takes LOGNAME, USER, LNAME or USERNAME first (as `login` and `sudo` set
    them), then the password database; None when neither names anyone.
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def fail(code: int, message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Turn starcert's errors into one stderr line and a distinct exit code."""
    try:
        return action()
    except InvalidInput as exc:  # a command's date `on` is the option --on
        raise fail(2, f"--on: {exc.message}" if exc.field == "on" else str(exc)) from None
    except IllegalTransition as exc:
        raise fail(3, str(exc)) from None
    except NotFound as exc:
        raise fail(4, str(exc)) from None
    except ConcurrencyConflict as exc:
        raise fail(5, f"{exc} (another change landed first; retry)") from None
    except DatabaseUnavailable as exc:  # the database cannot be reached or opened
        raise fail(1, f"database unreachable: {exc}") from None
    except StarcertError as exc:
        # Engine errors about facts or rule files are bad input too (they subclass ValueError).
        raise fail(2 if isinstance(exc, ValueError) else 1, str(exc)) from None


def not_utf8(args: Sequence[str]) -> str | None:
    """What is wrong with the first argument that is not UTF-8, else None.

    Python hands bytes the locale cannot decode (a GBK terminal's Chinese) on as lone surrogates,
    which no database stores: refuse them before any command runs.
    """
    for i, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            option = args[i - 1] if i and args[i - 1].startswith("--") else "argument"
            return f"{option}: {shown!r} is not UTF-8 text (is the terminal set to UTF-8?)"
    return None


def case_id(application: App, ref: str) -> int:
    """A case id, or the id of the case holding certificate number `ref`."""
    if ref.isascii() and ref.isdigit():  # "³" is a digit int() refuses
        if int(ref) > MAX_ID:
            raise CaseNotFound(f"case {ref} not found")
        return int(ref)
    from storage.database import case_holding

    number = ref.strip().upper()  # numbers are issued in upper case
    found = case_holding(application.database, number)
    assert found.id is not None
    return found.id


def emit(data: Any, as_json: bool, human: Callable[[], str]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else human())


def show_result(result: Result, as_json: bool) -> None:
    """A command's answer, from the case it wrote."""
    case = result.case
    assert case is not None
    data = {**views.case_dict(case), "note": result.note or None}
    note = f"\n  {result.note}" if result.note else ""
    emit(data, as_json, lambda: views.case_line(case) + note)


def one_of(choices: type[Enum]) -> str:
    """An option's choices for its help, as words a terminal wraps between, never inside."""
    return "one of: " + ", ".join(str(c.value) for c in choices)


def transition(
    command_for: Callable[[int], Any], ref: str, as_json: bool, *, sheet: Path | None = None
) -> None:
    """Run the command `command_for` builds on case `ref`; a refusal names the commands the
    operator can run instead (starcert.cli.trigger_commands)."""

    def go() -> None:
        from engine.rule_errors import FactError
        from starcert.inputs import sheet_problem

        with open_app() as application:
            cid = case_id(application, ref)
            try:
                result = application.case_service.handle(command_for(cid))
            except IllegalTransition as exc:
                raise fail(3, trigger_commands.refusal(exc, cid)) from None
            except FactError as exc:  # the engine's score_sheet.* is the operator's sheet file
                if sheet is None or not exc.fact.startswith("score_sheet."):
                    raise
                where = exc.fact.removeprefix("score_sheet.")
                raise sheet_problem(sheet, where, exc.message) from None
            show_result(result, as_json)

    run(go)


def register_rows(application: App, *, show_progress: bool = False) -> list[dict[str, str]]:
    """The certificate register (export.register_rows); with show_progress, a bar on the
    terminal while it is read (a large register takes seconds)."""
    with progress_bar(show_progress) as bar:
        bar.update("reading the register", 0, None)
        return export.register_rows(application.uow)


def write_register(
    application: App, stream: IO[str], *, bom: bool = False, show_progress: bool = False
) -> int:
    """The certificate register as CSV; cells a spreadsheet would run as formulas neutralised.
    How many rows it wrote."""
    rows = register_rows(application, show_progress=show_progress)
    export.write_register_csv(rows, stream, bom=bom)
    return len(rows)


def write_register_file(
    application: App, path: Path, option: str, *, bom: bool = True, show_progress: bool = False
) -> int:
    """The register as a CSV file at `path`, replaced whole or left as it was (starcert.export).
    How many rows it wrote."""
    rows = register_rows(application, show_progress=show_progress)
    export.write_file(path, lambda stream: export.write_register_csv(rows, stream, bom=bom), option)
    return len(rows)


def parse_instant(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not an ISO date or instant") from None
    if moment.tzinfo is None:
        raise InvalidInput(option, f"{text!r} has no time zone (add +08:00 or Z)")
    return moment.astimezone(UTC)


def refused(problems: Iterable[object]) -> typer.Exit:
    """A refused rule file is bad input (exit 2): each problem on its own file:line line."""
    typer.echo("\n".join(map(str, problems)), err=True)
    return typer.Exit(2)


def on_day(on: str | None) -> date | None:
    """The --on option's day; None (not given) means today."""
    return None if on is None else parse_day(on, "--on")


def parse_day(text: str, option: str) -> date:
    """An option's date, refused as every input's is (starcert.inputs.parse_date)."""
    from starcert.inputs import parse_date

    return parse_date(text, option)


@contextmanager
def rule_errors() -> Iterator[None]:
    """A rule file refused inside the block exits as `refused` does."""
    from engine.rule_errors import RuleFileError

    try:
        yield
    except RuleFileError as exc:
        raise refused(exc.problems) from None
