"""The pages in a real browser in both languages: the public query by each key, the case page
with its diagram, the confirmation step and the incidents page; every Chinese character drawn
with a CJK font (asked over the DevTools protocol), and each page's screenshot kept."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, days_ago
from tests.web.cjk_fonts import assert_glyphs, need_cjk_font
from tests.web.conftest import fresh
from tests.web.diagram_geometry import overlaps
from tests.web.test_web_incidents import _broken_deadline, _fire, _set_state

LANGS = ["zh-CN", "en"]
WORDS = {
    "zh-CN": {
        "valid": "有效",
        "five": "五星级",
        "query": "证书查询",
        "other": "English",
        "withdraw": "立即失效",
        "withdrawn": "撤销",
        "done": "已完成：撤销。",
        "kind": "监督审核窗口开启",
        "incidents": "异常",
        "before": "早于本案卷最近一条记录的日期",
        "accept": "zh-CN,zh;q=0.9",
    },
    "en": {
        "valid": "Valid",
        "five": "Five-star",
        "query": "Certificate query",
        "other": "中文",
        "withdraw": "invalid on the public register at once",
        "withdrawn": "Withdrawn",
        "before": "is before the case's last event, of",
        "done": "Done: withdraw.",
        "kind": "surveillance window opens",
        "incidents": "Incidents",
        "accept": "en-GB,en;q=0.9,zh;q=0.5",
    },
}
CHINESE_IN_EVERY_PAGE = "#languages [lang=zh-CN]"  # the switch names Chinese in Chinese


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


def _credit_code(site: Api, case: dict[str, Any]) -> str:
    code: str = (
        site.as_("viewer")
        .get(f"/api/organisations/{case['organisation_id']}")
        .json()["credit_code"]
    )
    return code


@pytest.mark.parametrize("lang", LANGS)
def test_the_public_queries_by_each_key_in_the_browsers_language(
    browser: Any, site: Api, lang: str, tmp_path: Path
) -> None:
    need_cjk_font()
    words = WORDS[lang]
    case = site.certified(loss=2, holder=f"闽清家电服务 Minqing {lang}")
    code = _credit_code(site, case)
    browser.clear_cookies()
    page = browser.new_page()
    page.set_extra_http_headers({"Accept-Language": words["accept"]})  # no choice made yet
    page.goto(f"{site.base}/")
    assert page.get_attribute("html", "lang") == lang
    page.click("#to-query")
    assert page.inner_text("h1") == words["query"]
    for field, value in (
        ("#q-number", case["number"]),
        ("#q-holder", "闽清家电"),
        ("#q-credit-code", code),
    ):
        page.fill(field, value)
        page.locator(f"form:has({field}) button").click()
        page.wait_for_load_state()
        row = page.locator(f"tr[data-number='{case['number']}']")
        assert row.locator(".status").inner_text() == words["valid"], field
        assert row.locator(".star").inner_text() == words["five"], field
        assert_glyphs(page, f"tr[data-number='{case['number']}'] .holder", CHINESE_IN_EVERY_PAGE)
    if lang == "zh-CN":
        assert_glyphs(page, "h1", f"tr[data-number='{case['number']}'] .status")
    _shot(page, tmp_path, f"query-{lang}")

    page.click(f"#languages a[data-lang]:text('{words['other']}')")  # the switch, on this page
    other = "en" if lang == "zh-CN" else "zh-CN"
    page.wait_for_url(f"**lang={other}**")
    assert page.get_attribute("html", "lang") == other
    assert page.locator(f"tr[data-number='{case['number']}']").count() == 1  # same query
    page.goto(f"{site.base}/verify?number={case['number']}")  # the choice is kept
    assert page.get_attribute("html", "lang") == other
    assert page.inner_text("#star") == WORDS[other]["five"]
    page.close()


def _log_in(browser: Any, site: Api, lang: str) -> Any:
    fresh(browser, site, lang)
    page = browser.new_page()
    page.goto(f"{site.base}/console/login")
    page.fill("#token", site.tokens["operator"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/console")
    return page


RENDERED = """() => {
  const box = (b) => [b.x, b.y, b.width, b.height];
  const svg = document.querySelector('svg.lifecycle');
  return {
    nodes: [...svg.querySelectorAll('g.state rect')].map((r) => box(r.getBBox())),
    edges: [...svg.querySelectorAll('g.edge')].map((g) => ({
      name: g.dataset.triggers,
      label: box(g.querySelector('rect.label-box').getBBox()),
      text: box(g.querySelector('text.label').getBBox()),
      words: g.querySelector('text.label').textContent,
      paths: [...g.querySelectorAll('path')].map((p) => p.getAttribute('d')),
    })),
  };
}"""


def _segments(d: str) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """A path's segments from its d attribute (the diagram writes `M x,y L x,y ...`)."""
    points = []
    for pair in d.lstrip("M").split(" L"):
        x, y = pair.split(",")
        points.append((float(x), float(y)))
    return list(pairwise(points))


