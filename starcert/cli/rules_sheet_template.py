"""`starcert rules sheet-template`: a blank score sheet for the rule set in force.

An auditor fills in the points found after each indicator and hands the file, as it is, to
`audit record --sheet` (or `rules explain --sheet` to see the band first): the layout is the
one starcert.inputs reads, and every indicator of the version is there with its maximum.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starcert.cli.command_kit import fail, load

if TYPE_CHECKING:
    from engine import RuleSet
    from engine.ruleset import Indicator

COMMENT_AT = 30
"""The column the indicators' comments start at (the longest shipped id fits before it)."""


def sheet_template_cmd(
    version: Annotated[
        str | None,
        typer.Option("--version", help="a published version (default: the one in force today)"),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="a draft rule file or directory instead of the published"),
    ] = None,
) -> None:
    """Print a blank score sheet (YAML): every indicator with its points, to fill in."""
    from engine import RuleBook
    from engine.indexed_version import IndexedVersion
    from starcert.cli.rules_checking import explaining_rules
    from starcert.wall_clock import SystemClock
    from workflows.deadlines import local_day

    found = explaining_rules(rules)
    if version is not None:  # the book's index names its versions without parsing them
        versions = found.index if isinstance(found, RuleBook) else (found,)
        chosen = [v for v in versions if v.version == version]
        if not chosen:
            known = ", ".join(v.version for v in versions)
            raise fail(4, f"--version: no version {version} (known: {known})")
        picked = chosen[0]
        ruleset = picked.ruleset() if isinstance(picked, IndexedVersion) else picked
    elif isinstance(found, RuleBook):
        today = local_day(SystemClock().now(), load().zone)
        try:
            ruleset = found.in_force(today)
        except LookupError as exc:
            raise fail(4, str(exc)) from None
    else:  # a draft file given with --rules: its own sheet, whatever its date
        ruleset = found
    typer.echo(template(ruleset), nl=False)


def template(ruleset: RuleSet) -> str:
    """The blank sheet of `ruleset`, indicators grouped by dimension, in the file's order."""
    scoring = ruleset.scoring
    lines = [
        f"# Score sheet for {ruleset.name} version {ruleset.version} "
        f"(sha256 {ruleset.content_hash[:12]}): {len(scoring.indicators)} indicators, "
        f"{_n(scoring.total)} points.",
        "# After each indicator write the points found, from 0 to its maximum, or",
        "# {conforming: N, sampled: M} for a sampled one (its points in proportion).",
        "# An indicator that does not apply: delete its line and list it under excluded.",
        "# Then: starcert audit record CASE --kind stage2 ... --sheet THIS_FILE",
        "results:",
    ]
    for dimension in scoring.dimensions:
        lines.append(f"  # {dimension.name} ({dimension.id}): {_n(dimension.points)} points")
        lines += [_line(i) for i in scoring.indicators if i.dimension == dimension.id]
    lines += [
        "excluded: []                  # ids of the indicators that do not apply",
        "special_deductions: []        # one reason each, 1 point each, after normalisation",
        "special_bonus: null           # or the reason for the single bonus point",
    ]
    return "\n".join(lines) + "\n"


def _line(indicator: Indicator) -> str:
    key = f"  {indicator.id}:"
    what = f"# {indicator.name}: 0 to {_n(indicator.points)}"
    if indicator.items:
        what += " (items: " + ", ".join(f"{i.id} {_n(i.points)}" for i in indicator.items) + ")"
    return f"{key:<{COMMENT_AT}}{what}"


def _n(points: object) -> str:
    """Points as written in the rule file: 6, 6.5 (never 6.0 or 6E+1)."""
    text = format(points, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
