"""`starcert plan accept`: an operator accepts the proposed team (or another), the team rules
asked again; the plan then shows the audit as assigned, a refused team writes nothing, a new
accept replaces the team and keeps the old one, and an audit recorded by someone outside the
team, or under a leader whose qualification had lapsed that day, is refused naming the field."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.integration.conftest import FACTS, REPO, Starcert, sheet
from tests.integration.test_cli_plan import _certified
from tests.office_day import office_day
from workflows.credit_code import check_character


def _office(starcert: Starcert) -> int:
    case = _certified(
        starcert, "91350100M000900Y4" + check_character("91350100M000900Y4"),
        "--area", "household_appliances", "--personnel", "40", "--sites", "1",
    )  # fmt: skip
    until = (date.fromisoformat(office_day(0)) + timedelta(days=800)).isoformat()
    for name, registration, grade in (
        ("王芳", "R-1", "senior_auditor"),
        ("李明", "R-2", "auditor"),
    ):
        starcert("auditor", "add", "--name", name, "--registration", registration,
                 "--grade", grade, "--registered", "2021-04-01", "--valid-until", until,
                 "--area", "household_appliances", "--by", "li")  # fmt: skip
    return case


def test_an_accepted_proposal_is_assigned_and_a_refused_team_writes_nothing(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    case = _office(starcert)
    [proposal] = starcert("plan", "--weeks", "53", "--json").json()["proposals"]
    done = starcert("plan", "accept", str(case), "--weeks", "53", "--by", "zhang", "--json").json()
    assert done["accepted"] is True and done["replaced"] is None
    first = done["assignment"]
    assert (first["case_id"], first["kind"], first["starts_on"], first["leader"]) == (
        case, "surveillance", proposal["starts_on"], 1
    )  # fmt: skip
    assert first["accepted_by"] == "zhang" and first["members"] == [1]
    again = starcert("plan", "--weeks", "53", "--json").json()
    assert again["proposals"] == [] and [a["assignment"] for a in again["assigned"]] == [
        first["id"]
    ]
    human = starcert("plan", "--weeks", "53").out
    assert f"case {case} surveillance: ASSIGNED {first['starts_on']}" in human
    # As proposed again: there is no proposal left, and the refusal says how to replace it.
    twice = starcert("plan", "accept", str(case), "--weeks", "53", "--by", "zhang", check=False)
    assert twice.code == 2
    assert "--auditors: the plan proposes no team for case" in twice.err
    assert f"assigned already (assignment {first['id']})" in twice.err
    # A junior leading alone: the rules refuse, rule by rule; nothing is stored.
    refused = starcert(
        "plan", "accept", str(case), "--auditors", "R-2", "--from", first["starts_on"],
        "--by", "zhang", check=False,
    )  # fmt: skip
    assert refused.code == 3
    assert refused.out.startswith("REFUSED")
    assert "FAILED team.leader_qualified" in refused.out
    assert "nothing stored: the rules refuse this team" in refused.out
    held = starcert("plan", "assignments", str(case), "--json").json()
    assert [a["id"] for a in held] == [first["id"]]


def test_a_new_accept_replaces_the_team_and_the_old_one_stays_traceable(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    case = _office(starcert)
    starts = starcert("plan", "--weeks", "53", "--json").json()["proposals"][0]["starts_on"]
    first = starcert(
        "plan", "accept", str(case), "--weeks", "53", "--by", "zhang", "--json"
    ).json()["assignment"]
    later = (date.fromisoformat(starts) + timedelta(days=2)).isoformat()
    second = starcert(
        "plan", "accept", str(case), "--auditors", "1,R-2", "--from", later, "--kind",
        "surveillance", "--by", "wu", "--json",
    ).json()  # fmt: skip
    assert second["replaced"] == first["id"]
    assert second["assignment"]["members"] == [1, 2]
    assert second["assignment"]["replaces"] == first["id"]
    history = starcert("plan", "assignments", str(case), "--json").json()
    assert [(a["id"], a["replaced_by"], a["accepted_by"]) for a in history] == [
        (first["id"], second["assignment"]["id"], "zhang"),
        (second["assignment"]["id"], None, "wu"),
    ]
    current = starcert("plan", "assignments", "--json").json()
    assert [a["id"] for a in current] == [second["assignment"]["id"]]
    listed = starcert("plan", "assignments", str(case)).out
    assert f"(replaced by {second['assignment']['id']})" in listed and "(current)" in listed
    # Each auditor's own audits: the current team only, by id or registration.
    for ref in ("2", "R-2"):
        mine = starcert("plan", "assignments", "--auditor", ref, "--json").json()
        assert [a["id"] for a in mine] == [second["assignment"]["id"]]
    unknown = starcert("plan", "assignments", "--auditor", "R-9", check=False)
    assert unknown.code == 2 and "--auditor" in unknown.err and "R-9" in unknown.err


def test_an_audit_outside_the_assigned_team_or_under_a_lapsed_leader_is_refused(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    case = _office(starcert)
    starts = office_day(0)  # an audit is recorded once it is done: today, not on a plan's day
    starcert("plan", "accept", str(case), "--auditors", "1,2", "--from", starts, "--kind",
             "surveillance", "--by", "zhang")  # fmt: skip
    scores = starcert.write("sheet.json", sheet(2))
    before = starcert("show", str(case), "--json").json()

    def record(auditor: str) -> tuple[int, str]:
        done = starcert(
            "audit", "record", str(case), "--kind", "surveillance", "--date", starts,
            "--auditor", auditor, "--sheet", str(scores), "--by", "zhang", check=False,
        )  # fmt: skip
        return done.code, done.err

    code, err = record("王芳,张伟")
    assert code == 2
    assert "auditor: 张伟 is not in the team assigned to this surveillance audit" in err
    assert "王芳 (1), 李明 (2)" in err
    lapsed = (date.fromisoformat(starts) - timedelta(days=1)).isoformat()
    starcert("auditor", "update", "1", "--valid-until", lapsed, "--by", "li")
    code, err = record("王芳")
    assert code == 2
    assert "audit_date: the assigned leader 王芳 (1)'s qualification R-1 holds" in err
    assert starcert("show", str(case), "--json").json() == before  # nothing was written
    until = (date.fromisoformat(starts) + timedelta(days=400)).isoformat()
    starcert("auditor", "update", "1", "--valid-until", until, "--by", "li")
    code, err = record("R-2, 王芳")  # registrations and names alike
    assert code == 0, err


def test_a_body_that_requires_assignments_refuses_an_audit_without_one(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    config = starcert.config.read_text(encoding="utf-8")
    starcert.config.write_text(config + "[auditors]\nrequire_assignment = true\n", encoding="utf-8")
    org = starcert(
        "org", "add", "--name", "客户九", "--by", "li", "--json",
        "--credit-code", "91350100M000990Y4" + check_character("91350100M000990Y4"),
    ).json()["id"]  # fmt: skip
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply", "--org", str(org), "--submitted", office_day(-30), "--since", office_day(-200),
        "--scope", "家电售后服务", "--facts", str(facts), "--by", "li", "--area",
        "household_appliances", "--personnel", "40", "--sites", "1", "--json",
    ).json()["id"]  # fmt: skip
    starcert("review", str(case), "--by", "li")
    until = (date.fromisoformat(office_day(0)) + timedelta(days=800)).isoformat()
    starcert("auditor", "add", "--name", "王芳", "--registration", "R-1", "--grade",
             "senior_auditor", "--registered", "2021-04-01", "--valid-until", until,
             "--area", "household_appliances", "--by", "li")  # fmt: skip

    def stage1() -> tuple[int, str]:
        done = starcert(
            "audit", "record", str(case), "--kind", "stage1", "--date", office_day(0),
            "--auditor", "王芳", "--by", "li", check=False,
        )  # fmt: skip
        return done.code, done.err

    code, err = stage1()
    assert code == 2
    assert f"auditor: no team is assigned to a stage1 audit of case {case}" in err
    assert starcert("show", str(case), "--json").json()["case"]["state"] == "stage1"
    starcert("plan", "accept", str(case), "--kind", "stage1", "--auditors", "R-1",
             "--from", office_day(0), "--by", "zhang")  # fmt: skip
    code, err = stage1()
    assert code == 0, err


def test_a_team_without_dates_takes_the_proposals_and_bad_input_names_the_option(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    case = _office(starcert)
    [proposal] = starcert("plan", "--weeks", "53", "--json").json()["proposals"]
    # Another team on the proposal's days.
    done = starcert(
        "plan", "accept", str(case), "--auditors", "1,2", "--weeks", "53", "--by", "zhang",
        "--json",
    ).json()  # fmt: skip
    assert done["assignment"]["starts_on"] == proposal["starts_on"]
    assert done["assignment"]["members"] == [1, 2]
    # Now assigned, the plan proposes nothing to take the days from: --from is asked for.
    again = starcert(
        "plan", "accept", str(case), "--auditors", "2,1", "--weeks", "53", "--by", "zhang",
        check=False,
    )  # fmt: skip
    assert again.code == 2 and "--from: give the first audit day" in again.err
    for args, said in (
        (("--from", "2027-13-01"), "--from: expected a date YYYY-MM-DD"),
        (("--from", "2027-03-05", "--to", "2027-03-01"), "--to: 2027-03-01 is before the first"),
        (("--from", "2027-03-05", "--leader", "9"), "--leader: no auditor 9 in the register"),
        (("--from", "2027-03-05", "--by", " "), "--by: must not be empty"),
    ):
        bad = starcert(
            "plan", "accept", str(case), "--auditors", "1,2", "--kind", "surveillance",
            "--by", "zhang", *args, check=False,
        )  # fmt: skip
        assert bad.code == 2 and said in bad.err, (args, bad.err)
    held = starcert("plan", "assignments", str(case), "--json").json()
    assert [a["id"] for a in held] == [done["assignment"]["id"]]  # nothing else was written


def test_a_special_audit_is_held_to_the_team_accepted_for_it(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    case = _office(starcert)
    today = office_day(0)
    starcert("change", "request-extension", str(case), "--scope", "household and kitchen "
             "appliances", "--by", "zhang")  # fmt: skip
    checked = starcert(
        "team", "check", str(case), "--auditors", "R-1", "--on", today, "--kind", "special",
        "--json",
    ).json()  # fmt: skip
    # The shipped file gives no special column: a special audit takes a surveillance's days.
    assert checked["audit_time"]["kind"] == "special" and checked["audit_time"]["days"] == "1"
    held = starcert(
        "plan", "accept", str(case), "--kind", "special", "--auditors", "R-1", "--from", today,
        "--by", "zhang", "--json",
    ).json()  # fmt: skip
    assert held["accepted"] is True and held["assignment"]["kind"] == "special"
    outsider = starcert(
        "audit", "record", str(case), "--kind", "special", "--date", today, "--auditor", "李明",
        "--by", "zhang", check=False,
    )  # fmt: skip
    assert outsider.code == 2
    assert "auditor: 李明 is not in the team assigned to this special audit" in outsider.err
    member = starcert(
        "audit", "record", str(case), "--kind", "special", "--date", today, "--auditor", "R-1",
        "--by", "zhang", check=False,
    )  # fmt: skip
    assert member.code == 0, member.err
    extended = starcert("change", "extend-scope", str(case), "--by", "zhang", "--json").json()
    assert extended["scope"] == "household and kitchen appliances"


def test_the_plan_marks_an_accepted_team_a_later_team_version_refuses(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    """A lone senior auditor accepted for a one-day surveillance; version 2, in force before the
    audit starts, makes that surveillance 2.5 days, which asks for two: the plan still shows the
    audit assigned, and says which rule refuses its team now and under which version it was
    accepted; the impact had named it before publication."""
    starcert = starcert_sqlite
    case = _office(starcert)
    first = starcert(
        "plan", "accept", str(case), "--weeks", "53", "--by", "zhang", "--json"
    ).json()["assignment"]
    assert first["members"] == [1]
    v2 = _longer_surveillance(tmp_path)
    assert starcert("plan", "--weeks", "53", "--json").json()["assigned"][0]["refused_by"] == []
    effective = office_day(1)
    assert effective < first["starts_on"]
    impact = starcert("rules", "impact", str(v2), "--effective", effective, "--json").json()
    assert [t["assignment_id"] for t in impact["teams_refused"]] == [first["id"]]
    published = starcert("rules", "publish", str(v2), "--effective", effective, "--by", "alice")
    assert published.out.startswith("published gbt27922-team 2")
    assert (
        f"  warning: assignment {first['id']}: case {case} " in published.err
        and "refused by team.team_size: " in published.err
        and published.err.rstrip().endswith(
            f"accept a team again: starcert plan accept {case} --auditors ... --from "
            f"{first['starts_on']}"
        )
    )

    [held] = starcert("plan", "--weeks", "53", "--json").json()["assigned"]
    assert (held["assignment"], held["accepted_under"]) == (first["id"], "1")
    assert [r["rule"] for r in held["refused_by"]] == ["team.team_size"]
    human = starcert("plan", "--weeks", "53").out
    assert f"case {case} surveillance: ASSIGNED {first['starts_on']}" in human
    assert (
        "  REFUSED by the team rules now in force on its first day (accepted under version 1; "
        f"accept a team again: plan accept {case} --auditors ... --from DAY): team.team_size: "
        "the team has at least as many members"
    ) in human
    replaced = starcert(
        "plan", "accept", str(case), "--auditors", "1,R-2", "--leader", "1",
        "--from", first["starts_on"], "--by", "zhang", "--json",
    ).json()  # fmt: skip
    assert replaced["accepted"] is True
    [now] = starcert("plan", "--weeks", "53", "--json").json()["assigned"]
    assert now["accepted_under"] == "2" and now["refused_by"] == []


def _longer_surveillance(tmp_path: Path) -> Path:
    """Team version 2: a surveillance of a client of up to 50 people takes 2.5 days, not 1."""
    row = "{up_to: 50, stage1: 1, stage2: 1.5, surveillance: 1,"
    v2 = tmp_path / "team-v2.yaml"
    v2.write_text(
        (REPO / "rules" / "team-gbt27922.yaml")
        .read_text(encoding="utf-8")
        .replace('version: "1"', 'version: "2"', 1)
        .replace(row, row.replace("surveillance: 1,", "surveillance: 2.5,"), 1),
        encoding="utf-8",
    )
    return v2


def test_a_closed_case_s_team_is_not_asked_and_one_that_cannot_be_asked_is_named(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    """A withdrawn certificate's accepted team is none of a new version's business; a team whose
    client's area the body no longer lists cannot be asked, and the impact and the plan say so
    rather than leave it out."""
    starcert = starcert_sqlite
    case = _office(starcert)
    first = starcert(
        "plan", "accept", str(case), "--weeks", "53", "--by", "zhang", "--json"
    ).json()["assignment"]
    v2 = _longer_surveillance(tmp_path)
    effective = office_day(1)
    config = starcert.config.read_text(encoding="utf-8")
    starcert.config.write_text(
        config + '[auditors]\nareas = ["consumer_electronics"]\n', encoding="utf-8"
    )
    impact = starcert("rules", "impact", str(v2), "--effective", effective, "--json").json()
    assert (impact["teams_checked"], impact["teams_refused"]) == (1, [])
    [unasked] = impact["teams_not_asked"]
    assert unasked["assignment_id"] == first["id"]
    assert "household_appliances" in unasked["not_asked"]
    said = starcert("rules", "impact", str(v2), "--effective", effective).out
    assert "1 accepted teams asked again, 0 refused, 1 could not be asked" in said
    assert f"assignment {first['id']}: case {case} " in said and "could not be asked: " in said
    starcert("rules", "publish", str(v2), "--effective", effective, "--by", "alice")
    [held] = starcert("plan", "--weeks", "53", "--json").json()["assigned"]
    assert held["refused_by"] == [] and "household_appliances" in held["not_asked"]
    assert (
        "  NOT ASKED by the team rules now in force on its first day"
        in starcert("plan", "--weeks", "53").out
    )

    starcert.config.write_text(config, encoding="utf-8")
    starcert("withdraw", str(case), "--reason", "client closed", "--by", "zhang")
    v3 = tmp_path / "team-v3.yaml"
    v3.write_text(v2.read_text(encoding="utf-8").replace('version: "2"', 'version: "3"', 1))
    closed = starcert("rules", "impact", str(v3), "--effective", office_day(2), "--json").json()
    assert (closed["teams_checked"], closed["teams_refused"], closed["teams_not_asked"]) == (
        0, [], []
    )  # fmt: skip
