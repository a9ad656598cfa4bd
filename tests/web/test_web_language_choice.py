"""Which language a page is answered in, over HTTP: the visitor's ?lang= (kept in a cookie),
else on public pages the browser's Accept-Language, else the body's; refusals in it too."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import Api


def _lang(page: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', page.text)
    assert found is not None
    return found.group(1)


def test_public_pages_follow_the_choice_then_the_browser_then_the_body(site: Api) -> None:
    with httpx.Client(base_url=site.base) as client:
        plain = client.get("/certificates")
        assert _lang(plain) == "zh-CN" and "证书查询" in plain.text  # the body's: shipped zh-CN
        assert plain.headers["content-language"] == "zh-CN"
        assert "Accept-Language" in plain.headers["vary"]
        english = client.get("/certificates", headers={"Accept-Language": "en-US,en;q=0.8"})
        assert _lang(english) == "en" and "Certificate query" in english.text
        assert "starcert_lang" not in client.cookies  # a browser's language is not a choice

        switch = re.search(r'href="([^"]*lang=en[^"]*)"', plain.text)
        assert switch is not None and switch.group(1) == "/certificates?lang=en"
        chosen = client.get("/certificates", params={"holder": "某某", "lang": "en"})
        assert _lang(chosen) == "en" and client.cookies.get("starcert_lang") == "en"
        assert 'href="/certificates?holder=%E6%9F%90%E6%9F%90&amp;lang=zh-CN"' in chosen.text
        kept = client.get("/verify", headers={"Accept-Language": "zh-CN"})
        assert _lang(kept) == "en"  # the choice outranks the browser

        bogus = client.get("/", params={"lang": "xx"}, headers={"Accept-Language": "en"})
        assert _lang(bogus) == "en" and client.cookies.get("starcert_lang") == "en"


def test_the_console_follows_the_choice_and_the_body_not_the_browser(site: Api) -> None:
    own = {"Origin": site.base}
    with httpx.Client(base_url=site.base) as client:
        client.post("/console/login", data={"token": site.tokens["viewer"]}, headers=own)
        page = client.get("/console", headers={"Accept-Language": "en"})
        assert _lang(page) == "zh-CN" and "全部状态" in page.text
        page = client.get("/console", params={"lang": "en"})
        assert _lang(page) == "en" and "any state" in page.text
        assert _lang(client.get("/console/incidents")) == "en"


def test_a_refused_query_says_why_in_the_pages_language(site: Api) -> None:
    anon = site.as_(None)
    bad = {"credit_code": "91350100M000000011"}
    chinese = anon.get("/certificates", params=bad)
    assert chinese.status_code == 422
    assert "该统一社会信用代码无效。" in chinese.text and "check character" in chinese.text
    english = anon.get("/certificates", params={**bad, "lang": "en"})
    assert "That unified social credit code is not valid." in english.text
    missing = anon.get("/verify", params={"number": "ASC-2026-999999", "lang": "zh-CN"})
    assert missing.status_code == 404 and "没有找到该编号的证书。" in missing.text
    api = anon.get("/public/certificates", params=bad, headers={"Accept-Language": "zh-CN"})
    assert api.json()["field"] == "credit_code" and "check character" in api.json()["message"]
    assert "content-language" not in api.headers  # the API is not translated
