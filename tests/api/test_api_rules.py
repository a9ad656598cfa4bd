"""Rule authors over the API: the CLI's checks, comparisons, impact and publication, the file sent
as text, the author taken from the token."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.loader import parse_count
from starcert.config import RulesConfig
from tests.api.conftest import Api, cli_on, make_app, serve
from tests.engine.test_alias_budget import laughs
from tests.integration.conftest import Starcert
from tests.office_day import office_day
from tests.rules_publish.conftest import SHIPPED, stricter

LIMIT = 20_000  # bytes: the shipped file is under half of it


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Api]:
    """A server of its own: these tests publish, which changes what every later case sees."""
    yield from serve(make_app(tmp_path / "server"))


@pytest.fixture
def cli(fresh: Api, tmp_path: Path) -> Starcert:
    return cli_on(fresh, tmp_path)


def _day(days: int) -> str:
    return office_day(days)


def _versions(cli: Starcert) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = cli("rules", "history", "--json").json()
    return history


def test_a_published_version_is_the_token_accounts_and_in_force_from_its_date(
    fresh: Api, cli: Starcert
) -> None:
    effective = _day(30)
    answer = fresh.as_("rule_author").post(
        "/api/rules/versions",
        json={
            "name": "gbt27922-v2.yaml",
            "text": stricter(),
            "effective_from": effective,
            "published_by": "somebody else",  # the author is the token's, never the body's
        },
    )
    assert answer.status_code == 422 and answer.json()["field"] == "published_by"
    assert [v["version"] for v in _versions(cli)] == ["1"]

    answer = fresh.as_("rule_author").post(
        "/api/rules/versions",
        json={"name": "gbt27922-v2.yaml", "text": stricter(), "effective_from": effective},
    )
    assert answer.status_code == 201, answer.text
    published = answer.json()
    assert published["published_by"] == "rule_author-1"
    assert published["published_by_os_user"] is None
    assert published["effective_from"] == effective and published["version"] == "2"

    [_, v2] = _versions(cli)
    assert (v2["version"], v2["published_by"], v2["source_name"]) == (
        "2",
        "rule_author-1",
        "gbt27922-v2.yaml",
    )
    book = fresh.app.rules.book  # the served App's own book, refreshed by the publication
    day = date.fromisoformat(effective)
    assert book.in_force(day).version == "2"
    assert book.in_force(day - timedelta(days=1)).version == "1"
    listed = fresh.as_("viewer").get("/api/rules/versions").json()
    assert [(v["version"], v["in_force"]) for v in listed] == [("1", True), ("2", False)]


def test_a_broken_file_is_refused_with_the_clis_problems_and_publishes_nothing(
    fresh: Api, cli: Starcert, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    lines = stricter().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("version:"))
    lines.insert(at + 1, "lifecycle: [unclosed\n")
    broken.write_text("".join(lines), encoding="utf-8")
    by_cli = cli(
        "rules", "publish", str(broken), "--effective", _day(10), "--by", "alice", check=False
    )
    assert by_cli.code == 2
    problems = by_cli.err.splitlines()
    assert problems and problems[0].startswith(f"{broken}:")

    text = broken.read_text(encoding="utf-8")
    for route, extra in (
        ("/api/rules/versions", {"effective_from": _day(10)}),
        ("/api/rules/check", {}),
        ("/api/rules/impact", {}),
    ):
        answer = fresh.as_("rule_author").post(
            route, json={"name": str(broken), "text": text, **extra}
        )
        assert answer.status_code == 422, answer.text
        refused = answer.json()
        assert refused["code"] == "rule_file_refused" and refused["field"] == "text"
        assert refused["problems"] == problems
    assert [v["version"] for v in _versions(cli)] == ["1"]


def test_a_file_whose_example_fails_is_refused_at_the_example(fresh: Api) -> None:
    text = stricter().replace('final_score: "94.96"', 'final_score: "94.97"')
    answer = fresh.as_("rule_author").post(
        "/api/rules/check", json={"name": "mine.yaml", "text": text}
    )
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["problems"]
    assert problem.startswith("mine.yaml:") and "fails: final_score: expected 94.97" in problem


def test_an_effective_date_in_the_past_or_before_the_latest_version_is_refused(
    fresh: Api, cli: Starcert, tmp_path: Path
) -> None:
    author = fresh.as_("rule_author")
    past = author.post(
        "/api/rules/versions",
        json={"name": "v2.yaml", "text": stricter(), "effective_from": _day(-1)},
    )
    assert past.status_code == 422, past.text
    assert past.json()["field"] == "effective_from"
    assert f"{_day(-1)} is in the past (today is {_day(0)})" in past.json()["message"]
    assert "--backdate" not in past.json()["message"]  # no backdating over the API

    assert (
        author.post(
            "/api/rules/versions",
            json={"name": "v2.yaml", "text": stricter(), "effective_from": _day(30)},
        ).status_code
        == 201
    )
    earlier = author.post(
        "/api/rules/versions",
        json={"name": "v3.yaml", "text": stricter("3"), "effective_from": _day(20)},
    )
    assert earlier.status_code == 422, earlier.text
    v3 = tmp_path / "v3.yaml"
    v3.write_text(stricter("3"), encoding="utf-8")
    by_cli = cli("rules", "publish", str(v3), "--effective", _day(20), "--by", "a", check=False)
    assert by_cli.code == 2
    assert by_cli.err == f"error: {earlier.json()['message']}\n"
    assert earlier.json()["field"] == "effective_from"
    assert [v["version"] for v in _versions(cli)] == ["1", "2"]


def test_impact_over_the_api_is_the_clis_on_the_same_register(
    fresh: Api, cli: Starcert, tmp_path: Path
) -> None:
    fresh.certified(loss=9.5)  # four stars now, three under the stricter version
    fresh.certified(loss=2)  # five stars either way
    fresh.decision_pending()
    v2 = tmp_path / "v2.yaml"
    v2.write_text(stricter(), encoding="utf-8")

    answer = fresh.as_("rule_author").post(
        "/api/rules/impact",
        json={"name": str(v2), "text": stricter(), "effective_from": _day(1)},
    )
    assert answer.status_code == 200, answer.text
    by_cli = cli("rules", "impact", str(v2), "--effective", _day(1), "--json").json()
    assert answer.json() == by_cli
    assert by_cli["counts"].get("band_down") == 1 and by_cli["certificates"] == 2
    assert by_cli["publish_refusal"] is None

    default = fresh.as_("rule_author").post(  # no date: the file's own, or today if past
        "/api/rules/impact", json={"name": str(v2), "text": stricter()}
    )
    assert default.json() == cli("rules", "impact", str(v2), "--json").json()
    assert [v["version"] for v in _versions(cli)] == ["1"]  # reads only


def test_check_and_diff_answer_what_the_cli_says(fresh: Api, cli: Starcert, tmp_path: Path) -> None:
    author = fresh.as_("rule_author")
    shipped = author.post(
        "/api/rules/check",
        json={"name": "gbt27922-2011.yaml", "text": SHIPPED.read_text(encoding="utf-8")},
    ).json()
    assert shipped["version"] == "1" and shipped["database"].startswith("published as gbt27922 1")
    v2 = tmp_path / "v2.yaml"
    v2.write_text(stricter(), encoding="utf-8")
    checked = author.post("/api/rules/check", json={"name": str(v2), "text": stricter()}).json()
    said = cli("rules", "check", str(v2)).out.splitlines()
    assert said[0] == f"ok  {v2}: {checked['summary']}"
    assert said[1] == f"    database: {checked['database']}" == "    database: not published"

    diff = author.post(
        "/api/rules/diff",
        json={"old": {"version": "1"}, "new": {"name": str(v2), "text": stricter()}},
    )
    assert diff.status_code == 200, diff.text
    assert diff.json() == cli("rules", "diff", "1", str(v2), "--json").json()
    assert any(c["part"] == "band" for c in diff.json()["changes"])
    unknown = author.post(
        "/api/rules/diff", json={"old": {"version": "9"}, "new": {"version": "1"}}
    )
    assert unknown.status_code == 404 and "old" in unknown.json()["message"]


def test_api_publication_reaches_the_clis_history_with_the_account(
    fresh: Api, cli: Starcert
) -> None:
    fresh.as_("rule_author").post(
        "/api/rules/versions",
        json={"name": "v2.yaml", "text": stricter(), "effective_from": _day(3)},
    )
    history = cli("rules", "history").out
    assert "by rule_author-1" in history and "os user" not in history.split("\n")[1]
    assert json.loads(cli("rules", "show", "2", "--json").out)["published_by"] == "rule_author-1"


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Api]:
    """A server whose config sets `[rules] max_file_bytes` to LIMIT."""
    yield from serve(make_app(tmp_path / "capped", rules=RulesConfig(max_file_bytes=LIMIT)))


def _padded(size: int, version: str = "2") -> str:
    """A valid next version, padded by comment lines of three-byte characters to at least `size`
    bytes in UTF-8 (fewer characters than that: the limit is on bytes)."""
    text = stricter(version)
    line = "# " + "星" * 32 + "\n"  # 99 bytes, 35 characters
    return text + line * ((size - len(text.encode("utf-8"))) // len(line.encode("utf-8")) + 1)


def test_a_file_over_the_size_limit_is_refused_unparsed_naming_its_size_and_the_limit(
    capped: Api, tmp_path: Path
) -> None:
    author = capped.as_("rule_author")
    text = _padded(LIMIT + 1)
    data = text.encode("utf-8")
    assert len(text) <= LIMIT < len(data)
    problem = (
        f"big.yaml: too large for a rule file: {len(data):,} bytes, over the limit of "
        f"{LIMIT:,} bytes (split or shorten it, or raise [rules] max_file_bytes in the config)"
    )
    file = {"name": "big.yaml", "text": text}
    for route, body, field in (
        ("/api/rules/check", file, "text"),
        ("/api/rules/impact", file, "text"),
        ("/api/rules/versions", {**file, "effective_from": _day(10)}, "text"),
        ("/api/rules/diff", {"old": {"version": "1"}, "new": file}, "new.text"),
    ):
        answer = author.post(route, json=body)
        assert answer.status_code == 422, (route, answer.text)
        refused = answer.json()
        assert (refused["code"], refused["field"]) == ("rule_file_refused", field)
        assert refused["problems"] == [problem]
    assert parse_count(hashlib.sha256(data).hexdigest()) == 0  # refused before parsing
    history = cli_on(capped, tmp_path)("rules", "history", "--json").json()
    assert [v["version"] for v in history] == ["1"]

    under = _padded(LIMIT - 200)
    assert len(under.encode("utf-8")) <= LIMIT
    published = author.post(
        "/api/rules/versions",
        json={"name": "under.yaml", "text": under, "effective_from": _day(10)},
    )
    assert published.status_code == 201, published.text


def test_a_rule_file_under_its_own_cap_passes_the_body_limit_other_routes_keep(
    fresh: Api,
) -> None:
    """A rule file may be up to `[rules] max_file_bytes` (1,000,000 by default); the request
    body limit (256 KiB) would refuse most of that range before the file's own check."""
    author = fresh.as_("rule_author")
    text = _padded(600_000)
    assert 600_000 < len(text.encode("utf-8")) < 1_000_000
    answer = author.post("/api/rules/check", json={"name": "big.yaml", "text": text})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["content_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    elsewhere = fresh.as_("operator").post(
        "/api/organisations", json={"name": text, "credit_code": "91350100M000100Y43"}
    )
    assert elsewhere.status_code == 413


