"""YAML aliases that stand for more than a rule file could ever need are refused while parsing.

A billion laughs is ten lines of anchors, each a list of ten aliases of the one before: a file of
a few kilobytes standing for ten billion values. Refused at the alias that crosses the budget,
after reading a few kilobytes; expanded, it never finishes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import RuleFileError, load_ruleset
from tests.cli_in_process import run_starcert
from tests.engine.conftest import DEFAULT_FILE, RULES
from tests.engine.test_rule_file_errors import line_of

FIRST_EXAMPLE_FACTS = "    facts: &eligible\n"


def laughs(levels: int) -> str:
    """Facts lines of a billion laughs, `levels` deep, ten aliases to a level."""
    lines = ["      laugh0: &laugh0 ha"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*laugh{level - 1}"] * 10)
        lines.append(f"      laugh{level}: &laugh{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def with_facts(tmp_path: Path, facts: str, name: str = "laughs.yaml") -> Path:
    """The shipped file with `facts` lines added to its first example's facts."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert FIRST_EXAMPLE_FACTS in text
    path = tmp_path / name
    path.write_text(text.replace(FIRST_EXAMPLE_FACTS, FIRST_EXAMPLE_FACTS + facts, 1), "utf-8")
    return path


def test_a_billion_laughs_is_refused_at_the_alias_that_crosses_the_budget(tmp_path: Path) -> None:
    bomb = with_facts(tmp_path, laughs(10))
    assert bomb.stat().st_size < 12_000
    with pytest.raises(RuleFileError) as caught:
        load_ruleset(bomb.read_bytes(), str(bomb))
    (problem,) = caught.value.problems
    # Levels 1-3 stand for 1,230 values; the eighth *laugh3 of level 4 takes them over 10,000.
    assert (problem.file, problem.line) == (str(bomb), line_of(bomb, "&laugh4"))
    assert problem.message == (
        "too many aliases: with *laugh3 the aliases stand for more than 10000 values"
    )
    assert problem.hint is not None and "write the values out" in problem.hint


def test_rules_check_names_the_file_and_line_of_the_bomb(tmp_path: Path) -> None:
    bomb = with_facts(tmp_path, laughs(10))
    done = run_starcert(["rules", "check", str(bomb)], cwd=tmp_path)
    assert done.code == 2
    assert f"{bomb}:{line_of(bomb, '&laugh4')}: too many aliases" in done.err


def test_an_alias_inside_its_own_anchor_is_refused_with_its_line(tmp_path: Path) -> None:
    looped = with_facts(tmp_path, "      loop: &loop [ha, *loop]\n")
    with pytest.raises(RuleFileError) as caught:
        load_ruleset(looped.read_bytes(), str(looped))
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (
        line_of(looped, "&loop"),
        "alias *loop is inside its own anchor &loop, so it stands for itself without end",
    )


def test_explain_refuses_a_facts_file_full_of_laughs_in_one_line(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("application_date: 2026-03-01\n" + laughs(10).replace("      ", ""), "utf-8")
    done = run_starcert(
        ["rules", "explain", "--facts", str(facts), "--rules", str(RULES)], cwd=tmp_path
    )
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"error: {facts}:{line_of(facts, '&laugh4')}: too many aliases")
