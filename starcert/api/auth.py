"""Accounts, roles and tokens: who is asking, and may they.

Tokens are 256 random bits (`secrets.token_urlsafe(32)`), shown once and stored only as their
sha256: a token that high in entropy cannot be guessed from its hash, so a slow password KDF would
add latency to every request and no safety. The API reads `Authorization: Bearer <token>` only;
the console keeps server-side sessions (starcert.web.console_login) and checks a form token
on writes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from starcert.accounts import (
    READERS,
    TOKEN_PREFIX,
    Principal,
    Role,
    hash_token,
)
from starcert.api.error_responses import ApiError

if TYPE_CHECKING:
    from starcert.app import App


def principal_for(application: App, token: str | None) -> Principal | None:
    """The live account holding `token`, or None (unknown, malformed or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with application.uow() as uow:
        account = uow.accounts.by_token_hash(hash_token(token))
    if account is None:
        return None
    return Principal(account.name, Role(account.role))


def form_token(session_id: str) -> str:
    """The console's anti-CSRF form field: derived from the session id, so stateless."""
    return hmac.new(session_id.encode(), b"starcert-console-form", hashlib.sha256).hexdigest()


def application_of(request: Request) -> App:
    found: App = request.app.state.starcert
    return found


_bearer = HTTPBearer(auto_error=False, description="an API token from `starcert users add`")


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = principal_for(application_of(request), credentials.credentials)
    if principal is None:
        raise ApiError(
            401,
            "unauthenticated",
            "the token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.account = principal.name  # for the access log's line
    return principal


def authorise(principal: Principal, *roles: Role) -> Principal:
    """Refuse with 403 unless `principal` holds one of `roles`."""
    if principal.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        raise ApiError(
            403,
            "forbidden",
            f"account {principal.name!r} is a {principal.role.value}; this needs {wanted}",
        )
    return principal


def require(*roles: Role) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller, if they hold one of `roles` (401/403 otherwise)."""

    def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        return authorise(principal, *roles)

    return dependency


Reader = Annotated[Principal, Depends(require(*READERS))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Auditor = Annotated[Principal, Depends(require(Role.AUDITOR))]
RuleAuthor = Annotated[Principal, Depends(require(Role.RULE_AUTHOR))]
"""Route parameter types: `def publish(..., who: RuleAuthor)` admits rule authors only."""
