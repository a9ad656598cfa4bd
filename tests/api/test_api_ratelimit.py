"""The /verify limit: token buckets on a moved clock, kept by the database (or Redis) so that every
server on it shares them, and keyed on the address a client cannot forge (a proxy's word only
when that proxy is trusted)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from starcert.api.ratelimit import retry_after
from starcert.api.server import ApiThread, start_api_thread
from starcert.api.settings import ApiSettings
from starcert.app import App
from starcert.config import ApiConfig
from storage.database import Database, open_database, upgrade
from storage.memory.memory_database import MemoryDatabase
from storage.rate_limits import RateLimits
from storage.redis_rate_limits import RedisRateLimits
from tests.api.conftest import free_port, make_app
from workflows.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
UNKNOWN = "/verify/ASC-2026-999999"  # 404 while allowed, 429 once the client is limited
REDIS_URL = os.environ.get("STARCERT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_url() -> str:
    """The test Redis, reachable; without one the Redis tests skip (fail under CI), saying why."""
    from redis import Redis, RedisError

    try:
        with Redis.from_url(REDIS_URL, socket_connect_timeout=2) as probe:
            probe.ping()
    except RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI=true but Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis tests skipped: no Redis at {REDIS_URL} ({exc})")
    return REDIS_URL


def _prefix() -> str:
    return f"starcert-test-{uuid.uuid4().hex[:12]}:"


def _pg_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("pg_server_url")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def _database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if kind == "memory":
        yield MemoryDatabase()
        return
    url = f"sqlite:///{tmp_path / 'limits.db'}" if kind == "sqlite" else _pg_url(request)
    upgrade(url)
    opened = open_database(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with _database(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture(params=[*BACKENDS, "redis"])
def limits(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RateLimits]:
    if request.param != "redis":
        with _database(request.param, request, tmp_path) as opened:
            yield opened.rate_limits
        return
    redis = RedisRateLimits(_redis_url(), _prefix())
    try:
        yield redis
    finally:
        redis.close()


def test_a_client_bursts_then_gets_the_rate_and_others_are_unaffected(limits: RateLimits) -> None:
    def take(key: str, at: datetime) -> float:
        return limits.take(key, 2, 3, at)

    assert [take("a", T0) for _ in range(3)] == [0, 0, 0]
    wait = take("a", T0)
    assert wait == 0.5 and retry_after(wait) == "1"
    assert take("b", T0) == 0
    half = T0 + timedelta(seconds=0.5)
    assert take("a", half) == 0
    assert take("a", half) > 0
    earlier = T0 - timedelta(hours=1)  # a clock set back gives no tokens
    assert take("a", earlier) > 0


def test_only_refilled_buckets_are_forgotten(database: Database) -> None:
    limits = database.rate_limits
    assert limits.take("idle", 1, 2, T0) == 0
    assert limits.take("busy", 1, 2, T0 + timedelta(seconds=9)) == 0
    assert limits.take("busy", 1, 2, T0 + timedelta(seconds=9)) == 0
    assert limits.forget_full(1, 2, T0 + timedelta(seconds=10)) == 1  # idle refilled, busy not
    assert limits.take("busy", 1, 2, T0 + timedelta(seconds=10)) == 0  # one token back
    assert limits.take("busy", 1, 2, T0 + timedelta(seconds=10)) > 0


# --- over HTTP ------------------------------------------------------------------------------------

LIMITED = ApiSettings(verify_rate_per_second=0.01, verify_burst=3)


def _serve(application: App) -> ApiThread:
    return start_api_thread(application, "127.0.0.1", free_port(), LIMITED)


def _base(running: ApiThread) -> str:
    return f"http://127.0.0.1:{running.server.config.port}"


def _codes(base: str, n: int, forwarded_for: str | None = None) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        return [client.get(UNKNOWN).status_code for _ in range(n)]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    application = make_app(tmp_path, clock=FakeClock(T0))
    running = _serve(application)
    try:
        yield _base(running)
    finally:
        running.stop()
        application.close()


def test_a_forged_forwarded_for_does_not_reset_the_limit(server: str) -> None:
    assert _codes(server, 3, "198.51.100.1") == [404, 404, 404]
    assert _codes(server, 2, "198.51.100.2") == [429, 429]  # still 127.0.0.1 asking
    assert _codes(server, 1) == [429]


def test_a_configured_proxys_forwarded_for_names_the_client(tmp_path: Path) -> None:
    proxies = ApiConfig(trusted_proxies=("127.0.0.0/8",))
    application = make_app(tmp_path, api=proxies, clock=FakeClock(T0))
    running = _serve(application)
    base = _base(running)
    try:
        assert _codes(base, 4, "198.51.100.1") == [404, 404, 404, 429]
        assert _codes(base, 1, "198.51.100.2") == [404]  # another client behind the proxy
        # A client's own claim in front of the proxy's is not believed: the proxy's is used.
        assert _codes(base, 1, "198.51.100.2, 198.51.100.1") == [429]
    finally:
        running.stop()
        application.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_servers_on_one_database_share_the_limit(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    url = None if backend == "sqlite" else _pg_url(request)
    clock = FakeClock(T0)
    first, second = make_app(tmp_path, url, clock=clock), make_app(tmp_path, url, clock=clock)
    servers = [_serve(first), _serve(second)]
    try:
        assert _codes(_base(servers[0]), 2) == [404, 404]
        assert _codes(_base(servers[1]), 2) == [404, 429]  # one lookup left, over there
        assert _codes(_base(servers[0]), 1) == [429]
        clock.advance(timedelta(seconds=100))  # 0.01/s: one lookup earned
        assert _codes(_base(servers[1]), 2) == [404, 429]
    finally:
        for running in servers:
            running.stop()
        first.close()
        second.close()


def test_two_servers_on_two_databases_share_the_limit_through_redis(tmp_path: Path) -> None:
    shared = ApiConfig(redis_url=_redis_url(), redis_key_prefix=_prefix())
    clock = FakeClock(T0)
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    apps = [make_app(folder, api=shared, clock=clock) for folder in folders]
    servers = [_serve(application) for application in apps]
    try:
        assert _codes(_base(servers[0]), 2) == [404, 404]
        assert _codes(_base(servers[1]), 2) == [404, 429]
        clock.advance(timedelta(seconds=100))
        assert _codes(_base(servers[0]), 2) == [404, 429]
        far = T0 + timedelta(days=1)  # every bucket full by then: forgetting counts them all
        assert [a.database.rate_limits.forget_full(0.01, 3, far) for a in apps] == [0, 0]
    finally:
        for running in servers:
            running.stop()
        for application in apps:
            application.close()
