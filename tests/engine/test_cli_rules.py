"""`starcert rules check | test | explain` as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from starcert.cli.rules_commands import rules_app
from tests.cli_in_process import run_starcert
from tests.engine.conftest import DEFAULT_FILE, REPO, RULES

runner = CliRunner()


def test_check_reports_every_shipped_version() -> None:
    result = runner.invoke(rules_app, ["check", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "gbt27922 1 from 2012-02-01" in result.stdout
    assert "strict-cb 2 from 2025-07-01" in result.stdout


def test_check_refuses_a_bad_file_with_file_and_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    bad.write_text(
        text.replace(
            "{fact: has_dedicated_funds, eq: true}", "{fact: has_dedicated_fund, eq: true}"
        ),
        encoding="utf-8",
    )
    line = next(
        i + 1 for i, s in enumerate(bad.read_text().splitlines()) if "has_dedicated_fund," in s
    )
    result = runner.invoke(rules_app, ["check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:{line}: unknown fact in prerequisites 'has_dedicated_fund'" in result.stderr
    assert "did you mean 'has_dedicated_funds'?" in result.stderr


def test_test_runs_each_example(tmp_path: Path) -> None:
    ok = runner.invoke(rules_app, ["test", str(RULES)])
    assert ok.exit_code == 0
    assert "PASS" in ok.stdout and ", 0 failed" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace(
            "expect: {outcome: certified, band: qualified, final_score: 70}",
            "expect: {outcome: certified, band: three_star, final_score: 70}",
        ),
        encoding="utf-8",
    )
    result = runner.invoke(rules_app, ["test", str(broken)])
    assert result.exit_code == 2
    assert "FAIL" in result.stderr and "exactly 70 is qualified" in result.stderr
    assert "1 failed" in result.stdout


def test_explain_prints_why_and_json(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "application_date: 2026-02-27\nservice_system_since: 2025-11-30\n"
        "has_service_documents: false\nhas_dedicated_manager: true\nhas_dedicated_funds: true\n"
        "has_trained_staff: true\nis_prc_legal_entity: true\nlast_major_failure: null\n",
        encoding="utf-8",
    )
    human = runner.invoke(rules_app, ["explain", "--facts", str(facts), "--rules", str(RULES)])
    assert human.exit_code == 0, human.output
    assert human.stdout.startswith("INELIGIBLE")
    assert "FAILED prerequisite.service_documents" in human.stdout
    assert (
        "FAILED running_time" in human.stdout and "earliest application 2026-02-28" in human.stdout
    )
    as_json = runner.invoke(
        rules_app, ["explain", "--facts", str(facts), "--json", "--as-of", "2026-02-27"]
    )
    data = json.loads(as_json.stdout)
    assert data["outcome"] == "ineligible" and data["version"] == "1"
    assert [f["rule"] for f in data["failures"]] == [
        "prerequisite.service_documents",
        "running_time",
    ]


def test_explain_names_a_bad_fact(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"score_sheet": {"results": {"repair": {"points": 9}}}}))
    result = runner.invoke(rules_app, ["explain", "--facts", str(facts), "--as-of", "2026-06-01"])
    assert result.exit_code == 2
    assert "score_sheet.results" in result.stderr


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "starcert.cli.rules_commands", "check", "rules"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ok  rules/gbt27922-2011.yaml" in done.stdout


FACTS = (
    "application_date: 2026-03-01\nservice_system_since: 2025-11-30\n"
    "has_service_documents: true\nhas_dedicated_manager: true\nhas_dedicated_funds: true\n"
    "last_major_failure: null\nhas_trained_staff: true\nis_prc_legal_entity: true\n"
)


def _rules_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`starcert rules ...` as an author runs it, from folder `cwd` (in this process)."""
    ran = run_starcert(["rules", *args], cwd=cwd)
    return subprocess.CompletedProcess(["starcert", "rules", *args], ran.code, ran.out, ran.err)


def test_explain_names_a_date_the_calendar_lacks_in_the_facts_file(tmp_path: Path) -> None:
    facts = tmp_path / "ff.yaml"
    facts.write_text(
        FACTS.replace("last_major_failure: null", "last_major_failure: 2026-02-30"),
        encoding="utf-8",
    )
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == (
        f"error: {facts}:6: 2026-02-30 is not a calendar date (day is out of range for month)"
    )
    assert (done.returncode, done.stdout) == (2, "")


