"""The operator's daily commands read as an operator needs them: days, not instants; audits in
words; a cut list said to be cut; a refusal naming the commands to run; clean help."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from importlib.metadata import version
from zoneinfo import ZoneInfo

from starcert.config import load_config
from storage.sql.schema import SCHEMA_REVISION
from tests.cli_in_process import run_starcert
from tests.integration.conftest import FACTS, Starcert
from tests.integration.test_cli_lifecycle import CODE, certified
from tests.office_day import office_day
from workflows.deadlines import due_day
from workflows.model import State, SuspensionCause


def test_show_gives_due_days_in_the_bodys_zone_and_each_audit_with_its_score(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert, loss=2)
    starcert("decide", cid, "--by", "carol")
    detail = starcert("show", cid, "--json").json()
    human = starcert("show", cid).out
    zone = ZoneInfo(load_config(starcert.config).certificates.time_zone)
    for d in detail["open_deadlines"]:
        day = due_day(datetime.fromisoformat(d["due_at"]), zone)
        assert f"    due {day}  {d['kind']}\n" in human
    assert "+00:00  " not in human.split("  audits:")[0]  # no instant among the deadlines

    audits = human.split("  audits:\n")[1].split("  history:")[0].splitlines()
    assert audits == [
        f"    {office_day(-50)}  stage1          bob  no score sheet",
        f"    {office_day(-40)}  stage2          bob  score 98.000000  five_star",
    ]
    assert [a["kind"] for a in detail["audits"]] == ["stage1", "stage2"]  # --json as it was
    assert (
        f"  allowed now: starcert suspend {cid}, starcert withdraw {cid}, starcert cancel {cid}, "
        f"starcert change request-extension {cid}, starcert change reduce-scope {cid}, "
        f"starcert change holder {cid}\n"
    ) in human


def test_list_says_when_it_shows_part_and_all_shows_every_case(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    org = starcert("org", "add", "--name", "Acme", "--credit-code", CODE, "--by", "a", "--json")
    facts = starcert.write("facts.json", FACTS)
    for _ in range(3):
        starcert(
            "apply", "--org", str(org.json()["id"]), "--submitted", office_day(-1), "--since",
            office_day(-200), "--scope", "repairs", "--facts", str(facts), "--by", "a",
        )  # fmt: skip

    cut = starcert("list", "--limit", "2")
    assert len(cut.out.splitlines()) == 2
    assert cut.err == "2 of 3 cases shown (--limit N or --all for more)\n"
    paged = starcert("list", "--limit", "1", "--offset", "1", "--json")
    assert [c["id"] for c in paged.json()] == [2]
    assert paged.err == "1 of 3 cases shown after the first 1 (--limit N or --all for more)\n"
    every = starcert("list", "--limit", "1", "--all", "--json")
    assert [c["id"] for c in every.json()] == [1, 2, 3] and every.err == ""
    whole = starcert("list", "--state", "applied")
    assert len(whole.out.splitlines()) == 3 and whole.err == ""
    late = starcert("list", "--overdue", "--all", "--json")
    assert late.json() == [] and late.err == ""


def test_export_says_what_it_wrote_beside_the_data(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    starcert("decide", certified(starcert), "--by", "carol")
    target = starcert.workdir / "register.csv"
    to_file = starcert("export", "--out", str(target))
    assert to_file.out == (
        f"wrote {target}: 1 certificate, CSV (IAF CertSearch fields), UTF-8 with byte order mark\n"
    )
    to_stdout = starcert("export")
    assert to_stdout.err == "wrote stdout: 1 certificate, CSV (IAF CertSearch fields), UTF-8\n"
    assert list(csv.reader(io.StringIO(to_stdout.out))) == list(
        csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")))
    )


def test_version_names_the_package_and_the_schema_it_expects(starcert_sqlite: Starcert) -> None:
    ran = run_starcert(["--version"], cwd=starcert_sqlite.workdir)
    assert (ran.code, ran.err) == (0, "")
    assert ran.out == f"starcert {version('starcert')} (database schema {SCHEMA_REVISION})\n"


def test_help_keeps_choices_whole_and_shows_no_bool_metavar(starcert_sqlite: Starcert) -> None:
    for command, choices in (("list", State), ("suspend", SuspensionCause)):
        ran = run_starcert([command, "--help"], cwd=starcert_sqlite.workdir, env={"COLUMNS": "70"})
        assert ran.code == 0, ran.err
        assert "<bool>" not in ran.out
        words = ran.out.replace(",", " ").split()
        assert all(c.value in words for c in choices), ran.out


def test_a_refused_transition_names_the_commands_the_operator_can_run(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    starcert("decide", cid, "--by", "carol")
    number = starcert("show", cid, "--json").json()["case"]["number"]
    refused = starcert("restore", number, "--reason", "r", "--by", "alice", check=False)
    assert refused.code == 3
    assert refused.err == (
        f"error: certificate {number} (case {cid}) is active: restore refused (not a trigger "
        f"from active); allowed from active: starcert audit record {cid} --kind surveillance, "
        f"starcert suspend {cid}, starcert withdraw {cid}, "
        f"starcert audit record {cid} --kind recertification, "
        "expire (the daemon fires it when its deadline passes), "
        f"starcert cancel {cid}, starcert audit record {cid} --kind special, "
        f"starcert change request-extension {cid}, starcert change extend-scope {cid}, "
        f"starcert change reduce-scope {cid}, starcert change holder {cid}\n"
    )


def test_every_trigger_has_a_command_or_is_said_to_be_the_daemons() -> None:
    from starcert.api.error_responses import TRIGGER_ENDPOINTS
    from starcert.cli.trigger_commands import COMMANDS
    from workflows.certificate_machine import TRANSITIONS, Trigger

    assert set(COMMANDS) == {str(t) for t in Trigger}
    operator = {str(spec.trigger) for spec in TRANSITIONS if spec.operator}
    assert operator <= set(TRIGGER_ENDPOINTS)
