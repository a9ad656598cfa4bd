"""Daemon tests run real `starcert serve` processes against real databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from daemon_helpers import Site, certify, make_site, reset_pg

from starcert.app import App
from starcert.config import load_config
from workflows.fake_clock import FakeClock

CERTIFIED_AT = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
"""When the `app` fixture decides its one case: surveillances due 2025-01-10 and 2026-01-10, expiry
2027-01-09."""


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    site = make_site(tmp_path / "site")
    yield site
    site.stop_all()


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    reset_pg(pg_server_url)
    return pg_server_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(CERTIFIED_AT)


@pytest.fixture
def app(sqlite_site: Site, clock: FakeClock) -> Iterator[App]:
    """An App on a SQLite site whose one case (id 1) was certified at CERTIFIED_AT."""
    certify(sqlite_site, clock, 1)
    application = App(load_config(sqlite_site.config), clock=clock)
    yield application
    application.close()
