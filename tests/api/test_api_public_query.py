"""The public certificate query, over a real server: by number, a part of the holder's name or
the holder's credit code, in JSON and as a page; public fields only; malformed input refused by
name; each query one of the client's /verify lookups; the body's identity on every public page."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from starcert.api.settings import ApiSettings
from starcert.config import BodyConfig
from tests.api.conftest import Api, make_app, serve
from tests.api.test_api_readme import readme_block
from workflows.fake_clock import FakeClock

QUERY_KEYS = {"key", "value", "items", "total", "page", "page_size", "pages", "note"}
CERTIFICATE_KEYS = {
    "certificate_number",
    "certification_status",
    "status_since",
    "certified_entity_name",
    "certification_scope",
    "star_level",
    "certification_issue_date",
    "certification_expiry_date",
    "last_surveillance_date",
    "next_surveillance_due",
    "surveillance_overdue",
    "scheme_name",
}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
BODY = BodyConfig(
    name="闽星认证有限公司",
    name_en="Minxing Certification Co., Ltd.",
    cnca_approval="CNCA-R-2016-275",
    accreditation="CNAS C275-S",
    address="福建省福州市鼓楼区五四路 1 号",
    contact="0591-87654321",
)
START = datetime.now(UTC)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Api]:
    """A server whose config names the body (with a logo) and whose clock tests can move."""
    folder = tmp_path_factory.mktemp("public-query")
    (folder / "logo.png").write_bytes(PNG)
    body = BODY.model_copy(update={"logo_file": folder / "logo.png"})
    application = make_app(folder, clock=clock, body=body)
    yield from serve(application, ApiSettings(verify_rate_per_second=1000, verify_burst=1000))


def _credit_code(site: Api, case: dict[str, Any]) -> str:
    org = site.as_("viewer").get(f"/api/organisations/{case['organisation_id']}")
    assert org.status_code == 200, org.text
    code: str = org.json()["credit_code"]
    return code


def _find(site: Api, **key: str) -> dict[str, Any]:
    answer = site.as_(None).get("/public/certificates", params=key)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    assert set(found) == QUERY_KEYS
    assert all(set(item) == CERTIFICATE_KEYS for item in found["items"])
    return found


def test_each_key_finds_the_certificate_with_public_fields_only(site: Api) -> None:
    case = site.certified(holder="闽江家电服务有限公司 Minjiang Appliances")
    code = _credit_code(site, case)
    by_number = _find(site, number=case["number"].lower())  # as someone typed it
    [item] = by_number["items"]
    assert item["certificate_number"] == case["number"]
    assert item["certification_status"] == "active" and item["star_level"] == "five_star"
    assert item["certification_expiry_date"] == case["expires_on"]
    assert item["status_since"] == case["decided_on"]
    assert item["next_surveillance_due"] and item["surveillance_overdue"] is False
    for part in ("闽江家电", "minjiang APPLIANCES"):  # a part of the name, in any case
        found = _find(site, holder=part)
        assert [i["certificate_number"] for i in found["items"]] == [case["number"]]
    by_code = _find(site, credit_code=code.lower())
    assert [i["certificate_number"] for i in by_code["items"]] == [case["number"]]
    answer = site.as_(None).get("/public/certificates", params={"credit_code": code})
    assert case["final_score"] not in answer.text  # the keys above hold no id, contact, score
    none = _find(site, holder="没有这家公司")
    assert (none["items"], none["total"], none["pages"]) == ([], 0, 0)


def test_statuses_carry_their_dates_and_an_overdue_surveillance_shows(
    site: Api, clock: FakeClock
) -> None:
    kept = site.certified(holder="鼓楼售后服务中心 甲")
    paused = site.certified(holder="鼓楼售后服务中心 乙")
    suspended = site.as_("operator").post(
        f"/api/cases/{paused['id']}/suspend",
        json={"cause": "client_request", "reason": "internal reason, never public"},
    )
    assert suspended.status_code == 200, suspended.text
    found = {i["certified_entity_name"]: i for i in _find(site, holder="鼓楼售后")["items"]}
    assert found["鼓楼售后服务中心 乙"]["certification_status"] == "suspended"
    assert found["鼓楼售后服务中心 乙"]["status_since"] == suspended.json()["case"]["suspended_on"]
    assert found["鼓楼售后服务中心 乙"]["next_surveillance_due"] is None
    due = found["鼓楼售后服务中心 甲"]["next_surveillance_due"]
    assert date.fromisoformat(due) > date.fromisoformat(kept["decided_on"])
    clock.set(
        datetime.combine(date.fromisoformat(due) + timedelta(days=2), datetime.min.time(), UTC)
    )
    try:
        late = _find(site, number=kept["number"])["items"][0]
        assert late["surveillance_overdue"] is True and late["next_surveillance_due"] == due
        page = site.as_(None).get("/certificates", params={"number": kept["number"]})
        assert f"自 {due} 起逾期" in page.text  # the body's language: Chinese
    finally:
        clock.set(START)


def test_a_malformed_query_is_refused_naming_the_field(site: Api) -> None:
    anon = site.as_(None)
    code = "91350100M000000011"  # 18 characters, wrong check character
    refused = anon.get("/public/certificates", params={"credit_code": code})
    assert refused.status_code == 422
    assert refused.json()["field"] == "credit_code"
    assert "check character should be" in refused.json()["message"]
    short = anon.get("/public/certificates", params={"credit_code": "9135"})
    assert short.json()["field"] == "credit_code" and "18 characters" in short.json()["message"]
    both = anon.get("/public/certificates", params={"number": "ASC-2026-000001", "holder": "xx"})
    assert both.status_code == 422 and both.json()["field"] == "query"
    assert anon.get("/public/certificates").json()["field"] == "query"
    one = anon.get("/public/certificates", params={"holder": "闽"})
    assert one.status_code == 422 and one.json()["field"] == "holder"
    page = anon.get("/certificates", params={"credit_code": code})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "check character should be" in page.text


def test_the_query_page_finds_by_each_key(site: Api) -> None:
    case = site.certified(holder="仓山家电维修有限公司")
    code = _credit_code(site, case)
    anon = site.as_(None)
    for params in ({"number": case["number"]}, {"holder": "仓山家电"}, {"credit_code": code}):
        page = anon.get("/certificates", params=params)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert f'data-number="{case["number"]}"' in page.text
        assert "仓山家电维修有限公司" in page.text and ">有效<" in page.text
        assert "五星级" in page.text and case["final_score"] not in page.text
    empty = anon.get("/certificates")
    assert empty.status_code == 200 and 'name="credit_code"' in empty.text


def test_the_landing_page_leads_to_the_query_and_the_console(site: Api) -> None:
    landing = site.as_(None).get("/")
    assert landing.status_code == 200 and "text/html" in landing.headers["content-type"]
    assert 'href="/certificates"' in landing.text and "证书查询" in landing.text
    assert 'href="/console"' in landing.text and "管理控制台" in landing.text
    english = site.as_(None).get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Certificate query" in english.text and "证书查询" not in english.text


def test_every_public_page_names_the_body(site: Api) -> None:
    anon = site.as_(None)
    for path in (
        "/",
        "/certificates",
        "/verify",
        "/verify?number=ASC-2026-999999",
        "/announcements",
    ):
        page = anon.get(path)
        assert "闽星认证有限公司" in page.text, path
        assert "CNCA-R-2016-275" in page.text and "0591-87654321" in page.text, path
        assert 'src="/body/logo"' in page.text, path
        assert ">starcert<" not in page.text, path
    logo = anon.get("/body/logo")
    assert logo.status_code == 200 and logo.content == PNG
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"


def test_without_a_body_the_pages_name_none_and_there_is_no_logo(api: Api) -> None:
    anon = api.as_(None)
    assert "CNCA" not in anon.get("/").text
    assert anon.get("/body/logo").status_code == 404


@pytest.fixture(scope="module")
def strict_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = ApiSettings(verify_rate_per_second=0.2, verify_burst=3)
    yield from serve(make_app(Path(tmp_path_factory.mktemp("strict-query"))), settings)


def test_queries_spend_the_same_lookups_as_verify(strict_site: Api) -> None:
    anon = strict_site.as_(None)
    assert anon.get("/public/certificates", params={"holder": "福州"}).status_code == 200
    assert anon.get("/certificates", params={"holder": "福州"}).status_code == 200
    assert anon.get("/verify/ASC-2026-000001").status_code == 404
    limited = anon.get("/public/certificates", params={"holder": "福州"})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    page = anon.get("/certificates", params={"holder": "福州"})
    assert page.status_code == 429 and "too many" in page.text
    assert anon.get("/verify/ASC-2026-000001").status_code == 429
    assert anon.get("/").status_code == 200  # the landing page is no lookup


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("bash", "curl", "jq")), reason="needs bash, curl and jq"
)
def test_the_readme_queries_run_as_shown(site: Api, tmp_path: Path) -> None:
    case = site.certified(holder="福州家电服务有限公司")
    block = readme_block("/public/certificates")
    assert "91350102MA2Y0EXA4U" in block
    script = block.replace("91350102MA2Y0EXA4U", _credit_code(site, case))  # a holder's own
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "STARCERT_API": site.base},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    by_holder, end = json.JSONDecoder().raw_decode(ran.stdout)  # curl's answer, then jq's line
    assert case["number"] in [i["certificate_number"] for i in by_holder["items"]]
    assert json.loads(ran.stdout[end:]) == {
        "certificate_number": case["number"],
        "certification_status": "active",
        "status_since": case["decided_on"],
    }


def test_answers_come_twenty_a_page_and_no_further_than_page_ten(site: Api) -> None:
    numbers = sorted(site.certified(holder=f"连江分页售后 {n:02d}")["number"] for n in range(21))
    first, second = (_find(site, holder="连江分页", page=str(p)) for p in (1, 2))
    assert (first["total"], first["pages"], first["page_size"]) == (21, 2, 20)
    assert [i["certificate_number"] for i in first["items"] + second["items"]] == numbers
    beyond = site.as_(None).get("/public/certificates", params={"holder": "连江分页", "page": 11})
    assert beyond.status_code == 422 and beyond.json()["field"] == "page"
    html = site.as_(None).get("/certificates", params={"holder": "连江分页"})
    assert "第 1/2 页" in html.text and 'rel="next"' in html.text
    assert "/certificates?holder=%E8%BF%9E%E6%B1%9F%E5%88%86%E9%A1%B5&amp;page=2" in html.text
