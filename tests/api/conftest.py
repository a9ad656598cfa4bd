"""A real API server on a loopback port over a fresh database, with one account per role.

The server runs in a thread of the test process (uvicorn, as in production); clients talk HTTP to
it. Tests share one server per module and keep apart by registering their own organisations.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from starcert.accounts import issue
from starcert.api.server import ApiThread, start_api_thread
from starcert.api.settings import ApiSettings
from starcert.app import App
from starcert.config import (
    ApiConfig,
    BodyConfig,
    Config,
    ConsoleConfig,
    DatabaseConfig,
    PathsConfig,
    RulesConfig,
)
from storage.sql.migrate import upgrade
from tests.integration.conftest import Starcert
from tests.office_day import office_day
from tests.score_sheets import FULL_MARKS
from workflows.credit_code import check_character
from workflows.ports import Clock

REPO = Path(__file__).resolve().parents[2]
ROLES = ("operator", "auditor", "rule_author", "viewer", "admin")
FACTS = {
    "has_service_documents": True,
    "has_dedicated_manager": True,
    "has_dedicated_funds": True,
    "has_trained_staff": True,
    "is_prc_legal_entity": True,
    "last_major_failure": None,
}
_codes = itertools.count(1)


def credit_code() -> str:
    """A fresh valid unified social credit code (GB 32100 check character)."""
    body = f"91350100M{next(_codes):07d}4"[:17]
    return body + check_character(body)


def days_ago(n: int) -> str:
    return office_day(-n)


def sheet(loss: float = 2) -> dict[str, Any]:
    """Full marks less `loss` points, taken from the last indicators first."""
    results: dict[str, Any] = dict(FULL_MARKS)
    for name in reversed(FULL_MARKS):
        take = min(loss, FULL_MARKS[name])
        results[name] = FULL_MARKS[name] - take
        loss -= take
    return {"results": results}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Api:
    """A running server and a client per role (plus an anonymous one)."""

    app: App
    base: str
    tokens: dict[str, str]
    clients: dict[str | None, httpx.Client]

    def as_(self, role: str | None) -> httpx.Client:
        return self.clients[role]

    def certified(self, loss: float = 2, holder: str = "Acme Appliances") -> dict[str, Any]:
        """A case driven through the API, as operator and auditor, to an active certificate."""
        case = self.decision_pending(loss, holder=holder)
        decided = self.as_("operator").post(f"/api/cases/{case['id']}/decide")
        assert decided.status_code == 200, decided.text
        result: dict[str, Any] = decided.json()["case"]
        assert result["state"] == "active"
        return result

    def decision_pending(
        self,
        loss: float = 2,
        scores: dict[str, Any] | None = None,
        holder: str = "Acme Appliances",
    ) -> dict[str, Any]:
        op, auditor = self.as_("operator"), self.as_("auditor")
        org = op.post("/api/organisations", json={"name": holder, "credit_code": credit_code()})
        assert org.status_code == 201, org.text
        applied = op.post(
            "/api/applications",
            json={
                "organisation_id": org.json()["id"],
                "submitted_on": days_ago(60),
                "service_system_since": days_ago(200),
                "scope": "after-sales service of household appliances",
                "facts": FACTS,
            },
        )
        assert applied.status_code == 201, applied.text
        cid = applied.json()["case"]["id"]
        assert op.post(f"/api/cases/{cid}/review").json()["case"]["state"] == "stage1"
        stage1 = auditor.post(
            f"/api/cases/{cid}/audits", json={"kind": "stage1", "audit_date": days_ago(50)}
        )
        assert stage1.status_code == 200, stage1.text
        stage2 = auditor.post(
            f"/api/cases/{cid}/audits",
            json={"kind": "stage2", "audit_date": days_ago(40), "sheet": scores or sheet(loss)},
        )
        assert stage2.status_code == 200, stage2.text
        case: dict[str, Any] = stage2.json()["case"]
        assert case["state"] == "decision"
        return case


def make_app(
    tmp: Path,
    url: str | None = None,
    *,
    api: ApiConfig | None = None,
    console: ConsoleConfig | None = None,
    rules: RulesConfig | None = None,
    clock: Clock | None = None,
    body: BodyConfig | None = None,
) -> App:
    config = Config(
        body=body,
        database=DatabaseConfig(url=url or ""),
        paths=PathsConfig(data_dir=tmp, rules_dir=REPO / "rules"),
        api=api or ApiConfig(),
        console=console or ConsoleConfig(),
        rules=rules or RulesConfig(),
    )
    upgrade(config.database_url)
    return App(config) if clock is None else App(config, clock)


def serve(
    application: App, settings: ApiSettings | None = None, port: int | None = None
) -> Iterator[Api]:
    """`application` served on `port` (a free one when None: a config naming its own address,
    such as [body] public_url, picks the port first)."""
    tokens = {
        role: issue(application, f"{role}-1", role, "tests", application.clock.now())[1]
        for role in ROLES
    }
    port = port or free_port()
    running: ApiThread = start_api_thread(application, "127.0.0.1", port, settings)
    base = f"http://127.0.0.1:{port}"
    clients: dict[str | None, httpx.Client] = {
        role: httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        for role, token in tokens.items()
    }
    clients[None] = httpx.Client(base_url=base, timeout=30)
    try:
        yield Api(application, base, tokens, clients)
    finally:
        for client in clients.values():
            client.close()
        running.stop()
        application.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from serve(
        make_app(tmp_path_factory.mktemp("api")),
        ApiSettings(verify_rate_per_second=1000, verify_burst=1000),
    )


def cli_on(api: Api, workdir: Path) -> Starcert:
    """The `starcert` command (run in this process) on the served API's own database."""
    config = workdir / "config.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{api.app.config.paths.data_dir}"\nrules_dir = "{REPO / "rules"}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    return Starcert(config=config, workdir=workdir, env=env)
