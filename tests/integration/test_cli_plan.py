"""`starcert plan --weeks N`: an operator sees a proposed team and dates for each surveillance due,
one the team rules accept, and the reason where the register holds no such team."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.conftest import FACTS, Starcert, sheet
from tests.office_day import office_day
from workflows.credit_code import check_character


def _certified(starcert: Starcert, code: str, *size: str) -> int:
    org = starcert(
        "org", "add", "--name", f"客户{code[-3:]}", "--credit-code", code, "--by", "li", "--json"
    ).json()["id"]
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply", "--org", str(org), "--submitted", office_day(-60), "--since", office_day(-200),
        "--scope", "家电售后服务", "--facts", str(facts), "--by", "li", *size, "--json",
    ).json()["id"]  # fmt: skip
    starcert("review", str(case), "--by", "li")
    starcert("audit", "record", str(case), "--kind", "stage1", "--date", office_day(-50),
             "--auditor", "bob", "--by", "li")  # fmt: skip
    scores = starcert.write("sheet.json", sheet(2))
    starcert("audit", "record", str(case), "--kind", "stage2", "--date", office_day(-40),
             "--auditor", "bob", "--sheet", str(scores), "--by", "li")  # fmt: skip
    assert starcert("decide", str(case), "--by", "zhang", "--json").json()["state"] == "active"
    return int(case)


def test_a_due_surveillance_gets_a_team_the_rules_accept_and_an_unsized_one_a_reason(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    sized = _certified(
        starcert, "91350100M000700Y4" + check_character("91350100M000700Y4"),
        "--area", "household_appliances", "--personnel", "40", "--sites", "1",
    )  # fmt: skip
    bare = _certified(starcert, "91350100M000800Y4" + check_character("91350100M000800Y4"))
    until = (date.fromisoformat(office_day(0)) + timedelta(days=800)).isoformat()
    for name, registration, grade, area in (
        ("王芳", "R-1", "senior_auditor", "household_appliances"),
        ("李明", "R-2", "auditor", "household_appliances"),
    ):
        starcert("auditor", "add", "--name", name, "--registration", registration,
                 "--grade", grade, "--registered", "2021-04-01", "--valid-until", until,
                 "--area", area, "--by", "li")  # fmt: skip
    made = starcert("plan", "--weeks", "53", "--json").json()
    [proposal] = made["proposals"]
    assert (proposal["case_id"], proposal["kind"], proposal["days"]) == (sized, "surveillance", "1")
    assert proposal["leader"] == 1  # the senior auditor, least loaded, leads
    assert made["impossible"] == [
        {"case_id": bare, "kind": "surveillance",
         "reason": "its application records no area, personnel or sites"}
    ]  # fmt: skip
    checked = starcert(
        "team", "check", str(sized), "--auditors", "1", "--on", proposal["starts_on"]
    )
    assert checked.out.startswith("ACCEPTED")
    human = starcert("plan", "--weeks", "53").out
    assert starcert("plan", "--weeks", "53", "--progress").out == human  # the bar: stderr only
    assert f"case {sized} surveillance: {proposal['starts_on']}" in human
    assert f"case {bare} surveillance: NO TEAM: its application records no area" in human
    assert "led by auditor 1: 王芳 (1)" in human
