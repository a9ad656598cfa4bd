"""`starcert users add|revoke|list`: API accounts from the host, recorded with the operating-system
user beside the declared `--by` (the API's /api/accounts records the token's account instead)."""

from __future__ import annotations

from typing import Annotated

import typer

from starcert.accounts import Role, issue
from starcert.cli.command_kit import Json, emit, open_app, os_user, run
from starcert.views import plain

users_app = typer.Typer(help="API accounts and their tokens.", no_args_is_help=True)


def _default_by() -> str:
    host = os_user()
    return f"cli:{host}" if host else "cli"


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
                application,
                name,
                role.value,
                by or _default_by(),
                application.clock.now(),
                os_user(),
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
            account = uow.accounts.revoke(
                name, application.clock.now(), by or _default_by(), os_user()
            )
            uow.commit()
        data = {
            "name": account.name,
            "revoked_at": plain(account.revoked_at),
            "revoked_by": account.revoked_by,
            "revoked_by_os_user": account.revoked_by_os_user,
        }
        emit(
            data,
            as_json,
            lambda: (
                f"account {account.name} revoked at {data['revoked_at']}"
                + (
                    f" by {_who(account.revoked_by, account.revoked_by_os_user)}"
                    if account.revoked_by
                    else ""
                )
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
                "created_by_os_user": a.created_by_os_user,
                "revoked_at": plain(a.revoked_at),
                "revoked_by": a.revoked_by,
                "revoked_by_os_user": a.revoked_by_os_user,
            }
            for a in accounts
        ]

        def human() -> str:
            lines = [
                f"{a.name:<20} {a.role:<12} created {plain(a.created_at)} by "
                + _who(a.created_by, a.created_by_os_user)
                + (f"  REVOKED {plain(a.revoked_at)}" if a.revoked_at else "")
                + (f" by {_who(a.revoked_by, a.revoked_by_os_user)}" if a.revoked_by else "")
                for a in accounts
            ]
            return "\n".join(lines) or "no accounts"

        emit(rows, as_json, human)

    run(go)


def _who(by: str, host: str | None) -> str:
    """Who did it as declared, and the host account that ran the command when one did."""
    return by + (f" (os user {host})" if host else "")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
