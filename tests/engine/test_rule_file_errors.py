"""Bad rule files are refused as a whole, each problem named with file:line.

Long because every kind of mistake a rule author can make has its case here, side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from engine import RuleBook, RuleFileError, load_ruleset
from engine.outcomes import DEFAULT_OUTCOMES
from tests.engine.conftest import DEFAULT_FILE


def refused(path: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as caught:
        load_ruleset(path.read_bytes(), str(path))
    return caught.value


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [i + 1 for i, line in enumerate(lines) if needle in line]
    return found[nth - 1]


def test_the_shipped_file_loads() -> None:
    ruleset = load_ruleset(DEFAULT_FILE.read_bytes(), str(DEFAULT_FILE))
    assert (ruleset.name, ruleset.version) == ("gbt27922", "1")
    assert len(ruleset.scoring.indicators) == 15
    assert [d.points for d in ruleset.scoring.dimensions] == [40, 35, 25]
    assert "own" in ruleset.scoring.allocation_note


def test_unknown_fact_is_named_with_line_and_a_suggestion(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "{fact: has_trained_staff, eq: true}", "{fact: has_trained_staf, eq: true}"
        )
    )
    error = refused(path)
    [problem] = error.problems
    assert problem.file == str(path)
    assert problem.line == line_of(path, "has_trained_staf,")
    assert "unknown fact in prerequisites 'has_trained_staf'" in problem.message
    assert problem.hint == "did you mean 'has_trained_staff'?"
    assert f"{path}:{problem.line}:" in str(error)


def test_unknown_outcome_is_named_with_a_suggestion(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "    message: dedicated funds for after-sales service are required\n",
            "    message: dedicated funds for after-sales service are required\n"
            "    outcome: refuse_aplication\n",
        )
    )
    [problem] = refused(path).problems
    assert problem.line == line_of(path, "outcome: refuse_aplication")
    assert "unknown outcome 'refuse_aplication'" in problem.message
    assert problem.hint == "did you mean 'refuse_application'?"


def test_outcome_of_the_wrong_kind_is_refused(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "    when: {fact: final_score, lt: 70}\n",
            "    when: {fact: final_score, lt: 70}\n    outcome: refuse_application\n",
        )
    )
    [problem] = refused(path).problems
    assert "outcome 'refuse_application' does not apply to a fail rule" in problem.message


def test_gap_between_bands(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "{band: three_star, from: 80, below: 90}", "{band: three_star, from: 80, below: 89}"
        )
    )
    [problem] = refused(path).problems
    assert problem.line == line_of(path, "band: three_star")
    assert (
        "gap between bands: three_star ends below 89 but four_star starts at 90" in problem.message
    )


def test_overlapping_bands(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "{band: qualified, from: 70, below: 80}", "{band: qualified, from: 70, below: 85}"
        )
    )
    [problem] = refused(path).problems
    assert problem.line == line_of(path, "band: qualified")
    assert "bands overlap: qualified runs below 85 but three_star starts at 80" in problem.message


def test_dimension_points_not_adding_to_100(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "name: Customer service, points: 25", "name: Customer service, points: 30"
        )
    )
    messages = [p.message for p in refused(path).problems]
    assert "dimension points add up to 105 (40 + 35 + 30), not 100" in messages
    assert "indicators of dimension 'customer_service' add up to 25, not its 30 points" in messages


def test_indicator_outside_any_dimension(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "{id: delivery, name: Delivery, dimension: commodity_service, points: 6}",
            "{id: delivery, name: Delivery, points: 6}",
        )
    )
    problems = refused(path).problems
    outside = [p for p in problems if "outside any dimension" in p.message]
    assert outside and outside[0].line == line_of(path, "id: delivery")


def test_a_refused_indicator_is_the_only_problem_named_not_a_wrong_dimension_sum(
    write_rules: Callable[..., Path],
) -> None:
    """Its points are not counted, so its dimension's sum would be off by them: not reported."""
    path = write_rules(
        lambda t: t.replace(
            "{id: repair, name: Repair, dimension: commodity_service, points: 7}",
            "{id: repair, name: Repair, dimension: commodity_service, points: 7, foo: 1}",
        )
    )
    messages = [p.message for p in refused(path).problems]
    assert len(messages) == 1 and "foo" in messages[0]


