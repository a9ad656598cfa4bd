"""`starcert rules publish|history|show`: storing a rule file as a version, and reading them back.

Publishing stores the file in the database, which is then the truth, and moves the open
deadlines its lifecycle numbers change. History and show read the stored rows only: they
neither parse nor compile a version.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starcert.cli.command_kit import (
    By,
    Json,
    fail,
    open_app,
    os_user,
    parse_day,
    rule_errors,
    run,
)
from workflows.deadlines import local_day
from workflows.ports import PublishedRules

if TYPE_CHECKING:
    from starcert.app import App

# --- publish ------------------------------------------------------------------------------------


def publish_cmd(
    path: Annotated[Path, typer.Argument(help="the rule file to publish")],
    effective: Annotated[str, typer.Option("--effective", help="effective date YYYY-MM-DD")],
    by: By,
    backdate: Annotated[
        str | None,
        typer.Option("--backdate", help="reason for an effective date in the past (recorded)"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Validate, run the examples and store the file as a new version in force from --effective;
    then move the open deadlines its lifecycle numbers change (one event per moved case)."""

    def go() -> None:
        from engine.diff import diff
        from engine.file_cap import read_rule_file
        from engine.ruleset import RuleSet
        from starcert.rule_publication import file_cap
        from starcert.rules_authoring import publish_file

        with rule_errors(), open_app() as application:
            publishing = publish_file(
                application,
                str(path),
                read_rule_file(path, file_cap(application.config)),  # refused unread when over
                parse_day(effective, "--effective"),
                by,
                os_user=os_user(),
                backdate_reason=backdate,
            )
        done, moved, signed = publishing.published, publishing.moved, publishing.checkpoint
        row = done.row
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        **_row_dict(row),
                        "deadlines_moved_cases": moved,
                        "checkpoint": signed,
                        "teams_refused": [t.to_dict() for t in publishing.teams_refused],
                        "teams_not_asked": [t.to_dict() for t in publishing.teams_not_asked],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        typer.echo(
            f"published {row.ruleset} {row.version} (sha256 {row.content_hash[:12]}), "
            f"in force from {row.effective_from}, by {_who(row)}"
            + (f"; backdated: {row.backdate_reason}" if row.backdate_reason else "")
        )
        if done.file_date_differs:
            typer.echo(
                f"  note: the file says effective_from {done.file_effective_from};"
                f" the published date {row.effective_from} governs"
            )
        if done.previous is not None and isinstance(done.ruleset, RuleSet):
            for change in diff(done.previous, done.ruleset):
                typer.echo(f"  {change.what:<8} {change}")
        typer.echo(f"  deadlines moved on {moved} certificate{'s' if moved != 1 else ''}")
        for team in (*publishing.teams_refused, *publishing.teams_not_asked):
            a = team.assignment
            typer.echo(
                f"  warning: {team.text()}; accept a team again: starcert plan accept "
                f"{a.case_id} --auditors ... --from {a.starts_on}",
                err=True,
            )
        if signed is not None:
            typer.echo(f"  checkpoint {signed} signed over every chain head")

    run(go)


def _who(row: PublishedRules) -> str:
    """The author as declared, and the host account that ran the command when one did."""
    host = f" (os user {row.published_by_os_user})" if row.published_by_os_user else ""
    return row.published_by + host


# --- history and show ---------------------------------------------------------------------------


def _row_dict(row: PublishedRules) -> dict[str, Any]:
    return {
        "id": row.id,
        "ruleset": row.ruleset,
        "version": row.version,
        "content_hash": row.content_hash,
        "source_name": row.source_name,
        "effective_from": row.effective_from.isoformat(),
        "published_at": row.published_at.isoformat(),
        "published_by": row.published_by,
        "published_by_os_user": row.published_by_os_user,
        "backdate_reason": row.backdate_reason,
    }


def _published(application: App) -> list[PublishedRules]:
    """Every stored version, as stored; a new database first gets the shipped rule files."""
    application.publish_shipped_rules()
    with application.uow() as uow:
        return list(uow.rule_versions.list())


def _in_force(rows: list[PublishedRules], today: date) -> PublishedRules | None:
    started = [r for r in rows if r.effective_from <= today]
    return max(started, key=lambda r: r.effective_from, default=None)


def _same_set(rows: list[PublishedRules], row: PublishedRules) -> list[PublishedRules]:
    """The versions of `row`'s rule set: the criteria and the team rules each have their own."""
    return [r for r in rows if r.ruleset == row.ruleset]


def history_cmd(as_json: Json = False) -> None:
    """Every published version: what was (and will be) in force when, who published it. The
    criteria and the team rules each have their own history, listed one after the other."""

    def go() -> None:
        from workflows.rule_kind import TEAM, row_kind

        with open_app() as application:
            rows = _published(application)
            today = local_day(application.clock.now(), application.config.zone)
        current = {id(_in_force(_same_set(rows, r), today)) for r in rows}
        ordered = sorted(rows, key=lambda r: (row_kind(r) == TEAM, r.ruleset, r.effective_from))
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {
                            **_row_dict(r),
                            "in_force": id(r) in current,
                            "until": _until(_same_set(ordered, r), r),
                        }
                        for r in ordered
                    ],
                    indent=2,
                )
            )
            return
        for r in ordered:
            mark = "*" if id(r) in current else " "
            until = _until(_same_set(ordered, r), r)
            span = f"{r.effective_from} .. {until or 'open'}"
            back = f"  backdated: {r.backdate_reason}" if r.backdate_reason else ""
            typer.echo(
                f"{mark} {r.ruleset} {r.version:<6} {span:<26} sha256 "
                f"{r.content_hash[:12]}  published {r.published_at:%Y-%m-%d %H:%M} by "
                f"{_who(r)}{back}"
            )
        typer.echo("(* in force today)")

    run(go)


def _until(ordered: list[PublishedRules], row: PublishedRules) -> str | None:
    later = [r for r in ordered if r.effective_from > row.effective_from]
    return None if not later else str(min(r.effective_from for r in later))


def show_cmd(
    version: Annotated[str, typer.Argument(help="published version, e.g. 2")],
    content: Annotated[
        bool,
        typer.Option("--content", help="only the file, byte for byte (to start a new version)"),
    ] = False,
    team: Annotated[
        bool, typer.Option("--team", help="a version of the team rules, not of the criteria")
    ] = False,
    as_json: Json = False,
) -> None:
    """One published version: when it is in force, who published it, and its file as stored."""

    def go() -> None:
        from workflows.rule_kind import TEAM, row_kind

        with open_app() as application:
            rows = [
                r
                for r in _published(application)
                if r.version == version and (row_kind(r) == TEAM) == team
            ]
        if not rows:
            raise fail(4, f"no published version {version!r} (see: starcert rules history)")
        row = rows[0]
        if content:
            sys.stdout.write(row.content)
            return
        if as_json:
            typer.echo(
                json.dumps({**_row_dict(row), "content": row.content}, indent=2, ensure_ascii=False)
            )
            return
        typer.echo(
            f"{row.ruleset} {row.version}: in force from {row.effective_from}; "
            f"published {row.published_at:%Y-%m-%d %H:%M} by {_who(row)} from "
            f"{row.source_name}; sha256 {row.content_hash}"
            + (f"; backdated: {row.backdate_reason}" if row.backdate_reason else "")
        )
        typer.echo("---")
        typer.echo(row.content, nl=False)

    run(go)
