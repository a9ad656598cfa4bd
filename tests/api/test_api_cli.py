"""`starcert users` and `starcert api` as an operator runs them: the API a real process, real
HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import REPO, free_port
from tests.cli_in_process import Ran, run_starcert


@dataclass(frozen=True)
class Cli:
    config: Path
    env: dict[str, str]
    """The environment of the API's process: this one's, less every STARCERT_* variable."""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\nrules_dir = "{REPO / "rules"}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(REPO)
    made = Cli(config, env)
    assert _run(made, "db", "upgrade").code == 0
    return made


def _run(cli: Cli, *args: str) -> Ran:
    """A `starcert` command other than the served API, run in this process."""
    return run_starcert(["--config", str(cli.config), *args], cwd=cli.config.parent)


def test_users_get_tokens_that_work_on_the_served_api_until_revoked(
    cli: Cli,
) -> None:
    added = _run(cli, "users", "add", "alice", "--role", "operator", "--json")
    assert added.code == 0, added.err
    token = json.loads(added.out)["token"]
    assert token.startswith("sct_")

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "starcert.cli",
            "--config",
            str(cli.config),
            "api",
            "--port",
            str(port),
        ],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the API did not start"
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/me", headers=auth).json() == {
            "name": "alice",
            "role": "operator",
        }
        revoked = _run(cli, "users", "revoke", "alice", "--by", "admin")
        assert revoked.code == 0, revoked.err
        assert httpx.get(f"{url}/api/me", headers=auth).status_code == 401
    finally:
        server.terminate()
        server.communicate(timeout=15)

    listed = json.loads(_run(cli, "users", "list", "--json").out)
    assert [
        (u["name"], u["role"], u["revoked_at"] is not None, u["revoked_by"]) for u in listed
    ] == [("alice", "operator", True, "admin")]
    assert token not in _run(cli, "users", "list", "--json").out


def test_a_name_is_never_reused_and_a_role_must_exist(
    cli: Cli,
) -> None:
    assert _run(cli, "users", "add", "bob", "--role", "viewer").code == 0
    again = _run(cli, "users", "add", "bob", "--role", "operator")
    assert again.code == 2 and "never reused" in again.err
    assert _run(cli, "users", "add", "carol", "--role", "king").code == 2
    assert _run(cli, "users", "revoke", "nobody").code == 4
