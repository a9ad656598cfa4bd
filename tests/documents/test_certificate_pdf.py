"""The certificate document as a user meets it: a PDF from the operator API, read back with a
PDF library (text in both languages, the CJK font embedded), its QR code decoded by zbar and
followed, over real HTTP, to the public verification page showing the same content hash.

A new certificate version (a surveillance that re-bands) makes a new document; the old one stays
retrievable, the same, and the verification page calls its hash an older version's.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from starcert.api.settings import ApiSettings
from starcert.config import BodyConfig
from tests.api.conftest import Api, free_port, make_app, serve, sheet
from tests.documents.document_tools import (
    embedded_fonts,
    pdf_text,
    qr_codes,
    require_cjk_font,
)
from workflows.fake_clock import FakeClock

HOLDER = "福州家电服务有限公司"


def png(width: int = 8, height: int = 4) -> bytes:
    """A small solid red PNG, as a body's logo file would be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Office:
    """The server, its clock, and one certificate of this test's own (tests share the server
    and keep apart by their certificates, so any order and any worker will do)."""

    api: Api
    clock: FakeClock
    case: dict[str, Any]

    @property
    def number(self) -> str:
        return str(self.case["number"])

    def credit_code(self) -> str:
        organisation = self.case["organisation_id"]
        found = self.api.as_("viewer").get(f"/api/organisations/{organisation}")
        return str(found.json()["credit_code"])

    def document(self, version: int | None = None, form: str = "pdf") -> httpx.Response:
        params: dict[str, Any] = {"format": form}
        if version is not None:
            params["version"] = version
        answer = self.api.as_("viewer").get(
            f"/api/certificates/{self.number}/document", params=params
        )
        assert answer.status_code == 200, answer.text
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FakeClock]]:
    yield from document_server(tmp_path_factory)


def document_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FakeClock]]:
    """A server whose [body] names its own address as public_url, on a clock tests move."""
    folder = tmp_path_factory.mktemp("documents")
    logo = folder / "logo.png"
    logo.write_bytes(png())
    port = free_port()
    body = BodyConfig(
        name="福建示例认证有限公司",
        name_en="Fujian Example Certification Co., Ltd.",
        cnca_approval="CNCA-R-2002-001",
        accreditation="CNAS C001-S",
        address="福建省福州市鼓楼区示例路 1 号",
        contact="0591-12345678",
        logo_file=logo,
        public_url=f"http://127.0.0.1:{port}",
    )
    clock = FakeClock(datetime.now(UTC))
    application = make_app(folder, clock=clock, body=body)
    settings = ApiSettings(verify_rate_per_second=1000, verify_burst=1000)
    for api in serve(application, settings, port=port):
        yield api, clock


@pytest.fixture
def office(server: tuple[Api, FakeClock]) -> Office:
    """A five-star certificate (98 points) issued through the API for this test."""
    api, clock = server
    return Office(api, clock, api.certified(loss=2, holder=HOLDER))


def unspaced(text: str) -> str:
    return re.sub(r"\s+", "", text)


def hash_on(text: str) -> str:
    """The one content hash printed (the HTML also carries it in its QR code's address)."""
    found = set(re.findall(r"\b[0-9a-f]{64}\b", text))
    assert len(found) == 1, found
    return found.pop()


def test_the_pdf_reads_in_both_languages_and_embeds_a_cjk_font(office: Office) -> None:
    answer = office.document()
    assert answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    flat = unspaced(text)  # letter-spacing and line wraps put spaces in the text read back
    for words in (
        "售后服务认证证书",
        "Certificate of After-Sales Service",
        HOLDER,
        "五星级",
        "Five-star",
        "综合评价得分 95 分及以上",
        "Assessed score of 95 or more",
        "福建示例认证有限公司",
        "Fujian Example Certification Co., Ltd.",
        "CNCA-R-2002-001",
        office.number,
        f"{office.number} v1",
        "GB/T 27922-2011",
        office.credit_code(),
    ):
        assert unspaced(words) in flat, f"{words!r} is not in the PDF's text:\n{text}"
    assert hash_on(text) == answer.headers["X-Content-Hash"]
    fonts = embedded_fonts(answer.content)
    cjk = [name for name, embedded in fonts.items() if "CJK" in name and embedded]
    assert cjk, f"no embedded CJK font among {fonts}"


