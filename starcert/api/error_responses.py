"""Every error the API answers with: JSON `{code, message, field, ...}` and a fitting status.

Codes are stable (clients branch on them); messages are for people. Domain errors map as:
InvalidInput and engine fact errors → 422 invalid_input (field named); IllegalTransition → 409
illegal_transition (state, allowed triggers and the endpoint of each, TRIGGER_ENDPOINTS);
ConcurrencyConflict → 409 version_conflict;
NotFound → 404 not_found. Anything unexpected is a 500 internal_error without details.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.rule_errors import EngineError, FactError, NotInForce
from workflows.errors import (
    ConcurrencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    SchemaMismatch,
    StarcertError,
    StorageError,
)

log = logging.getLogger("starcert.api")


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    field: str | None = None
    state: str | None = None
    allowed: list[str] | None = None
    problems: list[str] | None = None  # a refused rule file: each problem as `name:line: ...`
    endpoints: dict[str, str | None] | None = None
    """For each allowed trigger, the request that fires it; null: only the daemon fires it."""


class ApiError(Exception):
    """An error a route raises on purpose, already in its public form."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(code=code, message=message, field=field, **extra)
        self.headers = headers


def error_response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "no valid token"),
        (403, "the token's role may not do this"),
        (404, "not found"),
        (409, "illegal transition or version conflict"),
        (413, "body too large"),
        (422, "invalid input; `field` names it"),
        (429, "too many requests; see Retry-After"),
    )
}
"""Declared on every route so the OpenAPI document describes the errors it really returns."""


def _location(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
    field = _location(first.get("loc", ()))
    kind = first.get("type", "")
    if kind == "json_invalid":
        ctx: Any = first.get("ctx") or {}
        message = f"malformed JSON: {ctx.get('error', first.get('msg'))}"
        field = "body"
    elif kind == "extra_forbidden":
        message = f"unknown field {field!r}"
    elif kind == "missing":
        message = f"{field} is required"
    else:
        message = f"{field}: {first.get('msg', 'invalid')}"
    more = len(errors) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return error_response(422, ErrorBody(code="invalid_input", message=message, field=field))


def _domain(request: Request, exc: Exception) -> JSONResponse:
    if _database_failed(exc):
        return _unexpected(request, exc)
    status, body = describe(exc, request.path_params.get("case_id"))
    return error_response(status, body)


def _database_failed(exc: Exception) -> bool:
    """The database failed (not a lost race, not a schema to upgrade): an internal error."""
    return isinstance(exc, StorageError) and not isinstance(
        exc, (ConcurrencyConflict, SchemaMismatch)
    )


TRIGGER_ENDPOINTS: dict[str, str] = {
    "accept_application": "POST /api/cases/{case_id}/review",
    "refuse_application": "POST /api/cases/{case_id}/review",
    "complete_stage1": "POST /api/cases/{case_id}/audits (kind stage1)",
    "record_stage2": "POST /api/cases/{case_id}/audits (kind stage2)",
    "certify": "POST /api/cases/{case_id}/decide",
    "refuse_certification": "POST /api/cases/{case_id}/decide",
    "surveil": "POST /api/cases/{case_id}/audits (kind surveillance)",
    "fail_surveillance": "POST /api/cases/{case_id}/audits (kind surveillance)",
    "suspend": "POST /api/cases/{case_id}/suspend",
    "restore": "POST /api/cases/{case_id}/restore",
    "withdraw": "POST /api/cases/{case_id}/withdraw",
    "recertify": "POST /api/cases/{case_id}/audits (kind recertification)",
    "restore_after_expiry": "POST /api/cases/{case_id}/audits (kind recertification)",
    "cancel": "POST /api/cases/{case_id}/cancel",
    "expire": "POST /api/cases/{case_id}/expire",
    "note_audit": "POST /api/cases/{case_id}/audits (kind special)",
    "request_scope_extension": "POST /api/cases/{case_id}/scope-extension-request",
    "extend_scope": "POST /api/cases/{case_id}/extend-scope",
    "reduce_scope": "POST /api/cases/{case_id}/reduce-scope",
    "change_holder": "POST /api/cases/{case_id}/holder",
    "transfer_in": "POST /api/cases/{case_id}/transfer-in",
}
"""Trigger → the request that fires it; a trigger not here only the daemon fires."""


def _endpoint(trigger: str, case_id: object) -> str | None:
    endpoint = TRIGGER_ENDPOINTS.get(trigger)
    if endpoint is None:
        return None
    return endpoint.format(case_id="{case_id}" if case_id is None else case_id)


def describe(exc: Exception, case_id: object = None) -> tuple[int, ErrorBody]:
    """The status and public body for a starcert error (the console shows the same); a failed
    database is raised on, to be answered as any internal error. `case_id`: the case the request
    named, filled into the endpoints a refused transition offers."""
    if _database_failed(exc):
        raise exc
    if isinstance(exc, InvalidInput):
        return 422, ErrorBody(code="invalid_input", message=str(exc), field=exc.field)
    if isinstance(exc, FactError):  # the engine's fact score_sheet.* is the request's sheet.*
        field = re.sub(r"^score_sheet\.", "sheet.", exc.fact)
        return 422, ErrorBody(code="invalid_input", message=f"{field}: {exc.message}", field=field)
    if isinstance(exc, IllegalTransition):
        return 409, ErrorBody(
            code="illegal_transition",
            message=str(exc),
            state=exc.state,
            allowed=list(exc.allowed),
            endpoints={t: _endpoint(t, case_id) for t in exc.allowed},
        )
    if isinstance(exc, ConcurrencyConflict):
        return 409, ErrorBody(
            code="version_conflict", message=f"{exc} (another change landed first; reload)"
        )
    if isinstance(exc, NotInForce):
        return 422, ErrorBody(code="rules_not_in_force", message=str(exc))
    if isinstance(exc, NotFound):
        return 404, ErrorBody(code="not_found", message=str(exc) or "not found")
    if isinstance(exc, EngineError):
        return 422, ErrorBody(code="rules_error", message=str(exc))
    if isinstance(exc, StarcertError):
        return 422, ErrorBody(code="refused", message=str(exc))
    raise TypeError(f"not a starcert error: {exc!r}")


def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.body, exc.headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(
        exc.status_code,
        ErrorBody(code=code, message=str(exc.detail)),
        dict(exc.headers) if exc.headers else None,
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, ErrorBody(code="internal_error", message="internal error; it has been logged")
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarcertError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
