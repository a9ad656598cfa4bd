"""The register CSV (`export`, `simulate --csv`): safe in a spreadsheet, readable by Excel, and a
path that cannot be written is one line before anything runs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.integration.conftest import FACTS, Starcert, make_runner, sheet
from tests.office_day import office_day
from workflows.credit_code import check_character

EVIL = '=HYPERLINK("http://evil","x")'
BOM = b"\xef\xbb\xbf"


def certify(starcert: Starcert, name: str, scope: str) -> str:
    body = "91350100M000200Y4"
    org = starcert(
        "org", "add", "--name", name, "--credit-code", body + check_character(body),
        "--by", "alice", "--json",
    ).json()  # fmt: skip
    case = starcert(
        "apply", "--org", str(org["id"]), "--submitted", office_day(-60), "--since",
        office_day(-200), "--scope", scope, "--facts", str(starcert.write("f.json", FACTS)),
        "--by", "alice", "--json",
    ).json()  # fmt: skip
    cid = str(case["id"])
    starcert("review", cid, "--by", "alice")
    starcert(
        "audit", "record", cid, "--kind", "stage1", "--date", office_day(-50),
        "--auditor", "bob", "--by", "alice",
    )  # fmt: skip
    starcert(
        "audit", "record", cid, "--kind", "stage2", "--date", office_day(-40), "--auditor", "bob",
        "--sheet", str(starcert.write("s.json", sheet(2))), "--by", "alice",
    )  # fmt: skip
    starcert("decide", cid, "--by", "carol")
    return cid


def test_the_register_file_is_excel_safe_and_keeps_chinese_text(
    starcert_sqlite: Starcert, tmp_path: Path
) -> None:
    starcert = starcert_sqlite
    cid = certify(starcert, EVIL, "-家用电器售后服务")
    out = tmp_path / "register.csv"
    starcert("export", "--out", str(out))
    assert out.read_bytes().startswith(BOM)
    with out.open(encoding="utf-8-sig", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert row["certified_entity_name"] == "'" + EVIL  # shown as text, never run
    assert row["certification_scope"] == "'-家用电器售后服务"
    assert row["certificate_number"].startswith("ASC-")  # ordinary cells untouched
    assert starcert("show", cid, "--json").json()["case"]["holder"] == EVIL  # only the CSV

    plain = tmp_path / "plain.csv"
    starcert("export", "--out", str(plain), "--no-bom")
    assert plain.read_bytes() == out.read_bytes()[len(BOM) :]

    piped = starcert("export").out  # stdout is for pipes: no BOM unless asked
    assert piped.startswith("certificate_number,") and "'" + EVIL.replace('"', '""') in piped
    assert starcert("export", "--bom").out.startswith("\ufeffcertificate_number,")
    assert list(csv.DictReader(io.StringIO(piped))) == [row]


def test_an_unwritable_out_path_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None)
    for target, said in (
        ("/nonexistent/x.csv", "cannot write /nonexistent/x.csv: there is no folder /nonexistent"),
        (str(tmp_path), f"{tmp_path} is a folder, not a file"),
    ):
        refused = starcert("export", "--out", target, check=False)
        assert refused.code == 2
        assert refused.err == f"error: --out: {said}\n"

    kept = tmp_path / "register.csv"
    kept.write_text("last month's register\n", encoding="utf-8")
    for leftover in (tmp_path / "data").glob("starcert.db*"):
        leftover.unlink()  # the export fails after the path was checked
    refused = starcert("export", "--out", str(kept), check=False)
    assert refused.code == 1 and "no database at" in refused.err
    assert kept.read_text(encoding="utf-8") == "last month's register\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_simulate_checks_its_csv_path_before_it_runs(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None, migrate=False)
    refused = starcert(
        "simulate", "--from", "2024-01-10", "--to", "2027-03-01", "--population", "5",
        "--csv", "/nonexistent/x.csv", check=False,
    )  # fmt: skip
    assert refused.code == 2 and refused.out == ""  # no simulation report: it did not run
    assert refused.err == (
        "error: --csv: cannot write /nonexistent/x.csv: there is no folder /nonexistent\n"
    )
