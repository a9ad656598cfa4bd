"""`starcert rules ...`: check, test and explain rule files.

Exit codes, as for every starcert command: 0 fine; 2 bad input (a rule file refused or an
example failing, each problem as file:line on stderr; a facts file or option that is wrong, in
one line); 4 not found (no version in force on the date); 1 any other error.

check, test and explain are declared here and done in starcert.cli.rules_checking, imported when
one runs: `starcert --help` does not load the rules engine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from starcert.cli.rules_preview_commands import diff_cmd, impact_cmd
from starcert.cli.rules_publish_commands import history_cmd, publish_cmd, show_cmd
from starcert.cli.rules_sheet_template import sheet_template_cmd

rules_app = typer.Typer(
    help="Rule files: check them, run their examples, explain a decision.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="a rule file, or a directory (every folder under it is a book); "
        "default: the config's [paths] rules_dir",
        show_default=False,
    ),
]


@rules_app.command("check")
def check(path: PathArg = None) -> None:
    """Validate rule files (and run their examples): every problem with file:line.

    Also says, for each file, whether the database holds it as published, holds another content
    under its version (edited after publishing: nothing changes until it is published again),
    or does not hold it yet.
    """
    from starcert.cli.rules_checking import check_files

    check_files(path)


@rules_app.command("test")
def test(path: PathArg = None) -> None:
    """Run every example case of the rule files and report each one."""
    from starcert.cli.rules_checking import test_files

    test_files(path)


@rules_app.command("explain")
def explain(
    facts: Annotated[
        Path | None,
        typer.Option("--facts", help="prerequisite facts, the file apply takes (YAML or JSON)"),
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option("--sheet", help="score sheet, the file audit record takes (YAML or JSON)"),
    ] = None,
    submitted: Annotated[
        str | None, typer.Option("--submitted", help="application date YYYY-MM-DD, as for apply")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="service system running since YYYY-MM-DD, as for apply"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="date YYYY-MM-DD (default: the application's)")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            help="a draft rule file or directory (default: the versions published in the "
            "database, as the daemon decides)",
            show_default=False,
        ),
    ] = None,
    checks: Annotated[
        list[str] | None, typer.Option("--check", help="application and/or scoring (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Print the decision the rules in force give for an application's facts and/or a score
    sheet, and why."""
    from starcert.cli.rules_checking import explain_facts

    explain_facts(facts, sheet, (submitted, since), as_of, rules, checks, as_json)


rules_app.command("diff")(diff_cmd)
rules_app.command("impact")(impact_cmd)
rules_app.command("publish")(publish_cmd)
rules_app.command("history")(history_cmd)
rules_app.command("show")(show_cmd)
rules_app.command("sheet-template")(sheet_template_cmd)

if __name__ == "__main__":
    rules_app(sys.argv[1:])
