"""`starcert db restore`: a SQLite backup put in place of the live database, the replaced kept.

Three steps, so that nothing changes until the backup is known to be good:
1. `stage`: the backup (with any -wal beside it) copied by SQLite's backup API to a new file in
   the live database's folder, checked page by page (`quick_check`);
2. the caller opens that copy, upgrades and verifies it as it likes, then `seal`s it (one file,
   no -wal, the live file's permissions);
3. `put_in_place`: the live database and its -wal/-shm renamed aside, the copy renamed in.
A copy that is not put in place is `discard`ed. Renames stay within one folder, so each is
atomic; a -wal left beside the new file would be replayed into it, so none is.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from datetime import datetime
from pathlib import Path

from storage.sql.engines import SQLITE_BUSY_TIMEOUT_S
from storage.sql.sqlite_backup import backup_sqlite
from workflows.errors import StorageError

SIDE_FILES = ("-wal", "-shm")
"""What SQLite keeps beside a database in WAL mode; they belong to it, and move with it."""


class NotADatabase(StorageError):
    """The backup is not a SQLite database (or a damaged one)."""


def unreadable(database: Path) -> str | None:
    """Why the SQLite file `database` cannot be read (damaged, not a database), else None."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None


def stage(backup: Path, live: Path) -> Path:
    """A checked, self-contained copy of `backup` in `live`'s folder, under a hidden name."""
    if not backup.is_file():
        raise FileNotFoundError(backup)
    fd, name = tempfile.mkstemp(dir=live.parent, prefix=f".{live.name}.", suffix=".restoring")
    os.close(fd)
    staged = Path(name)
    try:
        backup_sqlite(backup, staged)
    except sqlite3.DatabaseError as exc:
        discard(staged)
        raise NotADatabase(f"{backup} is not a usable SQLite database ({exc})") from None
    except BaseException:
        discard(staged)
        raise
    return staged


def seal(staged: Path, live: Path) -> None:
    """Make `staged` one file again (what opening it put in a -wal folded in) with the live
    database's permissions, ready to be renamed over it."""
    try:
        connection = sqlite3.connect(staged, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot finish the copy {staged}: {exc}") from exc
    with open(staged, "rb+") as written:
        os.fsync(written.fileno())
    if live.exists():
        os.chmod(staged, stat.S_IMODE(live.stat().st_mode))


def aside_name(live: Path, now: datetime) -> Path:
    """Where the replaced database goes: `starcert.db.before-restore-20261203T061500Z`."""
    base = f"{live.name}.before-restore-{now.strftime('%Y%m%dT%H%M%SZ')}"
    aside, n = live.with_name(base), 1
    while any(aside.with_name(aside.name + s).exists() for s in ("", *SIDE_FILES)):
        n += 1
        aside = live.with_name(f"{base}-{n}")
    return aside


def put_in_place(staged: Path, live: Path, aside: Path) -> list[Path]:
    """Rename `live` (and its -wal, -shm) to `aside`, then `staged` to `live`; the files moved
    aside. On a failure the moves are undone and `staged` is left for the caller to discard."""
    _fold_wal(live)
    moved: list[tuple[Path, Path]] = []
    try:
        for suffix in ("", *SIDE_FILES):
            source = live.with_name(live.name + suffix)
            if source.exists():
                target = aside.with_name(aside.name + suffix)
                os.rename(source, target)
                moved.append((source, target))
        os.replace(staged, live)
    except BaseException:
        for source, target in reversed(moved):
            os.rename(target, source)
        raise
    _sync_folder(live.parent)
    return [target for _, target in moved]


def discard(staged: Path) -> None:
    for suffix in ("", *SIDE_FILES, "-journal"):
        staged.with_name(staged.name + suffix).unlink(missing_ok=True)


def _fold_wal(live: Path) -> None:
    """Checkpoint the live database so that the file kept aside holds all it committed; a
    damaged one keeps its -wal, which moves aside with it."""
    if not live.exists():
        return
    try:
        connection = sqlite3.connect(live, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    except sqlite3.Error:
        pass  # unreadable: it is set aside as it is, -wal and all


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
