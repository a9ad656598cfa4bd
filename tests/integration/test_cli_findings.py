"""`starcert finding ...` as an auditor and an operator run it: real databases, the CLI in process."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.conftest import FACTS, Starcert, sheet
from tests.integration.test_cli_lifecycle import certified
from tests.office_day import office_day
from workflows.credit_code import check_character


def _record_major(starcert: Starcert, cid: str, *extra: str) -> dict:  # type: ignore[type-arg]
    done = starcert(
        "finding", "record", cid, "--severity", "major", "--indicator", "repair",
        "--evidence", "维修记录缺失: no repair records for March", "--by", "bob", "--json", *extra,
    )  # fmt: skip
    data: dict = done.json()  # type: ignore[type-arg]
    return data


def _respond(starcert: Starcert, cid: str, number: str, on: str, check: bool = True):  # type: ignore[no-untyped-def]
    return starcert(
        "finding", "respond", cid, number, "--cause", "no record form",
        "--correction", "records kept since", "--corrective-action", "weekly records check",
        "--responded-on", on, "--by", "alice", "--json", check=check,
    )  # fmt: skip


def test_a_decision_is_refused_while_a_major_finding_is_open_and_made_once_it_is_closed(
    starcert: Starcert,
) -> None:
    cid = certified(starcert)
    finding = _record_major(starcert, cid)
    stage2 = date.fromisoformat(office_day(-40))
    assert (finding["label"], finding["status"], finding["case_state"]) == (
        "F1",
        "open",
        "decision",
    )
    assert finding["audit_date"] == stage2.isoformat()
    assert finding["due_on"] == (stage2 + timedelta(days=90)).isoformat()  # the rule file's 90

    refused = starcert("decide", cid, "--by", "carol", check=False)
    assert refused.code == 3
    assert "major finding F1 (repair, audit of" in refused.err and "open" in refused.err

    assert _respond(starcert, cid, "F1", office_day(0)).json()["status"] == "responded"
    rejected = starcert(
        "finding", "reject", cid, "1", "--reason", "no evidence of the records", "--by", "bob",
        "--json",
    ).json()  # fmt: skip
    assert (rejected["status"], rejected["rejected_reason"]) == (
        "open",
        "no evidence of the records",
    )
    _respond(starcert, cid, "F1", office_day(0))
    closed = starcert("finding", "close", cid, "F1", "--by", "bob", "--json").json()
    assert (closed["status"], closed["closed_on"], closed["closed_by"]) == (
        "closed",
        office_day(0),
        "bob",
    )
    assert starcert("decide", cid, "--by", "carol", "--json").json()["state"] == "active"

    detail = starcert("show", cid, "--json").json()
    assert [(f["label"], f["status"]) for f in detail["findings"]] == [("F1", "closed")]
    steps = [e["trigger"] for e in detail["history"] if "finding" in e["trigger"]]
    assert steps == [
        "record_finding", "respond_to_finding", "reject_finding_response",
        "respond_to_finding", "close_finding",
    ]  # fmt: skip
    human = starcert("show", cid).out
    assert "  findings:\n    F1   major       repair" in human
    listed = starcert("finding", "list", cid).out
    assert listed.startswith("F1   major       repair                 closed")
    assert starcert("audit", "verify").out.startswith("ok:")


def test_bad_finding_commands_say_what_is_wrong_and_write_nothing(starcert: Starcert) -> None:
    cid = certified(starcert)
    _record_major(starcert, cid)
    other = _second_case(starcert)
    other_audit = starcert("show", other, "--json").json()["audits"][-1]["id"]
    before = starcert("show", cid, "--json").json()
    cases = [
        (("finding", "close", cid, "F9", "--by", "bob"), 4, "case 1 has no finding F9 (its findings: F1)"),
        (("finding", "close", cid, "F1", "--by", "bob"), 2, "cannot close it: F1 has no response"),
        (("finding", "close", cid, "Fx", "--by", "bob"), 2, "FINDING: expected a finding number"),
        (("finding", "record", cid, "--audit", str(other_audit), "--severity", "minor",
          "--indicator", "repair", "--evidence", "x", "--by", "bob"),
         2, f"audit_id: audit {other_audit} is not an audit of case {cid}"),
        (("finding", "record", cid, "--severity", "minor", "--indicator", "repairs",
          "--evidence", "x", "--by", "bob"), 2, "indicator: 'repairs' is not an indicator"),
        (("finding", "record", cid, "--severity", "grave", "--indicator", "repair",
          "--evidence", "x", "--by", "bob"), 2, "grave"),
        (("finding", "list", "999"), 4, "case 999 not found"),
    ]  # fmt: skip
    for args, code, message in cases:
        done = starcert(*args, check=False)
        assert (done.code, message in done.err) == (code, True), (args, done.err)
    early = _respond(starcert, cid, "F1", office_day(-41), check=False)
    assert (
        early.code == 2 and "responded_on: " in early.err and "is before the audit of" in early.err
    )
    assert starcert("show", cid, "--json").json() == before
    _respond(starcert, cid, "F1", office_day(0))
    starcert("finding", "close", cid, "F1", "--by", "bob")
    again = starcert("finding", "close", cid, "F1", "--by", "bob", check=False)
    assert again.code == 2 and f"F1 is already closed (on {office_day(0)})" in again.err


def test_the_scheduler_refuses_an_application_whose_major_finding_outlived_its_period(
    starcert: Starcert,
) -> None:
    cid = _second_case(starcert, stage2_days_ago=120)
    finding = _record_major(starcert, cid)
    assert finding["due_on"] == office_day(-30)
    starcert("fire-due")
    detail = starcert("show", cid, "--json").json()
    assert detail["case"]["state"] == "not_certified"
    last = detail["history"][-1]
    assert last["trigger"] == "refuse_for_findings" and last["actor"].startswith("daemon:")
    assert "major finding F1 (repair" in last["reason"]
    assert "not closed within its period" in last["reason"]
    closed = starcert("finding", "close", cid, "F1", "--by", "bob", check=False)
    assert closed.code == 3 and "the case is closed" in closed.err


def _second_case(starcert: Starcert, stage2_days_ago: int = 40) -> str:
    """Another organisation's case, scored at stage 2 `stage2_days_ago` days back."""
    code = "91350100M000200Y4" + check_character("91350100M000200Y4")
    org = starcert(
        "org", "add", "--name", "Beta Repairs", "--credit-code", code, "--by", "alice", "--json"
    ).json()
    facts = starcert.write("facts2.json", FACTS)
    start = stage2_days_ago + 20
    case = starcert(
        "apply", "--org", str(org["id"]), "--submitted", office_day(-start),
        "--since", office_day(-start - 200), "--scope", "after-sales service of bicycles",
        "--facts", str(facts), "--by", "alice", "--json",
    ).json()  # fmt: skip
    cid = str(case["id"])
    starcert("review", cid, "--by", "alice")
    starcert(
        "audit", "record", cid, "--kind", "stage1", "--date", office_day(-start + 10),
        "--auditor", "bob", "--by", "alice",
    )  # fmt: skip
    scores = starcert.write("sheet2.json", sheet(2))
    starcert(
        "audit", "record", cid, "--kind", "stage2", "--date", office_day(-stage2_days_ago),
        "--auditor", "bob", "--sheet", str(scores), "--by", "alice",
    )  # fmt: skip
    return cid


def test_steps_entered_late_take_the_day_they_happened(starcert: Starcert) -> None:
    cid = _second_case(starcert, stage2_days_ago=120)
    finding = _record_major(starcert, cid, "--on", office_day(-118))
    assert (finding["recorded_on"], finding["due_on"]) == (office_day(-118), office_day(-30))
    _respond(starcert, cid, "F1", office_day(-100))
    closed = starcert(
        "finding", "close", cid, "F1", "--by", "bob", "--on", office_day(-90), "--json"
    )
    assert closed.json()["closed_on"] == office_day(-90)
    starcert("fire-due")  # its period ended 30 days ago, but it was closed within it
    assert starcert("show", cid, "--json").json()["case"]["state"] == "decision"
    assert starcert("decide", cid, "--by", "carol", "--json").json()["state"] == "active"
    for on, message in ((office_day(1), "is in the future"), ("soon", "--on: expected a date")):
        done = starcert(
            "finding", "record", cid, "--severity", "minor", "--indicator", "repair",
            "--evidence", "x", "--by", "bob", "--on", on, check=False,
        )  # fmt: skip
        assert done.code == 2 and message in done.err, done.err
