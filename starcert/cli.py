"""The operator CLI: `starcert ...`. Exit codes and error lines: see starcert.cli_common."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from starcert import cli_api, cli_daemon, cli_users, views
from starcert.cli_common import (
    MAX_ID,
    STATE,
    By,
    CaseRef,
    ConfigOpt,
    Json,
    Reason,
    case_id,
    emit,
    fail,
    load,
    not_utf8,
    open_app,
    run,
    show_result,
    transition,
    write_register,
    write_register_file,
)
from starcert.cli_rules import rules_app
from starcert.export import check_writable
from starcert.inputs import parse_date, parse_facts, parse_sheet, read_document
from storage.database import DatabaseMissing, address
from workflows import commands as cmd
from workflows.credit_code import LENGTH as CREDIT_CODE_LENGTH
from workflows.errors import InvalidInput, OrganisationNotFound, StorageError
from workflows.model import AuditKind, Case, Organisation, StarLevel, State, SuspensionCause
from workflows.ports import UnitOfWork

app = typer.Typer(
    help="starcert: GB/T 27922 after-sales service certification.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
audit_app = typer.Typer(help="Audits and the audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(audit_app, name="audit")
app.add_typer(rules_app, name="rules")
cli_daemon.register(app)
cli_users.register(app)
cli_api.register(app)


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    STATE["config_path"] = config


# --- database ------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration."""
    from storage.database import current, upgrade

    def go() -> None:
        config = load()
        config.paths.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(config.database_url)
        typer.echo(
            f"database {views.safe_url(config.database_url)} at {current(config.database_url)}"
        )

    run(go)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from storage.database import current

    def go() -> None:
        config = load()
        path = address(config.database_url).sqlite_file
        if path is not None and not path.exists():
            raise DatabaseMissing(path)
        typer.echo(current(config.database_url) or "empty (run: starcert db upgrade)")

    run(go)


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="file to write the copy to")],
    force: Annotated[bool, typer.Option("--force", help="replace the file if it exists")] = False,
) -> None:
    """Copy the SQLite database to PATH while the daemon runs (online and consistent).

    PostgreSQL is backed up with pg_dump; this says how.
    """
    from storage.database import backup_sqlite

    def go() -> None:
        config = load()
        url = address(config.database_url)
        if url.libpq_url is not None:  # PostgreSQL, without the password (pg_dump asks)
            raise InvalidInput(
                "database_url",
                "db backup copies SQLite databases; back PostgreSQL up with pg_dump, e.g. "
                f"pg_dump --format=custom --file={path} "
                f"'{url.libpq_url}'",
            )
        source = url.sqlite_file
        if source is None:
            raise InvalidInput("database_url", "an in-memory database has nothing to back up")
        if not source.exists():
            raise DatabaseMissing(source)
        if _same_file(path, source):
            raise InvalidInput("PATH", f"{path} is the database itself")
        if path.exists() and not path.is_dir() and not force:
            raise InvalidInput("PATH", f"{path} exists: give --force to replace it")
        check_writable(path, "PATH")
        try:
            size = backup_sqlite(source, path)
        except (StorageError, OSError) as exc:  # a full disk, a damaged database
            raise fail(1, f"backup to {path} failed, nothing written: {exc}") from None
        typer.echo(f"backup of {source} written to {path} ({size} bytes)")

    run(go)


def _same_file(path: Path, database: Path) -> bool:
    target = path.expanduser().resolve()
    live = database.resolve()
    return target in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm"))


# --- organisations and applications --------------------------------------------------------------


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Option("--name", help="registered name")],
    credit_code: Annotated[str, typer.Option("--credit-code", help="unified social credit code")],
    by: By,
    as_json: Json = False,
) -> None:
    """Register an organisation."""

    def go() -> None:
        with open_app() as application:
            result = application.lifecycle.handle(
                cmd.RegisterOrganisation(name=name, credit_code=credit_code, by=by)
            )
            assert result.organisation_id is not None
            with application.uow() as uow:
                org = uow.organisations.get(result.organisation_id)
            data = {"id": org.id, "name": org.name, "credit_code": org.credit_code}
            emit(data, as_json, lambda: f"organisation {org.id}: {org.name} ({org.credit_code})")

    run(go)


