"""`starcert rules diff|impact`: what a new rule file changes, in words, and whom it changes.

The author sees both before publishing (starcert.cli.rules_publish_commands); neither writes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starcert.cli.command_kit import (
    Json,
    ProgressOpt,
    fail,
    load,
    open_app,
    parse_day,
    rule_errors,
    run,
)
from starcert.cli.progress_bar import progress_bar, wanted

if TYPE_CHECKING:
    from engine import RuleSet
    from engine.file_cap import FileCap
    from engine.team_rules import TeamRules
    from starcert.app import App
    from starcert.rules_authoring import Preview
    from starcert.rules_impact import Impact

Effective = Annotated[
    str | None,
    typer.Option("--effective", help="effective date YYYY-MM-DD (default: the file's own)"),
]


# --- diff ---------------------------------------------------------------------------------------


def _version_or_file(ref: str, application: App | None, cap: FileCap) -> RuleSet | TeamRules:
    from starcert.cli.team_rules_checking import is_team_file, team_version_or_file
    from starcert.rules_authoring import published_version
    from starcert.rules_store import check_file

    path = Path(ref)
    if is_team_file(path):
        return team_version_or_file(ref, application, cap)
    if path.exists():
        return check_file(path, cap)
    if application is None:
        raise fail(4, f"{ref}: no such file")
    found = published_version(application, ref)
    if found is None:
        raise fail(4, f"{ref}: neither a file nor a published version")
    return found


def diff_cmd(
    old: Annotated[str, typer.Argument(help="rule file, or a published version (e.g. 1)")],
    new: Annotated[str, typer.Argument(help="rule file, or a published version")],
    team: Annotated[
        bool,
        typer.Option("--team", help="published versions are the team rules' (files say so)"),
    ] = False,
    as_json: Json = False,
) -> None:
    """What changed from OLD to NEW, rule by rule, in words (criteria or team rules alike)."""

    def go() -> None:
        from engine.diff import diff
        from engine.team_diff import team_diff
        from engine.team_rules import TeamRules
        from starcert.cli.team_rules_checking import is_team_file, team_version_or_file
        from starcert.rule_publication import file_cap

        teams = team or any(is_team_file(Path(ref)) for ref in (old, new))
        pick = team_version_or_file if teams else _version_or_file
        a: RuleSet | TeamRules
        b: RuleSet | TeamRules
        with rule_errors():
            needs_db = not (Path(old).exists() and Path(new).exists())
            if needs_db:
                with open_app() as application:
                    cap = file_cap(application.config)
                    a, b = pick(old, application, cap), pick(new, application, cap)
            else:
                cap = file_cap(load())
                a, b = pick(old, None, cap), pick(new, None, cap)
        if isinstance(a, TeamRules) and isinstance(b, TeamRules):
            changes = team_diff(a, b)
        elif isinstance(a, TeamRules) or isinstance(b, TeamRules):
            raise fail(2, f"{old} and {new}: one is team rules, the other criteria")
        else:
            changes = diff(a, b)
        if as_json:
            typer.echo(
                json.dumps(
                    {"old": a.label, "new": b.label, "changes": [c.to_dict() for c in changes]},
                    indent=2,
                )
            )
            return
        typer.echo(
            f"{a.label} ({a.source}) -> {b.label} ({b.source}): "
            f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        )
        for change in changes:
            typer.echo(f"  {change.what:<8} {change}")

    run(go)


# --- impact -------------------------------------------------------------------------------------


def _preview(
    application: App, written: RuleSet, effective: str | None, as_json: bool, progress: bool | None
) -> Preview:
    from starcert.rules_authoring import preview
    from starcert.rules_impact import total_work

    day = None if effective is None else parse_day(effective, "--effective")
    if not wanted(as_json, progress):
        return preview(application, written, day)
    total = total_work(application.database.reads)
    with progress_bar(True) as bar:
        return preview(application, written, day, lambda n: bar.advance("re-evaluating", n, total))


def impact_cmd(
    path: Annotated[Path, typer.Argument(help="the new rule file")],
    effective: Effective = None,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="one CSV row per changed case")] = False,
    progress: ProgressOpt = None,
) -> None:
    """Who the new version would change: re-evaluates every certificate and open application
    under it as of its effective date (without --effective: the file's own, or today if that is
    past, the earliest publish accepts). Reads only; writes nothing. Says so when publish would
    refuse the version as it stands."""

    def go() -> None:
        from starcert.cli.team_rules_checking import is_team_file
        from starcert.rule_publication import file_cap
        from starcert.rules_store import check_file

        if is_team_file(path):
            _team_impact(path, effective, as_json)
            return
        with rule_errors(), open_app() as application:
            written = check_file(path, file_cap(application.config))
            previewed = _preview(application, written, effective, as_json, progress)
        if previewed.refusal is not None:
            typer.echo(f"warning: publish would refuse this version: {previewed.refusal}", err=True)
        if as_json:
            typer.echo(json.dumps(previewed.to_dict(), indent=2, ensure_ascii=False))
        elif as_csv:
            typer.echo(_csv(previewed.impact), nl=False)
        else:
            typer.echo(_impact_text(previewed.impact))

    run(go)


def _team_impact(path: Path, effective: str | None, as_json: bool) -> None:
    """`rules impact` of a team rule file: the audit time of every open case and the accepted
    teams, before and after (starcert.team_impact says what it compares)."""
    from engine.file_cap import read_rule_file
    from starcert.rule_publication import file_cap
    from starcert.team_impact import team_file_impact

    day = None if effective is None else parse_day(effective, "--effective")
    with rule_errors(), open_app() as application:
        data = read_rule_file(path, file_cap(application.config))
        report = team_file_impact(application, data, str(path), day)
    typer.echo(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else report.text()
    )


CSV_FIELDS = (
    "case_id",
    "number",
    "holder",
    "state",
    "change",
    "before",
    "after",
    "detail",
    "decided_by_new",
)


def _csv(report: Impact) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for change in report.changes:
        writer.writerow(change.to_dict())
    return out.getvalue()


def _impact_text(report: Impact) -> str:
    lines = [
        f"impact of {report.new} from {report.effective_from}: "
        f"{report.certificates} certificates, {report.applications} open applications, "
        f"{report.with_deadlines} certificates with deadlines re-evaluated"
    ]
    counts = report.counts
    if not counts:
        lines.append("  nobody changes")
    for kind, n in counts.items():
        lines.append(f"  {kind:<24} {n}")
    for c in report.changes:
        what_if = "" if c.decided_by_new else " [what-if: reviewed under the older version]"
        lines.append(
            f"{c.change:<24} case {c.case_id} {c.number or '-'} {c.holder}: "
            f"{c.before} -> {c.after}; {c.detail}{what_if}"
        )
    return "\n".join(lines)
