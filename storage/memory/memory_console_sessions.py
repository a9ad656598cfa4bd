"""Console sessions in memory, beside a memory store's accounts (see storage.console_sessions)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from storage.console_sessions import LiveSession
from storage.formats import utc
from storage.memory.memory_store import MemoryStore


@dataclass(frozen=True)
class _Session:
    token_hash: str
    created_at: datetime
    idle_until: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def ended_by(self, at: datetime) -> datetime | None:
        """When it ended, if it had by `at`."""
        ends = [self.idle_until, self.expires_at] + ([self.revoked_at] if self.revoked_at else [])
        first = min(ends)
        return first if first <= at else None


class MemoryConsoleSessions:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def _live_account(self, token_hash: str) -> tuple[str, str] | None:
        with self._store.uow() as uow:
            account = uow.accounts.by_token_hash(token_hash)
        return None if account is None else (account.name, account.role)

    def open(
        self, id_hash: str, token_hash: str, at: datetime, idle_until: datetime, until: datetime
    ) -> LiveSession | None:
        at, until = utc(at, "created_at"), utc(until, "expires_at")
        idle_until = min(utc(idle_until, "idle_until"), until)
        holder = self._live_account(token_hash)
        if holder is None:
            return None
        with self._lock:
            self._sessions[id_hash] = _Session(token_hash, at, idle_until, until)
        return LiveSession(holder[0], holder[1], idle_until, until)

    def use(self, id_hash: str, at: datetime, idle_until: datetime) -> LiveSession | None:
        at = utc(at, "at")
        with self._lock:
            found = self._sessions.get(id_hash)
            if found is None or found.ended_by(at) is not None:
                return None
        holder = self._live_account(found.token_hash)
        if holder is None:
            return None
        moved = replace(found, idle_until=min(utc(idle_until, "idle_until"), found.expires_at))
        with self._lock:
            self._sessions[id_hash] = moved
        return LiveSession(holder[0], holder[1], moved.idle_until, moved.expires_at)

    def revoke(self, id_hash: str, at: datetime) -> None:
        at = utc(at, "revoked_at")
        with self._lock:
            found = self._sessions.get(id_hash)
            if found is not None and found.revoked_at is None:
                self._sessions[id_hash] = replace(found, revoked_at=at)

    def forget_ended(self, before: datetime) -> int:
        before = utc(before, "before")
        with self._lock:
            gone = [k for k, s in self._sessions.items() if (s.ended_by(before) or before) < before]
            for key in gone:
                del self._sessions[key]
            return len(gone)
