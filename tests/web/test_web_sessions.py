"""Console sessions over HTTP on a real server whose clock the test moves: log-in only from our own
pages, a cookie that is not the token, and sessions that end when they should."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest

from starcert.config import ApiConfig, ConsoleConfig
from tests.api.conftest import REPO, Api, make_app, serve
from tests.cli_in_process import run_starcert
from tests.web.conftest import ENGLISH
from workflows.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COOKIE = "starcert_session"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Api]:
    application = make_app(
        tmp_path_factory.mktemp("sessions"),
        console=ConsoleConfig(session_idle_minutes=30, session_max_hours=2),
        api=ApiConfig(trusted_proxies=("10.9.9.9",)),  # not the tests' address
        clock=clock,
    )
    yield from serve(application)


def _post_login(site: Api, token: str, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=site.base, timeout=30, cookies=ENGLISH) as client:
        return client.post("/console/login", data={"token": token}, headers=headers)


def _log_in(site: Api, role: str = "operator") -> str:
    """A session id, from a log-in posted by our own log-in page."""
    answer = _post_login(site, site.tokens[role], Origin=site.base)
    assert answer.status_code == 303, answer.text
    cookie = SimpleCookie(answer.headers["set-cookie"])[COOKIE]
    return cookie.value


def _console(site: Api, session_id: str) -> httpx.Response:
    with httpx.Client(base_url=site.base, timeout=30, cookies=ENGLISH) as client:
        return client.get("/console", headers={"Cookie": f"{COOKIE}={session_id}"})


def _logged_in(site: Api, session_id: str) -> bool:
    answer = _console(site, session_id)
    if answer.status_code == 303:
        assert answer.headers["location"] == "/console/login"
        return False
    assert answer.status_code == 200
    return True


def test_a_cross_site_log_in_is_refused(site: Api) -> None:
    token = site.tokens["viewer"]
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": site.base.replace("127.0.0.1", "localhost")},
        {"Referer": "https://evil.example/login.html"},
        {},  # a browser always says where a post comes from
    ):
        refused = _post_login(site, token, **headers)
        assert refused.status_code == 403, headers
        assert "set-cookie" not in refused.headers
    by_referer = _post_login(site, token, Referer=f"{site.base}/console/login")
    assert by_referer.status_code == 303


def test_the_cookie_holds_a_session_id_not_the_token(site: Api) -> None:
    answer = _post_login(site, site.tokens["viewer"], Origin=site.base)
    raw = answer.headers["set-cookie"]
    cookie = SimpleCookie(raw)[COOKIE]
    assert site.tokens["viewer"] not in raw
    assert cookie["httponly"] and cookie["samesite"] == "strict"
    assert cookie["max-age"] == str(2 * 3600)  # no longer than the session can last
    assert not cookie["secure"]  # plain http, no proxy
    assert site.tokens["viewer"] not in _console(site, cookie.value).text


def test_the_cookie_is_secure_only_when_the_request_came_over_https(
    site: Api, tmp_path: Path
) -> None:
    https = {"X-Forwarded-Proto": "https"}
    claimed = _post_login(site, site.tokens["viewer"], Origin=site.base, **https)
    assert claimed.status_code == 303  # a client, not a trusted proxy: its claim is ignored
    assert not SimpleCookie(claimed.headers["set-cookie"])[COOKIE]["secure"]
    proxied = make_app(tmp_path, api=ApiConfig(trusted_proxies=("127.0.0.1",)))
    for behind in serve(proxied):
        seen_as = "https://" + behind.base.removeprefix("http://")
        answer = _post_login(behind, behind.tokens["viewer"], Origin=seen_as, **https)
        assert answer.status_code == 303
        assert SimpleCookie(answer.headers["set-cookie"])[COOKIE]["secure"]
        plain = _post_login(behind, behind.tokens["viewer"], Origin=behind.base, **https)
        assert plain.status_code == 403  # the page was served over https: http is another origin
        page = httpx.get(behind.base + "/certificates", headers=https)
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in httpx.get(behind.base + "/certificates").headers
    assert "strict-transport-security" not in claimed.headers  # a client's claim: not https


def test_an_idle_session_ends_and_sends_the_user_to_log_in(site: Api, clock: FakeClock) -> None:
    session = _log_in(site)
    clock.advance(timedelta(minutes=29))
    assert _logged_in(site, session)  # used: 30 more minutes from now
    clock.advance(timedelta(minutes=29))
    assert _logged_in(site, session)
    clock.advance(timedelta(minutes=31))
    expired = _console(site, session)
    assert expired.status_code == 303 and expired.headers["location"] == "/console/login"
    assert 'starcert_session=""' in expired.headers["set-cookie"]  # the dead cookie is dropped


def test_a_busy_session_still_ends_at_its_lifetime(site: Api, clock: FakeClock) -> None:
    session = _log_in(site)
    for _ in range(7):
        clock.advance(timedelta(minutes=17))
        assert _logged_in(site, session)
    clock.advance(timedelta(minutes=2))  # 121 minutes after log-in
    assert not _logged_in(site, session)


def test_a_logged_out_session_is_refused(site: Api) -> None:
    session = _log_in(site)
    page = _console(site, session).text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    with httpx.Client(base_url=site.base, timeout=30, cookies=ENGLISH) as client:
        out = client.post(
            "/console/logout",
            data={"csrf": csrf},
            headers={"Cookie": f"{COOKIE}={session}", "Origin": site.base},
        )
    assert out.status_code == 303
    assert not _logged_in(site, session)


def test_revoking_the_account_ends_its_sessions(tmp_path: Path) -> None:
    for running in serve(make_app(tmp_path, clock=FakeClock(T0))):
        session = _log_in(running, "auditor")
        assert _logged_in(running, session)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[paths]\ndata_dir = "{tmp_path}"\nrules_dir = "{REPO / "rules"}"\n', encoding="utf-8"
        )
        revoked = run_starcert(
            ["--config", str(config), "users", "revoke", "auditor-1"], cwd=tmp_path
        )
        assert revoked.code == 0, revoked.err
        assert not _logged_in(running, session)
        assert _logged_in(running, _log_in(running, "viewer"))  # others' sessions go on
