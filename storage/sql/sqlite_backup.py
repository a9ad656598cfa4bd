"""`starcert db backup`: an online, consistent copy of a SQLite database file."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from storage.sql.engines import SQLITE_BUSY_TIMEOUT_S


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database `source` to `target` while others keep writing; its size in bytes.

    SQLite's online backup API copies every page in one step, inside one read transaction: in
    WAL mode that is a consistent snapshot of everything committed when it began, writers are
    not held up, and commits still in the -wal file are included (a plain file copy misses them).
    The copy is a self-contained file (rollback journal, no -wal beside it), written next to
    `target` and renamed over it once complete, so a failed backup leaves nothing half-made.
    """
    if not source.exists():  # connecting would create an empty database
        raise FileNotFoundError(source)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        src = sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: all at once, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                checked = dst.execute("PRAGMA quick_check").fetchone()[0]
                if checked != "ok":
                    raise sqlite3.DatabaseError(f"the copy does not check: {checked}")
            finally:
                dst.close()
        finally:
            src.close()
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target.stat().st_size