def test_explain_names_a_duplicate_key_in_the_facts_file_in_one_line(tmp_path: Path) -> None:
    facts = tmp_path / "dup.yaml"
    facts.write_text(FACTS + "has_trained_staff: false\n", encoding="utf-8")
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == f"error: {facts}:9: duplicate key 'has_trained_staff'"
    assert (done.returncode, done.stdout) == (2, "")


def test_explain_names_the_line_of_malformed_json(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text('{"application_date": "2026-03-01",\n  ,}', encoding="utf-8")
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == (
        f"error: {facts}:2: malformed JSON: Expecting property name enclosed in double quotes"
    )
    assert done.returncode == 2


def test_explain_refuses_a_fact_given_twice_in_json_with_its_line(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        '{"application_date": "2026-03-01",\n "has_trained_staff": true,\n'
        ' "has_trained_staff": false}',
        encoding="utf-8",
    )
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == (
        f"error: {facts}:3: duplicate key 'has_trained_staff': each field may be given once"
    )
    assert (done.returncode, done.stdout) == (2, "")


def test_check_refuses_a_huge_running_time_in_one_line(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    huge.write_text(text.replace("min_months: 3", "min_months: 100000000000"), encoding="utf-8")
    line = next(i for i, s in enumerate(huge.read_text().splitlines(), 1) if "min_months" in s)
    done = _rules_cli(tmp_path, "check", str(huge))
    assert done.returncode == 2
    problems = [s for s in done.stderr.splitlines() if not s.startswith("(not compared")]
    assert problems == [
        f"{huge}:{line}: running_time.min_months = 100000000000 is too long: "
        "at most 120 months (10 years)"
    ]


def test_explain_refuses_a_date_far_in_the_future_in_one_line(tmp_path: Path) -> None:
    facts = tmp_path / "far.yaml"
    facts.write_text(
        FACTS.replace("application_date: 2026-03-01", "application_date: 9999-12-20"),
        encoding="utf-8",
    )
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == (
        f"error: {facts}: fact application_date: 9999-12-20 is outside 1900-01-01..2999-12-31"
    )
    assert done.returncode == 2


def test_exit_codes_follow_the_readme(tmp_path: Path) -> None:
    """2 bad input (a refused file, a failing example, a missing path), 4 nothing in force."""
    failing = tmp_path / "failing.yaml"
    failing.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace("min_months: 3", "min_months: 6"),
        encoding="utf-8",
    )
    assert _rules_cli(tmp_path, "check", str(failing)).returncode == 2
    assert _rules_cli(tmp_path, "test", str(failing)).returncode == 2
    missing = _rules_cli(tmp_path, "check", str(tmp_path / "nowhere.yaml"))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"error: {tmp_path / 'nowhere.yaml'}: no such file or directory"
    )
    facts = tmp_path / "facts.yaml"
    facts.write_text(FACTS.replace("2026-03-01", "2011-03-01"), encoding="utf-8")
    before = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert before.returncode == 4
    assert "no version of rule set gbt27922 is in force on 2011-03-01" in before.stderr


def test_test_says_a_refused_file_s_examples_were_not_run(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace("min_months: 3", "min_months: three"),
        encoding="utf-8",
    )
    result = runner.invoke(rules_app, ["test", str(broken)])
    assert result.exit_code == 2
    assert "running_time.min_months must be a whole number" in result.stderr
    assert result.stdout.strip() == "0 passed, 0 failed, 1 file(s) refused (examples not run)"


@pytest.mark.parametrize(
    ("name", "text"),
    [("deep.yaml", "a: " + "[" * 700 + "]" * 700), ("deep.json", "[" * 100_000 + "]" * 100_000)],
)
def test_explain_names_a_facts_file_nested_too_deeply_in_one_line(
    tmp_path: Path, name: str, text: str
) -> None:
    facts = tmp_path / name
    facts.write_text(text, encoding="utf-8")
    done = _rules_cli(tmp_path, "explain", "--facts", str(facts), "--rules", str(RULES))
    assert done.stderr.strip() == (
        f"error: {facts}: malformed: lists or mappings nested too deeply to read"
    )
    assert (done.returncode, done.stdout) == (2, "")
