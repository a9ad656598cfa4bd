"""Long commands show a progress bar to a person at a terminal, and nothing to a pipe or --json.

The terminal is a real pseudo-terminal (pty): whether output is a terminal is the point.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import Starcert, make_runner

SIMULATE = ("simulate", "--from", "2026-01-01", "--to", "2027-06-01", "--population", "3")


def on_terminal(starcert: Starcert, *args: str) -> str:
    """Everything the command writes to a terminal (stdout and stderr are both the pty)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "starcert.cli", "--config", str(starcert.config), *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**starcert.env, "TERM": "xterm-256color"},
        cwd=starcert.workdir,
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process (EIO)
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_simulate_shows_its_steps_on_a_terminal(tmp_path: Path) -> None:
    screen = on_terminal(make_runner(tmp_path, None, migrate=False), *SIMULATE)
    assert "cases already there" in screen and "new certificates" in screen
    assert "certificates created: 3" in screen


def test_simulate_is_quiet_in_a_pipe_and_with_json_on_a_terminal(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None, migrate=False)
    piped = starcert(*SIMULATE)
    assert piped.err == ""
    assert "certificates created: 3" in piped.out and "new certificates" not in piped.out
    screen = on_terminal(starcert, *SIMULATE, "--json")
    assert "new certificates" not in screen and "cases already there" not in screen
    assert json.loads(screen)["created"] == 3


def test_export_shows_the_register_being_read_on_a_terminal_only(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None)
    out = tmp_path / "register.csv"
    assert "reading the register" in on_terminal(starcert, "export", "--out", str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("certificate_number,")
    piped = starcert("export")
    assert piped.out.startswith("certificate_number,")
    assert piped.err == "wrote stdout: 0 certificates, CSV (IAF CertSearch fields), UTF-8\n"
