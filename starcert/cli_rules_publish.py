"""`starcert rules diff|impact|publish|history|show`: changing criteria safely.

The author sees what a file changes (diff, in words) and whom it changes (impact, read-only)
before publishing it; publishing stores it in the database, which is then the truth.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from engine import RuleFileError, RuleSet
from engine.diff import diff
from starcert.app import App
from starcert.cli_common import By, Json, fail, load, open_app, run
from starcert.rules_impact import WITH_DEADLINES, Impact, impact, terms_of, total_work
from starcert.rules_store import (
    Publication,
    check_file,
    publish,
    publish_refusal,
    ruleset_of,
    stored_versions,
)
from storage.database import open_database
from workflows.commands import RecomputeDeadlines
from workflows.deadlines import local_day
from workflows.errors import InvalidInput, StorageError
from workflows.ports import PublishedRules
from workflows.recompute import deadline_moves

Effective = Annotated[
    str | None,
    typer.Option("--effective", help="effective date YYYY-MM-DD (default: the file's own)"),
]


def refused(problems: Iterable[object]) -> typer.Exit:
    """A refused rule file is bad input (exit 2): each problem on its own file:line line."""
    typer.echo("\n".join(map(str, problems)), err=True)
    return typer.Exit(2)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"expected a date YYYY-MM-DD, got {text!r}") from None


@contextmanager
def _rule_errors() -> Iterator[None]:
    try:
        yield
    except RuleFileError as exc:
        raise refused(exc.problems) from None


# --- check: disk against database ---------------------------------------------------------------


def stored_for_check() -> tuple[list[PublishedRules] | None, str]:
    """The published versions, or None and why not (no database is not an error for `check`)."""
    try:
        config = load()
    except Exception as exc:
        return None, f"(not compared with the database: {exc})"
    url = config.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None, "(not compared with the database: it does not exist yet)"
    try:
        database = open_database(url)
        try:
            return stored_versions(database.unit_of_work), ""
        finally:
            database.close()
    except StorageError as exc:
        said = str(exc.__cause__ or exc)  # the database's own words, as it said them
        return None, f"(not compared with the database: {said.splitlines()[0]})"


def disk_vs_database(v: RuleSet, stored: list[PublishedRules]) -> str:
    same = next((p for p in stored if p.content_hash == v.content_hash), None)
    if same is not None:
        return (
            f"published as {same.ruleset} {same.version}, effective {same.effective_from} "
            "(same content)"
        )
    twin = next((p for p in stored if p.ruleset == v.name and p.version == v.version), None)
    if twin is not None:
        return (
            f"DIFFERS from published {twin.ruleset} {twin.version} (sha256 "
            f"{twin.content_hash[:12]}): the database copy is in force; give the file a new "
            "version and publish it to change anything"
        )
    return "not published"


# --- diff ---------------------------------------------------------------------------------------


def _version_or_file(ref: str, application: App | None) -> RuleSet:
    path = Path(ref)
    if path.exists():
        return check_file(path)
    if application is None:
        raise fail(4, f"{ref}: no such file")
    with application.uow() as uow:
        rows = [r for r in uow.rule_versions.list() if r.version == ref]
    if not rows:
        raise fail(4, f"{ref}: neither a file nor a published version")
    return ruleset_of(rows[0])


def diff_cmd(
    old: Annotated[str, typer.Argument(help="rule file, or a published version (e.g. 1)")],
    new: Annotated[str, typer.Argument(help="rule file, or a published version")],
    as_json: Json = False,
) -> None:
    """What changed from OLD to NEW, rule by rule, in words."""

    def go() -> None:
        with _rule_errors():
            needs_db = not (Path(old).exists() and Path(new).exists())
            if needs_db:
                with open_app() as application:
                    a, b = _version_or_file(old, application), _version_or_file(new, application)
            else:
                a, b = _version_or_file(old, None), _version_or_file(new, None)
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


def _with_effective(ruleset: RuleSet, effective: str | None) -> RuleSet:
    if effective is None:
        return ruleset
    return ruleset.published_as(_day(effective, "--effective"), ruleset.source)


def _impact_of(application: App, new: RuleSet, show_progress: bool) -> Impact:
    now = application.clock.now()
    zone = application.config.zone
    book = application.rules.book
    if not show_progress:
        return impact(application.database.reads, book, new, now=now, zone=zone)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("re-evaluating", total=total_work(application.database.reads))
        return impact(
            application.database.reads,
            book,
            new,
            now=now,
            zone=zone,
            progress=lambda n: bar.advance(task, n),
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def impact_cmd(
    path: Annotated[Path, typer.Argument(help="the new rule file")],
    effective: Effective = None,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="one CSV row per changed case")] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="progress bar on stderr (default: when it is a terminal)",
        ),
    ] = None,
) -> None:
    """Who the new version would change: re-evaluates every certificate and open application
    under it as of its effective date (without --effective: the file's own, or today if that is
    past, the earliest publish accepts). Reads only; writes nothing. Says so when publish would
    refuse the version as it stands."""

    def go() -> None:
        with _rule_errors():
            written = check_file(path)
            with open_app() as application:
                today = local_day(application.clock.now(), application.config.zone)
                new = _with_effective(
                    written, effective or max(written.effective_from, today).isoformat()
                )
                refusal = publish_refusal(application.uow, new, today)
                show = sys.stderr.isatty() if progress is None else progress
                report = _impact_of(application, new, show)
        if refusal is not None:
            typer.echo(f"warning: publish would refuse this version: {refusal}", err=True)
        if as_json:
            data = report.to_dict()
            data["publish_refusal"] = refusal
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        elif as_csv:
            typer.echo(_csv(report), nl=False)
        else:
            typer.echo(_impact_text(report))

    run(go)


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
        with _rule_errors(), open_app() as application:
            application.rules  # noqa: B018 - a new database first holds the shipped rules
            now = application.clock.now()
            done = publish(
                application.uow,
                Publication(
                    path=path,
                    effective_from=_day(effective, "--effective"),
                    author=by,
                    today=local_day(now, application.config.zone),
                    now=now,
                    backdate_reason=backdate,
                ),
            )
            application.rules.refresh()
            moved = recompute(application, done.ruleset, done.previous, by)
        row = done.row
        if as_json:
            typer.echo(
                json.dumps(
                    {**_row_dict(row), "deadlines_moved_cases": moved}, indent=2, ensure_ascii=False
                )
            )
            return
        typer.echo(
            f"published {row.ruleset} {row.version} (sha256 {row.content_hash[:12]}), "
            f"in force from {row.effective_from}, by {row.published_by}"
            + (f"; backdated: {row.backdate_reason}" if row.backdate_reason else "")
        )
        if done.file_date_differs:
            typer.echo(
                f"  note: the file says effective_from {check_file(path).effective_from};"
                f" the published date {row.effective_from} governs"
            )
        if done.previous is not None:
            for change in diff(done.previous, done.ruleset):
                typer.echo(f"  {change.what:<8} {change}")
        typer.echo(f"  deadlines moved on {moved} certificate{'s' if moved != 1 else ''}")

    run(go)


def recompute(application: App, new: RuleSet, previous: RuleSet | None, by: str) -> int:
    """Move open deadlines of certificates not yet past them to the new lifecycle numbers.

    The moves are found read-only in bulk; only the cases that move get a command (one
    transaction and one event each), so publishing over a large register stays quick.
    """
    if previous is not None and previous.lifecycle == new.lifecycle:
        return 0
    zone = application.config.zone
    terms = terms_of(new)
    reads = application.database.reads
    cases = reads.cases(WITH_DEADLINES)
    open_rows = reads.deadlines_by_case()
    moved = 0
    for case in cases:
        assert case.id is not None
        if deadline_moves(case, open_rows.get(case.id, ()), terms, new.effective_from, zone):
            result = application.lifecycle.handle(
                RecomputeDeadlines(case.id, new.effective_from, by=by)
            )
            moved += bool(result.events)
    return moved


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
        "backdate_reason": row.backdate_reason,
    }


def _in_force(rows: list[PublishedRules], today: date) -> PublishedRules | None:
    started = [r for r in rows if r.effective_from <= today]
    return max(started, key=lambda r: r.effective_from, default=None)


def history_cmd(as_json: Json = False) -> None:
    """Every published version: what was (and will be) in force when, who published it."""

    def go() -> None:
        with open_app() as application:
            application.rules  # noqa: B018 - seeds the shipped rules on a new database
            rows = stored_versions(application.uow)
            today = local_day(application.clock.now(), application.config.zone)
        current = _in_force(rows, today)
        ordered = sorted(rows, key=lambda r: r.effective_from)
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {**_row_dict(r), "in_force": r is current, "until": _until(ordered, r)}
                        for r in ordered
                    ],
                    indent=2,
                )
            )
            return
        for r in ordered:
            mark = "*" if r is current else " "
            until = _until(ordered, r)
            span = f"{r.effective_from} .. {until or 'open'}"
            back = f"  backdated: {r.backdate_reason}" if r.backdate_reason else ""
            typer.echo(
                f"{mark} {r.ruleset} {r.version:<6} {span:<26} sha256 "
                f"{r.content_hash[:12]}  published {r.published_at:%Y-%m-%d %H:%M} by "
                f"{r.published_by}{back}"
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
    as_json: Json = False,
) -> None:
    """One published version: when it is in force, who published it, and its file as stored."""

    def go() -> None:
        with open_app() as application:
            application.rules  # noqa: B018 - seeds the shipped rules on a new database
            rows = [r for r in stored_versions(application.uow) if r.version == version]
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
            f"published {row.published_at:%Y-%m-%d %H:%M} by {row.published_by} from "
            f"{row.source_name}; sha256 {row.content_hash}"
            + (f"; backdated: {row.backdate_reason}" if row.backdate_reason else "")
        )
        typer.echo("---")
        typer.echo(row.content, nl=False)

    run(go)
