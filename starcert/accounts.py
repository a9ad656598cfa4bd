"""Accounts, roles and tokens without the web framework (the CLI creates accounts too).

Tokens are 256 random bits, shown once and stored only as their sha256: a token that high in
entropy cannot be guessed from its hash, so a slow password KDF would add latency and no safety.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from workflows.ports import ROLES, Account

if TYPE_CHECKING:
    from starcert.app import App

TOKEN_PREFIX = "sct_"


class Role(StrEnum):
    OPERATOR = "operator"  # organisations, applications, reviews, decisions, suspend ... cancel
    AUDITOR = "auditor"  # records audits with their score sheets
    RULE_AUTHOR = "rule_author"  # publishes rule versions
    VIEWER = "viewer"  # reads
    ADMIN = "admin"  # adds, lists and revokes accounts (nobody else's work)


assert tuple(Role) == ROLES

READERS = frozenset(Role)
"""Every role reads; writing is split so no role does another's work."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(
    application: App, name: str, role: str, by: str, at: datetime, os_user: str | None = None
) -> tuple[Account, str]:
    """Create an account; returns it and its token (the only time the token exists in clear).
    `os_user` is the host account behind a CLI `users add` (None over the API)."""
    token = new_token()
    with application.uow() as uow:
        account = uow.accounts.add(
            Account(None, name, role, hash_token(token), at, by, created_by_os_user=os_user)
        )
        uow.commit()
    return account, token
