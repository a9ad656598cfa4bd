"""The installed `starcert` command as a process of its own: the console script finds the code,
writes to its own stdout and stderr, and ends with the README's exit codes.

(Every other command test runs the same `main` in the test process: tests.cli_in_process.)
"""

from __future__ import annotations

from tests.integration.conftest import Starcert
from workflows.credit_code import check_character

CODE = "91350100M000100Y4" + check_character("91350100M000100Y4")


def test_the_installed_command_answers_refuses_and_exits_as_the_readme_says(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    added = starcert.process(
        "org", "add", "--name", "亚克售后", "--credit-code", CODE, "--by", "li", "--json"
    )
    assert (added.code, added.err, added.json()["name"]) == (0, "", "亚克售后")
    missing = starcert.process("show", "7", check=False)
    assert (missing.code, missing.out, missing.err) == (4, "", "error: case 7 not found\n")
    bad = starcert.process("list", "--limit", "many", check=False)
    assert (bad.code, bad.out) == (2, "") and bad.err.startswith("Usage: starcert list ")
    assert "Invalid value for '--limit'" in bad.err
    assert starcert("org", "show", "1", "--json").json()["name"] == "亚克售后"  # same database
