"""API accounts over the `accounts` table (checks shared with memory: storage.stored_records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from storage import checks
from storage.formats import utc
from storage.sql.sql_transaction import SqlTransaction
from storage.sql.tables import AccountRow
from storage.stored_records import AccountNotFound, checked_account, name_taken
from workflows.ports import Account


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
        created_by_os_user=row.created_by_os_user,
        revoked_by_os_user=row.revoked_by_os_user,
    )


class SqlAccounts:
    def __init__(self, uow: SqlTransaction) -> None:
        self._uow = uow

    def add(self, account: Account) -> Account:
        account = checked_account(account)
        if self.by_name(account.name) is not None:
            raise name_taken(account.name)
        row = AccountRow(
            name=account.name,
            role=account.role,
            token_hash=account.token_hash,
            created_at=account.created_at,
            created_by=account.created_by,
            revoked_at=account.revoked_at,
            revoked_by=account.revoked_by,
            created_by_os_user=account.created_by_os_user,
            revoked_by_os_user=account.revoked_by_os_user,
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

    def revoke(self, name: str, at: datetime, by: str, os_user: str | None = None) -> Account:
        """Revoke at once, recording who did; an account already revoked keeps its record."""
        at = utc(at, "revoked_at")
        checks.text(by, "revoked_by")
        if os_user is not None:
            checks.text(os_user, "revoked_by_os_user")
        row = self._uow.first(select(AccountRow).where(AccountRow.name == name))
        if row is None:
            raise AccountNotFound(f"no account named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = at
            row.revoked_by = by
            row.revoked_by_os_user = os_user
            self._uow.session.add(row)
            self._uow.session.flush()
        return _account(row)

    def list(self) -> Sequence[Account]:
        return [
            _account(r) for r in self._uow.rows(select(AccountRow).order_by(col(AccountRow.id)))
        ]
