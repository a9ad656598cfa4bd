"""Every endpoint × every role: no anonymous write, no role doing another's work."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ROLES, Api

OPERATOR = frozenset({"operator"})
AUDITOR = frozenset({"auditor"})
RULE_AUTHOR = frozenset({"rule_author"})
ADMIN = frozenset({"admin"})
PLANNERS = frozenset({"operator", "auditor"})  # the auditor register: personal data
READERS = frozenset(ROLES)

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/me"): READERS,
    ("GET", "/api/organisations/{organisation_id}"): READERS,
    ("GET", "/api/cases"): READERS,
    ("GET", "/api/cases/{case_id}"): READERS,
    ("GET", "/api/certificates/{number}"): READERS,
    ("GET", "/api/certificates/{number}/documents"): READERS,
    ("GET", "/api/certificates/{number}/document"): READERS,
    ("GET", "/api/cases/{case_id}/history"): READERS,
    ("GET", "/api/deadlines"): READERS,
    ("GET", "/api/register"): READERS,
    ("GET", "/api/rules/versions"): READERS,
    ("GET", "/metrics"): READERS,
    ("POST", "/api/organisations"): OPERATOR,
    ("PATCH", "/api/organisations/{organisation_id}"): OPERATOR,
    ("POST", "/api/applications"): OPERATOR,
    ("POST", "/api/cases/{case_id}/review"): OPERATOR,
    ("POST", "/api/cases/{case_id}/audits"): AUDITOR,
    ("POST", "/api/cases/{case_id}/decide"): OPERATOR,
    ("POST", "/api/cases/{case_id}/suspend"): OPERATOR,
    ("POST", "/api/cases/{case_id}/restore"): OPERATOR,
    ("POST", "/api/cases/{case_id}/withdraw"): OPERATOR,
    ("POST", "/api/cases/{case_id}/cancel"): OPERATOR,
    ("POST", "/api/cases/{case_id}/expire"): OPERATOR,
    ("POST", "/api/cases/{case_id}/scope-extension-request"): OPERATOR,
    ("POST", "/api/cases/{case_id}/extend-scope"): OPERATOR,
    ("POST", "/api/cases/{case_id}/reduce-scope"): OPERATOR,
    ("POST", "/api/cases/{case_id}/holder"): OPERATOR,
    ("POST", "/api/cases/{case_id}/transfer-in"): OPERATOR,
    ("GET", "/api/cases/{case_id}/versions"): READERS,
    ("POST", "/api/rules/check"): RULE_AUTHOR,
    ("POST", "/api/rules/diff"): RULE_AUTHOR,
    ("POST", "/api/rules/impact"): RULE_AUTHOR,
    ("POST", "/api/rules/versions"): RULE_AUTHOR,
    ("GET", "/api/accounts"): ADMIN,
    ("POST", "/api/accounts"): ADMIN,
    ("POST", "/api/accounts/{name}/revoke"): ADMIN,
    ("GET", "/api/auditors"): PLANNERS,
    ("GET", "/api/auditors/{auditor_id}"): PLANNERS,
    ("POST", "/api/auditors"): OPERATOR,
    ("PATCH", "/api/auditors/{auditor_id}"): OPERATOR,
    ("POST", "/api/teams/check"): PLANNERS,
    ("GET", "/api/cases/{case_id}/findings"): READERS,
    ("POST", "/api/cases/{case_id}/findings"): AUDITOR,
    ("POST", "/api/cases/{case_id}/findings/{finding}/response"): PLANNERS,
    ("POST", "/api/cases/{case_id}/findings/{finding}/close"): AUDITOR,
    ("POST", "/api/cases/{case_id}/findings/{finding}/reject"): AUDITOR,
    ("GET", "/api/assignments"): PLANNERS,
    ("POST", "/api/assignments"): OPERATOR,
}
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/verify/{number}"),
    ("GET", "/public/announcements"),
    ("GET", "/public/certificates"),
    ("GET", "/checkpoints/latest"),
    ("GET", "/checkpoints/keys"),
}


def _routes(api: Api) -> set[tuple[str, str]]:
    doc = api.as_(None).get("/openapi.json").json()
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def test_the_matrix_covers_every_route_the_api_documents(api: Api) -> None:
    assert _routes(api) == set(EXPECTED) | PUBLIC


def _url(path: str) -> str:
    return (
        path.replace("{case_id}", "1")
        .replace("{organisation_id}", "1")
        .replace("{number}", "ASC-2026-000001")
        .replace("{name}", "nobody")
        .replace("{auditor_id}", "1")
        .replace("{finding}", "1")
    )


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_route_admits_exactly_its_roles(api: Api, route: tuple[str, str]) -> None:
    method, path = route
    body: Any = {} if method in ("POST", "PATCH") else None
    anonymous = api.as_(None).request(method, _url(path), json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["code"] == "unauthenticated"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    for role in ROLES:
        answer = api.as_(role).request(method, _url(path), json=body)
        if role in EXPECTED[route]:
            assert answer.status_code not in (401, 403), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.json()["code"] == "forbidden"


def test_a_refused_role_writes_nothing(api: Api) -> None:
    case = api.certified()
    for role in ("viewer", "auditor", "rule_author", "admin"):
        refused = api.as_(role).post(
            f"/api/cases/{case['id']}/suspend", json={"cause": "client_request", "reason": "x"}
        )
        assert refused.status_code == 403
    history = api.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert history[-1]["trigger"] == "certify"


def test_an_unknown_or_revoked_token_is_401(api: Api) -> None:
    from starcert.accounts import issue

    _, token = issue(api.app, "short-lived", "operator", "tests", api.app.clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    client = api.as_(None)
    assert client.get("/api/me", headers=headers).json() == {
        "name": "short-lived",
        "role": "operator",
    }
    with api.app.uow() as uow:
        uow.accounts.revoke("short-lived", api.app.clock.now(), "admin")
        uow.commit()
    assert client.get("/api/me", headers=headers).status_code == 401
    forged = {"Authorization": "Bearer sct_" + "A" * 43}
    assert client.get("/api/me", headers=forged).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    with api.app.uow() as uow:
        stored = {a.name: a.token_hash for a in uow.accounts.list()}
    for role, token in api.tokens.items():
        assert token not in stored.values()
        assert len(stored[f"{role}-1"]) == 64
