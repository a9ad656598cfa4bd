"""A rule file over the configured size is refused, naming the file, its size, the limit and
where to change it, by every command that reads one; publish stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_in_process import run_starcert
from tests.integration.conftest import Starcert
from tests.rules_publish.conftest import stricter

LIMIT = 40_000


def lowered(starcert: Starcert, limit: int = LIMIT) -> Starcert:
    with starcert.config.open("a", encoding="utf-8") as config:
        config.write(f"[rules]\nmax_file_bytes = {limit}\n")
    return starcert


def padded(path: Path, size: int, version: str = "2") -> Path:
    """A valid next version of the shipped file, made `size` bytes long by comment lines."""
    text = stricter(version)
    line = "# " + "x" * 97 + "\n"
    text += line * ((size - len(text)) // len(line) + 1)
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path, limit: int, config: Path) -> str:
    size = path.stat().st_size
    return (
        f"{path}: too large for a rule file: {size:,} bytes, over the limit of {limit:,} bytes "
        f"(split or shorten it, or raise [rules] max_file_bytes in {config})"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["check", "{file}"],
        ["test", "{file}"],
        ["diff", "1", "{file}"],
        ["impact", "{file}", "--json"],
        ["explain", "--facts", "{facts}", "--rules", "{file}"],
    ],
)
def test_every_command_that_reads_a_rule_file_refuses_one_over_the_limit(
    starcert_sqlite: Starcert, command: list[str]
) -> None:
    starcert = lowered(starcert_sqlite)
    starcert("rules", "history")  # the shipped version published, for `diff 1`
    big = padded(starcert.workdir / "big.yaml", LIMIT + 1000)
    facts = starcert.write("facts.json", {"application_date": "2026-03-01"})
    args = [a.format(file=big, facts=facts) for a in command]
    done = starcert("rules", *args, check=False)
    assert done.code == 2, done.err
    assert refusal(big, LIMIT, starcert.config) in done.err


def test_publish_refuses_a_file_over_the_limit_and_stores_nothing(starcert: Starcert) -> None:
    starcert = lowered(starcert)
    before = starcert("rules", "history", "--json").json()
    big = padded(starcert.workdir / "big.yaml", LIMIT + 1)
    done = starcert(
        "rules", "publish", str(big), "--effective", "2030-01-01", "--by", "alice", check=False
    )
    assert done.code == 2 and done.out == ""
    assert refusal(big, LIMIT, starcert.config) in done.err
    assert starcert("rules", "history", "--json").json() == before
    small = padded(starcert.workdir / "small.yaml", LIMIT - 1000)  # under it: published
    starcert("rules", "publish", str(small), "--effective", "2030-01-01", "--by", "alice")
    assert [h["version"] for h in starcert("rules", "history", "--json").json()] == ["1", "2"]


def test_without_a_setting_a_file_over_a_million_bytes_is_refused(tmp_path: Path) -> None:
    big = padded(tmp_path / "big.yaml", 1_000_001)
    config = tmp_path / "config.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    done = run_starcert(["--config", str(config), "rules", "check", str(big)], cwd=tmp_path)
    assert done.code == 2
    assert refusal(big, 1_000_000, config) in done.err
