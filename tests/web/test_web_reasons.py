"""Why a trigger may or may not fire, on the case page, in the page's language: the domain's
reasons keep their message and values, so the console says them in Chinese or English while
the API and the CLI keep the English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.web.conftest import fresh


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


def test_a_refused_field_is_named_by_its_label_and_said_in_the_pages_language() -> None:
    from starcert.web.language import speaking
    from starcert.web.reasons import refused
    from workflows.credit_code import validate_credit_code
    from workflows.errors import InvalidInput
    from workflows.handlers.handler_kit import text

    refusals = []
    for check in (lambda: validate_credit_code("active"), lambda: text("reason", "  ")):
        try:
            check()
        except InvalidInput as exc:
            refusals.append(exc)
    code, reason = refusals
    assert str(code) == "credit_code: must be 18 characters, got 6 ('active')"  # the API's
    assert str(reason) == "reason: must not be empty"
    with speaking("zh-CN"):
        assert refused(code, str(code)) == "统一社会信用代码：应为 18 位，实为 6 位（'active'）"
        assert refused(reason, str(reason)) == "理由：不能为空"
        unknown = InvalidInput("no_such_field", "must not be empty")
        assert refused(unknown, str(unknown)) == "no_such_field：must not be empty"
    with speaking("en"):  # what was typed stays as typed, though "active" is also a state's code
        assert refused(code, str(code)) == "Credit code: must be 18 characters, got 6 ('active')"


def test_a_list_in_a_reason_is_said_item_by_item() -> None:
    import pickle

    from starcert.web.language import speaking
    from starcert.web.reasons import refused
    from workflows.errors import InvalidInput
    from workflows.findings import Severity
    from workflows.handlers.finding_steps import _member
    from workflows.why import listing

    try:
        _member(Severity, "huge", "severity")
    except InvalidInput as exc:
        refusal = exc
    assert refusal.message == "'huge' is not one of: major, minor, observation"
    with speaking("zh-CN"):
        said = refused(refusal, str(refusal))
    assert said == "类别：'huge' 不在可选范围内：严重不符合、一般不符合、观察项"
    listed = listing(["major", 2])
    assert listed == "major, 2" and pickle.loads(pickle.dumps(listed)).items == ("major", 2)


def test_refused_change_and_finding_forms_say_why_in_chinese_and_write_nothing(
    browser: Any, site: Api
) -> None:
    case = site.certified(holder="闽江家电 Minjiang")
    history = site.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    page = _log_in(browser, site, "zh-CN")
    page.goto(f"{site.base}/console/cases/{case['id']}")

    holder = page.locator("form[data-change=holder]")
    holder.locator("input[name=holder]").fill("闽江家电（福州）")
    holder.locator("input[name=credit_code]").fill("91350100M0001")
    holder.locator("button").click()
    said = page.inner_text("p.error")
    assert said == "统一社会信用代码：应为 18 位，实为 13 位（'91350100M0001'）", said

    reduce = page.locator("form[data-change=reduce-scope]")
    reduce.locator("input[name=scope]").fill("仅限冰箱")
    reduce.locator("textarea[name=reason]").fill("   ")  # passes the browser's `required`
    reduce.locator("button").click()
    assert page.inner_text("p.error") == "理由：不能为空"

    renamed = page.locator("form[data-change=holder]")
    renamed.locator("input[name=holder]").fill("闽江家电\u202e")  # a right-to-left override
    renamed.locator("input[name=credit_code]").fill(_code(site, case))
    renamed.locator("button").click()
    assert page.inner_text("p.error") == "持有者名称：包含控制字符 U+202E"

    assert page.locator("#versions tr.version").count() == 1  # nothing written
    assert site.as_("viewer").get(f"/api/cases/{case['id']}/history").json() == history
    page.close()

    pending = site.decision_pending(holder="闽江售后 Minjiang")
    auditor = _log_in(browser, site, "zh-CN", role="auditor")
    auditor.goto(f"{site.base}/console/cases/{pending['id']}")
    form = auditor.locator("#record-finding")
    form.locator("select[name=severity]").select_option("major")
    form.locator("input[name=indicator]").fill("维修")
    form.locator("textarea[name=evidence]").fill("没有维修记录")
    form.locator("button[type=submit]").click()
    said = auditor.inner_text("p.error")
    assert said.startswith("指标：'维修' 不是审核日期 ") and "中的指标；可选：" in said, said
    assert "is not" not in said
    assert auditor.locator("#findings").count() == 0  # nothing written
    auditor.close()
    assert site.as_("viewer").get(f"/api/cases/{pending['id']}/findings").json() == []


def _log_in(browser: Any, site: Api, lang: str, role: str = "operator") -> Any:
    fresh(browser, site, lang)
    page = browser.new_page()
    page.goto(f"{site.base}/console/login")
    page.fill("#token", site.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/console")
    assert page.get_attribute("html", "lang") == lang
    return page


def _code(site: Api, case: dict[str, Any]) -> str:
    organisation = site.as_("viewer").get(f"/api/organisations/{case['organisation_id']}")
    code: str = organisation.json()["credit_code"]
    return code
