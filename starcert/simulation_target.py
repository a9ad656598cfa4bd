"""Which database a simulation may run on: not the installation's own, nor one a daemon runs on.

A simulation moves every case in its database through years of simulated time and fills its
outbox with reminders; on the live database it would change real certificates and queue real
notifications for the daemon to send. A copy is what a rule author wants to see the future of.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storage.database import DatabaseAddress, address, daemon_beats
from workflows.errors import InvalidInput

RECENT_BEAT = timedelta(minutes=10)
"""A daemon that beat this recently is taken as running (its default health age is 2.5 min)."""

COPY_HINT = "run it on a copy (starcert db backup COPY, then --database sqlite:///COPY)"


def refuse_live_database(url: str, installation_url: str, wall_now: datetime) -> None:
    """Raise InvalidInput on --database when `url` is the installation's or a daemon's."""
    if _same_database(address(url), address(installation_url)):
        raise InvalidInput(
            "--database",
            "is this installation's own database (config.toml [database]): a simulation "
            f"changes every case in it and queues its reminders; {COPY_HINT}",
        )
    for beat in daemon_beats(url):
        seen = beat.beat_at or beat.last_tick_at
        if beat.state != "stopped" and seen is not None and wall_now - seen <= RECENT_BEAT:
            raise InvalidInput(
                "--database",
                f"daemon {beat.worker} (pid {beat.pid} on {beat.host}) runs on it, last beat "
                f"{(wall_now - seen).total_seconds():.0f} s ago; {COPY_HINT}",
            )


def _same_database(a: DatabaseAddress, b: DatabaseAddress) -> bool:
    if a.backend != b.backend:
        return False
    if a.backend == "sqlite":
        return _file(a) is not None and _file(a) == _file(b)
    return (a.host or "localhost", a.port or 5432, a.name) == (
        b.host or "localhost",
        b.port or 5432,
        b.name,
    )


def _file(url: DatabaseAddress) -> Path | None:
    if url.name in (None, "", ":memory:"):
        return None
    return Path(url.name).expanduser().resolve()
