"""Which database a simulation may run on: not the installation's own, nor one a daemon runs on.

A simulation moves every case in its database through years of simulated time and fills its
outbox with reminders; on the live database it would change real certificates and queue real
notifications for the daemon to send. A copy is what a rule author wants to see the future of.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL

from storage.database import make_engine, parse_url
from storage.heartbeats import Heartbeats
from workflows.errors import InvalidInput

RECENT_BEAT = timedelta(minutes=10)
"""A daemon that beat this recently is taken as running (its default health age is 2.5 min)."""

COPY_HINT = "run it on a copy (starcert db backup COPY, then --database sqlite:///COPY)"


def refuse_live_database(url: str, installation_url: str, wall_now: datetime) -> None:
    """Raise InvalidInput on --database when `url` is the installation's or a daemon's."""
    if _same_database(parse_url(url), parse_url(installation_url)):
        raise InvalidInput(
            "--database",
            "is this installation's own database (config.toml [database]): a simulation "
            f"changes every case in it and queues its reminders; {COPY_HINT}",
        )
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("daemon_status"):
                return
        beats = Heartbeats(engine).all()
    finally:
        engine.dispose()
    for beat in beats:
        seen = beat.beat_at or beat.last_tick_at
        if beat.state != "stopped" and seen is not None and wall_now - seen <= RECENT_BEAT:
            raise InvalidInput(
                "--database",
                f"daemon {beat.worker} (pid {beat.pid} on {beat.host}) runs on it, last beat "
                f"{(wall_now - seen).total_seconds():.0f} s ago; {COPY_HINT}",
            )


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return _file(a) is not None and _file(a) == _file(b)
    return (a.host or "localhost", a.port or 5432, a.database) == (
        b.host or "localhost",
        b.port or 5432,
        b.database,
    )


def _file(url: URL) -> Path | None:
    if url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()
