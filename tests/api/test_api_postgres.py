"""The API over PostgreSQL: the read queries (search, feeds, register, lookups) on the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import Api, make_app, serve

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_api(tmp_path_factory: pytest.TempPathFactory, pg_server_url: str) -> Iterator[Api]:
    engine = create_engine(pg_server_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield from serve(make_app(Path(tmp_path_factory.mktemp("pg")), pg_server_url))


def test_a_certificate_is_issued_found_verified_and_announced_on_postgres(pg_api: Api) -> None:
    case = pg_api.certified()
    viewer, anon = pg_api.as_("viewer"), pg_api.as_(None)
    found = viewer.get("/api/cases", params={"q": "acme APPLIANCES"}).json()
    assert case["id"] in [c["id"] for c in found["items"]]
    assert viewer.get("/api/cases", params={"q": "100%_"}).json()["total"] == 0
    assert anon.get(f"/verify/{case['number']}").json()["certification_status"] == "active"
    pg_api.as_("operator").post(
        f"/api/cases/{case['id']}/suspend", json={"cause": "client_request", "reason": "pause"}
    )
    feed = anon.get("/public/announcements").json()
    assert [a["action"] for a in feed if a["certificate_number"] == case["number"]] == [
        "suspension",
        "grant",
    ]
    register = viewer.get("/api/register").json()
    assert [
        r["certification_status"] for r in register if r["certificate_number"] == case["number"]
    ] == ["suspended"]
    upcoming = viewer.get("/api/deadlines", params={"days": 400}).json()
    assert any(d["deadline"]["case_id"] == case["id"] for d in upcoming)
