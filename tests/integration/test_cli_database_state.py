"""A database that is missing or unmigrated: one line from every command, nothing created;
only `starcert db upgrade` creates a database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.schema import SCHEMA_REVISION
from tests.integration.conftest import Completed, make_runner

READERS: list[tuple[str, ...]] = [
    ("status",),
    ("show", "1"),
    ("list",),
    ("list", "--overdue"),
    ("export",),
    ("audit", "verify"),
    ("incidents", "list"),
    ("users", "list"),
    ("db", "current"),
    ("fire-due",),
    ("serve",),
]


def one_line(done: Completed) -> str:
    assert "Traceback" not in done.err, done.err
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    return lines[0]


def test_reading_a_missing_sqlite_database_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "var" / "nothere.db"
    starcert = make_runner(tmp_path, f"sqlite:///{db}", migrate=False)
    (tmp_path / "var").mkdir()
    said = f"error: no database at {db}: run `starcert db upgrade` to create it"
    for args in READERS:
        refused = starcert(*args, check=False)
        assert refused.code == 1, (args, refused)
        assert one_line(refused) == said, args
    health = starcert("health", check=False)
    assert health.code == 1
    assert health.out == f"unhealthy: no database at {db}: run `starcert db upgrade` to create it\n"
    assert list((tmp_path / "var").iterdir()) == []  # no file, no -wal, no -shm

    starcert("db", "upgrade")  # the first install creates it
    assert starcert("list", "--json").json() == []
    assert starcert("db", "current").out.strip() == SCHEMA_REVISION


def test_db_upgrade_creates_the_folder_of_a_new_sqlite_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "sub" / "starcert.db"
    starcert = make_runner(tmp_path, f"sqlite:///{db}", migrate=False)
    starcert("db", "upgrade")
    assert db.exists()
    assert starcert("list", "--json").json() == []


def test_health_is_one_line_on_a_deleted_or_unmigrated_database(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None)
    db = tmp_path / "data" / "starcert.db"
    for leftover in db.parent.glob("starcert.db*"):  # deleted under us, WAL files and all
        leftover.unlink()
    deleted = starcert("health", check=False)
    assert deleted.code == 1 and deleted.err == ""
    assert deleted.out == (
        f"unhealthy: no database at {db}: run `starcert db upgrade` to create it\n"
    )
    assert not db.exists()

    sqlite3.connect(db).close()  # a database file without the schema
    empty = starcert("health", check=False)
    assert empty.code == 1 and empty.err == ""
    [line] = empty.out.splitlines()
    assert line.startswith("unhealthy: the database sqlite:///")
    assert "has no starcert schema" in line and "run `starcert db upgrade`" in line
