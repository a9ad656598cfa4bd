"""The console's certificate-change forms: which the case page offers, what each posts, and
the certificate's versions it lists. The route is starcert.web.console_changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from starcert.accounts import Principal, Role
from workflows import commands as c
from workflows.certificate_versions import CertificateVersion, versions
from workflows.errors import InvalidInput
from workflows.why import why

if TYPE_CHECKING:
    from starcert.app import App

CHANGES: dict[str, str] = {
    "request_scope_extension": "request-extension",
    "extend_scope": "extend-scope",
    "reduce_scope": "reduce-scope",
    "change_holder": "holder",
    "transfer_in": "transfer-in",
}
"""The change triggers the console offers, by the form (and path) that fires each."""


def offered(principal: Principal, allowed: Iterable[str]) -> list[str]:
    """The change forms an operator gets for the triggers allowed now (nobody else gets any)."""
    if principal.role is not Role.OPERATOR:
        return []
    return [CHANGES[t] for t in allowed if t in CHANGES]


def versions_of(application: App, case_id: int) -> list[CertificateVersion]:
    """The case's certificate versions, oldest first, as the page lists them."""
    with application.uow() as uow:
        events = uow.events.for_case(case_id)
    return versions(events)


def _given(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInput(name, why("must not be empty"))
    return value


def command(change: str, form: Mapping[str, str], by: str) -> Callable[[int], c.Command]:
    """The command a change form asks for; a missing field is named before anything runs."""
    from starcert.inputs import parse_date

    if change == "request-extension":
        scope = _given(form, "scope")
        return lambda cid: c.RequestScopeExtension(cid, scope, by)
    if change == "extend-scope":
        return lambda cid: c.ExtendScope(cid, by)
    if change == "reduce-scope":
        scope, reason = _given(form, "scope"), _given(form, "reason")
        return lambda cid: c.ReduceScope(cid, scope, reason, by)
    if change == "holder":
        holder, code = _given(form, "holder"), _given(form, "credit_code")
        address = form.get("address", "").strip() or None
        return lambda cid: c.ChangeHolder(cid, holder, code, by, address=address)
    if change == "transfer-in":
        count = form.get("surveillances", "0").strip() or "0"
        if not count.isdigit() or len(count) > 2:
            said = why("{count!r} is not a count of 0 to 10", count=count[:20])
            raise InvalidInput("surveillances", said)
        last = form.get("last_surveillance_on", "").strip()
        transfer = c.TransferIn(
            case_id=0,
            previous_body=_given(form, "previous_body"),
            previous_number=_given(form, "previous_number"),
            previous_status=form.get("previous_status", "active"),
            decided_on=parse_date(_given(form, "decided_on"), "decided_on"),
            expires_on=parse_date(_given(form, "expires_on"), "expires_on"),
            star_level=_given(form, "star_level"),
            by=by,
            surveillances=int(count),
            last_surveillance_on=parse_date(last, "last_surveillance_on") if last else None,
        )
        return lambda cid: _on_case(transfer, cid)
    raise InvalidInput("change", why("unknown change {change!r}", change=change[:40]))


def _on_case(transfer: c.TransferIn, case_id: int) -> c.TransferIn:
    from dataclasses import replace

    return replace(transfer, case_id=case_id)
