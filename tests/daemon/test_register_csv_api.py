"""The register as CSV from a serving daemon's API: a holder named like a formula is text there
too (only the CSV changes it; the JSON register keeps the stored name)."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from typing import Any

from daemon_helpers import Site, answers_health, free_port, wait_until
from sqlalchemy import text

from starcert.app import App

EVIL = '@SUM(1+1)*cmd|" /C calc"!A0'


def _get(port: int, path: str, token: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return str(reply.read().decode("utf-8"))


def test_the_apis_register_csv_neutralises_formulas(sqlite_site: Site, app: App) -> None:
    site = sqlite_site
    engine = site.engine()
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET holder = :h WHERE id = 1"), {"h": EVIL})
    engine.dispose()
    port = free_port()
    with site.config.open("a", encoding="utf-8") as config:
        config.write(f'[api]\nserve_with_daemon = true\nhost = "127.0.0.1"\nport = {port}\n')
    token = site.json("users", "add", "reader", "--role", "viewer", "--by", "admin")["token"]
    daemon = site.serve("api")
    wait_until("the daemon's API", lambda: answers_health(port), timeout=30)

    [row] = list(csv.DictReader(io.StringIO(_get(port, "/api/register?format=csv", token))))
    assert row["certified_entity_name"] == "'" + EVIL
    listed: list[dict[str, Any]] = json.loads(_get(port, "/api/register", token))
    assert [r["certified_entity_name"] for r in listed] == [EVIL]
    assert daemon.term() == 0
