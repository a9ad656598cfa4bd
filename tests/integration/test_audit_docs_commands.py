"""Every `starcert audit keygen|checkpoint|verify` command README.md and docs/operations.md show
runs, in the order they show it, and does what the text around it says."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx
import pytest

from starcert.api.server import start_api_thread
from starcert.app import App
from starcert.config import load_config
from tests.api.conftest import free_port
from tests.integration.conftest import Starcert
from tests.integration.test_cli_audit_checkpoints import certified

REPO = Path(__file__).resolve().parents[2]
SHOWN = re.compile(r"^starcert audit (keygen|checkpoint|verify)\b.*$", re.MULTILINE)


def shown(doc: str) -> list[list[str]]:
    """The audit trail commands a document shows in its code blocks, as argument lists."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", (REPO / doc).read_text(encoding="utf-8"), re.S)
    lines = [m.group(0) for block in blocks for m in SHOWN.finditer(block)]
    return [shlex.split(line, comments=True)[1:] for line in lines]


def test_the_documents_show_the_checkpoint_commands() -> None:
    readme, operations = shown("README.md"), shown("docs/operations.md")
    assert ["audit", "keygen", "--rotate"] in operations
    assert ["audit", "verify", "--checkpoints", "checkpoints.json"] in readme
    assert ["audit", "checkpoint", "--no-sign", "--out", "checkpoints.json"] in operations


@pytest.mark.parametrize("doc", ["README.md", "docs/operations.md"])
def test_every_audit_command_a_document_shows_runs(starcert_sqlite: Starcert, doc: str) -> None:
    starcert = starcert_sqlite
    certified(starcert, 11)
    commands = shown(doc)
    for args in commands:
        if "latest.json" in args:  # what an outsider saved from the public site
            application = App(load_config(starcert.config))
            port = free_port()
            server = start_api_thread(application, "127.0.0.1", port)
            try:
                latest = httpx.get(f"http://127.0.0.1:{port}/checkpoints/latest", timeout=30)
            finally:
                server.stop()
                application.close()
            assert latest.status_code == 200
            (starcert.workdir / "latest.json").write_text(latest.text, encoding="utf-8")
        done = starcert(*args, check=False)
        assert done.code == 0, (doc, args, done.err)
    verified = starcert("audit", "verify", "--checkpoints", "checkpoints.json", "--json").json()
    assert verified["ok"] is True and verified["checkpoints_checked"] >= 1
    if doc == "docs/operations.md":
        keys = json.loads((starcert.workdir / "checkpoints.json").read_text(encoding="utf-8"))
        assert len(keys["keys"]) == 1  # exported before the rotation
