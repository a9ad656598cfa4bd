"""API accounts over the `accounts` table, for the SQL and the in-memory backends.

A name is never reused, even after its account is revoked: the event log records actors by name,
so one name must always mean one account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select

from storage import checks
from storage.formats import utc, utc_or_none
from storage.tables import AccountRow
from workflows.errors import InvalidInput, NotFound
from workflows.ports import ROLES, Account

if TYPE_CHECKING:
    from storage.memory import MemoryUnitOfWork
    from storage.sql import SqlUnitOfWork


class AccountNotFound(NotFound):
    pass


def _checked(account: Account) -> Account:
    checks.new_row(account.id, "account")
    checks.text(account.name, "name")
    checks.text(account.created_by, "created_by")
    if account.role not in ROLES:
        raise InvalidInput("role", f"{account.role!r} is not one of {', '.join(ROLES)}")
    if len(account.token_hash) != 64:
        raise InvalidInput("token_hash", "expected a sha256 hex digest")
    return replace(
        account,
        created_at=utc(account.created_at, "created_at"),
        revoked_at=utc_or_none(account.revoked_at, "revoked_at"),
    )


def _name_taken(name: str) -> InvalidInput:
    return InvalidInput("name", f"account name {name!r} is taken (names are never reused)")


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        role=row.role,
        token_hash=row.token_hash,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


class SqlAccounts:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, account: Account) -> Account:
        account = _checked(account)
        if self.by_name(account.name) is not None:
            raise _name_taken(account.name)
        row = AccountRow(
            name=account.name,
            role=account.role,
            token_hash=account.token_hash,
            created_at=account.created_at,
            created_by=account.created_by,
            revoked_at=account.revoked_at,
            revoked_by=account.revoked_by,
        )
        return _account(self._uow.insert(row))

    def by_name(self, name: str) -> Account | None:
        row = self._uow.first(select(AccountRow).where(AccountRow.name == name))
        return None if row is None else _account(row)

    def by_token_hash(self, token_hash: str) -> Account | None:
        row = self._uow.first(
            select(AccountRow).where(
                AccountRow.token_hash == token_hash, col(AccountRow.revoked_at).is_(None)
            )
        )
        return None if row is None else _account(row)

    def revoke(self, name: str, at: datetime, by: str) -> Account:
        """Revoke at once, recording who did; an account already revoked keeps its record."""
        at = utc(at, "revoked_at")
        checks.text(by, "revoked_by")
        row = self._uow.first(select(AccountRow).where(AccountRow.name == name))
        if row is None:
            raise AccountNotFound(f"no account named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = at
            row.revoked_by = by
            self._uow.session.add(row)
            self._uow.session.flush()
        return _account(row)

    def list(self) -> Sequence[Account]:
        return [
            _account(r) for r in self._uow.rows(select(AccountRow).order_by(col(AccountRow.id)))
        ]


class MemoryAccounts:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> list[Account]:
        return sorted(self._uow.data.accounts.values(), key=lambda a: a.id or 0)

    def add(self, account: Account) -> Account:
        account = _checked(account)
        if self.by_name(account.name) is not None:
            raise _name_taken(account.name)
        if any(a.token_hash == account.token_hash for a in self._all()):
            raise InvalidInput("token_hash", "already held by another account")
        stored = replace(account, id=self._uow.store.next_id("accounts"))
        self._uow.put("accounts", stored.id, stored)
        return stored

    def by_name(self, name: str) -> Account | None:
        return next((a for a in self._all() if a.name == name), None)

    def by_token_hash(self, token_hash: str) -> Account | None:
        return next(
            (a for a in self._all() if a.token_hash == token_hash and a.revoked_at is None), None
        )

    def revoke(self, name: str, at: datetime, by: str) -> Account:
        at = utc(at, "revoked_at")
        checks.text(by, "revoked_by")
        found = self.by_name(name)
        if found is None:
            raise AccountNotFound(f"no account named {name!r}")
        if found.revoked_at is not None:
            return found
        revoked = replace(found, revoked_at=at, revoked_by=by)
        self._uow.put("accounts", revoked.id, revoked)
        return revoked

    def list(self) -> Sequence[Account]:
        return self._all()


__all__ = ["AccountNotFound", "MemoryAccounts", "SqlAccounts"]
