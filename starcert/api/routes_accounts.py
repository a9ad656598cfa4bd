"""Accounts under /api/accounts, for admins: list, add (the token shown once), revoke.

What `starcert users list|add|revoke` do, with the actor taken from the admin's token: an account
made or revoked here records the admin's account name, and no operating-system user (there is
none behind a request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field, StrictStr

from starcert.accounts import Principal, Role, issue
from starcert.api.auth import application_of, require
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.api.schemas import _In, _Out
from workflows.ports import Account

router = APIRouter(prefix="/api/accounts", responses=ERROR_RESPONSES, tags=["accounts"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Name = Annotated[StrictStr, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


class AccountIn(_In):
    name: Name
    role: Role


class AccountOut(_Out):
    name: str
    role: str
    created_at: datetime
    created_by: str
    created_by_os_user: str | None
    revoked_at: datetime | None
    revoked_by: str | None
    revoked_by_os_user: str | None


class IssuedAccount(_Out):
    name: str
    role: str
    token: str = Field(description="shown only now; only its hash is kept")


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        name=a.name,
        role=a.role,
        created_at=a.created_at,
        created_by=a.created_by,
        created_by_os_user=a.created_by_os_user,
        revoked_at=a.revoked_at,
        revoked_by=a.revoked_by,
        revoked_by_os_user=a.revoked_by_os_user,
    )


@router.get("", response_model=list[AccountOut])
def list_accounts(request: Request, who: Admin) -> list[AccountOut]:
    """Accounts with their roles, creators and revocations (never tokens)."""
    with application_of(request).uow() as uow:
        return [account_out(a) for a in uow.accounts.list()]


@router.post("", status_code=201, response_model=IssuedAccount)
def add_account(body: AccountIn, request: Request, who: Admin) -> IssuedAccount:
    """Create an account and answer its token, once: only its hash is kept."""
    application = application_of(request)
    account, token = issue(
        application, body.name, body.role.value, who.name, application.clock.now()
    )
    return IssuedAccount(name=account.name, role=account.role, token=token)


@router.post("/{name}/revoke", response_model=AccountOut)
def revoke_account(
    name: Annotated[str, Path(min_length=1, max_length=100)], request: Request, who: Admin
) -> AccountOut:
    """Revoke an account's token at once; the name stays on record and is never reused."""
    application = application_of(request)
    with application.uow() as uow:
        account = uow.accounts.revoke(name, application.clock.now(), who.name)
        uow.commit()
    return account_out(account)
