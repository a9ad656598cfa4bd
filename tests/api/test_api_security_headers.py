"""What a browser is told on each kind of answer: no inline script, no framing, no sniffing, no
cross-site referrer; and nobody's console page or API answer kept by a cache."""

from __future__ import annotations

import base64
import hashlib
import re
from http.cookies import SimpleCookie

import httpx

from tests.api.conftest import Api

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _policy(answer: httpx.Response) -> dict[str, str]:
    found = answer.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in found.split("; ")}


def _guarded(answer: httpx.Response) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert _policy(answer)["frame-ancestors"] == "'none'"


def _console_client(api: Api) -> httpx.Client:
    with httpx.Client(base_url=api.base, timeout=30) as client:
        answer = client.post(
            "/console/login", data={"token": api.tokens["viewer"]}, headers={"Origin": api.base}
        )
    assert answer.status_code == 303
    session = SimpleCookie(answer.headers["set-cookie"])["starcert_session"].value
    return httpx.Client(
        base_url=api.base, timeout=30, headers={"Cookie": f"starcert_session={session}"}
    )


def test_console_pages_forbid_inline_script_framing_and_caching(api: Api) -> None:
    case = api.certified()
    with _console_client(api) as client:
        for path in ("/console", f"/console/cases/{case['id']}"):
            answer = client.get(path)
            assert answer.status_code == 200
            _guarded(answer)
            assert answer.headers["content-security-policy"] == PAGE_POLICY
            assert answer.headers["cache-control"] == "no-store"
            assert "<script" not in answer.text and " style=" not in answer.text
    login = api.as_(None).get("/console/login")
    _guarded(login)
    assert login.headers["cache-control"] == "no-store"


def test_public_pages_are_guarded_and_may_be_cached(api: Api) -> None:
    anon = api.as_(None)
    public = ("/", "/certificates", "/certificates?holder=Acme", "/public/certificates?holder=Acme")
    for path in ("/verify", "/verify?number=ASC-2026-999999", "/announcements", *public):
        answer = anon.get(path)
        _guarded(answer)
        assert answer.headers["content-security-policy"] == PAGE_POLICY
        assert "no-store" not in answer.headers.get("cache-control", "")
    _guarded(anon.get("/static/console.css"))


def test_api_answers_are_guarded_and_never_cached(api: Api) -> None:
    case = api.certified()
    mine = api.as_("viewer").get(f"/api/cases/{case['id']}")
    assert mine.status_code == 200
    _guarded(mine)
    assert mine.headers["cache-control"] == "no-store"
    refused = api.as_(None).get("/api/cases")
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    too_big = api.as_("operator").post("/api/organisations", content=b"x" * (300 * 1024))
    assert too_big.status_code == 413
    _guarded(too_big)
    _guarded(api.as_(None).get(f"/verify/{case['number']}"))


def test_the_api_docs_allow_their_viewer_and_its_one_inline_script_only(api: Api) -> None:
    anon = api.as_(None)
    docs = anon.get("/docs")
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    _guarded(docs)
    scripts = _policy(docs)["script-src"].split()
    assert "'unsafe-inline'" not in scripts and scripts[0] == "'self'"
    assert "https:" not in docs.headers["content-security-policy"]  # nothing from elsewhere
    (inline,) = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in scripts
    redoc = anon.get("/redoc")
    assert redoc.status_code == 200 and "redoc.standalone.js" in redoc.text
    _guarded(redoc)
    assert _policy(redoc)["script-src"] == "'self'"
    assert "https:" not in redoc.headers["content-security-policy"]
    for viewer in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        asset = anon.get(f"/docs-assets/{viewer}")
        assert asset.status_code == 200 and len(asset.content) > 100_000, viewer
    assert anon.get("/openapi.json").status_code == 200
