"""Console sessions in `console_sessions`, each read or write a short transaction of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine

from storage.console_sessions import LiveSession
from storage.formats import utc
from storage.sql.sql_errors import translated
from storage.sql.statements import table
from storage.sql.tables import AccountRow, ConsoleSessionRow

SESSIONS = table(ConsoleSessionRow)
ACCOUNTS = table(AccountRow)


class SqlConsoleSessions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(
        self, id_hash: str, token_hash: str, at: datetime, idle_until: datetime, until: datetime
    ) -> LiveSession | None:
        at, until = utc(at, "created_at"), utc(until, "expires_at")
        idle_until = min(utc(idle_until, "idle_until"), until)
        a = ACCOUNTS.c
        holder = select(a.id, a.name, a.role).where(
            a.token_hash == token_hash, a.revoked_at.is_(None)
        )
        with translated(), self.engine.begin() as conn:
            found = conn.execute(holder).first()
            if found is None:
                return None
            conn.execute(
                insert(SESSIONS).values(
                    id_hash=id_hash,
                    account_id=found.id,
                    token_hash=token_hash,
                    created_at=at,
                    idle_until=idle_until,
                    expires_at=until,
                )
            )
        return LiveSession(found.name, found.role, idle_until, until)

    def use(self, id_hash: str, at: datetime, idle_until: datetime) -> LiveSession | None:
        at, idle_until = utc(at, "at"), utc(idle_until, "idle_until")
        s, a = SESSIONS.c, ACCOUNTS.c
        live = (
            select(a.name, a.role, s.expires_at)
            .join(ACCOUNTS, a.id == s.account_id)
            .where(
                s.id_hash == id_hash,
                s.revoked_at.is_(None),
                s.idle_until > at,
                s.expires_at > at,
                a.revoked_at.is_(None),
                a.token_hash == s.token_hash,
            )
        )
        with translated(), self.engine.begin() as conn:
            found = conn.execute(live).first()
            if found is None:
                return None
            moved = min(idle_until, found.expires_at)
            conn.execute(update(SESSIONS).where(s.id_hash == id_hash).values(idle_until=moved))
        return LiveSession(found.name, found.role, moved, found.expires_at)

    def revoke(self, id_hash: str, at: datetime) -> None:
        at = utc(at, "revoked_at")
        s = SESSIONS.c
        ending = (
            update(SESSIONS)
            .where(s.id_hash == id_hash, s.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        with translated(), self.engine.begin() as conn:
            conn.execute(ending)

    def forget_ended(self, before: datetime) -> int:
        before = utc(before, "before")
        s = SESSIONS.c
        ended = delete(SESSIONS).where(
            or_(s.idle_until < before, s.expires_at < before, s.revoked_at < before)
        )
        with translated(), self.engine.begin() as conn:
            return conn.execute(ended).rowcount
