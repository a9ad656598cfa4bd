"""Daemon tests run real `starcert serve` processes against real databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import Site, make_site, reset_pg


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    site = make_site(tmp_path / "site")
    yield site
    site.stop_all()


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    reset_pg(pg_server_url)
    return pg_server_url
