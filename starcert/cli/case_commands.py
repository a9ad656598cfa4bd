"""The case commands at the top of `starcert`: apply, review, decide, suspend, restore, withdraw,
cancel, show, list, and the export of the certificate register."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from starcert import views
from starcert.cli.command_kit import (
    MAX_ID,
    By,
    CaseRef,
    Json,
    On,
    Reason,
    case_id,
    emit,
    on_day,
    one_of,
    open_app,
    run,
    show_result,
    transition,
    write_register,
    write_register_file,
)
from starcert.cli.progress_bar import wanted
from starcert.cli.trigger_commands import command_for
from starcert.export import check_writable
from workflows import commands as cmd
from workflows.model import StarLevel, State, SuspensionCause

LIST_LIMIT = 100
"""The cases `list` shows unless told otherwise (--limit N, --all)."""


def apply(
    org: Annotated[int, typer.Option("--org", help="organisation id", min=1, max=MAX_ID)],
    submitted: Annotated[str, typer.Option("--submitted", help="application date YYYY-MM-DD")],
    since: Annotated[
        str, typer.Option("--since", help="date the after-sales service system started")
    ],
    scope: Annotated[str, typer.Option("--scope", help="certification scope")],
    facts: Annotated[Path, typer.Option("--facts", help="prerequisite facts (YAML or JSON)")],
    by: By,
    area: Annotated[
        str | None,
        typer.Option("--area", help="professional area, of the config's [auditors] areas"),
    ] = None,
    personnel: Annotated[
        int | None,
        typer.Option("--personnel", help="effective personnel (full-time equivalents)", min=1),
    ] = None,
    sites: Annotated[int | None, typer.Option("--sites", help="number of sites", min=1)] = None,
    as_json: Json = False,
) -> None:
    """Submit an application; prints the new case. --area, --personnel and --sites are what the
    audit time and the team rules read (starcert team check)."""

    def go() -> None:
        from starcert.inputs import parse_date, read_facts
        from workflows.auditors import check_area

        command = cmd.SubmitApplication(
            organisation_id=org,
            submitted_on=parse_date(submitted, "--submitted"),
            service_system_since=parse_date(since, "--since"),
            scope=scope,
            facts=read_facts(facts),
            by=by,
            area=area,
            personnel=personnel,
            sites=sites,
        )
        with open_app() as application:
            if area is not None:
                check_area(area, application.config.auditors.areas, "--area")
            show_result(application.case_service.handle(command), as_json)

    run(go)


def review(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Application review: accept (stage 1 next) or refuse, by the rules in force."""
    transition(lambda cid: cmd.ReviewApplication(case_id=cid, by=by), ref, as_json)


def decide(ref: CaseRef, by: By, on: On = None, as_json: Json = False) -> None:
    """Certification decision from the stage 2 score: certify with a star level, or refuse.
    --on dates a decision entered late (its validity and deadlines run from that day)."""
    transition(lambda cid: cmd.Decide(case_id=cid, by=by, on=on_day(on)), ref, as_json)


# --- suspension, restoration, withdrawal, cancellation ------------------------------------------


def suspend(
    ref: CaseRef,
    cause: Annotated[
        SuspensionCause,
        typer.Option("--cause", metavar="CAUSE", help=one_of(SuspensionCause)),
    ],
    reason: Reason,
    by: By,
    on: On = None,
    as_json: Json = False,
) -> None:
    """Suspend an active certificate; --on dates a suspension entered late (its limit runs
    from that day)."""
    transition(lambda cid: cmd.Suspend(cid, cause, reason, by, on_day(on)), ref, as_json)


def restore(ref: CaseRef, reason: Reason, by: By, on: On = None, as_json: Json = False) -> None:
    """End a suspension once its cause is cleared; --on dates it when entered late."""
    transition(lambda cid: cmd.Restore(cid, reason, by, on_day(on)), ref, as_json)


def withdraw(ref: CaseRef, reason: Reason, by: By, on: On = None, as_json: Json = False) -> None:
    """Withdraw a certificate; --on dates it when entered late."""
    transition(lambda cid: cmd.Withdraw(cid, reason, by, on_day(on)), ref, as_json)


def cancel(ref: CaseRef, reason: Reason, by: By, on: On = None, as_json: Json = False) -> None:
    """Cancel at the client's request; --on dates it when entered late."""
    transition(lambda cid: cmd.Cancel(cid, reason, by, on_day(on)), ref, as_json)


# --- reading -------------------------------------------------------------------------------------