@org_app.command("show")
def org_show(
    ref: Annotated[str, typer.Argument(help="organisation id, or its unified social credit code")],
    as_json: Json = False,
) -> None:
    """An organisation and its cases, found by id or by credit code."""

    def go() -> None:
        with open_app() as application, application.uow() as uow:
            org = _organisation(uow, ref)
            assert org.id is not None
            cases = uow.reads.cases_of_organisation(org.id)
        data = {
            "id": org.id,
            "name": org.name,
            "credit_code": org.credit_code,
            "cases": [views.case_dict(k) for k in cases],
        }
        lines = [f"organisation {org.id}: {org.name} ({org.credit_code})"]
        lines += [f"  {views.case_line(k)}" for k in cases] or ["  no cases"]
        emit(data, as_json, lambda: "\n".join(lines))

    run(go)


def _organisation(uow: UnitOfWork, ref: str) -> Organisation:
    """By id (digits, shorter than a credit code) or by the 18-character credit code."""
    text = ref.strip().upper()
    if text.isdigit() and len(text) < CREDIT_CODE_LENGTH:
        if int(text) > MAX_ID:
            raise OrganisationNotFound(f"organisation {ref} not found")
        return uow.organisations.get(int(text))
    by_code = uow.organisations.by_credit_code(text)
    if by_code is None:
        raise OrganisationNotFound(f"no organisation has the credit code {ref}")
    return by_code


@app.command("apply")
def apply(
    org: Annotated[int, typer.Option("--org", help="organisation id", min=1, max=MAX_ID)],
    submitted: Annotated[str, typer.Option("--submitted", help="application date YYYY-MM-DD")],
    since: Annotated[
        str, typer.Option("--since", help="date the after-sales service system started")
    ],
    scope: Annotated[str, typer.Option("--scope", help="certification scope")],
    facts: Annotated[Path, typer.Option("--facts", help="prerequisite facts (YAML or JSON)")],
    by: By,
    as_json: Json = False,
) -> None:
    """Submit an application; prints the new case."""

    def go() -> None:
        command = cmd.SubmitApplication(
            organisation_id=org,
            submitted_on=parse_date(submitted, "--submitted"),
            service_system_since=parse_date(since, "--since"),
            scope=scope,
            facts=parse_facts(read_document(facts), str(facts)),
            by=by,
        )
        with open_app() as application:
            show_result(application.lifecycle.handle(command), as_json)

    run(go)


