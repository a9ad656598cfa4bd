"""Restoring a SQLite database from a backup, as `starcert db restore` does it.

A daemon writing to the database while it is replaced would write on into the file set aside,
or into the new one from a stale page cache: a daemon heard from within the health age refuses
the restore (one silent for longer was killed, or its machine went down). The backup must open,
be a starcert database of this release or an older one (upgraded on the copy, never the backup
itself), and verify as `starcert audit verify` does, before the live file is touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storage.database import address, current, daemon_beats, open_database, upgrade
from storage.sql import sqlite_restore
from storage.sql.schema import SCHEMA_REVISION
from workflows.audit_trail import verify_log
from workflows.errors import InvalidInput, StarcertError


class RestoreRefused(StarcertError):
    """The restore would be unsafe or the backup is not good; nothing was changed."""


def refuse_running_daemons(url: str, now: datetime, max_age: timedelta, *, force: bool) -> None:
    """Raise RestoreRefused when a daemon was heard from on `url` within `max_age` of `now`.

    `force`: a database whose heartbeats cannot be read (damaged) may still be replaced.
    """
    live = address(url).sqlite_file
    problem = None if live is None else sqlite_restore.unreadable(live)
    if problem is not None:
        if force:
            return
        raise RestoreRefused(
            f"cannot read which daemons run on the database ({problem}); make sure none does, "
            "then give --force"
        )
    for beat in daemon_beats(url):
        heard = max((t for t in (beat.beat_at, beat.last_tick_at) if t), default=beat.started_at)
        if beat.state != "stopped" and now - heard <= max_age:
            raise RestoreRefused(
                f"daemon {beat.worker} (pid {beat.pid} on {beat.host}) runs on the database, "
                f"last heard {(now - heard).total_seconds():.0f} s ago: stop it first"
            )


def restore_sqlite(backup: Path, live: Path, now: datetime) -> list[str]:
    """Put `backup` in place of the SQLite database `live`; what was done, in lines.

    Nothing changes unless the backup opens, is starcert's and verifies; the replaced database
    (with its -wal and -shm) is renamed aside, never deleted.
    """
    try:
        staged = sqlite_restore.stage(backup, live)
    except sqlite_restore.NotADatabase as exc:
        raise InvalidInput("BACKUP", str(exc)) from None
    try:
        said = _checked(staged, backup)
        sqlite_restore.seal(staged, live)
        aside = sqlite_restore.aside_name(live, now)
        moved = sqlite_restore.put_in_place(staged, live, aside)
    except BaseException:
        sqlite_restore.discard(staged)
        raise
    kept = f"the replaced database kept as {aside}" if moved else "there was no database before"
    return [*said, f"restored {live} from {backup}; {kept}"]


def _checked(staged: Path, backup: Path) -> list[str]:
    """Upgrade the copy when an older release made it, then verify it; what it found."""
    url = f"sqlite:///{staged}"
    revision = current(url)
    if revision is None:
        raise InvalidInput("BACKUP", f"{backup} is a SQLite database but not starcert's")
    said = []
    if revision > SCHEMA_REVISION:
        raise InvalidInput(
            "BACKUP",
            f"{backup} is at schema revision {revision}, from a newer starcert (this one reads "
            f"{SCHEMA_REVISION}): restore it with that release",
        )
    if revision < SCHEMA_REVISION:
        upgrade(url)
        said.append(f"upgraded the copy from schema {revision} to {SCHEMA_REVISION}")
    database = open_database(url)
    try:
        database.require_current()
        with database.unit_of_work() as uow:
            report = verify_log(uow.events, case_row=uow.cases.get)
    finally:
        database.close()
    if not report.ok:
        raise RestoreRefused(f"{backup} does not verify, nothing replaced: {report.broken}")
    said.append(
        f"verified: {report.cases_checked} chains, {report.events_checked} events in {backup}"
    )
    return said
