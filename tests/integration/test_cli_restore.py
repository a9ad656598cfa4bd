"""Restoring a backup, as docs/operations.md tells an operator to: `starcert db restore` on
SQLite, pg_dump and pg_restore on PostgreSQL. Nothing changes until the backup proves good."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.sql.migrate import upgrade
from storage.sql.schema import SCHEMA_REVISION
from storage.sql.sql_heartbeats import SqlHeartbeats
from tests.integration.conftest import REPO, Starcert, make_runner
from tests.integration.test_cli_lifecycle import certified
from workflows.read_ports import Heartbeat

OPERATIONS = REPO / "docs" / "operations.md"


def doc_block(first_line_starts: str) -> str:
    """The shell block of docs/operations.md whose first command starts so."""
    text = OPERATIONS.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\w*\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    [block] = [b for b in blocks if b.startswith(first_line_starts)]
    return block


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def state_in(database: Path, case_id: str) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT state FROM cases WHERE id = ?", (int(case_id),)).fetchone()
    return str(row[0])


def crash_after_writing(database: Path, case_id: str) -> None:
    """A process that commits a change in WAL mode and dies without a checkpoint, as a killed
    daemon does: the change lives only in starcert.db-wal."""
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute(\"UPDATE cases SET holder = 'Acme (renamed)' WHERE id = ?\", (int(sys.argv[2]),))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(database), case_id], check=True)


def test_a_backup_replaces_the_database_and_the_replaced_one_is_kept_with_its_wal(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    backup = starcert.workdir / "starcert-2026-12-01.db"
    starcert("db", "backup", str(backup))
    starcert("decide", cid, "--by", "carol")  # after the backup: lost by the restore
    live = starcert.workdir / "data" / "starcert.db"
    crash_after_writing(live, cid)
    assert live.with_name("starcert.db-wal").exists()
    backup_before = hashlib.sha256(backup.read_bytes()).hexdigest()

    [command] = doc_block("starcert db restore ").splitlines()
    args = command.replace("/srv/backups/starcert-2026-12-01.db", str(backup)).split()[1:]
    done = starcert(*args)

    assert done.err == ""
    lines = done.out.splitlines()
    assert lines[0] == f"verified: 1 chains, 4 events in {backup}"
    assert lines[1].startswith(f"restored {live} from {backup}; the replaced database kept as ")
    aside = Path(lines[1].rsplit(" ", 1)[1])
    assert aside.parent == live.parent and aside.name.startswith("starcert.db.before-restore-")
    assert sorted(p.name for p in live.parent.iterdir()) == ["starcert.db", aside.name]
    assert state_in(aside, cid) == "active"  # the replaced database, its last commit folded in
    with sqlite3.connect(f"file:{aside}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT holder FROM cases").fetchone()[0] == "Acme (renamed)"
    assert starcert("show", cid, "--json").json()["case"]["state"] == "decision"
    assert starcert("audit", "verify", "--json").json()["ok"] is True
    assert hashlib.sha256(backup.read_bytes()).hexdigest() == backup_before
    assert starcert("decide", cid, "--by", "carol", "--json").json()["state"] == "active"


def test_a_backup_that_is_not_good_is_refused_and_nothing_changes(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    work = starcert.workdir
    good = work / "good.db"
    starcert("db", "backup", str(good))
    (work / "junk.db").write_bytes(b"not a database at all" * 100)
    sqlite3.connect(work / "other.db").execute("CREATE TABLE t (x)").connection.close()
    shutil.copy(good, work / "newer.db")
    with sqlite3.connect(work / "newer.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    shutil.copy(good, work / "tampered.db")
    with sqlite3.connect(work / "tampered.db") as conn:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE events SET actor = 'mallory' WHERE case_id = ? AND seq = 2", (cid,))
    data = work / "data"
    before = digest(data)

    for name, code, said in (
        ("missing.db", 2, f"error: BACKUP: {work}/missing.db: no such file"),
        ("junk.db", 2, f"error: BACKUP: {work}/junk.db is not a usable SQLite database"),
        ("other.db", 2, f"error: BACKUP: {work}/other.db is a SQLite database but not starcert's"),
        ("newer.db", 2, f"error: BACKUP: {work}/newer.db is at schema revision 9999, from a newer"),
        ("tampered.db", 1, f"error: {work}/tampered.db does not verify, nothing replaced: case"),
        ("data/starcert.db", 2, f"error: BACKUP: {work}/data/starcert.db is the database itself"),
    ):
        refused = starcert("db", "restore", str(work / name), check=False)
        assert (refused.code, refused.out) == (code, ""), refused
        assert refused.err.startswith(said), refused.err
        assert len(refused.err.splitlines()) == 1
        assert digest(data) == before  # no half copy left beside it either


def test_a_backup_of_an_older_release_is_upgraded_on_the_way_in(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    old = starcert.workdir / "old.db"
    upgrade(f"sqlite:///{old}", "0004")
    done = starcert("db", "restore", str(old))
    assert done.out.splitlines()[0] == f"upgraded the copy from schema 0004 to {SCHEMA_REVISION}"
    assert starcert("db", "current").out == f"{SCHEMA_REVISION}\n"
    with sqlite3.connect(f"file:{old}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)


def test_a_restore_into_an_empty_folder_keeps_nothing_aside(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    source = make_runner(tmp_path, None)
    certified(source)
    backup = tmp_path / "b.db"
    source("db", "backup", str(backup))
    fresh = make_runner(tmp_path / "site", None, migrate=False)
    done = fresh("db", "restore", str(backup))
    assert done.out.endswith("; there was no database before\n")
    assert fresh("audit", "verify", "--json").json()["cases_checked"] == 1


def _beat(database: Path, state: str, heard: datetime) -> None:
    engine = create_engine(f"sqlite:///{database}")
    try:
        SqlHeartbeats(engine).put(
            Heartbeat(
                worker="cb-a",
                pid=4242,
                host="db-host",
                state=state,
                started_at=heard - timedelta(hours=1),
                beat_at=heard,
                last_tick_at=heard,
                clock_at=heard,
                fired_total=0,
                failed_total=0,
                last_error=None,
            )
        )
    finally:
        engine.dispose()


def test_a_restore_is_refused_while_a_daemon_beats_on_the_database(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    backup = starcert.workdir / "b.db"
    starcert("db", "backup", str(backup))
    starcert("decide", cid, "--by", "carol")
    live = starcert.workdir / "data" / "starcert.db"
    daemon = starcert.popen("serve", "--worker", "cb-a")
    try:
        until = time.monotonic() + 120  # a loaded machine starts Python slowly
        while not starcert("status", "--json").json()["daemons"]:
            assert daemon.poll() is None and time.monotonic() < until, "the daemon never beat"
            time.sleep(0.05)
        refused = starcert("db", "restore", str(backup), check=False)
        assert refused.code == 1, refused
        assert refused.err.startswith(f"error: daemon cb-a (pid {daemon.pid} on ")
        assert refused.err.endswith(" s ago: stop it first\n")
        assert {p.name for p in live.parent.iterdir()} <= {
            "starcert.db",
            "starcert.db-wal",
            "starcert.db-shm",
        }  # nothing set aside, no copy left (the daemon's beats change the files themselves)
        assert starcert("show", cid, "--json").json()["case"]["state"] == "active"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=60)
    assert starcert("db", "restore", str(backup)).code == 0  # stopped: it says so in its beat
    assert starcert("show", cid, "--json").json()["case"]["state"] == "decision"

    _beat(live, "running", datetime.now(UTC) - timedelta(hours=2))  # killed long ago: silent
    assert starcert("db", "restore", str(backup)).code == 0
    _beat(live, "running", datetime.now(UTC))
    assert starcert("db", "restore", str(backup), check=False).code == 1


def test_db_restore_on_postgresql_says_how_to_restore_it(tmp_path: Path) -> None:
    pg = make_runner(
        tmp_path, "postgresql+psycopg://starcert:secret@db-host:5432/cb", migrate=False
    )
    refused = pg("db", "restore", str(tmp_path / "cb.dump"), check=False)
    assert refused.code == 2
    assert refused.err == (
        "error: database_url: db restore replaces SQLite databases; restore PostgreSQL with "
        "pg_restore, e.g. pg_restore --clean --if-exists --no-owner "
        f"--dbname='postgresql://starcert@db-host:5432/cb' {tmp_path}/cb.dump, then run "
        "starcert audit verify (docs/operations.md, Backups)\n"
    )


SCRATCH = "starcert_restore_test"
"""The databases of the PostgreSQL restore: {SCRATCH}_live, _restored and _before."""


@pytest.fixture
def scratch_databases(pg_server_url: str) -> Iterator[str]:
    missing = [t for t in ("pg_dump", "pg_restore", "createdb", "psql") if not shutil.which(t)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI=true but {', '.join(missing)} are missing: the restore must run")
        pytest.skip(f"the PostgreSQL client programs {', '.join(missing)} are not installed")
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")

    def drop_all() -> None:
        with admin.connect() as conn:
            for suffix in ("live", "restored", "before"):
                conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH}_{suffix} WITH (FORCE)"))

    drop_all()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {SCRATCH}_live"))
    try:
        yield pg_server_url.rsplit("/", 1)[0] + f"/{SCRATCH}_live"
    finally:
        drop_all()
        admin.dispose()


@pytest.mark.postgres
def test_the_documented_pg_dump_and_pg_restore_give_a_database_that_verifies(
    tmp_path: Path, scratch_databases: str
) -> None:
    starcert = make_runner(tmp_path, scratch_databases)
    cid = certified(starcert)
    server = create_engine(scratch_databases).url
    host, port, user = (
        server.host or "127.0.0.1",
        server.port or 5432,
        server.username or "postgres",
    )

    def shell(block: str) -> str:
        for doc, here in (
            ("/srv/backups/starcert-2026-12-01.dump", f"{tmp_path}/starcert-$(date +%F).dump"),
            ("/srv/backups/", f"{tmp_path}/"),
            ("starcert@db-host:5432", f"{user}@{host}:{port}"),
            (
                "--host=db-host --username=starcert",
                f"--host={host} --port={port} --username={user}",
            ),
            ("/starcert'", f"/{SCRATCH}_live'"),
            ("DATABASE starcert ", f"DATABASE {SCRATCH}_live "),
            ("TO starcert'", f"TO {SCRATCH}_live'"),
            ("starcert_restored", f"{SCRATCH}_restored"),
            ("starcert_before_restore", f"{SCRATCH}_before"),
        ):
            block = block.replace(doc, here)
        env = {
            **starcert.env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
        )  # fmt: skip
        assert ran.returncode == 0, f"{block}\n{ran.stdout}\n{ran.stderr}"
        return ran.stdout

    shell(doc_block("pg_dump "))
    starcert("decide", cid, "--by", "carol")  # after the dump: lost by the restore
    verified = shell(doc_block("createdb "))
    assert "ok: 1 chains, 4 events verify" in verified
    assert starcert("show", cid, "--json").json()["case"]["state"] == "decision"
    assert starcert("audit", "verify", "--json").json()["ok"] is True
    (tmp_path / "kept").mkdir()
    kept = make_runner(
        tmp_path / "kept", scratch_databases.replace("_live", "_before"), migrate=False
    )
    assert kept("show", cid, "--json").json()["case"]["state"] == "active"


def test_force_replaces_a_database_too_damaged_to_show_its_daemons(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    backup = starcert.workdir / "b.db"
    starcert("db", "backup", str(backup))
    live = starcert.workdir / "data" / "starcert.db"
    live.write_bytes(b"\0" * 100 + b"disk trouble" * 500)
    refused = starcert("db", "restore", str(backup), check=False)
    assert refused.code == 1
    assert refused.err.startswith("error: cannot read which daemons run on the database (")
    assert refused.err.endswith("make sure none does, then give --force\n")
    done = starcert("db", "restore", str(backup), "--force")
    aside = Path(done.out.splitlines()[-1].rsplit(" ", 1)[1])
    assert aside.read_bytes().endswith(b"disk trouble")
    assert starcert("show", cid, "--json").json()["case"]["state"] == "decision"
