"""`starcert certificate document|documents`, run in this process as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.documents.document_tools import pdf_text
from tests.integration.conftest import Starcert, make_runner
from tests.integration.test_cli_lifecycle import certified
from tests.office_day import office_day

BODY = """
[body]
name = "福建示例认证有限公司"
name_en = "Fujian Example Certification Co., Ltd."
public_url = "https://cert.example.cn/"
"""


def with_body(starcert: Starcert) -> Starcert:
    with starcert.config.open("a", encoding="utf-8") as config:
        config.write(BODY)
    return starcert


@pytest.fixture
def office(tmp_path: Path) -> Starcert:
    return with_body(make_runner(tmp_path, None))


@pytest.fixture
def any_office(starcert: Starcert) -> Starcert:
    """On SQLite and on PostgreSQL (tests/integration/conftest.py)."""
    return with_body(starcert)


def issued(starcert: Starcert) -> tuple[str, str]:
    cid = certified(starcert, loss=2)
    number = starcert("decide", cid, "--by", "carol", "--json").json()["number"]
    return cid, str(number)


def test_the_document_is_written_as_pdf_or_html_by_case_or_number(any_office: Starcert) -> None:
    office = any_office
    cid, number = issued(office)
    pdf, html = office.workdir / "certificate.pdf", office.workdir / "certificate.html"
    wrote = office("certificate", "document", cid, "--out", str(pdf))
    listed = office("certificate", "documents", number, "--json").json()
    assert [(v["number"], v["version"], v["made_by"]) for v in listed] == [(number, 1, "certify")]
    digest = listed[0]["content_hash"]
    assert wrote.out == f"{pdf}: {number} v1, sha256 {digest}\n"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf.read_bytes())
    assert "五星级" in text and "Five-star" in text and digest in text

    office(
        "certificate",
        "document",
        number.lower(),
        "--format",
        "html",
        "--version",
        "1",
        "--out",
        str(html),
    )
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and digest in page
    assert f"https://cert.example.cn/verify?number={number}&amp;hash={digest}" in page
    human = office("certificate", "documents", cid).out
    assert human.startswith(f"{number} v1") and digest in human


def test_bad_requests_are_refused_naming_what_and_write_nothing(office: Starcert) -> None:
    cid, number = issued(office)
    out = office.workdir / "never.pdf"
    cases = [
        (("--version", "2"), 2, f"version: certificate {number} has versions 1 to 1, not 2"),
        (("--format", "docx"), 2, "--format: must be pdf or html"),
    ]
    for extra, code, says in cases:
        refused = office("certificate", "document", cid, "--out", str(out), *extra, check=False)
        assert refused.code == code and says in refused.err, refused.err
    nowhere = office("certificate", "document", cid, "--out", "/no/such/folder/x.pdf", check=False)
    assert nowhere.code == 2 and "--out: cannot write" in nowhere.err
    unknown = office("certificate", "documents", "ASC-2026-999999", check=False)
    assert unknown.code == 4
    superscript = office("certificate", "documents", "³", check=False)  # a digit, not a number
    assert superscript.code == 2 and "number: '³' is not a certificate number" in superscript.err
    pending = office(
        "apply", "--org", "1", "--submitted", office_day(-1), "--since", office_day(-200),
        "--scope", "repairs", "--facts", str(office.workdir / "facts.json"), "--by", "alice",
        "--json",
    ).json()["id"]  # fmt: skip
    none_yet = office("certificate", "documents", str(pending), check=False)
    assert none_yet.code == 2 and "has no certificate" in none_yet.err
    assert not out.exists()


def test_without_the_bodys_public_address_no_document_is_made(tmp_path: Path) -> None:
    starcert = make_runner(tmp_path, None)
    cid, _ = issued(starcert)
    out = tmp_path / "c.pdf"
    refused = starcert("certificate", "document", cid, "--out", str(out), check=False)
    assert refused.code == 1 and "set [body] name in config.toml" in refused.err
    with starcert.config.open("a", encoding="utf-8") as config:
        config.write('\n[body]\nname = "福建示例认证有限公司"\n')
    refused = starcert("certificate", "document", cid, "--out", str(out), check=False)
    assert refused.code == 1 and "set [body] public_url" in refused.err
    assert not out.exists()
    assert json.loads(starcert("certificate", "documents", cid, "--json").out)[0]["version"] == 1


PDF_ONLY = {"weasyprint", "pydyf", "tinycss2", "cssselect2", "fontTools"}
"""What making a PDF imports: most of a second of start-up no other command pays for."""


def test_only_a_pdf_loads_weasyprint(office: Starcert) -> None:
    from tests.test_cli_imports import loaded_by

    cid, _ = issued(office)
    config = str(office.config)
    for args in (
        ("show", cid),
        ("certificate", "documents", cid),
        (
            "certificate",
            "document",
            cid,
            "--format",
            "html",
            "--out",
            str(office.workdir / "c.html"),
        ),
    ):
        code, loaded, _ = loaded_by("--config", config, *args)
        assert code == 0 and not loaded & PDF_ONLY, (args, sorted(loaded & PDF_ONLY))
    code, loaded, _ = loaded_by(
        "--config", config, "certificate", "document", cid, "--out", str(office.workdir / "c.pdf")
    )
    assert code == 0 and "weasyprint" in loaded
