"""`starcert audit record|verify|keygen|checkpoint`: audits of a case, the check of the audit
trail, and the signed checkpoints that make a rewritten trail show."""

from __future__ import annotations

import json
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
        from starcert.inputs import parse_date, read_sheet

        audit_date = parse_date(on, "--date")
        if kind is AuditKind.STAGE1:
            if sheet is not None:
                raise InvalidInput("--sheet", "a stage 1 document review has no score sheet")
            return cmd.RecordStage1(case_id=cid, audit_date=audit_date, auditor=auditor, by=by)
        parsed = None if sheet is None else read_sheet(sheet)
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
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="a kept checkpoint file (JSON): prove today's trail extends each checkpoint",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check every case's event hash chain, and every field of its row against it; name the
    first break. A trail rewritten with its hashes recomputed passes this alone: give a
    checkpoint kept outside the database with --checkpoints to catch that."""

    def go() -> None:
        from starcert import checkpoint_files
        from workflows.audit_trail import verify_log

        kept = None if checkpoints is None else checkpoint_files.read(checkpoints)
        with open_app() as application, application.uow() as uow:
            report = verify_log(uow.events, case_row=uow.cases.get)
            held = None if kept is None else checkpoint_files.check(*kept, uow.events.for_case)
        broken = report.broken or (held.broken if held is not None else None)
        data: dict[str, Any] = {
            "ok": broken is None,
            "cases_checked": report.cases_checked,
            "events_checked": report.events_checked,
            "broken": views.plain(broken),
            "first_broken_link": str(broken) if broken else None,
        }
        if held is not None:
            data["checkpoints_checked"] = held.checked
            data["checkpoint"] = held.checkpoint

        def human() -> str:
            if broken is None:
                extends = (
                    f"; extends {held.checked} kept checkpoint{'s' * (held.checked != 1)}"
                    if held is not None
                    else ""
                )
                return (
                    f"ok: {report.cases_checked} chains, {report.events_checked} events verify"
                    + extends
                )
            if held is None or held.ok:
                return f"BROKEN: {broken}"
            said = (
                f"{broken.field}: expected {broken.expected}, found {broken.found}"
                if broken.case_id == 0  # the file itself: its root, signature or heads
                else str(broken)
            )
            return f"BROKEN (kept checkpoint {held.checkpoint}): {said}"

        emit(data, as_json, human)
        if broken is not None:
            raise typer.Exit(1)

    run(go)


@audit_app.command("keygen")
def audit_keygen(
    rotate: Annotated[
        bool,
        typer.Option("--rotate", help="replace the key; its public half stays for old checkpoints"),
    ] = False,
    as_json: Json = False,
) -> None:
    """Make the checkpoint signing key ([audit] key_file, mode 0600) and keep its public half."""

    def go() -> None:
        from starcert.checkpoint_files import key_json
        from starcert.checkpoint_keys import generate

        with open_app() as application:
            path = application.config.audit.key_file
            key = generate(path, application.clock.now(), rotate=rotate)
            application.database.checkpoints.add_key(key)
        emit(
            {**key_json(key), "key_file": str(path)},
            as_json,
            lambda: f"key {key.key_id} written to {path} (0600); public key {key.public_key}",
        )

    run(go)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="write every stored checkpoint and its keys here (JSON)"),
    ] = None,
    sign: Annotated[
        bool,
        typer.Option("--sign/--no-sign", help="sign a new checkpoint now (needs the key file)"),
    ] = True,
    as_json: Json = False,
) -> None:
    """Sign a checkpoint over every case's chain head now; with --out, export them all."""

    def go() -> None:
        from starcert import checkpoint_files
        from starcert.checkpoint_keys import load
        from starcert.checkpoint_keys import sign as sign_now

        with open_app() as application:
            store = application.database.checkpoints
            made = None
            if sign:
                private = load(application.config.audit.key_file)
                made = sign_now(store, private, application.clock.now())
            if out is not None:
                doc = checkpoint_files.document(store.all(), store.keys())
                text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
                write_atomically(out, text)
        signed = None if made is None else checkpoint_files.checkpoint_json(made)
        if signed is not None:
            del signed["heads"]  # in the file; thousands of them are no answer to print
        data = {"signed": signed, "out": None if out is None else str(out)}

        def human() -> str:
            lines = []
            if made is not None:
                lines.append(
                    f"signed checkpoint {made.id}: {made.tree_size} chains, root {made.root}, "
                    f"key {made.key_id}"
                )
            if out is not None:
                lines.append(f"checkpoints written to {out}")
            return "\n".join(lines) or "nothing to do: give --out, or drop --no-sign"

        emit(data, as_json, human)

    run(go)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` only once the whole file is written; a path that cannot be written is
    bad input naming it."""
    try:
        fresh = path.with_name(path.name + ".part")
        fresh.write_text(text, encoding="utf-8")
        fresh.replace(path)
    except OSError as exc:
        raise InvalidInput("--out", f"{path}: {exc.strerror or exc}") from None