def test_aliases_past_the_budget_are_refused_at_their_line(fresh: Api) -> None:
    """A billion laughs sent as text (a few kilobytes, under every size limit) is refused while
    parsing, at the alias that crosses the budget, as the CLI refuses it."""
    text = stricter().replace("    facts: &eligible\n", "    facts: &eligible\n" + laughs(10), 1)
    assert len(text.encode("utf-8")) < 20_000
    line = next(i for i, at in enumerate(text.splitlines(), 1) if "&laugh4" in at)
    for route, body, field in (
        ("/api/rules/check", {"name": "laughs.yaml", "text": text}, "text"),
        (
            "/api/rules/versions",
            {"name": "laughs.yaml", "text": text, "effective_from": _day(10)},
            "text",
        ),
    ):
        answer = fresh.as_("rule_author").post(route, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
        [problem] = answer.json()["problems"]
        assert problem.startswith(f"laughs.yaml:{line}: too many aliases")


def test_team_rule_files_are_diffed_as_the_cli_diffs_them(
    fresh: Api, cli: Starcert, tmp_path: Path
) -> None:
    author = fresh.as_("rule_author")
    team = SHIPPED.parent / "team-gbt27922.yaml"
    row = "- {up_to: 200, stage1: 1, stage2: 2.5, surveillance: 1, recertification: 2}"
    text = team.read_text(encoding="utf-8")
    changed = tmp_path / "team-v2.yaml"
    changed.write_text(text.replace(row, row[:-1] + ", special: 0.5}", 1), encoding="utf-8")
    diff = author.post(
        "/api/rules/diff",
        json={
            "old": {"name": str(team), "text": text},
            "new": {"name": str(changed), "text": changed.read_text(encoding="utf-8")},
        },
    )
    assert diff.status_code == 200, diff.text
    assert diff.json() == cli("rules", "diff", str(team), str(changed), "--json").json()
    assert any("special 0.5" in c["words"] for c in diff.json()["changes"])
    mixed = author.post(
        "/api/rules/diff",
        json={"old": {"version": "1"}, "new": {"name": str(team), "text": text}},
    )
    assert (mixed.status_code, mixed.json()["field"]) == (422, "new"), mixed.text
    unpublished = author.post(
        "/api/rules/diff",
        json={"old": {"version": "7", "team": True}, "new": {"name": str(team), "text": text}},
    )
    assert (
        unpublished.status_code == 404 and "team rules version '7'" in unpublished.json()["message"]
    )
    impact = author.post(
        "/api/rules/impact",
        json={"name": str(changed), "text": changed.read_text(encoding="utf-8")},
    )
    assert impact.status_code == 200, impact.text
    assert impact.json() == cli("rules", "impact", str(changed), "--json").json()
    assert impact.json()["compared"] == 0 and "accepted team" in impact.json()["compares"]


def test_an_api_publication_of_a_team_version_names_the_accepted_teams_it_refuses(
    fresh: Api, cli: Starcert, tmp_path: Path
) -> None:
    from tests.integration.test_cli_plan_accept import _longer_surveillance, _office

    case = _office(cli)
    accepted = cli("plan", "accept", str(case), "--weeks", "53", "--by", "zhang", "--json").json()
    first = accepted["assignment"]
    text = _longer_surveillance(tmp_path).read_text(encoding="utf-8")
    answer = fresh.as_("rule_author").post(
        "/api/rules/versions",
        json={"name": "team-v2.yaml", "text": text, "effective_from": _day(1)},
    )
    assert answer.status_code == 201, answer.text
    [refused] = answer.json()["teams_refused"]
    assert (refused["assignment_id"], refused["case_id"], refused["accepted_under"]) == (
        first["id"], case, "1"
    )  # fmt: skip
    assert [r["rule"] for r in refused["refused_by"]] == ["team.team_size"]
