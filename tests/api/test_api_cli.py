"""`starcert users` and `starcert api` as an operator runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import REPO, free_port


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\nrules_dir = "{REPO / "rules"}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(REPO)
    base = [sys.executable, "-m", "starcert.cli", "--config", str(config)]
    subprocess.run([*base, "db", "upgrade"], env=env, check=True, capture_output=True)
    yield base, env


def _run(cli: tuple[list[str], dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    base, env = cli
    return subprocess.run([*base, *args], env=env, capture_output=True, text=True, timeout=60)


def test_users_get_tokens_that_work_on_the_served_api_until_revoked(
    cli: tuple[list[str], dict[str, str]],
) -> None:
    added = _run(cli, "users", "add", "alice", "--role", "operator", "--json")
    assert added.returncode == 0, added.stderr
    token = json.loads(added.stdout)["token"]
    assert token.startswith("sct_")

    port = free_port()
    base, env = cli
    server = subprocess.Popen(
        [*base, "api", "--port", str(port)],
        env=env,
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
        assert revoked.returncode == 0, revoked.stderr
        assert httpx.get(f"{url}/api/me", headers=auth).status_code == 401
    finally:
        server.terminate()
        server.communicate(timeout=15)

    listed = json.loads(_run(cli, "users", "list", "--json").stdout)
    assert [
        (u["name"], u["role"], u["revoked_at"] is not None, u["revoked_by"]) for u in listed
    ] == [("alice", "operator", True, "admin")]
    assert token not in _run(cli, "users", "list", "--json").stdout


def test_a_name_is_never_reused_and_a_role_must_exist(
    cli: tuple[list[str], dict[str, str]],
) -> None:
    assert _run(cli, "users", "add", "bob", "--role", "viewer").returncode == 0
    again = _run(cli, "users", "add", "bob", "--role", "operator")
    assert again.returncode == 2 and "never reused" in again.stderr
    assert _run(cli, "users", "add", "carol", "--role", "king").returncode == 2
    assert _run(cli, "users", "revoke", "nobody").returncode == 4