def test_indicator_in_an_unknown_dimension(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "dimension: commodity_service, points: 6}", "dimension: commodity_servce, points: 6}", 1
        )
    )
    problem = refused(path).problems[0]
    assert (
        "unknown dimension for indicator 'technical_support' 'commodity_servce'" in problem.message
    )
    assert problem.hint == "did you mean 'commodity_service'?"


def test_a_failing_example_refuses_the_file(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            'expect: {outcome: certified, band: four_star, final_score: "94.96"}',
            'expect: {outcome: certified, band: five_star, final_score: "94.96"}',
        )
    )
    [problem] = refused(path).problems
    assert problem.line == line_of(path, "name: 94.96 is four stars")
    assert (
        "example '94.96 is four stars, not five' fails: band: expected 'five_star', "
        "got 'four_star'" in problem.message
    )


def test_every_problem_is_reported_at_once(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: (
            t.replace(
                "{fact: has_dedicated_funds, eq: true}", "{fact: has_dedicated_fund, eq: true}"
            )
            .replace("validity_months: 36", "validity_months: 0")
            .replace("{band: five_star, from: 95}", "{band: five_stars, from: 95}")
        )
    )
    problems = refused(path).problems
    assert len(problems) >= 3
    text = "\n".join(str(p) for p in problems)
    assert "has_dedicated_fund" in text and "validity_months" in text and "five_stars" in text


def test_malformed_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("ruleset: x\nversion: '1'\nprerequisites: [\n  {id: a\n", encoding="utf-8")
    [problem] = refused(path).problems
    assert problem.line is not None and "malformed YAML" in problem.message


def test_a_date_the_calendar_lacks_names_its_line(write_rules: Callable[..., Path]) -> None:
    path = write_rules(lambda t: t.replace("effective_from: ", "effective_from: 2012-02-31 #", 1))
    [problem] = refused(path).problems
    assert problem.line == _line_of(path, "effective_from:")
    assert "2012-02-31, which is not a calendar date" in problem.message


def test_a_duplicate_key_is_one_line_naming_it(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "  validity_months: 36\n", "  validity_months: 36\n  validity_months: 48\n"
        )
    )
    [problem] = refused(path).problems
    assert (
        str(problem)
        == f"{path}:{line_of(path, 'validity_months: 48')}: duplicate key 'validity_months'"
    )


@pytest.mark.parametrize(
    ("written", "instead", "message"),
    [
        (
            "min_months: 3",
            "min_months: 100000000000",
            "running_time.min_months = 100000000000 is too long: at most 120 months (10 years)",
        ),
        (
            "validity_months: 36",
            "validity_months: 10000000",
            "lifecycle.validity_months = 10000000 is too long: at most 120 months (10 years)",
        ),
        (
            "suspension_limit_months: 6",
            "suspension_limit_months: 37",
            "lifecycle.suspension_limit_months = 37 is inconsistent: "
            "a suspension cannot last longer than the certificate's validity",
        ),
        (
            "restoration_after_expiry_months: 6",
            "restoration_after_expiry_months: 48",
            "lifecycle.restoration_after_expiry_months = 48 is inconsistent: "
            "the allowance after expiry cannot be longer than the validity",
        ),
        (
            "application_date, months: -12}",
            "application_date, months: -1200}",
            "months: -1200 shifts the date too far: at most 120 months (10 years) either way",
        ),
        (
            "application_date, months: -12}",
            "application_date, months: -12, days: 100000000000}",
            "days: 100000000000 shifts the date too far: at most 3660 days (10 years) either way",
        ),
    ],
)
def test_months_beyond_what_a_body_could_defend_are_refused(
    write_rules: Callable[..., Path], written: str, instead: str, message: str
) -> None:
    path = write_rules(lambda t: t.replace(written, instead, 1))
    [problem] = refused(path).problems
    assert (problem.line, problem.message) == (line_of(path, instead), message)


def test_ten_years_is_still_accepted(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: (
            t.replace("validity_months: 36", "validity_months: 120")
            .replace("suspension_limit_months: 6", "suspension_limit_months: 120")
            .replace("application_date, months: -12}", "application_date, months: -120}")
            .split("examples:")[0]
        )
    )
    ruleset = load_ruleset(path.read_bytes(), str(path))
    assert ruleset.lifecycle.validity_months == 120


