"""`starcert db backup` refuses in one line what it cannot or must not do, and writes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import make_runner


def test_db_backup_refusals(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "pg").mkdir()
    starcert = make_runner(tmp_path / "site", None, migrate=False)
    missing = tmp_path / "site" / "data" / "starcert.db"
    refused = starcert("db", "backup", str(tmp_path / "b.db"), check=False)
    assert refused.code == 1
    assert (
        refused.err == f"error: no database at {missing}: run `starcert db upgrade` to create it\n"
    )
    assert not missing.exists()

    starcert("db", "upgrade")
    (tmp_path / "a-file").write_text("not a folder")
    for target, code, said in (
        (missing, 2, f"PATH: {missing} is the database itself"),
        (tmp_path / "a-file" / "b.db", 2, f"PATH: cannot make the folder {tmp_path}/a-file"),
    ):
        refused = starcert("db", "backup", str(target), check=False)
        assert refused.code == code and refused.err.startswith(f"error: {said}"), refused
        assert len(refused.err.splitlines()) == 1
    assert (tmp_path / "a-file").read_text() == "not a folder"

    pg = make_runner(
        tmp_path / "pg", "postgresql+psycopg://starcert:secret@db.example:5432/cb", migrate=False
    )
    refused = pg("db", "backup", "/srv/backups/cb.dump", check=False)
    assert refused.code == 2
    assert refused.err == (
        "error: database_url: db backup copies SQLite databases; back PostgreSQL up with "
        "pg_dump, e.g. pg_dump --format=custom --file=/srv/backups/cb.dump "
        "'postgresql://starcert@db.example:5432/cb'\n"
    )
    assert "secret" not in refused.err


def test_db_backup_makes_the_folder_it_writes_to(tmp_path: Path) -> None:
    """`starcert db backup backups/starcert.db` on a fresh install: no `backups` folder yet."""
    (tmp_path / "site").mkdir()
    starcert = make_runner(tmp_path / "site", None)
    done = starcert("db", "backup", "backups/nightly/starcert.db")
    copy = tmp_path / "site" / "backups" / "nightly" / "starcert.db"
    assert done.out.endswith(
        f"written to backups/nightly/starcert.db ({copy.stat().st_size} bytes)\n"
    )
    assert copy.read_bytes().startswith(b"SQLite format 3")
