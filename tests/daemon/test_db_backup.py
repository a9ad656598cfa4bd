"""`starcert db backup` of a SQLite database a daemon is writing to: the copy is consistent, holds
every row committed before it began, and passes `audit verify` on its own."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon_helpers import (
    Site,
    bulk_active_cases,
    bulk_deadlines,
    firings,
    open_deadlines,
    wait_until,
)
from sqlalchemy import create_engine, text

from tests.cli_in_process import run_starcert


def _rows(path: Path, sql: str) -> set[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return {tuple(r) for r in conn.execute(sql)}


EVENTS = "SELECT case_id, seq, hash FROM events"
DONE = "SELECT id FROM deadlines WHERE done_at IS NOT NULL"


def test_a_backup_taken_while_the_daemon_fires_is_complete_and_verifies(
    sqlite_site: Site, tmp_path: Path
) -> None:
    site = sqlite_site
    live = site.root / "data" / "starcert.db"
    engine = site.engine()
    cases = bulk_active_cases(engine, 1000)
    total = bulk_deadlines(engine, cases, 20, datetime.now(UTC) - timedelta(hours=2))
    daemon = site.serve("writer")
    # The bulk cases carry no event until their first firing, and the first round of firings
    # reaches every case: past it, each case has the trail a real one always has.
    under_way = len(cases) + 200
    wait_until("firing under way", lambda: total - open_deadlines(engine) >= under_way, timeout=120)

    committed = _rows(live, EVENTS)  # every row committed before the backup starts
    copy = tmp_path / "backup" / "starcert-copy.db"
    copy.parent.mkdir()
    done = site.cli("db", "backup", str(copy))
    assert done.stdout.startswith(f"backup of {live} written to {copy} (")
    assert open_deadlines(engine) > 0, "the daemon was still writing when the backup ended"

    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]  # no -wal to carry
    assert _rows(copy, "PRAGMA integrity_check") == {("ok",)}
    in_copy = _rows(copy, EVENTS)
    assert committed <= in_copy
    copied = create_engine(f"sqlite:///{copy}")
    fired = set(firings(copied))
    copied.dispose()
    assert fired == {i for (i,) in _rows(copy, DONE)}  # each firing whole, or not at all
    assert len(fired) >= under_way

    config = tmp_path / "copy.toml"
    config.write_text(
        site.config.read_text(encoding="utf-8").replace(site.url, f"sqlite:///{copy}"),
        encoding="utf-8",
    )
    verified = run_starcert(["--config", str(config), "audit", "verify"], cwd=site.root)
    assert verified.code == 0, verified.err
    assert verified.out.startswith("ok: ")

    again = site.cli("db", "backup", str(copy), check=False)
    assert again.returncode == 2
    assert again.stderr == f"error: PATH: {copy} exists: give --force to replace it\n"
    assert in_copy == _rows(copy, EVENTS)  # left as it was

    assert daemon.term() == 0
    assert in_copy <= _rows(live, EVENTS)  # a snapshot of the live database, nothing else
    site.cli("db", "backup", str(copy), "--force")
    with engine.connect() as conn:
        assert _rows(copy, EVENTS) == {tuple(r) for r in conn.execute(text(EVENTS))}
    engine.dispose()
