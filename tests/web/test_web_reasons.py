"""Why a trigger may or may not fire, on the case page, in the page's language: the domain's
reasons keep their message and values, so the console says them in Chinese or English while
the API and the CLI keep the English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.api.conftest import Api


@contextmanager
def _console(site: Api, lang: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base, cookies={"starcert_lang": lang}) as client:
        own = {"Origin": site.base}
        logged_in = client.post("/console/login", data={"token": site.tokens["operator"]},
                                headers=own)  # fmt: skip
        assert logged_in.status_code == 303
        yield client


def _reason(page: str, trigger: str) -> str:
    found = re.search(rf"<code>{trigger}</code>[^—]*— ([^<]*)</li>", page)
    assert found is not None, trigger
    return found.group(1)


def test_refused_triggers_say_why_in_the_pages_language(site: Api) -> None:
    case = site.certified()
    detail = site.as_("viewer").get(f"/api/cases/{case['id']}").json()
    why = {t["trigger"]: t["why"] for t in detail["triggers"]}
    expires = detail["case"]["expires_on"]
    assert why["recertify"] == "needs a recertification audit"  # the API: English, as before
    with _console(site, "zh-CN") as zh, _console(site, "en") as en:
        chinese = zh.get(f"/console/cases/{case['id']}").text
        english = en.get(f"/console/cases/{case['id']}").text
    assert _reason(chinese, "recertify") == "需要再认证审核"
    assert _reason(english, "recertify") == "needs a re-certification audit"
    assert _reason(chinese, "expire").startswith(f"有效期至 {expires}（截至 ")
    assert _reason(english, "expire").startswith(f"valid through {expires} (as of ")
    assert _reason(chinese, "suspend") == "需填写暂停原因和理由"
    assert _reason(english, "suspend") == "a cause and a reason"


def test_a_refused_action_is_said_in_the_pages_language(site: Api) -> None:
    case = site.certified()
    with _console(site, "zh-CN") as zh:
        page = zh.get(f"/console/cases/{case['id']}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        refused = zh.post(
            f"/console/cases/{case['id']}/actions/restore",
            data={"csrf": csrf.group(1), "reason": "resumed"},
            headers={"Origin": site.base},
        )
    assert refused.status_code == 409
    assert "不能执行“恢复”：在“有效”状态下不可执行" in refused.text
