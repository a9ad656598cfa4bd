"""The systemd units in deploy/: systemd itself accepts them, and every starcert command line
they run names a real command with options that exist."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_in_process import run_starcert

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted(DEPLOY.glob("starcert*.service")) + sorted(DEPLOY.glob("starcert*.timer"))
INSTALLED = "/srv/starcert/.venv/bin/starcert"


def _command_lines(unit: Path) -> list[list[str]]:
    lines = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key in {"ExecStart", "ExecStartPre", "ExecStop", "ExecReload"}:
            lines.append(shlex.split(value))
    return lines


def test_deploy_has_the_daemon_and_its_health_probe() -> None:
    assert {u.name for u in UNITS} == {
        "starcert.service",
        "starcert-health.service",
        "starcert-health.timer",
    }


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_each_command_line_is_a_starcert_command_with_real_options(
    unit: Path, tmp_path: Path
) -> None:
    lines = _command_lines(unit)
    assert lines, f"{unit.name} runs nothing"
    for argv in lines:
        assert argv[0] == INSTALLED, f"{unit.name}: {argv[0]} is not the installed starcert"
        args = [a.replace("%H", "host-a") for a in argv[1:]]
        # --help after the options: click refuses an unknown command or option before it.
        ran = run_starcert([*args, "--help"], cwd=tmp_path)
        assert ran.code == 0, f"{unit.name}: starcert {' '.join(args)}: {ran.err or ran.out}"


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but systemd-analyze is missing: the units must be verified")
        pytest.skip("systemd-analyze is not installed here (Debian: apt-get install systemd)")
    # It checks that each command is executable: point them at this checkout's starcert.
    here = Path(sys.executable).parent / "starcert"
    executable = str(here if here.exists() else Path(sys.executable))
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, executable)
        (tmp_path / unit.name).write_text(text.replace("/srv/starcert", str(tmp_path)))
    ran = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0 and not ran.stderr.strip(), ran.stderr
