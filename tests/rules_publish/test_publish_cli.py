"""Publishing rule versions from the CLI, as an author does it: real processes, real databases."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Starcert, sheet
from tests.integration.test_cli_lifecycle import certified
from tests.office_day import office_day
from tests.rules_publish.conftest import SHIPPED, stricter


def _in(days: int) -> str:
    return office_day(days)


def test_a_new_database_holds_the_shipped_rules_as_a_backdated_version(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    history = starcert("rules", "history", "--json").json()
    assert [(h["ruleset"], h["version"], h["in_force"]) for h in history] == [
        ("gbt27922", "1", True)
    ]
    assert history[0]["backdate_reason"] == "shipped default"
    shown = starcert("rules", "show", "1").out
    assert shown.split("---\n", 1)[1] == SHIPPED.read_text(encoding="utf-8")
    copy = starcert.workdir / "next.yaml"
    copy.write_text(starcert("rules", "show", "1", "--content").out, encoding="utf-8")
    assert copy.read_bytes() == SHIPPED.read_bytes()  # a starting point for the next version
    assert "ok  " in starcert("rules", "check", str(copy)).out


def test_publish_then_history_show_and_a_decision_dated_before_keeps_the_old_version(
    starcert_sqlite: Starcert, v2: Path
) -> None:
    starcert = starcert_sqlite
    done = starcert(
        "rules", "publish", str(v2), "--effective", _in(30), "--by", "alice", "--json"
    ).json()
    assert done["version"] == "2" and done["published_by"] == "alice"
    assert done["effective_from"] == _in(30) and done["backdate_reason"] is None
    history = starcert("rules", "history", "--json").json()
    assert [(h["version"], h["in_force"], h["until"]) for h in history] == [
        ("1", True, _in(30)),
        ("2", False, None),
    ]
    assert "band four_star: from 90 -> 91" in starcert("rules", "diff", "1", "2").out
    # A decision made today (before the effective date) is made, and stamped, by version 1.
    cid = certified(starcert, loss=9.5)  # 90.5 points: four stars under 1, three under 2
    decided = starcert("decide", cid, "--by", "carol", "--json").json()
    assert decided["star_level"] == "four_star" and decided["rule_version"] == "1"
    shown = starcert("show", cid).out
    assert "rules 1 " in shown


def test_explain_decides_by_the_published_versions_from_any_directory(
    starcert_sqlite: Starcert, v2: Path
) -> None:
    starcert = starcert_sqlite  # runs in a folder with no rules/ of its own
    assert not (starcert.workdir / "rules").exists()
    starcert("rules", "publish", str(v2), "--effective", _in(30), "--by", "alice")
    facts = starcert.write("facts.json", {"score_sheet": sheet(total_loss=9.5)})  # 90.5 points

    def explained(day: str) -> dict[str, str]:
        data = starcert("rules", "explain", "--facts", str(facts), "--as-of", day, "--json").json()
        return {k: data[k] for k in ("version", "band")}

    assert explained(_in(29)) == {"version": "1", "band": "four_star"}
    assert explained(_in(30)) == {"version": "2", "band": "three_star"}  # as the daemon decides
    draft = starcert(
        "rules", "explain", "--facts", str(facts), "--as-of", _in(30), "--rules", str(SHIPPED),
        "--json",
    ).json()  # fmt: skip
    assert (draft["version"], draft["band"]) == ("1", "four_star")
    checked = starcert("rules", "check").out  # the config's rules_dir, not ./rules
    assert "ok  " in checked and "gbt27922 1" in checked


def test_an_effective_date_in_the_past_needs_a_backdate_reason_which_is_recorded(
    starcert_sqlite: Starcert, v2: Path
) -> None:
    starcert = starcert_sqlite
    refused = starcert(
        "rules", "publish", str(v2), "--effective", _in(-1), "--by", "alice", check=False
    )
    assert refused.code == 2 and "--backdate" in refused.err
    assert len(starcert("rules", "history", "--json").json()) == 1
    starcert(
        "rules",
        "publish",
        str(v2),
        "--effective",
        _in(-1),
        "--by",
        "alice",
        "--backdate",
        "correction agreed with the accreditation body",
    )
    history = starcert("rules", "history", "--json").json()
    assert history[-1]["backdate_reason"] == "correction agreed with the accreditation body"
    assert history[-1]["in_force"] is True


def test_a_file_failing_check_or_its_examples_is_refused_with_file_and_line(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    starcert = starcert_sqlite
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        stricter().replace("suspension_limit_months: 4", "suspension_limit_months: four"),
        encoding="utf-8",
    )
    refused = starcert(
        "rules", "publish", str(broken), "--effective", _in(10), "--by", "alice", check=False
    )
    assert refused.code == 2
    line = next(
        n
        for n, t in enumerate(broken.read_text().splitlines(), 1)
        if "suspension_limit_months" in t
    )
    assert f"{broken}:{line}:" in refused.err
    failing = tmp_path / "failing.yaml"  # valid, but a 6-month running time breaks its examples
    failing.write_text(stricter().replace("min_months: 3", "min_months: 6"), encoding="utf-8")
    refused = starcert(
        "rules", "publish", str(failing), "--effective", _in(10), "--by", "alice", check=False
    )
    assert refused.code == 2 and "example 'running time reached" in refused.err
    assert f"{failing}:" in refused.err
    assert [h["version"] for h in starcert("rules", "history", "--json").json()] == ["1"]


def test_a_validity_of_a_million_years_is_refused_with_file_and_line(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    starcert = starcert_sqlite
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        stricter().replace("validity_months: 36", "validity_months: 10000000"), encoding="utf-8"
    )
    refused = starcert(
        "rules", "publish", str(huge), "--effective", _in(10), "--by", "alice", check=False
    )
    line = next(n for n, t in enumerate(huge.read_text().splitlines(), 1) if "validity" in t)
    assert refused.code == 2
    assert refused.err.strip() == (
        f"{huge}:{line}: lifecycle.validity_months = 10000000 is too long: "
        "at most 120 months (10 years)"
    )
    assert [h["version"] for h in starcert("rules", "history", "--json").json()] == ["1"]


def test_editing_a_published_file_changes_nothing_and_check_says_so(
    starcert_sqlite: Starcert, v2: Path
) -> None:
    starcert = starcert_sqlite
    starcert("rules", "publish", str(v2), "--effective", _in(5), "--by", "alice")
    assert "published as gbt27922 2" in starcert("rules", "check", str(v2)).out
    v2.write_text(
        v2.read_text().replace("suspension_limit_months: 4", "suspension_limit_months: 3"),
        encoding="utf-8",
    )
    assert "DIFFERS from published gbt27922 2" in starcert("rules", "check", str(v2)).out
    stored = starcert("rules", "show", "2").out
    assert "suspension_limit_months: 4" in stored and "suspension_limit_months: 3" not in stored
    again = starcert("rules", "publish", str(v2), "--effective", _in(6), "--by", "bob", check=False)
    assert again.code == 2 and "already published" in again.err


def test_an_unknown_version_is_not_found(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    shown = starcert("rules", "show", "9", check=False)
    assert shown.code == 4
    assert shown.err.strip() == "error: no published version '9' (see: starcert rules history)"
    diffed = starcert("rules", "diff", "1", "9", check=False)
    assert diffed.code == 4
    assert diffed.err.strip() == "error: 9: neither a file nor a published version"


def test_another_rule_set_is_refused_by_a_database_serving_one(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    other = Path(__file__).resolve().parents[2] / "rules/examples/strict-cb/strict-cb-v2.yaml"
    refused = starcert(
        "rules", "publish", str(other), "--effective", _in(3), "--by", "alice", check=False
    )
    assert refused.code == 2 and "is not the one this database serves" in refused.err


def test_impact_lists_who_changes_and_publish_moves_deadlines_with_an_event(
    starcert_sqlite: Starcert, v2: Path
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert, loss=9.5)  # 90.5 points
    starcert("decide", cid, "--by", "carol")
    visit = starcert(
        "audit", "record", cid, "--kind", "special", "--date", _in(0), "--auditor", "bob",
        "--by", "carol", "--json",
    )  # fmt: skip
    assert visit.json()["state"] == "active"  # its latest audit now has no score sheet
    starcert("suspend", cid, "--cause", "client_request", "--reason", "asked", "--by", "carol")
    before = {
        d["kind"]: d["due_on"] if "due_on" in d else d["due_at"]
        for d in starcert("show", cid, "--json").json()["open_deadlines"]
    }
    assert "suspension_limit" in before

    report = starcert("rules", "impact", str(v2), "--effective", _in(1), "--json").json()
    assert report["publish_refusal"] is None
    assert report["counts"] == {"band_down": 1, "deadlines_moved": 1}
    down = next(c for c in report["changes"] if c["change"] == "band_down")
    assert (down["before"], down["after"]) == ("four_star", "three_star")
    moved = next(c for c in report["changes"] if c["change"] == "deadlines_moved")
    assert "suspension_limit" in moved["detail"] and "(earlier)" in moved["detail"]
    rows = starcert("rules", "impact", str(v2), "--effective", _in(1), "--csv").out.splitlines()
    assert rows[0].startswith("case_id,number,holder,state,change") and len(rows) == 3
    assert starcert("show", cid, "--json").json()["history"][-1]["trigger"] == "suspend"

    starcert("rules", "publish", str(v2), "--effective", _in(1), "--by", "alice")
    detail = starcert("show", cid, "--json").json()
    last = detail["history"][-1]
    assert last["trigger"] == "deadlines_recomputed" and last["rule_version"] == "2"
    assert "suspension_limit" in last["reason"]
    after = {d["kind"]: d for d in detail["open_deadlines"]}
    assert after["suspension_limit"] != before["suspension_limit"]
    again_run = starcert("rules", "impact", str(v2), "--effective", _in(1), "--json")
    again = again_run.json()
    assert "deadlines_moved" not in again["counts"]
    assert again["publish_refusal"] == "version 2 is already published"
    assert "warning: publish would refuse this version: version 2 is already published" in (
        again_run.err
    )
    undated = starcert("rules", "impact", str(v2), "--json").json()  # its own date is 2012
    assert undated["effective_from"] == _in(0)  # the earliest a publication could take
    v3 = v2.with_name("gbt27922-v3.yaml")  # version 2's bands, a 3-month suspension limit
    v3.write_text(stricter("3", suspension_limit=3), encoding="utf-8")
    third = starcert("rules", "impact", str(v3), "--effective", _in(2), "--json").json()
    assert third["publish_refusal"] is None
    # The certificate still shows four stars on record, but version 2 already takes them at its
    # next scored audit: version 3, which scores as version 2 does, changes no band.
    assert set(third["counts"]) == {"deadlines_moved"}
    assert (down["detail"] or "").endswith("at its next scored audit")
    drawn = starcert("rules", "impact", str(v2), "--progress")  # the bar goes to stderr only
    assert drawn.out.startswith("impact of gbt27922 2")
