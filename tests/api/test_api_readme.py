"""The README's shell commands for rule authors over the API run as shown, against a real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.conftest import REPO, Api
from tests.office_day import office_day
from tests.rules_publish.conftest import stricter

TOOLS = ("bash", "curl", "jq")


def readme_block(holding: str) -> str:
    """The README's ```sh block holding the text `holding`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if holding in b]
    return str(block)


@pytest.mark.skipif(
    not all(shutil.which(t) for t in TOOLS), reason=f"needs {', '.join(TOOLS)} on the PATH"
)
def test_the_readme_publishes_a_rule_file_over_the_api(api: Api, tmp_path: Path) -> None:
    block = readme_block("$TOKEN: a rule author's token")  # the block, comments and all
    assert "2027-01-01" in block
    script = block.replace("2027-01-01", office_day(30))  # the example's date, kept ahead
    (tmp_path / "drafts").mkdir()  # a draft lives outside rules/ until it is published
    (tmp_path / "drafts" / "new.yaml").write_text(stricter(), encoding="utf-8")
    env = {**os.environ, "TOKEN": api.tokens["rule_author"], "STARCERT_API": api.base}
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '"publish_refusal":null' in ran.stdout  # the impact, then the publication
    assert '"published_by":"rule_author-1"' in ran.stdout
    versions = api.as_("viewer").get("/api/rules/versions").json()
    assert [v["version"] for v in versions] == ["1", "2"]
