"""API accounts in memory (checks shared with SQL: storage.stored_records)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from storage import checks
from storage.formats import utc
from storage.memory.memory_tables import MemoryTransaction
from storage.stored_records import AccountNotFound, checked_account, name_taken
from workflows.errors import InvalidInput
from workflows.ports import Account


class MemoryAccounts:
    def __init__(self, uow: MemoryTransaction) -> None:
        self._uow = uow

    def _all(self) -> list[Account]:
        return sorted(self._uow.data.accounts.values(), key=lambda a: a.id or 0)

    def add(self, account: Account) -> Account:
        account = checked_account(account)
        if self.by_name(account.name) is not None:
            raise name_taken(account.name)
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

    def revoke(self, name: str, at: datetime, by: str, os_user: str | None = None) -> Account:
        at = utc(at, "revoked_at")
        checks.text(by, "revoked_by")
        if os_user is not None:
            checks.text(os_user, "revoked_by_os_user")
        found = self.by_name(name)
        if found is None:
            raise AccountNotFound(f"no account named {name!r}")
        if found.revoked_at is not None:
            return found
        revoked = replace(found, revoked_at=at, revoked_by=by, revoked_by_os_user=os_user)
        self._uow.put("accounts", revoked.id, revoked)
        return revoked

    def list(self) -> Sequence[Account]:
        return self._all()
