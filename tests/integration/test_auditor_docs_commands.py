"""Every `starcert auditor` command README.md shows runs, in the order it shows them, after the
organisation its Operating section registers, and does what the text around it says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.integration.conftest import Starcert

REPO = Path(__file__).resolve().parents[2]


def shown(doc: str, command: str) -> list[list[str]]:
    """The `starcert COMMAND ...` lines of a document's code blocks, continuations joined."""
    text = (REPO / doc).read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    joined = [line for b in blocks for line in b.replace("\\\n", " ").splitlines()]
    return [
        shlex.split(line, comments=True)[1:]
        for line in joined
        if line.startswith(f"starcert {command} ")
    ]


def test_every_auditor_command_the_readme_shows_runs(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    [org_add] = [args for args in shown("README.md", "org") if args[1] == "add"]
    starcert(*org_add)
    commands = shown("README.md", "auditor")
    assert [args[1] for args in commands] == ["add", "update", "list", "list", "show"]
    outs = [starcert(*args).out for args in commands]
    assert outs[2].startswith("auditor 1: Wang Fang senior_auditor 2021-N1AS-1234567")
    shown_record = outs[4].splitlines()
    assert "  areas: e_commerce, furniture, household_appliances" in shown_record
    assert "  languages: zh" in shown_record
    assert [line.split()[-1] for line in shown_record[-2:]] == ["added", "updated"]
