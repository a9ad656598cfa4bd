"""Team rule files: the shipped one decides every rule by its examples through durable-rules,
and a broken one is refused whole, each problem with file:line, as a criteria file is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import RuleBook, RuleFileError
from engine.team_evaluate import TeamBook, evaluate_team, run_team_examples
from engine.team_loader import load_team_rules
from engine.team_rules import AuditTimeError, audit_time
from tests.engine.conftest import DEFAULT_FILE, RULES
from workflows.rule_kind import CRITERIA, TEAM, rule_kind

TEAM_FILE = RULES / "team-gbt27922.yaml"
GOOD: dict[str, Any] = {
    "audit_date": "2026-06-01",
    "leader_registered_on": "2021-04-01",
    "leader_valid_until": "2027-03-31",
    "leader_grade_rank": 2,
    "team_size": 2,
    "required_team_size": 2,
    "competent_members": 1,
    "last_relation_end": None,
    "longest_run_of_cycles": 1,
}


def shipped() -> Any:
    return load_team_rules(TEAM_FILE.read_bytes(), str(TEAM_FILE))


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = TEAM_FILE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "team.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def refused(path: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as caught:
        load_team_rules(path.read_bytes(), str(path))
    return caught.value


def line_with(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


def test_the_kind_is_told_from_the_file() -> None:
    assert rule_kind(TEAM_FILE.read_bytes()) == TEAM
    assert rule_kind(DEFAULT_FILE.read_bytes()) == CRITERIA


def test_a_criteria_book_leaves_the_team_file_beside_it_alone() -> None:
    book = RuleBook.from_directory(RULES)
    assert {v.source for v in book.versions} == {str(DEFAULT_FILE)}


def test_every_rule_refuses_in_some_example_and_every_example_passes() -> None:
    rules = shipped()
    results = run_team_examples(rules)
    assert [(e.name, d) for e, d in results if d is not None] == []
    refusing = {f for e, _ in results for f in e.expect.get("failures", [])}
    assert refusing == {r.id for r in rules.rules}
    assert sum("audit_time" in e.facts for e, _ in results) >= 3


def test_a_decision_names_each_rule_that_refused_and_each_that_passed() -> None:
    rules = shipped()
    day = date(2026, 6, 1)
    ok = evaluate_team(rules, GOOD, day)
    assert ok.accepted and not ok.failures
    assert [r.rule for r in ok.passed] == [f"team.{r.id}" for r in rules.rules]
    lapsed = evaluate_team(rules, {**GOOD, "leader_valid_until": "2026-05-31"}, day)
    assert not lapsed.accepted
    assert [r.rule for r in lapsed.failures] == ["team.leader_qualified"]
    assert "valid on the audit date" in lapsed.failures[0].message
    assert (lapsed.version, lapsed.content_hash) == (rules.version, rules.content_hash)


def test_a_missing_or_misspelt_fact_is_named() -> None:
    from engine import FactError

    with pytest.raises(FactError, match=r"team_siz.*did you mean 'team_size'"):
        evaluate_team(shipped(), {**GOOD, "team_siz": 1}, date(2026, 6, 1))
    partial = dict(GOOD)
    del partial["competent_members"]
    with pytest.raises(FactError, match="competent_members: missing"):
        evaluate_team(shipped(), partial, date(2026, 6, 1))


def test_audit_time_says_how_the_days_were_reached() -> None:
    table = shipped().audit_time
    found = audit_time(table, "stage2", 120, 3, ("complex_network",))
    assert (found.days, found.members) == (Decimal("4.5"), 2)
    assert found.steps[0].startswith("stage2, 120 effective personnel (up to 200): 2.5 days")
    assert any("+40%" in s for s in found.steps)
    assert any("rounded up to the half day: 4.5" in s for s in found.steps)
    small = audit_time(table, "surveillance", 3, 1)
    assert (small.days, small.members) == (Decimal("0.5"), 1)
    with pytest.raises(AuditTimeError, match="unknown adjustment 'cheap'"):
        audit_time(table, "stage2", 10, 1, ("cheap",))
    with pytest.raises(AuditTimeError, match="personnel: must be at least 1"):
        audit_time(table, "stage2", 0, 1)


def test_an_example_that_expects_otherwise_is_refused_at_its_line(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        "expect: {accepted: false, failures: [area_competence]}",
        "expect: {accepted: true}",
    )
    [problem] = refused(path).problems
    assert problem.line == line_with(path, "- name: nobody competent")
    assert "fails: accepted: expected True, got False" in problem.message


def test_an_unknown_fact_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    path = variant(tmp_path, "{fact: competent_members, ge: 1}", "{fact: competent_member, ge: 1}")
    [problem] = refused(path).problems
    assert (problem.file, problem.line) == (str(path), line_with(path, "competent_member,"))
    assert "unknown fact in team rules 'competent_member'" in problem.message
    assert problem.hint == "did you mean 'competent_members'?"


def test_a_reduction_beyond_the_ceiling_is_refused(tmp_path: Path) -> None:
    path = variant(tmp_path, "max_reduction_percent: 25", "max_reduction_percent: 40")
    [problem] = refused(path).problems
    assert problem.line == line_with(path, "max_reduction_percent")
    assert "0..30" in problem.message


def test_rows_out_of_order_and_an_unknown_outcome_are_all_reported(tmp_path: Path) -> None:
    path = variant(tmp_path, "{up_to: 200, stage1: 1,", "{up_to: 40, stage1: 1,")
    text = path.read_text(encoding="utf-8").replace(
        "    require: {fact: competent_members, ge: 1}",
        "    require: {fact: competent_members, ge: 1}\n    outcome: refuse_application",
    )
    path.write_text(text, encoding="utf-8")
    problems = refused(path).problems
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (line_with(path, "outcome: refuse_application"),
         "unknown outcome of a team rule 'refuse_application'"),
        (line_with(path, "{up_to: 40"), "up_to 40 does not rise above the row before"),
    ]  # fmt: skip


def test_a_special_audit_takes_its_own_column_or_a_surveillances_days(tmp_path: Path) -> None:
    shipped_special = audit_time(shipped().audit_time, "special", 120, 1)
    assert shipped_special.days == audit_time(shipped().audit_time, "surveillance", 120, 1).days
    row = "- {up_to: 200, stage1: 1, stage2: 2.5, surveillance: 1, recertification: 2}"
    path = variant(tmp_path, row, row[:-1] + ", special: 0.5}")
    table = load_team_rules(path.read_bytes(), str(path)).audit_time
    assert audit_time(table, "special", 120, 1).days == Decimal("0.5")
    assert audit_time(table, "special", 30, 1).days == Decimal("1")  # that row has none
    slipped = variant(tmp_path, row, row[:-1] + ", special: 0.3}")
    [problem] = refused(slipped).problems
    assert problem.line == line_with(slipped, "special: 0.3")
    assert "not a whole half day" in problem.message


def test_a_missing_section_and_a_half_day_slip_are_named(tmp_path: Path) -> None:
    path = variant(tmp_path, "minimum_days: 0.5", "minimum_days: 0.3")
    [problem] = refused(path).problems
    assert problem.line == line_with(path, "minimum_days")
    assert "not a whole half day" in problem.message
    text = TEAM_FILE.read_text(encoding="utf-8")
    cut = tmp_path / "cut.yaml"
    cut.write_text(text[: text.index("audit_time:\n")], encoding="utf-8")
    messages = [p.message for p in refused(cut).problems]
    assert "the team rule file is missing 'audit_time'" in messages


def test_a_team_book_answers_which_version_is_in_force(tmp_path: Path) -> None:
    first = shipped()
    second_path = variant(tmp_path, 'version: "1"', 'version: "2"')
    text = second_path.read_text(encoding="utf-8").replace(
        "effective_from: 2012-02-01", "effective_from: 2027-01-01"
    )
    second_path.write_text(text, encoding="utf-8")
    second = load_team_rules(second_path.read_bytes(), str(second_path), run_examples=False)
    book = TeamBook([second, first])
    assert book.in_force(date(2026, 12, 31)).version == "1"
    assert book.in_force(date(2027, 1, 1)).version == "2"
    backwards = load_team_rules(
        text.replace("2027-01-01", "2011-01-01").encode(), "back.yaml", run_examples=False
    )
    with pytest.raises(RuleFileError, match="effective date goes backwards"):
        TeamBook([first, backwards])
