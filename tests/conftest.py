"""Fixtures every test layer shares: a throw-away PostgreSQL database per test session.

PostgreSQL tests need STARCERT_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Without it they skip, printing why, except under CI (CI=true) where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _admin_url() -> str | None:
    return os.environ.get("STARCERT_TEST_PG_URL")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database dropped at the end of the session."""
    admin = _admin_url()
    if not admin:
        if os.environ.get("CI"):
            pytest.fail("CI=true but STARCERT_TEST_PG_URL is not set: PostgreSQL tests must run")
        pytest.skip("PostgreSQL tests skipped: set STARCERT_TEST_PG_URL to run them")
    name = f"starcert_t_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - only when the server is unreachable
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL tests skipped: cannot reach {admin}: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin_engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin_engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The doc recipes not run, and why, after a run that ran them (tests/docs)."""
    ran = [
        r
        for reports in terminalreporter.stats.values()
        for r in reports
        if "tests/docs/test_doc_recipes.py" in str(getattr(r, "nodeid", ""))
    ]
    if not ran:
        return
    from tests.docs.test_doc_recipes import skipped_recipes

    terminalreporter.section("doc recipes not run")
    for block, why in skipped_recipes():
        terminalreporter.line(f"{block.where()}: {why}")