def test_the_qr_code_opens_the_verification_of_that_version_showing_its_hash(
    office: Office, tmp_path: Path
) -> None:
    require_cjk_font()
    answer = office.document()
    printed = hash_on(pdf_text(answer.content))
    (url,) = qr_codes(answer.content, tmp_path)
    assert url == f"{office.api.base}/verify?number={office.number}&hash={printed}"
    page = httpx.get(url, timeout=30)  # as a phone would: no token
    assert page.status_code == 200
    shown = re.search(r'id="content-hash">([0-9a-f]{64})<', page.text)
    assert shown is not None and shown.group(1) == printed
    assert 'class="hash-check current"' in page.text
    verified = office.api.as_(None).get(f"/verify/{office.number}", params={"hash": printed})
    assert verified.json()["document"]["content_hash"] == printed
    assert verified.json()["hash_check"] == {
        "hash": printed,
        "matches": "current",
        "version": 1,
        "label": f"{office.number} v1",
    }


def test_the_html_document_is_the_same_certificate_with_its_print_stylesheet(
    office: Office,
) -> None:
    answer = office.document(form="html")
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "@page { size: A4" in html and "@media print" in html
    assert HOLDER in html and "五星级" in html and "Five-star" in html
    assert hash_on(html) == office.document().headers["X-Content-Hash"]
    assert "style-src 'sha256-" in answer.headers["content-security-policy"]
    assert 'src="data:image/png;base64,' in html  # the body's logo travels inside the file


def test_a_rebanding_surveillance_makes_a_new_document_and_the_old_stays_retrievable(
    office: Office, tmp_path: Path
) -> None:
    first = office.document()
    first_hash = first.headers["X-Content-Hash"]
    started = office.clock.now()
    office.clock.advance(timedelta(days=330))
    try:
        today = office.clock.now().astimezone(office.api.app.config.zone).date().isoformat()
        surveilled = office.api.as_("auditor").post(
            f"/api/cases/{office.case['id']}/audits",
            json={"kind": "surveillance", "audit_date": today, "sheet": sheet(7)},
        )
    finally:
        office.clock.set(started)  # the other tests' certificates are dated by today
    assert surveilled.status_code == 200, surveilled.text
    assert surveilled.json()["case"]["star_level"] == "four_star"

    listed = office.api.as_("viewer").get(f"/api/certificates/{office.number}/documents").json()
    assert [(v["version"], v["made_by"]) for v in listed] == [(1, "certify"), (2, "surveil")]
    assert listed[0]["content_hash"] == first_hash

    newest = office.document()
    text = pdf_text(newest.content)
    assert (
        "四星级" in text
        and "Four-star" in text
        and unspaced(f"{office.number} v2") in unspaced(text)
    )
    assert newest.headers["X-Content-Hash"] == listed[1]["content_hash"] != first_hash
    again = office.document(version=1)
    assert again.headers["X-Content-Hash"] == first_hash
    assert "五星级" in pdf_text(again.content)
    (url,) = qr_codes(again.content, tmp_path)
    assert url.endswith(f"&hash={first_hash}")

    page = httpx.get(url, timeout=30)
    assert 'class="hash-check older"' in page.text and f"{office.number} v2" in page.text
    verified = office.api.as_(None).get(f"/verify/{office.number}", params={"hash": first_hash})
    assert verified.json()["hash_check"]["matches"] == "older"
    assert verified.json()["document"]["content_hash"] == listed[1]["content_hash"]


