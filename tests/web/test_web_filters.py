"""The console's certificate list narrowed by state, star level, overdue, due within N days and
holder, as query parameters (the API's /api/cases takes the same); a bad filter is refused
by name and lists nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.api.conftest import Api
from tests.web.conftest import ENGLISH
from workflows.model import Deadline, DeadlineKind


def _deadline(site: Api, case_id: int, due_in: timedelta) -> None:
    with site.app.uow() as uow:
        uow.deadlines.add(
            Deadline(None, case_id, DeadlineKind.RECERT_REMINDER, datetime.now(UTC) + due_in)
        )
        uow.commit()


def _listed(client: httpx.Client, **params: str) -> list[int]:
    answer = client.get("/console", params=params)
    assert answer.status_code == 200, answer.text
    return [int(x) for x in re.findall(r'<tr class="case" data-case="(\d+)"', answer.text)]


def test_the_certificate_list_filters_by_each_key(site: Api) -> None:
    five = site.certified(loss=2, holder="过滤测试 五星 Filter Five")
    three = site.certified(loss=15, holder="过滤测试 三星 Filter Three")
    applying = site.decision_pending(holder="过滤测试 待决定 Filter Pending")
    assert (five["star_level"], three["star_level"]) == ("five_star", "three_star")
    _deadline(site, three["id"], timedelta(days=-2))  # overdue
    _deadline(site, applying["id"], timedelta(days=5))  # due within a week
    own = {"Origin": site.base}
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        client.post("/console/login", data={"token": site.tokens["viewer"]}, headers=own)
        mine = {"holder": "过滤测试"}
        assert _listed(client, **mine) == [five["id"], three["id"], applying["id"]]
        assert _listed(client, holder="filter THREE") == [three["id"]]  # any case
        assert _listed(client, **mine, state="decision") == [applying["id"]]
        assert _listed(client, **mine, star="five_star") == [five["id"]]
        assert _listed(client, **mine, star="three_star", state="active") == [three["id"]]
        assert _listed(client, **mine, overdue="1") == [three["id"]]
        assert _listed(client, **mine, due_within="7") == [applying["id"]]
        assert _listed(client, **mine, due_within="4") == []
        assert _listed(client, **mine, due_within="7", overdue="1") == []

        page = client.get("/console", params={**mine, "star": "three_star", "overdue": "1"})
        assert '<option value="three_star" selected>Three-star</option>' in page.text
        assert 'name="overdue" value="1" checked' in page.text  # the form shows what was asked

        for name, bad, says in (
            ("due_within", "soon", "due_within: must be a whole number of days from 1 to 3650"),
            ("due_within", "0", "due_within: must be a whole number"),
            ("state", "asleep", "state: no state 'asleep'"),
            ("star", "six_star", "star: no star level 'six_star'"),
        ):
            refused = client.get("/console", params={**mine, name: bad})
            assert refused.status_code == 422, (name, bad)
            assert says in html.unescape(refused.text) and 'data-case="' not in refused.text
        kept = client.get("/console", params={**mine, "due_within": "soon"})
        assert 'name="due_within" value="soon"' in kept.text  # left in the form to correct

        chinese = client.get("/console", params={**mine, "due_within": "soon", "lang": "zh-CN"})
        assert "due_within: 应为 1 至 3650 的整数天数" in chinese.text

    api = site.as_("viewer")
    found = api.get("/api/cases", params={"holder": "过滤测试", "due_within_days": 7}).json()
    assert [c["id"] for c in found["items"]] == [applying["id"]]
    refused = api.get("/api/cases", params={"due_within_days": 0})
    assert refused.status_code == 422 and refused.json()["field"] == "due_within_days"
