"""The commands docs/operations.md gives for contact e-mails and the Prometheus account run as
written, in order, against a fresh database."""

from __future__ import annotations

import re
import shlex

from tests.integration.conftest import REPO, Starcert

DOC = REPO / "docs" / "operations.md"


def _block_after(heading: str) -> list[list[str]]:
    """The shell block under `heading`: each line's words, comments dropped."""
    section = DOC.read_text(encoding="utf-8").split(heading + "\n", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", section, flags=re.S)
    assert block is not None, f"no shell block under {heading}"
    lines = [shlex.split(line, comments=True) for line in block.group(1).splitlines()]
    return [words for words in lines if words]


def test_the_contact_e_mail_commands_run_as_documented(starcert_sqlite: Starcert) -> None:
    lines = _block_after("### E-mail to the client's contact")
    assert [w[:3] for w in lines] == [
        ["starcert", "org", "add"],
        *[["starcert", "org", "update"]] * 2,
    ]
    outcomes = [starcert_sqlite(*words[1:]) for words in lines]
    assert "contact 售后@闽江.中国" in outcomes[0].out
    assert "contact service@minjiang.example.cn" in outcomes[1].out
    assert "contact" not in outcomes[2].out.split(")", 1)[1]


def test_the_prometheus_account_is_made_as_documented(starcert_sqlite: Starcert) -> None:
    [words] = _block_after("## Metrics")
    made = starcert_sqlite(*words[1:])
    assert words[:4] == ["starcert", "users", "add", "prometheus"]
    assert "\nsct_" in made.out  # the token, shown once
