"""Fuzz every operation from the API's own OpenAPI document (schemathesis).

Each operation is called with a token of a role allowed to use it, so the fuzzing reaches the
handlers: no answer may be a 500, and every answer must match the status codes, content types and
schemas the document declares.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Api
from tests.api.test_api_roles import EXPECTED

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def seeded(api: Api) -> Api:
    """A few real cases so ids and numbers the fuzzer tries sometimes exist."""
    api.certified()
    api.decision_pending()
    auditor = {
        "name": "王芳",
        "registration": "FUZZ-1",
        "grade": "auditor",
        "registered_on": "2021-04-01",
        "valid_until": "2099-03-31",
    }
    assert api.as_("operator").post("/api/auditors", json=auditor).status_code == 201
    return api


EXAMPLES = 25


def _headers(api: Api, method: str, path: str) -> dict[str, str]:
    allowed = EXPECTED.get((method.upper(), path))
    if not allowed:
        return {}
    role = "operator" if "operator" in allowed else sorted(allowed)[0]
    return {"Authorization": f"Bearer {api.tokens[role]}"}


def _fuzzer(api: Api, operation: Any, seen: Counter[int]) -> Any:
    headers = _headers(api, operation.method, operation.path)

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        response = case.call_and_validate(base_url=api.base, headers=headers, checks=CHECKS)
        seen[response.status_code] += 1

    return call


def test_no_server_errors_and_answers_match_the_document(seeded: Api) -> None:
    schema = schemathesis.openapi.from_url(f"{seeded.base}/openapi.json")
    failures: list[str] = []
    seen: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    fuzzed = {(o.method.upper(), o.path) for o in operations}
    assert set(EXPECTED) <= fuzzed, set(EXPECTED) - fuzzed
    for operation in operations:
        try:
            _fuzzer(seeded, operation, seen)()
        except Exception as exc:  # every operation is fuzzed; all failures are shown
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached the handlers: accepted, refused and unknown answers, never "who are you".
    assert seen[200] and seen[422] and seen[404], seen
    assert not seen[401] and not seen[403], seen
