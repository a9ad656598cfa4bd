"""Console sessions: the server's record of who is logged in, so that a session ends when it should.

The cookie holds a random id; only its sha256 is stored, so a copy of the table opens no session.
A session is live while it is not revoked, before both its idle and its absolute end, and while
its account still holds the token it logged in with: revoking the account (or its token) ends its
sessions without touching them. Written in short transactions of their own, like heartbeats
(operational state, not case history). SQL: storage.sql.sql_console_sessions; memory:
storage.memory.memory_console_sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class LiveSession:
    """Whose a live session is, and until when it lasts unless used again."""

    account: str
    role: str
    idle_until: datetime
    expires_at: datetime


class ConsoleSessions(Protocol):
    def open(
        self, id_hash: str, token_hash: str, at: datetime, idle_until: datetime, until: datetime
    ) -> LiveSession | None:
        """A new session for the live account holding `token_hash`; None (nothing written) when
        no live account holds it."""
        ...

    def use(self, id_hash: str, at: datetime, idle_until: datetime) -> LiveSession | None:
        """The session, if live at `at`, its idle end moved to `idle_until` (never past its
        absolute end); None when unknown, revoked, ended or its account's token revoked."""
        ...

    def revoke(self, id_hash: str, at: datetime) -> None:
        """End the session at `at` (a session already ended or unknown is left as it is)."""
        ...

    def forget_ended(self, before: datetime) -> int:
        """Delete sessions that ended (revoked, idle or expired) before `before`; how many."""
        ...
