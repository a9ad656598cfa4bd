"""`starcert change ...`: changes to a certificate, each giving it its next version (-A1, -A2),
and the transfer in of another body's certificate. `starcert show CASE --versions` lists them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from starcert.cli.command_kit import By, CaseRef, Json, Reason, one_of, transition
from workflows import commands as cmd
from workflows.model import StarLevel

change_app = typer.Typer(help="Certificate changes and transfers in.", no_args_is_help=True)

Scope = Annotated[str, typer.Option("--scope", metavar="TEXT", help="the scope asked for")]


@change_app.command("request-extension")
def request_extension(ref: CaseRef, scope: Scope, by: By, as_json: Json = False) -> None:
    """Record the client's request for a wider scope; a special audit after it comes next."""
    transition(lambda cid: cmd.RequestScopeExtension(cid, scope, by), ref, as_json)


@change_app.command("extend-scope")
def extend_scope(ref: CaseRef, by: By, as_json: Json = False) -> None:
    """Grant the requested scope: needs a special audit recorded after the request, its
    findings closed."""
    transition(lambda cid: cmd.ExtendScope(cid, by), ref, as_json)


@change_app.command("reduce-scope")
def reduce_scope(ref: CaseRef, scope: Scope, reason: Reason, by: By, as_json: Json = False) -> None:
    """Reduce the certificate's scope (e.g. after part of it failed), with the reason."""
    transition(lambda cid: cmd.ReduceScope(cid, scope, reason, by), ref, as_json)


@change_app.command("holder")
def change_holder(
    ref: CaseRef,
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="the holder's new name")],
    credit_code: Annotated[
        str,
        typer.Option(
            "--credit-code", metavar="CODE", help="the holder's credit code (must not change)"
        ),
    ],
    by: By,
    address: Annotated[
        str | None, typer.Option("--address", metavar="TEXT", help="the holder's new address")
    ] = None,
    as_json: Json = False,
) -> None:
    """A new name or address of the same legal entity (its credit code unchanged)."""
    transition(
        lambda cid: cmd.ChangeHolder(cid, name, credit_code, by, address=address), ref, as_json
    )


@change_app.command("transfer-in")
def transfer_in(
    ref: CaseRef,
    previous_body: Annotated[
        str, typer.Option("--previous-body", metavar="NAME", help="the body it comes from")
    ],
    previous_number: Annotated[
        str, typer.Option("--previous-number", metavar="NUMBER", help="its certificate number")
    ],
    decided_on: Annotated[
        str,
        typer.Option("--decided-on", metavar="DATE", help="its cycle's certification decision"),
    ],
    expires_on: Annotated[
        str, typer.Option("--expires-on", metavar="DATE", help="its expiry (stays ours)")
    ],
    star_level: Annotated[
        StarLevel,
        typer.Option("--star-level", metavar="STAR", help=one_of(StarLevel)),
    ],
    by: By,
    previous_status: Annotated[
        str,
        typer.Option(
            "--previous-status",
            metavar="STATUS",
            help="its status at the previous body: only active transfers",
        ),
    ] = "active",
    surveillances: Annotated[
        int,
        typer.Option("--surveillances", metavar="N", min=0, help="surveillances done in its cycle"),
    ] = 0,
    last_surveillance_on: Annotated[
        str | None,
        typer.Option("--last-surveillance-on", metavar="DATE", help="the last one's date"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Issue our certificate for another body's (IAF MD 2) on an application: its expiry and
    cycle dates stay, so the next audit planned is the one due in that cycle."""

    def command_for(cid: int) -> Any:
        from starcert.inputs import parse_date

        last = (
            None
            if last_surveillance_on is None
            else parse_date(last_surveillance_on, "--last-surveillance-on")
        )
        return cmd.TransferIn(
            case_id=cid,
            previous_body=previous_body,
            previous_number=previous_number,
            previous_status=previous_status,
            decided_on=parse_date(decided_on, "--decided-on"),
            expires_on=parse_date(expires_on, "--expires-on"),
            star_level=star_level,
            by=by,
            surveillances=surveillances,
            last_surveillance_on=last,
        )

    transition(command_for, ref, as_json)
