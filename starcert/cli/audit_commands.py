"""`starcert audit record|verify`: audits of a case, and the check of the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from starcert import views
from starcert.cli.command_kit import (
    By,
    CaseRef,
    Json,
    emit,
    open_app,
    run,
    transition,
)
from workflows import commands as cmd
from workflows.errors import InvalidInput
from workflows.model import AuditKind

audit_app = typer.Typer(help="Audits and the audit trail.", no_args_is_help=True)


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
        from starcert.inputs import parse_date, parse_sheet, read_document

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
