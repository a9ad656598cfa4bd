"""`starcert org add|show|update`: organisations, found by id or by unified social credit code."""

from __future__ import annotations

from typing import Annotated

import typer

from starcert import views
from starcert.cli.command_kit import (
    MAX_ID,
    By,
    Json,
    emit,
    open_app,
    run,
)
from workflows import commands as cmd
from workflows.credit_code import LENGTH as CREDIT_CODE_LENGTH
from workflows.errors import OrganisationNotFound
from workflows.model import Organisation
from workflows.ports import UnitOfWork

org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
ContactEmail = Annotated[
    str | None,
    typer.Option("--contact-email", help="where reminders before surveillance and expiry go"),
]


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Option("--name", help="registered name")],
    credit_code: Annotated[str, typer.Option("--credit-code", help="unified social credit code")],
    by: By,
    contact_email: ContactEmail = None,
    as_json: Json = False,
) -> None:
    """Register an organisation."""

    def go() -> None:
        with open_app() as application:
            result = application.case_service.handle(
                cmd.RegisterOrganisation(
                    name=name, credit_code=credit_code, by=by, contact_email=contact_email
                )
            )
            assert result.organisation_id is not None
            with application.uow() as uow:
                org = uow.organisations.get(result.organisation_id)
            emit(_plain(org), as_json, lambda: _line(org))

    run(go)


@org_app.command("update")
def org_update(
    ref: Annotated[str, typer.Argument(help="organisation id, or its unified social credit code")],
    contact_email: Annotated[
        str,
        typer.Option("--contact-email", help='where reminders are e-mailed; "" removes it'),
    ],
    as_json: Json = False,
) -> None:
    """Change an organisation's contact e-mail."""

    def go() -> None:
        from starcert.contacts import set_contact_email

        with open_app() as application:
            with application.uow() as uow:
                found = _organisation(uow, ref)
            assert found.id is not None
            org = set_contact_email(application, found.id, contact_email)
        emit(_plain(org), as_json, lambda: _line(org))

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
        data = {**_plain(org), "cases": [views.case_dict(k) for k in cases]}
        lines = [_line(org)]
        lines += [f"  {views.case_line(k)}" for k in cases] or ["  no cases"]
        emit(data, as_json, lambda: "\n".join(lines))

    run(go)


def _plain(org: Organisation) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "credit_code": org.credit_code,
        "contact_email": org.contact_email,
    }


def _line(org: Organisation) -> str:
    contact = f", contact {org.contact_email}" if org.contact_email else ""
    return f"organisation {org.id}: {org.name} ({org.credit_code}){contact}"


def _organisation(uow: UnitOfWork, ref: str) -> Organisation:
    """By id (digits, shorter than a credit code) or by the 18-character credit code."""
    text = ref.strip().upper()
    if text.isascii() and text.isdigit() and len(text) < CREDIT_CODE_LENGTH:
        if int(text) > MAX_ID:
            raise OrganisationNotFound(f"organisation {ref} not found")
        return uow.organisations.get(int(text))
    by_code = uow.organisations.by_credit_code(text)
    if by_code is None:
        raise OrganisationNotFound(f"no organisation has the credit code {ref}")
    return by_code