@app.command("review")
def review(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Application review: accept (stage 1 next) or refuse, by the rules in force."""
    transition(lambda cid: cmd.ReviewApplication(case_id=cid, by=by), ref, as_json)


# --- audits --------------------------------------------------------------------------------------


@audit_app.command("record")
def audit_record(
    ref: CaseRef,
    kind: Annotated[AuditKind, typer.Option("--kind", help="which audit")],
    on: Annotated[str, typer.Option("--date", help="audit date YYYY-MM-DD")],
    auditor: Annotated[str, typer.Option("--auditor", help="lead auditor")],
    by: By,
    sheet: Annotated[
        Path | None,
        typer.Option(
            "--sheet", help="score sheet (YAML or JSON); not for stage 1, optional for special"
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Record an audit and apply what it decides (stage 2 → decision; surveillance re-bands).

    A special audit changes no state: it is put on the record (scored when it has a sheet) for
    the operator to act on.
    """

    def command_for(cid: int) -> Any:
        audit_date = parse_date(on, "--date")
        if kind is AuditKind.STAGE1:
            if sheet is not None:
                raise InvalidInput("--sheet", "a stage 1 document review has no score sheet")
            return cmd.RecordStage1(case_id=cid, audit_date=audit_date, auditor=auditor, by=by)
        parsed = None if sheet is None else parse_sheet(read_document(sheet), str(sheet))
        if kind is AuditKind.SPECIAL:
            return cmd.RecordSpecialAudit(cid, audit_date, auditor, parsed, by)
        if parsed is None:
            raise InvalidInput("--sheet", f"a {kind.value} audit needs a score sheet")
        kinds: dict[AuditKind, Any] = {
            AuditKind.STAGE2: cmd.RecordStage2,
            AuditKind.SURVEILLANCE: cmd.RecordSurveillance,
            AuditKind.RECERTIFICATION: cmd.RecordRecertification,
        }
        return kinds[kind](case_id=cid, audit_date=audit_date, auditor=auditor, sheet=parsed, by=by)

    transition(command_for, ref, as_json, sheet=sheet)


@audit_app.command("verify")
def audit_verify(as_json: Json = False) -> None:
    """Check every case's event hash chain, and its row against it; name the first break."""

    def go() -> None:
        from workflows.audit_trail import verify_log

        with open_app() as application, application.uow() as uow:
            report = verify_log(uow.events, case_row=uow.cases.get)
        data = {
            "ok": report.ok,
            "cases_checked": report.cases_checked,
            "events_checked": report.events_checked,
            "broken": views.plain(report.broken),
            "first_broken_link": str(report.broken) if report.broken else None,
        }

        def human() -> str:
            if report.broken is None:
                return f"ok: {report.cases_checked} chains, {report.events_checked} events verify"
            return f"BROKEN: {report.broken}"

        emit(data, as_json, human)
        if not report.ok:
            raise typer.Exit(1)

    run(go)


@app.command("decide")
def decide(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Certification decision from the stage 2 score: certify with a star level, or refuse."""
    transition(lambda cid: cmd.Decide(case_id=cid, by=by), ref, as_json)


# --- suspension, restoration, withdrawal, cancellation ------------------------------------------


@app.command("suspend")
def suspend(
    ref: CaseRef,
    cause: Annotated[SuspensionCause, typer.Option("--cause")],
    reason: Reason,
    by: By,
    as_json: Json = False,
) -> None:
    """Suspend an active certificate."""
    transition(
        lambda cid: cmd.Suspend(case_id=cid, cause=cause, reason=reason, by=by), ref, as_json
    )


@app.command("restore")
def restore(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """End a suspension once its cause is cleared."""
    transition(lambda cid: cmd.Restore(case_id=cid, reason=reason, by=by), ref, as_json)


@app.command("withdraw")
def withdraw(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """Withdraw a certificate."""
    transition(lambda cid: cmd.Withdraw(case_id=cid, reason=reason, by=by), ref, as_json)


@app.command("cancel")
def cancel(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """Cancel at the client's request."""
    transition(lambda cid: cmd.Cancel(case_id=cid, reason=reason, by=by), ref, as_json)


# --- reading -------------------------------------------------------------------------------------


@app.command("show")
def show(ref: CaseRef, as_json: Json = False) -> None:
    """A case with its certificate, open deadlines, allowed triggers and full history."""

    def go() -> None:
        with open_app() as application:
            cid = case_id(application, ref)
            with application.uow() as uow:
                case = uow.cases.get(cid)
                events = list(uow.events.for_case(cid))
                deadlines = list(uow.deadlines.open_for_case(cid))
                audits = list(uow.audits.for_case(cid))
            checks = application.lifecycle.allowed_triggers(cid)
        data = views.case_detail_dict(case, events, deadlines, audits, checks)
        emit(data, as_json, lambda: views.case_detail_text(data))

    run(go)


@app.command("list")
def list_cases(
    state: Annotated[State | None, typer.Option("--state")] = None,
    star: Annotated[StarLevel | None, typer.Option("--star")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="only cases with a passed deadline")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_ID)] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_ID)] = 0,
    as_json: Json = False,
) -> None:
    """List cases by state, star level or overdue deadlines."""

    def go() -> None:
        with open_app() as application, application.uow() as uow:
            cases: list[Case] = list(
                uow.cases.list(
                    state=state,
                    star_level=star,
                    limit=None if overdue else limit,
                    offset=0 if overdue else offset,
                )
            )
            if overdue:
                late = set(uow.deadlines.overdue_case_ids(application.clock.now()))
                cases = [c for c in cases if c.id in late][offset : offset + limit]
        rows = [views.case_dict(c) for c in cases]
        emit(rows, as_json, lambda: "\n".join(views.case_line(c) for c in cases) or "no cases")

    run(go)


@app.command("export")
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
        with open_app() as application:
            if out is not None:
                write_register_file(application, out, "--out", bom=bom is not False)
                return
            if bom:
                sys.stdout.write("\ufeff")
            write_register(application, sys.stdout)

    run(go)


def main() -> None:
    problem = not_utf8(sys.argv[1:])
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        sys.exit(2)
    app()


if __name__ == "__main__":
    main()
