"""The public query, as the national platform and IAF CertSearch offer it: certificates found by
number, by a part of the holder's name or by the holder's unified social credit code, one page
at a time, with public fields only (no organisation, contact, score, finding or case id).

The same answer feeds the JSON API (`GET /public/certificates`) and the page (`/certificates`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from starcert import views
from starcert.api.operations import SCHEME_NAME, checked_number
from starcert.api.schemas import PublicStatus
from workflows.certificate_versions import split_version, versioned_number
from workflows.credit_code import validate_credit_code
from workflows.deadlines import due_day, local_day
from workflows.errors import InvalidInput
from workflows.model import StarLevel, State
from workflows.read_ports import PublicLookups, PublicRecord

PAGE_SIZE = 20
MAX_PAGES = 10
"""At most 200 certificates for one query: enough to find one's own, not to copy the register."""
HOLDER_MIN, HOLDER_MAX = 2, 100
Key = Literal["number", "holder", "credit_code"]


class CertificateFound(BaseModel):
    """One certificate as the public sees it. `status_since`: the first day of its status;
    `next_surveillance_due`: the last day its next surveillance may take place (active only)."""

    model_config = ConfigDict(extra="forbid")

    certificate_number: str
    certification_status: PublicStatus
    status_since: date | None
    certified_entity_name: str
    certification_scope: str
    star_level: StarLevel | None
    certification_issue_date: date | None
    certification_expiry_date: date | None
    last_surveillance_date: date | None
    next_surveillance_due: date | None
    surveillance_overdue: bool
    scheme_name: str


class CertificateQuery(BaseModel):
    """One page of what a query found; `total` counts them all, `pages` only those served."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    value: str
    items: list[CertificateFound]
    total: int
    page: int
    page_size: int
    pages: int
    note: str | None = None


def checked_query(
    number: str | None, holder: str | None, credit_code: str | None
) -> tuple[Key, str]:
    """The one key asked (stripped, in the form it is stored), or refused naming the field."""
    asked: tuple[tuple[Key, str | None], ...] = (
        ("number", number),
        ("holder", holder),
        ("credit_code", credit_code),
    )
    given = [(key, value.strip()) for key, value in asked if value is not None and value.strip()]
    if len(given) != 1:
        names = ", ".join(k for k, _ in given) or "none"
        raise InvalidInput(
            "query", f"give exactly one of number, holder, credit_code (given: {names})"
        )
    key, value = given[0]
    if key == "number":
        return key, checked_number(value)
    if key == "credit_code":
        return key, validate_credit_code(value)
    if not HOLDER_MIN <= len(value) <= HOLDER_MAX:
        raise InvalidInput(
            "holder",
            f"give {HOLDER_MIN} to {HOLDER_MAX} characters of the holder's name, got {len(value)}",
        )
    return key, value


def query(
    lookups: PublicLookups,
    key: Key,
    value: str,
    page: int,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> CertificateQuery:
    """Page `page` (1-based, at most MAX_PAGES) of the certificates the checked key finds."""
    if not 1 <= page <= MAX_PAGES:
        raise InvalidInput("page", f"must be 1 to {MAX_PAGES}, got {page}")
    searched, asked_version = split_version(value) if key == "number" else (value, None)
    records, total = lookups.search(
        **{key: searched},
        states=list(views.PUBLIC_STATUS),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    note = None
    if key == "number" and not records:
        replaced = lookups.replaced_number(searched)
        if replaced is not None and replaced.current is not None:
            when = f" on {replaced.replaced_on}" if replaced.replaced_on else ""
            note = f"certificate {value} was replaced{when} by its renewal, {replaced.current}"
    if asked_version is not None and records:
        c = records[0].certificate
        if asked_version != c.amendments:
            current = versioned_number(c.number, c.amendments)
            note = (
                f"certificate {value} was superseded by version {current}, shown here"
                if asked_version < c.amendments
                else f"the certificate has no version {value}; its latest, {current}, is shown"
            )
    served = min(total, PAGE_SIZE * MAX_PAGES)
    return CertificateQuery(
        key=key,
        value=value,
        items=[_found(r, now, zone) for r in records],
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        pages=-(-served // PAGE_SIZE),
        note=note,
    )


def _found(record: PublicRecord, now: datetime, zone: ZoneInfo) -> CertificateFound:
    c = record.certificate
    due = record.surveillance_due_at if c.state is State.ACTIVE else None
    return CertificateFound(
        certificate_number=versioned_number(c.number, c.amendments) or c.number,
        certification_status=views.PUBLIC_STATUS[c.state],  # type: ignore[arg-type]
        status_since=_since(record, zone),
        certified_entity_name=c.holder,
        certification_scope=c.scope,
        star_level=c.star_level,
        certification_issue_date=c.issued_on,
        certification_expiry_date=c.expires_on,
        last_surveillance_date=c.last_surveillance_on,
        next_surveillance_due=None if due is None else due_day(due, zone),
        surveillance_overdue=due is not None and now >= due,
        scheme_name=SCHEME_NAME,
    )


def _since(record: PublicRecord, zone: ZoneInfo) -> date | None:
    """The first day of the certificate's status: its suspension's or expiry's domain date,
    else the day the event that put it there took effect."""
    c = record.certificate
    if c.state is State.SUSPENDED and record.suspended_on is not None:
        return record.suspended_on
    if c.state is State.EXPIRED and c.expires_on is not None:
        return c.expires_on + timedelta(days=1)
    if record.status_effective_on is not None:
        return record.status_effective_on
    if record.status_entered_at is not None:
        return local_day(record.status_entered_at, zone)
    return c.issued_on
