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
    for target, code, said in (
        (missing, 2, f"PATH: {missing} is the database itself"),
        (tmp_path / "no" / "b.db", 2, f"PATH: cannot write {tmp_path}/no/b.db: there is no folder"),
    ):
        refused = starcert("db", "backup", str(target), check=False)
        assert refused.code == code and refused.err.startswith(f"error: {said}"), refused
        assert len(refused.err.splitlines()) == 1
    assert not (tmp_path / "no").exists()

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