def show(
    ref: CaseRef,
    as_json: Json = False,
    only_versions: Annotated[
        bool,
        typer.Option("--versions", help="only the certificate's versions, each with its event"),
    ] = False,
) -> None:
    """A case with its certificate, open deadlines, allowed triggers and full history."""

    def go() -> None:
        with open_app() as application:
            cid = case_id(application, ref)
            with application.uow() as uow:
                case = uow.cases.get(cid)
                events = list(uow.events.for_case(cid))
                deadlines = list(uow.deadlines.open_for_case(cid))
                audits = list(uow.audits.for_case(cid))
                findings = list(uow.findings.for_case(cid))
            checks = application.allowed_triggers(cid)
            zone = application.config.zone
        data = views.case_detail_dict(case, events, deadlines, audits, checks, findings)

        def say(trigger: str) -> str:
            return command_for(trigger, cid)

        if only_versions:
            listed = data["versions"]
            said = "\n".join(views.versions_text(listed, zone)) or "    no certificate issued"
            emit(listed, as_json, lambda: f"case {cid}: certificate versions\n{said}")
            return
        emit(data, as_json, lambda: views.case_detail_text(data, zone, say))

    run(go)


def list_cases(
    state: Annotated[
        State | None, typer.Option("--state", metavar="STATE", help=one_of(State))
    ] = None,
    star: Annotated[
        StarLevel | None, typer.Option("--star", metavar="STAR", help=one_of(StarLevel))
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="only cases with a passed deadline")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, max=MAX_ID, help="at most N cases")
    ] = LIST_LIMIT,
    offset: Annotated[
        int, typer.Option("--offset", metavar="N", min=0, max=MAX_ID, help="skip the first N")
    ] = 0,
    every: Annotated[bool, typer.Option("--all", help="every case, however many")] = False,
    as_json: Json = False,
) -> None:
    """List cases by state, star level or overdue deadlines, in id order.

    When more cases match than it shows, it says how many on stderr (stdout keeps the list).
    """

    def go() -> None:
        with open_app() as application, application.uow() as uow:
            if overdue:
                late = set(uow.deadlines.overdue_case_ids(application.clock.now()))
                matching = [c for c in uow.cases.list(state=state, star_level=star) if c.id in late]
                total = len(matching)
                cases = matching[offset:] if every else matching[offset : offset + limit]
            else:
                found, total = uow.reads.search_cases(
                    state=state, star_level=star, limit=MAX_ID if every else limit, offset=offset
                )
                cases = list(found)
        rows = [views.case_dict(c) for c in cases]
        emit(rows, as_json, lambda: "\n".join(views.case_line(c) for c in cases) or "no cases")
        if len(cases) < total - offset:
            after = f" after the first {offset}" if offset else ""
            typer.echo(
                f"{len(cases)} of {total} cases shown{after} (--limit N or --all for more)",
                err=True,
            )

    run(go)


def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="file to write (default stdout)")
    ] = None,
    bom: Annotated[
        bool | None,
        typer.Option(
            "--bom/--no-bom",
            help="start with a UTF-8 byte order mark, for Excel (default: for --out, not stdout)",
        ),
    ] = None,
) -> None:
    """Export the certificate register as CSV (IAF CertSearch field names).

    Cells starting with = + - @ get a leading ' so that a spreadsheet shows them, never runs them.
    """

    def go() -> None:
        if out is not None:
            check_writable(out, "--out")  # before the database is opened: nothing to undo
        show = wanted(as_json=False)
        with open_app() as application:
            if out is not None:
                with_bom = bom is not False
                rows = write_register_file(
                    application, out, "--out", bom=with_bom, show_progress=show
                )
                typer.echo(f"wrote {out}: {_register_said(rows, with_bom)}")
                return
            rows = write_register(application, sys.stdout, bom=bool(bom), show_progress=show)
        typer.echo(f"wrote stdout: {_register_said(rows, bool(bom))}", err=True)

    run(go)


def _register_said(rows: int, bom: bool) -> str:
    """What `export` wrote, in words: rows, format, encoding."""
    mark = "UTF-8 with byte order mark" if bom else "UTF-8"
    return f"{rows} certificate{'s' if rows != 1 else ''}, CSV (IAF CertSearch fields), {mark}"


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.command("review")(review)
    app.command("decide")(decide)
    app.command("suspend")(suspend)
    app.command("restore")(restore)
    app.command("withdraw")(withdraw)
    app.command("cancel")(cancel)
    app.command("show")(show)
    app.command("list")(list_cases)
    app.command("export")(export)
