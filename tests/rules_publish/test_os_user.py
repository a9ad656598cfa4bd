"""The CLI records the host account that ran it beside the `--by` it declares, and shows both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_in_process import Ran, run_starcert
from tests.integration.conftest import Starcert
from tests.office_day import office_day


def _as_host(starcert: Starcert, host: str, *args: str) -> Ran:
    """`starcert *args` run by the operating-system user `host` (getpass reads LOGNAME first)."""
    ran = run_starcert(
        ["--config", str(starcert.config), *args], cwd=starcert.workdir, env={"LOGNAME": host}
    )
    assert ran.code == 0, ran.err
    return ran


def test_a_publication_records_the_os_user_beside_by(starcert_sqlite: Starcert, v2: Path) -> None:
    starcert = starcert_sqlite
    done = _as_host(
        starcert, "chen", "rules", "publish", str(v2), "--effective", office_day(5),
        "--by", "chen.yu", "--json",
    )  # fmt: skip
    assert json.loads(done.out)["published_by_os_user"] == "chen"

    history: list[dict[str, Any]] = starcert("rules", "history", "--json").json()
    assert [(h["published_by"], h["published_by_os_user"]) for h in history] == [
        ("starcert (shipped rule files)", None),
        ("chen.yu", "chen"),
    ]
    [_, line, _] = starcert("rules", "history").out.splitlines()
    assert line.endswith("by chen.yu (os user chen)")
    assert "by chen.yu (os user chen) from" in starcert("rules", "show", "2").out


def test_accounts_record_the_os_user_who_added_and_revoked_them(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    _as_host(starcert, "root", "users", "add", "guest", "--role", "viewer", "--by", "admin")
    revoked = _as_host(starcert, "ops", "users", "revoke", "guest", "--by", "li.na", "--json")
    assert json.loads(revoked.out)["revoked_by_os_user"] == "ops"

    [account] = starcert("users", "list", "--json").json()
    assert (account["created_by"], account["created_by_os_user"]) == ("admin", "root")
    assert (account["revoked_by"], account["revoked_by_os_user"]) == ("li.na", "ops")
    listed = starcert("users", "list").out
    assert "by admin (os user root)" in listed and "by li.na (os user ops)" in listed
