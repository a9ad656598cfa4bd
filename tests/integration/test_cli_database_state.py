"""A database that is not at this starcert's schema: one line from every command."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import make_runner


def test_health_is_one_line_on_an_unmigrated_database(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None, migrate=False)
    empty = starcert("health", check=False)
    assert empty.code == 1 and empty.err == ""
    [line] = empty.out.splitlines()
    assert line.startswith("unhealthy: the database sqlite:///")
    assert "has no starcert schema" in line and "run `starcert db upgrade`" in line
