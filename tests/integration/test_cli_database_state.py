"""A database that is missing, unmigrated or newer than the code: one line from every command,
nothing created or changed; only `starcert db upgrade` creates a database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from starcert.config import load_config
from storage.sql.schema import SCHEMA_REVISION
from tests.integration.conftest import Completed, Starcert, make_runner

NEWER = f"{int(SCHEMA_REVISION) + 1:04d}"
"""The revision a later release's migration would leave in the database."""

READERS: list[tuple[str, ...]] = [  # one of each way in: the check is the same shared one
    ("status",),
    ("show", "1"),
    ("export",),
    ("audit", "verify"),
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


def _set_revision(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def _revision(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    engine.dispose()
    return found


def test_a_database_newer_than_the_code_is_refused_in_one_line_and_left_as_it_is(
    starcert: Starcert,
) -> None:
    url = load_config(starcert.config).database_url
    starcert("org", "add", "--name", "Acme", "--credit-code", "91350100M000100Y43", "--by", "a")
    _set_revision(url, NEWER)  # as a later release's `db upgrade` leaves it, before a rollback
    newer = (
        f"is at schema revision {NEWER}, newer than this starcert knows (its newest is "
        f"{SCHEMA_REVISION}): install the starcert release that has revision {NEWER}"
    )

    upgraded = starcert("db", "upgrade", check=False)
    assert upgraded.code == 1
    line = one_line(upgraded)
    assert line.startswith("error: the database ") and line.endswith(newer)
    assert _revision(url) == NEWER

    for args in (("list",), ("serve",), ("org", "add", "--name", "B", "--credit-code",
                                          "91350100M000100Y43", "--by", "a")):  # fmt: skip
        refused = starcert(*args, check=False)
        assert refused.code == 1, (args, refused)
        assert one_line(refused).endswith(newer), args
        assert "db upgrade" not in refused.err  # upgrading is not the way out
    health = starcert("health", check=False)
    assert health.code == 1 and health.out.startswith("unhealthy: the database ")
    assert health.out.strip().endswith(newer)
    assert starcert("db", "current").out.strip() == NEWER

    _set_revision(url, SCHEMA_REVISION)  # the release that knows it is back: all is there
    assert [o["name"] for o in _organisations(url)] == ["Acme"]


def _organisations(url: str) -> list[dict[str, object]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT name FROM organisations"))]
    engine.dispose()
    return rows
