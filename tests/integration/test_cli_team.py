"""`starcert team check`: an operator proposes a team for a case and reads the team rules'
verdict rule by rule, with the audit time and how it was reached; the exit code says refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import FACTS, Starcert
from workflows.credit_code import check_character

CODE = "91350100M000500Y4" + check_character("91350100M000500Y4")


def _auditor(starcert: Starcert, name: str, registration: str, *extra: str) -> int:
    added = starcert(
        "auditor", "add", "--name", name, "--registration", registration,
        "--registered", "2021-04-01", "--valid-until", "2027-03-31", "--language", "zh",
        "--by", "li", "--json", *extra,
    )  # fmt: skip
    found: int = added.json()["id"]
    return found


@pytest.fixture
def office(starcert: Starcert) -> dict[str, Any]:
    """A client on three sites with 120 effective personnel, and three auditors."""
    org = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li", "--json"
    ).json()["id"]
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply", "--org", str(org), "--submitted", "2026-03-02", "--since", "2025-11-30",
        "--scope", "家电售后服务", "--facts", str(facts), "--by", "li",
        "--area", "household_appliances", "--personnel", "120", "--sites", "3", "--json",
    ).json()["id"]  # fmt: skip
    wang = _auditor(
        starcert, "王芳", "2021-N1AS-1234567", "--grade", "senior_auditor",
        "--area", "household_appliances",
    )  # fmt: skip
    li = _auditor(
        starcert, "李明", "2020-N1AS-7654321", "--grade", "auditor", "--area", "logistics"
    )
    zhao = _auditor(
        starcert, "赵强", "2019-N1AS-1111111", "--grade", "senior_auditor",
        "--area", "automobiles", "--relation", f"{org}:consultancy:2023-01-01..2025-02-28",
    )  # fmt: skip
    return {"org": org, "case": case, "wang": wang, "li": li, "zhao": zhao}


def test_a_team_the_rules_accept_is_explained_with_its_audit_time(
    starcert: Starcert, office: dict[str, Any]
) -> None:
    done = starcert(
        "team", "check", str(office["case"]), "--auditors", f"{office['wang']},{office['li']}",
        "--on", "2026-06-01", "--kind", "stage2",
    )  # fmt: skip
    out = done.out
    assert out.startswith("ACCEPTED  team for case")
    assert "stage2 audit on 2026-06-01 (gbt27922-team 1" in out
    assert "client: area household_appliances, personnel 120, sites 3" in out
    assert "audit time: 3.5 person-days, a team of at least 2" in out
    assert "stage2, 120 effective personnel (up to 200): 2.5 days from the table" in out
    assert "passed team.area_competence" in out and "1 in household_appliances (王芳" in out
    assert "because 王芳 (auditor 1): senior_auditor 2021-N1AS-1234567" in out


def test_a_refused_team_names_every_rule_that_refuses_and_exits_3(
    starcert: Starcert, office: dict[str, Any]
) -> None:
    done = starcert(
        "team", "check", str(office["case"]), "--auditors", f"{office['li']},{office['zhao']}",
        "--on", "2026-06-01", "--kind", "stage2", "--json", check=False,
    )  # fmt: skip
    assert done.code == 3
    said = done.json()
    assert said["accepted"] is False and said["leader"] == office["li"]
    refused = {r["rule"]: r["because"] for r in said["rules"] if r["verdict"] == "refused"}
    assert set(refused) == {"team.leader_qualified", "team.area_competence", "team.impartiality"}
    assert "consultancy with the client until 2025-02-28" in refused["team.impartiality"]
    assert said["audit_time"]["days"] == "3.5"
    # Led by the senior auditor, a year later the relation is long enough ago: area alone refuses.
    later = starcert(
        "team", "check", str(office["case"]), "--auditors", f"{office['li']},{office['zhao']}",
        "--leader", str(office["zhao"]), "--on", "2027-03-01", "--kind", "stage2", "--json",
        check=False,
    ).json()  # fmt: skip
    assert [r["rule"] for r in later["rules"] if r["verdict"] == "refused"] == [
        "team.area_competence"
    ]


def test_a_lone_auditor_is_too_small_a_team_for_the_days(
    starcert: Starcert, office: dict[str, Any]
) -> None:
    done = starcert(
        "team", "check", str(office["case"]), "--auditors", "2021-N1AS-1234567",
        "--on", "2026-06-01", "--kind", "stage2", check=False,
    )  # fmt: skip
    assert done.code == 3
    assert "FAILED team.team_size" in done.out
    assert "because 1 member(s); the audit time asks for 2" in done.out
    # A surveillance takes 1 + 40% = 1.4, rounded up to 1.5 days: one auditor is enough.
    alone = starcert(
        "team", "check", str(office["case"]), "--auditors", str(office["wang"]),
        "--on", "2026-06-01", "--kind", "surveillance",
    )  # fmt: skip
    assert "audit time: 1.5 person-days, a team of at least 1" in alone.out


def test_bad_input_names_the_option_and_an_old_application_asks_for_its_size(
    starcert: Starcert, office: dict[str, Any]
) -> None:
    def error(*args: str) -> str:
        done = starcert("team", "check", str(office["case"]), *args, check=False)
        assert done.code == 2, done.err
        return done.err.strip()

    assert error("--auditors", "99") == "error: --auditors: no auditor 99 in the register"
    assert error("--auditors", f"{office['wang']}", "--leader", f"{office['li']}") == (
        f"error: --leader: auditor {office['li']} is not in the team"
    )
    assert "unknown adjustment 'cheap'" in error(
        "--auditors", str(office["wang"]), "--adjust", "cheap"
    )
    facts = starcert.write("facts.json", FACTS)
    bare = starcert(
        "apply", "--org", str(office["org"]), "--submitted", "2026-03-02", "--since",
        "2025-11-30", "--scope", "维修", "--facts", str(facts), "--by", "li", "--json",
    ).json()["id"]  # fmt: skip
    done = starcert("team", "check", str(bare), "--auditors", str(office["wang"]), check=False)
    assert done.code == 2
    assert "--area: the application of case" in done.err and "give --area" in done.err
    given = starcert(
        "team", "check", str(bare), "--auditors", str(office["wang"]), "--on", "2026-06-01",
        "--area", "household_appliances", "--personnel", "8", "--sites", "1",
    )  # fmt: skip
    assert "client: area household_appliances (--area), personnel 8 (--personnel)" in given.out
