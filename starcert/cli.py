"""The operator CLI: `starcert ...`.

Exit codes: 0 done; 2 bad input; 3 transition refused; 4 not found; 5 conflict (retry);
1 any other starcert error. Errors go to stderr as one line naming what is wrong.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from starcert import views
from starcert.app import App
from starcert.cli_rules import rules_app
from starcert.config import Config, load_config
from starcert.inputs import parse_date, parse_facts, parse_sheet, read_document
from workflows import commands as cmd
from workflows.errors import (
    ConcurrencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    StarcertError,
)
from workflows.model import AuditKind, Case, StarLevel, State, SuspensionCause

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

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="config file (default: $STARCERT_CONFIG or config.toml)"),
]
By = Annotated[str, typer.Option("--by", help="operator who does this (recorded)")]
Reason = Annotated[str, typer.Option("--reason", help="why (recorded)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
CaseRef = Annotated[str, typer.Argument(help="case id or certificate number")]

_state: dict[str, Any] = {}
T = TypeVar("T")


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    _state["config_path"] = config


def _config() -> Config:
    return load_config(_state.get("config_path"))


@contextmanager
def _app() -> Iterator[App]:
    application = App(_config())
    try:
        yield application
    finally:
        application.close()


def _fail(code: int, message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _run(action: Callable[[], T]) -> T:
    """Turn starcert's errors into one stderr line and a distinct exit code."""
    try:
        return action()
    except InvalidInput as exc:
        raise _fail(2, str(exc)) from None
    except IllegalTransition as exc:
        raise _fail(3, str(exc)) from None
    except NotFound as exc:
        raise _fail(4, str(exc)) from None
    except ConcurrencyConflict as exc:
        raise _fail(5, f"{exc} (another change landed first; retry)") from None
    except StarcertError as exc:
        raise _fail(1, str(exc)) from None