@pytest.mark.parametrize(("title", "shown"), [("[x, y]", "a list"), ("5", "5"), ("", "nothing")])
def test_a_title_must_be_text(write_rules: Callable[..., Path], title: str, shown: str) -> None:
    path = write_rules(lambda t: re.sub(r"(?m)^title: .*$", f"title: {title}", t, count=1))
    [problem] = refused(path).problems
    assert str(problem) == (
        f"{path}:{line_of(path, 'title:')}: title must be free text, got {shown} (or leave it out)"
    )


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


def test_unquoted_dotted_version_is_refused(write_rules: Callable[..., Path]) -> None:
    path = write_rules(lambda t: t.replace('version: "1"', "version: 2011.10"))
    [problem] = refused(path).problems
    assert "must be quoted" in problem.message and problem.line == line_of(path, "version:")


def test_effective_date_going_backwards(tmp_path: Path) -> None:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    (tmp_path / "v1.yaml").write_text(text, encoding="utf-8")
    newer = tmp_path / "v2.yaml"
    newer.write_text(
        text.replace('version: "1"', 'version: "2"').replace(
            "effective_from: 2012-02-01", "effective_from: 2011-06-01"
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        RuleBook.from_directory(tmp_path)
    [problem] = caught.value.problems
    assert problem.file == str(newer) and problem.line == line_of(newer, "effective_from")
    assert "effective date goes backwards: version 2 takes effect on 2011-06-01" in problem.message


def test_a_bad_file_never_replaces_a_good_version(tmp_path: Path) -> None:
    good = DEFAULT_FILE.read_text(encoding="utf-8")
    (tmp_path / "v1.yaml").write_text(good, encoding="utf-8")
    book = RuleBook.from_directory(tmp_path)
    before = book.versions
    (tmp_path / "v1.yaml").write_text(good.replace("points: 40}", "points: 41}"), encoding="utf-8")
    with pytest.raises(RuleFileError):
        book.reload(tmp_path)
    assert book.versions == before
    with pytest.raises(RuleFileError):
        book.load(b"ruleset: gbt27922\nversion: '2'\n", "inline")
    assert book.versions == before
    changed = good.replace("name: Repair,", "name: Repairs,")
    with pytest.raises(RuleFileError, match=r"already loaded .* with other content"):
        book.load(changed.encode(), "edited.yaml")
    assert book.versions == before


def test_custom_outcome_registry_is_honoured(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace(
            "    message: dedicated funds for after-sales service are required\n",
            "    message: dedicated funds for after-sales service are required\n    outcome: note\n",
        )
    )
    ruleset = load_ruleset(path.read_bytes(), str(path), outcomes=DEFAULT_OUTCOMES)
    assert ruleset.rules[2].outcome == "note"


def test_a_date_the_calendar_lacks_hides_no_other_problem(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: (
            t.replace("effective_from: 2012-02-01", "effective_from: 2012-02-30", 1)
            .replace("{fact: has_trained_staff, eq: true}", "{fact: has_trained_staf, eq: true}")
            .replace("suspension_limit_months: 6", "suspension_limit_months: 0")
        )
    )
    problems = refused(path).problems
    assert [(p.line, p.message) for p in problems] == [
        (
            line_of(path, "effective_from:"),
            "effective_from must be a date YYYY-MM-DD, got 2012-02-30, "
            "which is not a calendar date (day is out of range for month)",
        ),
        (line_of(path, "has_trained_staf,"), "unknown fact in prerequisites 'has_trained_staf'"),
        (
            line_of(path, "suspension_limit_months:"),
            "lifecycle.suspension_limit_months must be a whole number >= 1, got 0",
        ),
    ]


def test_a_date_the_calendar_lacks_in_a_condition_names_its_line(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        lambda t: t.replace("le: {fact: application_date, months: -12}}", "le: 2025-02-29}")
    )
    [problem] = refused(path).problems
    assert (problem.line, problem.message) == (
        line_of(path, "le: 2025-02-29}"),
        "last_major_failure is date: expected a date YYYY-MM-DD, got 2025-02-29, "
        "which is not a calendar date (day is out of range for month)",
    )


@pytest.mark.parametrize(
    ("written", "instead", "message"),
    [
        (
            "min_months: 3",
            "min_months: 3.5",
            "running_time.min_months must be a whole number >= 0, got 3.5",
        ),
        (
            'version: "1"',
            "version: 2012-02-01",
            "version must be whole numbers joined by dots (1, 2011.2), got 2012-02-01",
        ),
        (
            "when: {fact: final_score, lt: 70}",
            "when: {fact: final_score, lt: 2012-01-01}",
            "final_score is score: expected a number with at most 6 decimals, got 2012-01-01",
        ),
        (
            "{fact: has_trained_staff, eq: true}",
            "{fact: has_trained_staff, eq: 1.5}",
            "has_trained_staff is bool: expected true or false, got 1.5",
        ),
    ],
)
def test_a_wrong_value_is_shown_as_written(
    write_rules: Callable[..., Path], written: str, instead: str, message: str
) -> None:
    path = write_rules(lambda t: t.replace(written, instead, 1))
    [problem] = refused(path).problems
    assert (problem.line, problem.message) == (line_of(path, instead), message)


def test_items_that_do_not_add_up_still_leave_the_dimension_checked(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        lambda t: t.replace(
            "{id: returns, name: Returns, points: 2}", "{id: returns, name: Returns, points: 3}"
        ).replace(
            "dimension: service_system, points: 6}", "dimension: service_system, points: 7}", 1
        )
    )
    problems = refused(path).problems
    assert [(p.line, p.message) for p in problems] == [
        (
            line_of(path, "      items:"),
            "items of indicator 'quality_guarantee' add up to 8, not its 7 points",
        ),
        (
            line_of(path, "{id: service_system,"),
            "indicators of dimension 'service_system' add up to 41, not its 40 points",
        ),
    ]


def test_a_refused_band_does_not_blame_the_bands_around_it(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        lambda t: t.replace("{band: five_star, from: 95}", "{band: five_star, from: 1e400}")
    )
    [problem] = refused(path).problems
    assert (problem.line, problem.message) == (
        line_of(path, "{band: five_star,"),
        "band from must be a number with at most 6 decimals, got Infinity",
    )


def test_a_missing_section_is_said_once(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: re.sub(r"\nlifecycle:\n(  .*\n)+", "\n", t).replace('\nversion: "1"\n', "\n")
    )
    problems = refused(path).problems
    assert [p.message for p in problems] == [
        "the rule file is missing 'version'",
        "the rule file is missing 'lifecycle'",
    ]


def test_a_misspelt_key_is_said_once_not_again_as_missing(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        lambda t: t.replace("  suspension_limit_months: 6", "  suspention_limit_months: 6").replace(
            "running_time:\n", "running_tme:\n"
        )
    )
    problems = refused(path).problems
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (
            line_of(path, "running_tme:"),
            "unknown key in the rule file 'running_tme'",
            "did you mean 'running_time'?",
        ),
        (
            line_of(path, "suspention_limit_months"),
            "unknown key in lifecycle 'suspention_limit_months'",
            "did you mean 'suspension_limit_months'?",
        ),
    ]


def test_a_bad_effective_date_is_not_blamed_again_on_every_example(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        lambda t: t.replace("effective_from: 2012-02-01", "effective_from: soon", 1).replace(
            "    as_of: 2026-06-01\n", ""
        )
    )
    [problem] = refused(path).problems
    assert problem.message == "effective_from must be a date YYYY-MM-DD, got 'soon'"


def test_an_unclosed_brace_says_where_it_was_opened(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        lambda t: t.replace("{band: five_star, from: 95}", "{band: five_star, from: 95", 1)
    )
    [problem] = refused(path).problems
    opened = line_of(path, "{band: five_star,")
    assert (problem.line, problem.message) == (
        opened + 1,
        "malformed YAML: expected ',' or '}', but got '{' "
        f"(in the flow mapping begun on line {opened})",
    )


def test_a_rule_file_nested_hundreds_deep_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    # 700 levels are deeper than the YAML reader recurses (a few frames a level, 1000 frames in
    # all); its scanner takes ever longer per level, so no deeper than needed.
    path.write_text("name: deep\nversion: " + "[" * 700 + "]" * 700 + "\n", encoding="utf-8")
    assert str(refused(path).problems[0]) == (
        f"{path}: malformed: lists or mappings nested too deeply to read"
    )
