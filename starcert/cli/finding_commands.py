"""`starcert finding record|respond|close|reject|list`: an audit's findings and their corrective
actions (workflows.findings). A finding is named by its case and number (F1, or 1)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from starcert import views
from starcert.cli.command_kit import (
    By,
    CaseRef,
    Json,
    On,
    Reason,
    case_id,
    emit,
    fail,
    on_day,
    one_of,
    open_app,
    run,
)
from starcert.cli.trigger_commands import refusal
from workflows import commands as cmd
from workflows.errors import IllegalTransition, InvalidInput
from workflows.findings import FindingNotFound, Severity, finding_dict

finding_app = typer.Typer(help="Audit findings and their corrective actions.", no_args_is_help=True)

Number = Annotated[str, typer.Argument(metavar="FINDING", help="the finding's number: F1 or 1")]


@finding_app.command("record")
def finding_record(
    ref: CaseRef,
    severity: Annotated[
        Severity, typer.Option("--severity", metavar="SEVERITY", help=one_of(Severity))
    ],
    indicator: Annotated[
        str, typer.Option("--indicator", help="the scoring indicator it concerns, e.g. repair")
    ],
    evidence: Annotated[str, typer.Option("--evidence", help="what the auditor found")],
    by: By,
    audit: Annotated[
        int | None,
        typer.Option(
            "--audit", metavar="ID", help="the audit that raised it (default: the latest)"
        ),
    ] = None,
    on: On = None,
    as_json: Json = False,
) -> None:
    """Record a finding with one of the case's audits. A major one must be closed before the
    certification decision, and within the rule file's period."""

    def command_for(cid: int, latest: int | None) -> Any:
        chosen = audit if audit is not None else latest
        if chosen is None:
            raise InvalidInput("--audit", f"case {cid} has no audit on record yet")
        return cmd.RecordFinding(cid, chosen, severity, indicator, evidence, by, on_day(on))

    _finding_command(ref, command_for, None, as_json)


@finding_app.command("respond")
def finding_respond(
    ref: CaseRef,
    number: Number,
    cause: Annotated[str, typer.Option("--cause", help="the cause the client found")],
    correction: Annotated[str, typer.Option("--correction", help="what was corrected")],
    corrective_action: Annotated[
        str, typer.Option("--corrective-action", help="what keeps it from happening again")
    ],
    responded_on: Annotated[
        str, typer.Option("--responded-on", metavar="DATE", help="the response's date YYYY-MM-DD")
    ],
    by: By,
    as_json: Json = False,
) -> None:
    """Record the client's response to a finding, for an auditor to verify."""

    def command_for(cid: int, _latest: int | None) -> Any:
        from starcert.inputs import parse_date

        day = parse_date(responded_on, "--responded-on")
        return cmd.RespondToFinding(
            cid, _number(number), cause, correction, corrective_action, day, by
        )

    _finding_command(ref, command_for, number, as_json)


@finding_app.command("close")
def finding_close(
    ref: CaseRef, number: Number, by: By, on: On = None, as_json: Json = False
) -> None:
    """Verify the response and close the finding (an observation needs no response)."""
    _finding_command(
        ref,
        lambda cid, _latest: cmd.CloseFinding(cid, _number(number), by, on_day(on)),
        number,
        as_json,
    )


@finding_app.command("reject")
def finding_reject(
    ref: CaseRef, number: Number, reason: Reason, by: By, on: On = None, as_json: Json = False
) -> None:
    """Reject the response with a reason: the finding is open again, awaiting another."""
    _finding_command(
        ref,
        lambda cid, _latest: cmd.RejectFindingResponse(
            cid, _number(number), reason, by, on_day(on)
        ),
        number,
        as_json,
    )


@finding_app.command("list")
def finding_list(ref: CaseRef, as_json: Json = False) -> None:
    """The case's findings, by number, with their state and due day."""

    def go() -> None:
        with open_app() as application:
            cid = case_id(application, ref)
            with application.uow() as uow:
                uow.cases.get(cid)  # an unknown case is refused, not listed empty
                found = [finding_dict(f) for f in uow.findings.for_case(cid)]

        def human() -> str:
            if not found:
                return f"case {cid} has no findings"
            return "\n".join(views.finding_line(f) for f in found)

        emit(found, as_json, human)

    run(go)


def _number(text: str) -> int:
    digits = text.strip().upper().removeprefix("F")
    if not digits.isdigit() or not 0 < int(digits) < 2**31:
        raise InvalidInput("FINDING", f"expected a finding number like F1 or 1, got {text!r}")
    return int(digits)


def _finding_command(ref: str, command_for: Any, number: str | None, as_json: bool) -> None:
    """Run the command on case `ref` and show the finding as it now stands."""

    def go() -> None:
        with open_app() as application:
            cid = case_id(application, ref)
            with application.uow() as uow:
                audits = uow.audits.for_case(cid)
            latest = max(audits, key=lambda a: (a.audit_date, a.id or 0)).id if audits else None
            command = command_for(cid, latest)
            try:
                result = application.case_service.handle(command)
            except IllegalTransition as exc:
                raise fail(3, refusal(exc, cid)) from None
            with application.uow() as uow:
                findings = list(uow.findings.for_case(cid))
        wanted = _number(number) if number is not None else max(f.number for f in findings)
        finding = next((f for f in findings if f.number == wanted), None)
        if finding is None:  # pragma: no cover - the command just wrote it
            raise FindingNotFound(f"finding F{wanted} of case {cid} not found")
        assert result.case is not None
        data = {**finding_dict(finding), "case_id": cid, "case_state": str(result.case.state)}
        emit(data, as_json, lambda: f"case {cid}: {views.finding_line(data)}\n  {result.note}")

    run(go)