def _case_id(application: App, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    with application.uow() as uow:
        found = uow.cases.by_number(ref)
        assert found.id is not None
        return found.id


def _emit(data: Any, as_json: bool, human: Callable[[], str]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else human())


def _show_result(application: App, result: Any, as_json: bool) -> None:
    with application.uow() as uow:
        case = uow.cases.get(result.case_id)
    data = {**views.case_dict(case), "note": result.note or None}
    _emit(
        data, as_json, lambda: views.case_line(case) + (f"\n  {result.note}" if result.note else "")
    )


def _transition(command_for: Callable[[int], Any], ref: str, as_json: bool) -> None:
    def go() -> None:
        with _app() as application:
            result = application.lifecycle.handle(command_for(_case_id(application, ref)))
            _show_result(application, result, as_json)

    _run(go)


# --- database ------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration."""
    from storage.migrate import current, upgrade

    def go() -> None:
        config = _config()
        config.paths.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(config.database_url)
        typer.echo(
            f"database {views.safe_url(config.database_url)} at {current(config.database_url)}"
        )

    _run(go)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from storage.migrate import current

    config = _config()
    typer.echo(current(config.database_url) or "empty (run: starcert db upgrade)")


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
        with _app() as application:
            result = application.lifecycle.handle(
                cmd.RegisterOrganisation(name=name, credit_code=credit_code, by=by)
            )
            with application.uow() as uow:
                org = uow.organisations.get(result.organisation_id)
            data = {"id": org.id, "name": org.name, "credit_code": org.credit_code}
            _emit(data, as_json, lambda: f"organisation {org.id}: {org.name} ({org.credit_code})")

    _run(go)


@app.command("apply")
def apply(
    org: Annotated[int, typer.Option("--org", help="organisation id")],
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
        with _app() as application:
            _show_result(application, application.lifecycle.handle(command), as_json)

    _run(go)


@app.command("review")
def review(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Application review: accept (stage 1 next) or refuse, by the rules in force."""
    _transition(lambda cid: cmd.ReviewApplication(case_id=cid, by=by), ref, as_json)


# --- audits --------------------------------------------------------------------------------------


@audit_app.command("record")
def audit_record(
    ref: CaseRef,
    kind: Annotated[AuditKind, typer.Option("--kind", help="which audit")],
    on: Annotated[str, typer.Option("--date", help="audit date YYYY-MM-DD")],
    auditor: Annotated[str, typer.Option("--auditor", help="lead auditor")],
    by: By,
    sheet: Annotated[
        Path | None, typer.Option("--sheet", help="score sheet (YAML or JSON); not for stage 1")
    ] = None,
    as_json: Json = False,
) -> None:
    """Record an audit and apply what it decides (stage 2 → decision; surveillance re-bands)."""

    def command_for(cid: int) -> Any:
        audit_date = parse_date(on, "--date")
        if kind is AuditKind.STAGE1:
            if sheet is not None:
                raise InvalidInput("--sheet", "a stage 1 document review has no score sheet")
            return cmd.RecordStage1(case_id=cid, audit_date=audit_date, auditor=auditor, by=by)
        if sheet is None:
            raise InvalidInput("--sheet", f"a {kind.value} audit needs a score sheet")
        parsed = parse_sheet(read_document(sheet), str(sheet))
        kinds: dict[AuditKind, Any] = {
            AuditKind.STAGE2: cmd.RecordStage2,
            AuditKind.SURVEILLANCE: cmd.RecordSurveillance,
            AuditKind.RECERTIFICATION: cmd.RecordRecertification,
        }
        if kind not in kinds:
            raise InvalidInput("--kind", f"{kind.value} audits are not recorded from the CLI yet")
        return kinds[kind](case_id=cid, audit_date=audit_date, auditor=auditor, sheet=parsed, by=by)

    _transition(command_for, ref, as_json)


@audit_app.command("verify")
def audit_verify(as_json: Json = False) -> None:
    """Check every case's event hash chain; name the first broken link."""

    def go() -> None:
        from workflows.audit_trail import verify_log

        with _app() as application, application.uow() as uow:
            report = verify_log(uow.events)
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

        _emit(data, as_json, human)
        if not report.ok:
            raise typer.Exit(1)

    _run(go)


@app.command("decide")
def decide(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Certification decision from the stage 2 score: certify with a star level, or refuse."""
    _transition(lambda cid: cmd.Decide(case_id=cid, by=by), ref, as_json)


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
    _transition(
        lambda cid: cmd.Suspend(case_id=cid, cause=cause, reason=reason, by=by), ref, as_json
    )


@app.command("restore")
def restore(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """End a suspension once its cause is cleared."""
    _transition(lambda cid: cmd.Restore(case_id=cid, reason=reason, by=by), ref, as_json)


@app.command("withdraw")
def withdraw(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """Withdraw a certificate."""
    _transition(lambda cid: cmd.Withdraw(case_id=cid, reason=reason, by=by), ref, as_json)


@app.command("cancel")
def cancel(ref: CaseRef, reason: Reason, by: By, as_json: Json = False) -> None:
    """Cancel at the client's request."""
    _transition(lambda cid: cmd.Cancel(case_id=cid, reason=reason, by=by), ref, as_json)


# --- reading -------------------------------------------------------------------------------------


@app.command("show")
def show(ref: CaseRef, as_json: Json = False) -> None:
    """A case with its certificate, open deadlines, allowed triggers and full history."""

    def go() -> None:
        with _app() as application:
            cid = _case_id(application, ref)
            with application.uow() as uow:
                case = uow.cases.get(cid)
                events = list(uow.events.for_case(cid))
                deadlines = list(uow.deadlines.open_for_case(cid))
                audits = list(uow.audits.for_case(cid))
            checks = application.lifecycle.allowed_triggers(cid)
        data = views.case_detail_dict(case, events, deadlines, audits, checks)
        _emit(data, as_json, lambda: views.case_detail_text(data))

    _run(go)


@app.command("list")
def list_cases(
    state: Annotated[State | None, typer.Option("--state")] = None,
    star: Annotated[StarLevel | None, typer.Option("--star")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="only cases with a passed deadline")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: Json = False,
) -> None:
    """List cases by state, star level or overdue deadlines."""

    def go() -> None:
        with _app() as application, application.uow() as uow:
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
        _emit(rows, as_json, lambda: "\n".join(views.case_line(c) for c in cases) or "no cases")

    _run(go)


@app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="file to write (default stdout)")
    ] = None,
) -> None:
    """Export the certificate register as CSV (IAF CertSearch field names)."""

    def go() -> None:
        with _app() as application, application.uow() as uow:
            rows = [views.register_row(c) for c in uow.cases.list() if c.number is not None]
        stream = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
        try:
            writer = csv.DictWriter(stream, fieldnames=views.REGISTER_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        finally:
            if out:
                stream.close()

    _run(go)


# --- the daemon ----------------------------------------------------------------------------------


def _runner(application: App, worker: str | None) -> Any:
    from datetime import timedelta

    from starcert.daemon import DeadlineRunner, default_worker_name

    daemon = application.config.daemon
    return DeadlineRunner(
        lifecycle=application.lifecycle,
        uow_factory=application.uow,
        clock=application.clock,
        worker=worker or default_worker_name(),
        lease=timedelta(seconds=daemon.lease_seconds),
        batch_size=daemon.batch_size,
    )


@app.command("serve")
def serve_cmd(
    worker: Annotated[str | None, typer.Option("--worker", help="name in leases and logs")] = None,
) -> None:
    """Run the daemon: fire every due deadline, on time, until SIGTERM or Ctrl-C."""
    import logging

    from starcert.daemon import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    def go() -> None:
        with _app() as application:
            runner = _runner(application, worker)
            config = application.config

            def banner() -> None:
                typer.echo(
                    f"starcert daemon {runner.worker} (pid {os.getpid()})\n"
                    f"  database: {views.safe_url(config.database_url)}\n"
                    f"  rules:    {config.paths.rules_dir}\n"
                    f"  ticks every {config.daemon.tick_seconds:g}s and at the next due deadline\n"
                    f"  stop with Ctrl-C or: kill -TERM {os.getpid()}"
                )

            serve(runner, config.daemon.tick_seconds, banner)
            typer.echo("starcert daemon stopped")

    _run(go)


@app.command("fire-due")
def fire_due(
    worker: Annotated[str | None, typer.Option("--worker")] = None, as_json: Json = False
) -> None:
    """Fire every deadline due now once, then exit (what one daemon tick does)."""

    def go() -> None:
        with _app() as application:
            report = _runner(application, worker).tick()
        data = {k: v for k, v in vars(report).items() if k != "fired_ids"}
        _emit(data, as_json, lambda: ", ".join(f"{k} {v}" for k, v in data.items()))

    _run(go)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
