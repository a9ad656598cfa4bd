"""`starcert users add|revoke|list`: API accounts, from the host only (no API endpoint makes them)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from starcert.accounts import Role, issue
from starcert.cli.command_kit import Json, emit, open_app, run
from starcert.views import plain

users_app = typer.Typer(help="API accounts and their tokens.", no_args_is_help=True)


def _default_by() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="account name (recorded as the actor of its writes)")],
    role: Annotated[Role, typer.Option("--role", help="what the account may do")],
    by: Annotated[str | None, typer.Option("--by", help="who creates it (recorded)")] = None,
    as_json: Json = False,
) -> None:
    """Create an account and print its token, once: only its hash is kept."""

    def go() -> None:
        with open_app() as application:
            account, token = issue(
                application, name, role.value, by or _default_by(), application.clock.now()
            )
        data = {"name": account.name, "role": account.role, "token": token}
        emit(
            data,
            as_json,
            lambda: (
                f"account {account.name} ({account.role}) created.\n"
                f"token (shown only now; use it as 'Authorization: Bearer <token>'):\n{token}"
            ),
        )

    run(go)


@users_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="account name")],
    by: Annotated[str | None, typer.Option("--by", help="who revokes it (recorded)")] = None,
    as_json: Json = False,
) -> None:
    """Revoke an account's token at once; the name stays on record and is never reused."""

    def go() -> None:
        with open_app() as application, application.uow() as uow:
            account = uow.accounts.revoke(name, application.clock.now(), by or _default_by())
            uow.commit()
        data = {
            "name": account.name,
            "revoked_at": plain(account.revoked_at),
            "revoked_by": account.revoked_by,
        }
        emit(
            data,
            as_json,
            lambda: (
                f"account {account.name} revoked at {data['revoked_at']}"
                + (f" by {account.revoked_by}" if account.revoked_by else "")
            ),
        )

    run(go)


@users_app.command("list")
def list_accounts(as_json: Json = False) -> None:
    """Accounts with their roles, creators and revocations (never tokens)."""

    def go() -> None:
        with open_app() as application, application.uow() as uow:
            accounts = list(uow.accounts.list())
        rows = [
            {
                "name": a.name,
                "role": a.role,
                "created_at": plain(a.created_at),
                "created_by": a.created_by,
                "revoked_at": plain(a.revoked_at),
                "revoked_by": a.revoked_by,
            }
            for a in accounts
        ]

        def human() -> str:
            lines = [
                f"{r['name']:<20} {r['role']:<12} created {r['created_at']} by {r['created_by']}"
                + (f"  REVOKED {r['revoked_at']}" if r["revoked_at"] else "")
                + (f" by {r['revoked_by']}" if r["revoked_by"] else "")
                for r in rows
            ]
            return "\n".join(lines) or "no accounts"

        emit(rows, as_json, human)

    run(go)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
