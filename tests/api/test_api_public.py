"""Public verification: only public fields, IAF CertSearch statuses, announcements, rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from starcert.api.settings import ApiSettings
from tests.api.conftest import Api, days_ago, make_app, serve, sheet

PUBLIC_KEYS = {
    "certificate_number",
    "certification_status",
    "certified_entity_name",
    "certification_scope",
    "star_level",
    "certification_issue_date",
    "certification_expiry_date",
    "last_surveillance_date",
    "scheme_name",
    "document",  # the current document version: label, date and content hash
    "hash_check",  # null unless ?hash= asked what a hash is the hash of
}
SECRET_REASON = "auditor found forged complaint records (internal)"


def test_verification_answers_only_public_fields(api: Api) -> None:
    case = api.certified(loss=2)
    answer = api.as_(None).get(f"/verify/{case['number']}")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == PUBLIC_KEYS
    assert body["certification_status"] == "active"
    assert body["certified_entity_name"] == "Acme Appliances"
    assert body["star_level"] == "five_star"
    typed = api.as_(None).get(f"/verify/{case['number'].lower()}")  # as someone typed it
    assert typed.status_code == 200 and typed.json() == body
    assert body["certification_expiry_date"] == case["expires_on"]
    assert case["final_score"] not in answer.text  # no audit scores
    long = api.as_(None).get("/verify", params={"number": "A" * 150})  # the page stays a page
    assert long.status_code == 422 and long.headers["content-type"].startswith("text/html")
    assert "is not a certificate number" in long.text


def test_status_follows_the_certsearch_vocabulary_and_reasons_stay_private(api: Api) -> None:
    case = api.certified()
    op, anon = api.as_("operator"), api.as_(None)
    op.post(
        f"/api/cases/{case['id']}/suspend",
        json={"cause": "serious_nonconformity", "reason": SECRET_REASON},
    )
    suspended = anon.get(f"/verify/{case['number']}")
    assert suspended.json()["certification_status"] == "suspended"
    assert SECRET_REASON not in suspended.text
    assert "serious_nonconformity" not in suspended.text
    op.post(f"/api/cases/{case['id']}/withdraw", json={"reason": SECRET_REASON})
    assert anon.get(f"/verify/{case['number']}").json()["certification_status"] == "withdrawn"

    page = anon.get("/verify", params={"number": case["number"]})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "withdrawn" in page.text and "Acme Appliances" in page.text
    assert SECRET_REASON not in page.text


def test_announcements_list_grants_suspensions_restorations_and_withdrawals(api: Api) -> None:
    case = api.certified()
    op = api.as_("operator")
    op.post(
        f"/api/cases/{case['id']}/suspend",
        json={"cause": "client_request", "reason": SECRET_REASON},
    )
    op.post(f"/api/cases/{case['id']}/restore", json={"reason": SECRET_REASON})
    op.post(f"/api/cases/{case['id']}/withdraw", json={"reason": SECRET_REASON})
    feed = api.as_(None).get("/public/announcements", params={"limit": 200})
    mine = [a["action"] for a in feed.json() if a["certificate_number"] == case["number"]]
    assert mine == ["withdrawal", "restoration", "suspension", "grant"]  # newest first
    assert SECRET_REASON not in feed.text
    html = api.as_(None).get("/announcements")
    assert case["number"] in html.text and SECRET_REASON not in html.text


@pytest.fixture(scope="module")
def strict_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = ApiSettings(verify_rate_per_second=0.2, verify_burst=3)
    yield from serve(make_app(Path(tmp_path_factory.mktemp("strict"))), settings)


def test_verification_lookups_are_rate_limited_per_client(strict_api: Api) -> None:
    anon = strict_api.as_(None)
    answers = [anon.get("/verify/ASC-2026-000001").status_code for _ in range(3)]
    assert answers == [404, 404, 404]
    limited = anon.get("/verify/ASC-2026-000001")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert anon.get("/verify", params={"number": "ASC-2026-000001"}).status_code == 429
    assert anon.get("/health").status_code == 200  # only lookups are limited


def test_a_renewed_certificates_earlier_number_points_to_its_renewal(api: Api) -> None:
    case = api.certified(loss=2)
    old = case["number"]
    renewed = api.as_("auditor").post(
        f"/api/cases/{case['id']}/audits",
        json={"kind": "recertification", "audit_date": days_ago(0), "sheet": sheet(8)},
    )
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()["case"]["number"]
    assert new != old and new.endswith("-R1")
    anon = api.as_(None)
    earlier = anon.get(f"/verify/{old}")
    assert earlier.status_code == 404
    assert f"by its renewal, certificate {new}: verify that number" in earlier.json()["message"]
    assert anon.get(f"/verify/{new}").json()["certificate_number"] == new
    feed = anon.get("/public/announcements", params={"limit": 200}).json()
    history = [(a["action"], a["certificate_number"], a["star_level"]) for a in feed]
    star = case["star_level"]
    assert ("grant", old, star) in history and ("renewal", new, "four_star") in history
    assert ("grant", new, star) not in history  # a past grant keeps the number it announced
    never = anon.get(f"/verify/{old[:-1]}{'9' if old[-1] != '9' else '8'}")  # another case's
    assert never.status_code == 404 and "no certificate" in never.json()["message"]
    detail = api.as_("viewer").get(f"/api/certificates/{old}")  # operators find it either way
    assert detail.status_code == 200 and detail.json()["case"]["number"] == new
