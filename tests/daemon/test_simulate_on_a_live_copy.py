"""`simulate --database COPY` on a backup taken while the daemon runs, as docs/operations.md
says: the copy carries the daemon's fresh heartbeat, but the daemon beats on the original."""

from __future__ import annotations

import json
from pathlib import Path

from daemon_helpers import Site, make_site, wait_until


def test_a_backup_of_the_running_installation_is_simulated_on(
    sqlite_site: Site, tmp_path: Path
) -> None:
    daemon = sqlite_site.serve("live")
    wait_until(
        "the daemon beats", lambda: sqlite_site.cli("health", check=False).returncode == 0, 30
    )
    copy = tmp_path / "backups" / "what-if.db"
    sqlite_site.cli("db", "backup", str(copy))
    span = ("simulate", "--from", "2027-01-01", "--to", "2027-06-01", "--population", "2")
    on_copy = sqlite_site.cli(*span, "--database", f"sqlite:///{copy}", "--json")
    assert json.loads(on_copy.stdout)["created"] == 2
    other = make_site(tmp_path / "other")  # another body's installation: its daemon is not ours
    theirs = other.cli(*span, "--database", f"sqlite:///{copy}", check=False)
    assert theirs.returncode == 2 and "daemon live (pid" in theirs.stderr
    assert daemon.term() == 0
