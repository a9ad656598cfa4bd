"""Console log-in sessions: a random id in the cookie, the session itself kept by the database.

The cookie never holds the API token. A session lasts `session_idle_minutes` past its last use
and `session_max_hours` at most (config [console]); log-out revokes it, and revoking the account
(or its token) ends it. Times come from the App's clock, so tests move them. The console's form
token is derived from the session id, so it dies with the session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from starcert.accounts import Principal, Role, hash_token

if TYPE_CHECKING:
    from starcert.app import App

ID_PREFIX = "scs_"


@dataclass(frozen=True)
class Session:
    """A live session: who holds it, and the id its cookie carries."""

    who: Principal
    session_id: str
    max_age_seconds: int  # how long its cookie is worth keeping


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _lifetimes(application: App) -> tuple[timedelta, timedelta]:
    console = application.config.console
    return (
        timedelta(minutes=console.session_idle_minutes),
        timedelta(hours=console.session_max_hours),
    )


def log_in(application: App, token: str) -> Session | None:
    """A new session for the live account holding API token `token`, or None."""
    if not token or len(token) > 200:
        return None
    idle, lifetime = _lifetimes(application)
    now = application.clock.now()
    store = application.database.console_sessions
    store.forget_ended(now)
    session_id = ID_PREFIX + secrets.token_urlsafe(32)
    live = store.open(_hash(session_id), hash_token(token), now, now + idle, now + lifetime)
    if live is None:
        return None
    left = int((live.expires_at - now).total_seconds())
    return Session(Principal(live.account, Role(live.role)), session_id, left)


def current(application: App, session_id: str | None) -> Session | None:
    """The live session carried by a cookie (its idle end moved on), or None."""
    if not session_id or not session_id.startswith(ID_PREFIX) or len(session_id) > 200:
        return None
    idle, _ = _lifetimes(application)
    now = application.clock.now()
    live = application.database.console_sessions.use(_hash(session_id), now, now + idle)
    if live is None:
        return None
    left = int((live.expires_at - now).total_seconds())
    return Session(Principal(live.account, Role(live.role)), session_id, left)


def log_out(application: App, session_id: str) -> None:
    application.database.console_sessions.revoke(_hash(session_id), application.clock.now())