def test_a_hash_of_no_version_or_no_hash_at_all_is_said_so(office: Office) -> None:
    public = office.api.as_(None)
    forged = public.get(f"/verify/{office.number}", params={"hash": "ab" * 32})
    assert forged.json()["hash_check"]["matches"] == "none"
    page = public.get("/verify", params={"number": office.number, "hash": "ab" * 32})
    assert 'class="hash-check none"' in page.text
    malformed = public.get(f"/verify/{office.number}", params={"hash": "12345"})
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "hash"
    page = public.get("/verify", params={"number": office.number, "hash": "12345"})
    assert page.status_code == 422 and "not a content hash" in page.text


def test_operators_get_refusals_naming_what_is_wrong(office: Office) -> None:
    viewer = office.api.as_("viewer")
    path = f"/api/certificates/{office.number}/document"
    too_far = viewer.get(path, params={"version": 9})
    assert too_far.status_code == 422 and too_far.json()["field"] == "version"
    assert "versions 1 to" in too_far.json()["message"]
    assert viewer.get(path, params={"format": "docx"}).status_code == 422
    unknown = viewer.get("/api/certificates/ASC-2026-999999/documents")
    assert unknown.status_code == 404
    pending = office.api.decision_pending(holder="未决公司")
    assert pending["number"] is None
    for bad_number in ("not-a-number", "³", str(office.case["id"])):  # a case id is no number
        bad = viewer.get(f"/api/certificates/{bad_number}/documents")
        assert bad.status_code == 422 and bad.json()["field"] == "number", bad.text


def test_the_public_gets_the_current_document_of_a_valid_certificate_only(
    office: Office,
) -> None:
    public = office.api.as_(None)
    current = office.document().headers["X-Content-Hash"]
    page = public.get(f"/certificates/{office.number}/document")
    assert page.status_code == 200 and page.headers["X-Content-Hash"] == current
    pdf = public.get(f"/certificates/{office.number}/document.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    verify_page = public.get("/verify", params={"number": office.number})
    assert f'href="/certificates/{office.number}/document.pdf"' in verify_page.text

    other = office.api.certified(loss=2, holder="厦门售后服务有限公司")
    suspended = office.api.as_("operator").post(
        f"/api/cases/{other['id']}/suspend", json={"cause": "client_request", "reason": "asked"}
    )
    assert suspended.status_code == 200, suspended.text
    refused = public.get(f"/certificates/{other['number']}/document")
    assert refused.status_code == 404 and "suspended" in refused.json()["message"]
    listed = office.api.as_("viewer").get(f"/api/certificates/{other['number']}/documents")
    assert len(listed.json()) == 1  # a suspension changes the status, not the certificate
    assert "document.pdf" not in public.get("/verify", params={"number": other["number"]}).text


def test_the_document_endpoints_answer_as_their_openapi_document_says(office: Office) -> None:
    """schemathesis, on a server that makes documents, about a certificate that has them: each
    answer (a PDF, an HTML page, a listing or a refusal) matches the declared types and schemas."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.api.test_api_fuzz import CHECKS

    api = office.api
    schema = schemathesis.openapi.from_url(f"{api.base}/openapi.json")
    operations = [
        o
        for o in (r.ok() for r in schema.get_all_operations())
        if o.path.startswith("/api/certificates/{number}/document")
    ]
    assert {o.path for o in operations} == {
        "/api/certificates/{number}/document",
        "/api/certificates/{number}/documents",
    }
    headers = {"Authorization": f"Bearer {api.tokens['viewer']}"}
    seen: set[tuple[str, int, str]] = set()

    @settings(
        max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=st.one_of([o.as_strategy() for o in operations]), real=st.booleans())
    def call(case: Any, real: bool) -> None:
        if real:
            case.path_parameters = {"number": office.number}
        response = case.call_and_validate(base_url=api.base, headers=headers, checks=CHECKS)
        kind = response.headers.get("content-type", [""])[0].split(";")[0]
        seen.add((case.operation.path, response.status_code, kind))

    call()
    assert ("/api/certificates/{number}/document", 200, "application/pdf") in seen or (
        "/api/certificates/{number}/document",
        200,
        "text/html",
    ) in seen, seen
