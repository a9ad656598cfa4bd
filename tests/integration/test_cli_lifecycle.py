"""The operator CLI end to end, as an operator runs it: real processes, real databases.

Long because it walks the whole lifecycle, command by command, on both databases.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from storage.sql.migrate import upgrade
from tests.integration.conftest import FACTS, Completed, Starcert, make_runner, sheet
from tests.office_day import office_day, office_today
from tests.score_sheets import FULL_MARKS
from workflows.credit_code import check_character

CODE = "91350100M000100Y4" + check_character("91350100M000100Y4")


def _days_ago(n: int) -> str:
    return office_day(-n)


def certified(starcert: Starcert, loss: float = 2, **overrides: float) -> str:
    """Runs a case from registration to certificate; returns its id."""
    org = starcert(
        "org", "add", "--name", "Acme Appliances", "--credit-code", CODE, "--by", "alice", "--json"
    ).json()
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply",
        "--org",
        str(org["id"]),
        "--submitted",
        _days_ago(60),
        "--since",
        _days_ago(200),
        "--scope",
        "after-sales service of household appliances",
        "--facts",
        str(facts),
        "--by",
        "alice",
        "--json",
    ).json()
    cid = str(case["id"])
    assert case["state"] == "applied"
    assert starcert("review", cid, "--by", "alice", "--json").json()["state"] == "stage1"
    starcert(
        "audit",
        "record",
        cid,
        "--kind",
        "stage1",
        "--date",
        _days_ago(50),
        "--auditor",
        "bob",
        "--by",
        "alice",
    )
    scores = starcert.write("sheet.json", sheet(loss, **overrides))
    after = starcert(
        "audit",
        "record",
        cid,
        "--kind",
        "stage2",
        "--date",
        _days_ago(40),
        "--auditor",
        "bob",
        "--sheet",
        str(scores),
        "--by",
        "alice",
        "--json",
    ).json()
    assert after["state"] == "decision"
    return cid


def test_a_case_runs_from_application_to_certificate_with_its_history(starcert: Starcert) -> None:
    cid = certified(starcert, loss=2)  # 98 points
    decided = starcert("decide", cid, "--by", "carol", "--json").json()
    assert decided["state"] == "active"
    assert decided["star_level"] == "five_star"
    assert decided["number"].startswith("ASC-")
    assert decided["rule_version"] == "1"

    detail = starcert("show", decided["number"], "--json").json()  # by certificate number too
    assert starcert("show", decided["number"].lower(), "--json").json() == detail
    triggers = [e["trigger"] for e in detail["history"]]
    assert triggers == [
        "submit_application",
        "accept_application",
        "complete_stage1",
        "record_stage2",
        "certify",
    ]
    certify = detail["history"][-1]
    assert certify["actor"] == "carol"
    assert certify["from_state"] == "decision" and certify["to_state"] == "active"
    assert certify["rule_version"] == "1" and len(certify["rule_hash"]) == 64
    assert {d["kind"] for d in detail["open_deadlines"]} >= {"surveillance_due", "expiry"}
    allowed = {t["trigger"] for t in detail["allowed_triggers"]}
    assert {"suspend", "withdraw", "cancel"} <= allowed and "restore" not in allowed

    human = starcert("show", cid).out
    assert "five_star" in human and "certify" in human and "carol" in human


def test_a_renewal_gives_a_new_number_and_the_earlier_one_still_finds_the_case(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    old = starcert("decide", cid, "--by", "carol", "--json").json()["number"]
    renewed = starcert(
        "audit", "record", cid, "--kind", "recertification", "--date", _days_ago(0),
        "--auditor", "bob", "--sheet", str(starcert.write("renewal.json", sheet(2))),
        "--by", "alice", "--json",
    ).json()  # fmt: skip
    assert renewed["number"] == old.replace(old[4:8], str(office_today().year)) + "-R1"
    assert starcert("show", old, "--json").json()["case"]["number"] == renewed["number"]
    assert starcert("show", old + "-R7", check=False).code == 4  # never issued


def test_third_level_items_may_be_sampled(starcert: Starcert) -> None:
    items = {"returns": 2, "exchanges": {"points": 2}, "warranty": {"conforming": 2, "sampled": 3}}
    cid = certified(starcert, loss=0, quality_guarantee={"items": items})  # 7 - 3 x 1/3 = 6
    decided = starcert("decide", cid, "--by", "carol", "--json").json()
    assert decided["final_score"].startswith("99.0") and decided["star_level"] == "five_star"
    [stage2] = [
        a for a in starcert("show", cid, "--json").json()["audits"] if a["kind"] == "stage2"
    ]
    assert stage2["sheet"]["results"]["quality_guarantee"]["items"]["warranty"] == {
        "conforming": 2,
        "sampled": 3,
    }


def test_a_low_score_is_refused_at_decision(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite  # the storage contract suite covers PostgreSQL
    zeros = {
        k: 0 for k in ("organisation", "staffing", "resources", "service_norms", "supervision")
    }
    cid = certified(starcert, loss=1, **zeros)  # 100 - 30 - 1 = 69 points
    refused = starcert("decide", cid, "--by", "carol", "--json").json()
    assert refused["state"] == "not_certified" and refused["number"] is None


def test_an_illegal_transition_names_case_state_and_allowed_triggers_and_writes_nothing(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite  # the storage contract suite covers PostgreSQL
    cid = certified(starcert)
    starcert("decide", cid, "--by", "carol")
    before = starcert("show", cid, "--json").json()
    refused = starcert(
        "restore", cid, "--reason", "nothing to restore", "--by", "alice", check=False
    )
    assert refused.code == 3
    assert f"case {cid}" in refused.err or cid in refused.err
    assert "active" in refused.err and "suspend" in refused.err
    assert starcert("show", cid, "--json").json() == before


def test_suspension_restoration_register_and_listing(starcert: Starcert) -> None:
    cid = certified(starcert)
    number = starcert("decide", cid, "--by", "carol", "--json").json()["number"]
    suspended = starcert(
        "suspend",
        cid,
        "--cause",
        "client_request",
        "--reason",
        "client asked",
        "--by",
        "alice",
        "--json",
    ).json()
    assert suspended["state"] == "suspended" and suspended["suspension_cause"] == "client_request"
    listed = starcert("list", "--state", "suspended", "--json").json()
    assert [c["number"] for c in listed] == [number]
    assert starcert("list", "--state", "active", "--json").json() == []

    out = starcert("export").out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["certificate_number"] == number
    assert rows[0]["certification_status"] == "suspended"
    assert rows[0]["certified_entity_unique_id"] == CODE

    restored = starcert("restore", cid, "--reason", "client resumed", "--by", "alice", "--json")
    assert restored.json()["state"] == "active"
    low = starcert.write(
        "low.json", sheet(total_loss=12, repair=0, delivery=0, technical_support=0, staffing=0)
    )
    special = starcert(
        "audit", "record", cid, "--kind", "special", "--date", _days_ago(0),
        "--auditor", "bob", "--sheet", str(low), "--by", "alice", "--json",
    ).json()  # fmt: skip
    assert special["state"] == "active"  # on the record; acting on it is the operator's call
    history = starcert("show", cid, "--json").json()["history"]
    assert [e["trigger"] for e in history][-3:] == ["suspend", "restore", "note_audit"]
    assert history[-3]["reason"] == "client asked"
    assert history[-1]["data"]["audit"]["kind"] == "special"
    assert history[-1]["data"]["score"]["passed"] is False


def test_bad_input_names_the_field_and_writes_nothing(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite  # the storage contract suite covers PostgreSQL
    wrong_check = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    bad_code = starcert(
        "org", "add", "--name", "Acme", "--credit-code", wrong_check, "--by", "alice", check=False
    )
    assert bad_code.code == 2 and "credit_code" in bad_code.err

    cid = certified(starcert)

    def surveillance(sheet_file: Path, on: str) -> Completed:
        return starcert(
            "audit", "record", cid, "--kind", "surveillance", "--date", on, "--auditor", "bob",
            "--sheet", str(sheet_file), "--by", "alice", check=False,
        )  # fmt: skip

    over = starcert.write("over.json", sheet(0, organisation=7))  # max is 6
    assert surveillance(over, _days_ago(1)).code in (2, 3)  # not yet certified
    starcert("decide", cid, "--by", "carol")
    before = starcert("show", cid, "--json").json()
    refused = surveillance(over, _days_ago(1))
    assert refused.code == 2 and "organisation" in refused.err
    in_two_days = office_day(2)
    refused = surveillance(starcert.write("ok.json", sheet(1)), in_two_days)
    assert refused.code == 2 and "audit_date" in refused.err
    malformed = starcert.workdir / "broken.yaml"
    malformed.write_text("results: [organisation: 5\n", encoding="utf-8")
    refused = surveillance(malformed, _days_ago(1))
    assert refused.code == 2 and "broken.yaml" in refused.err
    no_such_day = starcert.workdir / "no_such_day.yaml"
    no_such_day.write_text("results:\n  organisation: 5\naudited: 2025-02-30\n", encoding="utf-8")
    refused = surveillance(no_such_day, _days_ago(1))
    assert refused.code == 2 and "no_such_day.yaml:3: 2025-02-30 is not a calendar date" in (
        refused.err
    )
    assert "Traceback" not in refused.err
    assert starcert("show", cid, "--json").json() == before
    missing = starcert("show", "999", check=False)
    assert missing.code == 4 and "999" in missing.err
    too_early = starcert(
        "apply", "--org", str(before["case"]["organisation_id"]), "--submitted", "2010-01-01", "--since",
        "2009-01-01", "--scope", "s", "--facts", str(starcert.write("f.json", FACTS)), "--by", "a",
        check=False,
    )  # fmt: skip
    assert too_early.code == 2 and "submitted_on" in too_early.err
    assert "no version of rule set gbt27922 is in force on 2010-01-01" in too_early.err
    assert [c["id"] for c in starcert("list", "--json").json()] == [before["case"]["id"]]


def test_audit_verify_names_the_first_broken_link(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    assert starcert("audit", "verify", "--json").json()["ok"] is True
    db = starcert.workdir / "data" / "starcert.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # an intruder with file access edits history around the guard
        triggers = (
            conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
                )
            )
            .scalars()
            .all()
        )
        for name in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(
            text("UPDATE events SET actor = 'mallory' WHERE case_id = :c AND seq = 3"),
            {"c": int(cid)},
        )
    engine.dispose()
    broken = starcert("audit", "verify", "--json", check=False)
    assert broken.code == 1
    report = broken.json()
    assert report["ok"] is False
    assert report["broken"]["case_id"] == int(cid) and report["broken"]["seq"] == 3


def test_audit_verify_holds_each_case_row_to_its_trail(starcert_sqlite: Starcert) -> None:
    """Rows edited behind starcert's back: a state or number the events never gave, or a case
    whose every event was deleted (it was never checked when only events named cases)."""
    starcert = starcert_sqlite
    cid = int(certified(starcert))
    starcert("decide", str(cid), "--by", "carol")
    number = starcert("show", str(cid), "--json").json()["case"]["number"]
    engine = create_engine(f"sqlite:///{starcert.workdir / 'data' / 'starcert.db'}")

    def edited(sql: str, undo: str | None) -> dict[str, Any]:
        with engine.begin() as conn:
            conn.execute(text(sql), {"c": cid})
        report = starcert("audit", "verify", "--json", check=False)
        assert report.code == 1, report.out
        if undo is not None:
            with engine.begin() as conn:
                conn.execute(text(undo), {"c": cid})
        return report.json()["broken"]

    state = edited(
        "UPDATE cases SET state = 'withdrawn' WHERE id = :c",
        "UPDATE cases SET state = 'active' WHERE id = :c",
    )
    assert (state["case_id"], state["field"]) == (cid, "state")
    assert state["expected"].startswith("active") and "withdrawn" in state["found"]
    renumbered = edited(
        "UPDATE cases SET number = 'ASC-2099-999999' WHERE id = :c",
        f"UPDATE cases SET number = '{number}' WHERE id = :c",
    )
    assert renumbered["field"] == "number" and number in renumbered["expected"]
    assert starcert("audit", "verify", "--json").json()["ok"] is True  # undone: clean again
    with engine.begin() as conn:
        for name in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
        ).scalars():
            conn.execute(text(f'DROP TRIGGER "{name}"'))
    gone = edited("DELETE FROM events WHERE case_id = :c", None)
    assert (gone["case_id"], gone["field"]) == (cid, "head")
    engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None, migrate=False)
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "starcert.db").close()  # an empty database file
    for args in (("list",), ("serve",)):
        refused = starcert(*args, check=False)
        assert refused.code == 1, refused
        assert "has no starcert schema" in refused.err
        assert "run `starcert db upgrade`" in refused.err
        assert "Traceback" not in refused.err
    starcert("db", "upgrade")
    assert starcert("list", "--json").json() == []


def test_a_database_of_an_older_release_is_refused_until_upgraded(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None, migrate=False)
    (tmp_path / "data").mkdir()
    upgrade(f"sqlite:///{tmp_path / 'data' / 'starcert.db'}", "0001")
    refused = starcert("list", check=False)
    assert refused.code == 1 and "is at schema revision 0001" in refused.err
    assert "run `starcert db upgrade`" in refused.err
    starcert("db", "upgrade")
    certified(starcert)
    assert starcert("audit", "verify", "--json").json()["ok"] is True


def test_show_in_words_gives_the_scores_and_suspension_its_json_has(starcert: Starcert) -> None:
    cid = certified(starcert, loss=2)  # 98 points, in decision: the score decided on
    stage2 = next(
        line for line in starcert("show", cid).out.splitlines() if "record_stage2" in line
    )
    assert "score 98.000000 five_star" in stage2
    starcert("decide", cid, "--by", "carol")
    low = starcert.write("low.json", sheet(0, organisation=0, staffing=0))  # 88: three stars
    starcert(
        "audit", "record", cid, "--kind", "surveillance", "--date", _days_ago(0), "--auditor",
        "bob", "--sheet", str(low), "--by", "alice",
    )  # fmt: skip
    surveil = next(line for line in starcert("show", cid).out.splitlines() if "surveil " in line)
    assert "score 88.000000 three_star (was five_star)" in surveil
    starcert("suspend", cid, "--cause", "mark_misuse", "--reason", "logo", "--by", "alice")
    detail = starcert("show", cid, "--json").json()["case"]
    assert f"  suspended on {detail['suspended_on']}: mark_misuse\n" in starcert("show", cid).out


def test_a_sheet_the_rules_refuse_is_named_by_its_file_like_a_malformed_one(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    starcert("decide", cid, "--by", "carol")
    before = starcert("show", cid, "--json").json()
    over = starcert.write("over.json", sheet(0, organisation=7))  # at most 6
    unscored = starcert.write("unscored.json", {"results": {"organisation": 6}})
    unscored_ids = ", ".join(name for name in FULL_MARKS if name != "organisation")
    for path, said in (
        (over, "results.organisation.points: 7 is outside 0..6 (the points of organisation)"),
        (
            unscored,
            f"results: 14 indicators missing: {unscored_ids} "
            "(score each, or list it under excluded)",
        ),
    ):
        refused = starcert(
            "audit", "record", cid, "--kind", "surveillance", "--date", _days_ago(0),
            "--auditor", "bob", "--sheet", str(path), "--by", "alice", check=False,
        )  # fmt: skip
        assert (refused.code, refused.err) == (2, f"error: {path}:1: {said}\n")
    assert starcert("show", cid, "--json").json() == before