@pytest.mark.parametrize("lang", LANGS)
def test_the_case_page_its_diagram_and_the_confirmation_step(
    browser: Any, site: Api, lang: str, tmp_path: Path
) -> None:
    need_cjk_font()
    words = WORDS[lang]
    case = site.certified(holder=f"闽侯售后 Minhou {lang}")
    page = _log_in(browser, site, lang)
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("#case-state") == words["valid"]
    assert page.inner_text("#star-level").startswith(words["five"])

    drawn = page.evaluate(RENDERED)
    assert len(drawn["nodes"]) == 11 and len(drawn["edges"]) >= 14
    edges = []
    for edge in drawn["edges"]:
        assert edge["words"].strip(), edge["name"]  # every edge labelled
        x, y, w, h = edge["label"]
        tx, ty, tw, th = edge["text"]  # the text as this browser's fonts set it
        assert x - 0.5 <= tx and tx + tw <= x + w + 0.5, (edge["name"], edge["words"])
        assert y - 0.5 <= ty and ty + th <= y + h + 0.5, (edge["name"], edge["words"])
        segments = [s for d in edge["paths"] for s in _segments(d)]
        edges.append((edge["name"], segments, tuple(edge["label"])))
    assert overlaps([tuple(n) for n in drawn["nodes"]], edges) == []
    assert_glyphs(page, "main dl.facts dd", CHINESE_IN_EVERY_PAGE)
    if lang == "zh-CN":
        assert_glyphs(page, "#case-state", "svg.lifecycle g.edge text.label", "h2")
    _shot(page, tmp_path, f"case-{lang}")

    early = page.locator("form[data-action=suspend]")  # entered late, dated before the decision
    early.locator("select[name=cause]").select_option("client_request")
    early.locator("textarea[name=reason]").fill("补录 entered late")
    early.locator("input[name=on]").fill(days_ago(1))
    early.locator("button").click()
    assert words["before"] in page.inner_text("p.error")
    assert page.inner_text("#case-state") == words["valid"]  # nothing written

    form = page.locator("form[data-action=withdraw]")
    form.locator("textarea[name=reason]").fill("伪造服务记录 falsified records")
    form.locator("button").click()
    assert words["withdraw"] in page.inner_text("#consequence")
    assert page.get_attribute("html", "lang") == lang
    if lang == "zh-CN":
        assert_glyphs(page, "#consequence p", "h1")
    _shot(page, tmp_path, f"confirm-{lang}")
    page.locator("form[data-confirm=withdraw] button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=withdraw")
    assert page.inner_text("p.notice") == words["done"]
    assert page.inner_text("#case-state") == words["withdrawn"]
    page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_incidents_page(browser: Any, site: Api, lang: str, tmp_path: Path) -> None:
    need_cjk_font()
    words = WORDS[lang]
    case_id, deadline = _broken_deadline(site)
    assert _fire(site).failed == 1
    _set_state(site, case_id, "active")
    page = _log_in(browser, site, lang)
    page.click(f"header a:text('{words['incidents']}')")
    page.wait_for_url(f"{site.base}/console/incidents")
    assert page.get_attribute("html", "lang") == lang
    row = page.locator(f"tr.incident[data-deadline='{deadline}']")
    assert row.locator(".kind").inner_text() == words["kind"]
    assert_glyphs(page, CHINESE_IN_EVERY_PAGE)
    if lang == "zh-CN":
        assert_glyphs(page, "h1", f"tr.incident[data-deadline='{deadline}'] .kind")
    _shot(page, tmp_path, f"incidents-{lang}")
    resolve = row.locator("form[data-incident-action=resolve]")
    resolve.locator("input[name=reason]").fill("已电话提醒")
    resolve.locator("button").click()
    page.wait_for_url(f"{site.base}/console/incidents?done=resolve")
    assert page.locator(f"tr.incident[data-deadline='{deadline}']").count() == 0
    page.close()
