"""Team rule files go through the criteria's commands: check, test, diff, impact, publish with an
effective date, history and show; `team check` decides by the version in force on the audit date."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import FACTS, REPO, Starcert
from tests.office_day import office_day
from workflows.credit_code import check_character

TEAM = REPO / "rules" / "team-gbt27922.yaml"


def _next_version(tmp_path: Path) -> Path:
    """Version 2: a stage 2 audit of a mid-sized client takes 3 days, not 2.5, and a surveillance
    of the smallest clients a whole day."""
    text = TEAM.read_text(encoding="utf-8")
    changed = (
        text.replace('version: "1"', 'version: "2"', 1)
        .replace("{up_to: 200, stage1: 1, stage2: 2.5,", "{up_to: 200, stage1: 1, stage2: 3,")
        .replace(
            "{up_to: 10, stage1: 0.5, stage2: 1, surveillance: 0.5,",
            "{up_to: 10, stage1: 0.5, stage2: 1, surveillance: 1,",
        )
        .replace(
            "expect: {days: 3.5, members: 2}       # 2.5 + 40% = 3.5",
            "expect: {days: 4.5, members: 2}       # 3 + 40% = 4.2 -> 4.5",
        )
        .replace(
            "expect: {days: 1, members: 1}         # 0.5 + 100% = 1",
            "expect: {days: 2, members: 1}         # 1 + 100% = 2",
        )
    )
    assert changed.count("\n") == text.count("\n") and changed != text
    path = tmp_path / "team-v2.yaml"
    path.write_text(changed, encoding="utf-8")
    return path


def _applied(starcert: Starcert, body: str) -> int:
    """A new application of 闽江家电 (120 people, one site, household appliances)."""
    code = body + check_character(body)
    org = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", code, "--by", "li", "--json"
    ).json()["id"]
    facts = starcert.write("facts.json", FACTS)
    case: int = starcert(
        "apply", "--org", str(org), "--submitted", office_day(-1), "--since", office_day(-200),
        "--scope", "家电售后服务", "--facts", str(facts), "--by", "li",
        "--area", "household_appliances", "--personnel", "120", "--sites", "1", "--json",
    ).json()["id"]  # fmt: skip
    return case


def test_check_test_and_diff_take_team_files_beside_the_criteria(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    starcert = starcert_sqlite
    checked = starcert("rules", "check", str(REPO / "rules")).out
    assert f"ok  {TEAM}: gbt27922-team 1 from 2012-02-01 (team rules), 5 rules" in checked
    assert "gbt27922 1 from 2012-02-01, " in checked
    tested = starcert("rules", "test", str(TEAM)).out
    assert f"PASS {TEAM}:" in tested and "12 passed, 0 failed" in tested
    v2 = _next_version(tmp_path)
    said = starcert("rules", "diff", str(TEAM), str(v2)).out
    assert "audit time up to 200 personnel: stage1 1, stage2 3, surveillance 1" in said
    assert "(was stage1 1, stage2 2.5, surveillance 1, recertification 2)" in said
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        TEAM.read_text(encoding="utf-8").replace("leader_grade_rank, ge: 2", "leader_grade, ge: 2"),
        encoding="utf-8",
    )
    refused = starcert("rules", "check", str(broken), check=False)
    line = next(
        i + 1 for i, s in enumerate(broken.read_text().splitlines()) if "leader_grade," in s
    )
    assert refused.code == 2
    assert f"{broken}:{line}: unknown fact in team rules 'leader_grade'" in refused.err


def test_a_published_team_version_decides_from_its_date_and_its_impact_is_the_audit_time(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    starcert = starcert_sqlite
    case = _applied(starcert, "91350100M000600Y4")
    v2 = _next_version(tmp_path)
    impact = starcert("rules", "impact", str(v2), "--effective", office_day(30)).out
    assert "0 accepted teams asked again, 0 refused, 0 could not be asked" in impact
    assert f"case {case} 闽江家电 (stage1): 1 -> 1" not in impact  # stage 1 did not change
    assert "1 open cases compared, 0 without area, personnel or sites" in impact
    done = starcert("rules", "publish", str(v2), "--effective", office_day(30), "--by", "alice")
    assert done.out.startswith("published gbt27922-team 2")
    history = starcert("rules", "history", "--json").json()
    assert [(h["ruleset"], h["version"], h["in_force"]) for h in history] == [
        ("gbt27922", "1", True),
        ("gbt27922-team", "1", True),
        ("gbt27922-team", "2", False),
    ]
    shown = starcert("rules", "show", "2", "--team").out
    assert shown.split("---\n", 1)[1] == v2.read_text(encoding="utf-8")
    auditor = starcert(
        "auditor", "add", "--name", "王芳", "--registration", "2021-N1AS-1234567",
        "--grade", "senior_auditor", "--registered", "2021-04-01", "--valid-until", "2099-03-31",
        "--area", "household_appliances", "--by", "li", "--json",
    ).json()["id"]  # fmt: skip
    for day, version, days in ((office_day(29), "1", "2.5"), (office_day(30), "2", "3")):
        said = starcert(
            "team", "check", str(case), "--auditors", str(auditor), "--kind", "stage2",
            "--on", day, "--json", check=False,
        ).json()  # fmt: skip
        assert (said["version"], said["audit_time"]["days"]) == (version, days)
        refused = [r["rule"] for r in said["rules"] if r["verdict"] == "refused"]
        assert refused == ["team.team_size"]  # over 2 days asks for two auditors


def test_impact_names_the_accepted_teams_a_new_version_would_refuse(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    """A team accepted under version 1 for a stage 1 audit of one day; version 2 makes that
    audit 2.5 days, which asks for two auditors: the impact names the assignment and the rule,
    for a version in force by the audit's start, and not for one that comes after it."""
    starcert = starcert_sqlite
    case = _applied(starcert, "91350100M000700Y4")
    starcert(
        "auditor", "add", "--name", "王芳", "--registration", "R-1", "--grade", "senior_auditor",
        "--registered", "2021-04-01", "--valid-until", "2099-03-31",
        "--area", "household_appliances", "--by", "li",
    )  # fmt: skip
    accepted = starcert(
        "plan", "accept", str(case), "--auditors", "R-1", "--from", office_day(40),
        "--kind", "stage1", "--by", "zhang", "--json",
    ).json()  # fmt: skip
    assert accepted["accepted"] is True
    assignment = accepted["assignment"]["id"]
    text = TEAM.read_text(encoding="utf-8")
    longer = text.replace('version: "1"', 'version: "2"', 1).replace(
        "{up_to: 200, stage1: 1, stage2: 2.5,", "{up_to: 200, stage1: 2.5, stage2: 2.5,"
    )
    assert longer != text
    v2 = tmp_path / "team-v2.yaml"
    v2.write_text(longer, encoding="utf-8")

    before = starcert("rules", "impact", str(v2), "--effective", office_day(30), "--json").json()
    assert before["teams_checked"] == 1
    [refused] = before["teams_refused"]
    assert (refused["assignment_id"], refused["case_id"]) == (assignment, case)
    assert (refused["kind"], refused["starts_on"], refused["accepted_under"]) == (
        "stage1",
        office_day(40),
        "1",
    )
    assert [r["rule"] for r in refused["refused_by"]] == ["team.team_size"]
    said = starcert("rules", "impact", str(v2), "--effective", office_day(30)).out
    assert "1 accepted teams asked again, 1 refused, 0 could not be asked" in said
    assert f"assignment {assignment}: case {case} 闽江家电 (stage1 from {office_day(40)}" in said
    assert "refused by team.team_size: the team has at least as many members" in said

    after = starcert("rules", "impact", str(v2), "--effective", office_day(41), "--json").json()
    assert (after["teams_checked"], after["teams_refused"]) == (0, [])
    unchanged = starcert("rules", "impact", str(TEAM), "--effective", office_day(30), "--json")
    assert (unchanged.json()["teams_checked"], unchanged.json()["teams_refused"]) == (1, [])
