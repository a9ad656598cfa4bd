"""Request and response bodies. Requests forbid unknown fields; flags, ids and counts must be
JSON booleans and integers, dates `YYYY-MM-DD` text; points may be numbers or exact decimal text.

Decimals travel as exact strings in responses (never floats); dates are ISO `YYYY-MM-DD`,
instants ISO 8601 with their UTC offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from workflows.findings import FindingStatus, Severity
from workflows.model import AuditKind, StarLevel, State, SuspensionCause

Text = Annotated[StrictStr, Field(min_length=1, max_length=500)]
Reason = Annotated[StrictStr, Field(min_length=1, max_length=2000)]
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]
Version = Annotated[
    StrictInt | None,
    Field(
        ge=0,
        le=2**62,
        description="the case version the caller saw; a different stored version is a 409",
    ),
]
Points = Annotated[Decimal, Field(allow_inf_nan=False, ge=-1000, le=1000)]


def _iso_day(value: Any) -> Any:
    """Only `YYYY-MM-DD` text is a date here: not a timestamp number, not a date and time."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date YYYY-MM-DD")
    if not isinstance(value, str | date) or isinstance(value, datetime):
        raise ValueError("expected a date YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------------


ContactEmail = Annotated[StrictStr | None, Field(max_length=320)]


class OrganisationIn(_In):
    name: Text
    credit_code: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    contact_email: ContactEmail = None  # reminders before surveillance and expiry go here


class OrganisationUpdate(_In):
    contact_email: ContactEmail  # null or "" removes it


class FactsIn(_In):
    has_service_documents: StrictBool
    has_dedicated_manager: StrictBool
    has_dedicated_funds: StrictBool
    last_major_failure: Day | None = None
    has_trained_staff: StrictBool
    is_prc_legal_entity: StrictBool


class ApplicationIn(_In):
    organisation_id: Id
    submitted_on: Day
    service_system_since: Day
    scope: Text
    facts: FactsIn
    area: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    personnel: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = None
    sites: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = None


class PointsIn(_In):
    points: Points


class SampledIn(_In):
    conforming: Annotated[StrictInt, Field(ge=0, le=1_000_000)]
    sampled: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class ItemsIn(_In):
    items: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=100)], Points | PointsIn | SampledIn],
        Field(min_length=1, max_length=200),
    ]


Indicator = Points | PointsIn | SampledIn | ItemsIn


class SheetIn(_In):
    results: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=100)], Indicator],
        Field(min_length=1, max_length=200),
    ]
    excluded: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=200)
    ] = []
    special_deductions: Annotated[list[Reason], Field(max_length=100)] = []
    special_bonus: Reason | None = None


class AuditIn(_In):
    kind: AuditKind
    audit_date: Day
    auditor: Text | None = Field(default=None, description="lead auditor; default: the caller")
    sheet: SheetIn | None = Field(
        default=None,
        description="required for stage2, surveillance and recertification; none for stage1; "
        "optional for a special audit",
    )
    expected_version: Version = None


class VersionIn(_In):
    expected_version: Version = None


DatedOn = Annotated[
    Day | None,
    Field(default=None, description="the day it happened, entered late (default today)"),
]


class DecideIn(_In):
    on: DatedOn = None
    expected_version: Version = None


class ReasonIn(_In):
    reason: Reason
    on: DatedOn = None
    expected_version: Version = None


class SuspendIn(_In):
    cause: SuspensionCause
    reason: Reason
    on: DatedOn = None
    expected_version: Version = None


# --- responses -----------------------------------------------------------------------------------


class OrganisationOut(_Out):
    id: int
    name: str
    credit_code: str
    contact_email: str | None = None


class CaseOut(_Out):
    id: int
    organisation_id: int
    application_id: int
    state: State
    holder: str
    scope: str
    number: str | None
    star_level: StarLevel | None
    final_score: str | None = Field(description="exact decimal")
    decided_on: date | None
    issued_on: date | None
    expires_on: date | None
    last_surveillance_on: date | None
    suspended_on: date | None
    suspension_cause: SuspensionCause | None
    rule_version: str | None
    version: int
    surveillances: int = Field(description="passing surveillances in the current validity period")
    amendments: int = Field(description="changes to the certificate since its number was issued")
    certificate_number: str | None = Field(
        description="the number as shown on the certificate, with its version (-A1, -A2)"
    )


class CasePage(_Out):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class TriggerOut(_Out):
    trigger: str
    allowed: bool
    why: str


class DeadlineOut(_Out):
    id: int
    case_id: int
    kind: str
    due_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    done_at: datetime | None
    attempts: int
    last_error: str | None


class AuditOut(_Out):
    id: int
    case_id: int
    kind: AuditKind
    audit_date: date
    auditor: str
    sheet: dict[str, Any] | None


class EventOut(_Out):
    case_id: int
    seq: int
    at: datetime
    actor: str
    trigger: str
    from_state: State | None
    to_state: State
    reason: str | None
    rule_version: str | None
    rule_hash: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class FindingOut(_Out):
    id: int
    label: str
    number: int
    audit_id: int
    audit_date: date
    severity: Severity
    indicator: str
    evidence: str
    recorded_by: str
    recorded_on: date
    due_on: date | None
    status: FindingStatus
    cause: str | None
    correction: str | None
    corrective_action: str | None
    responded_on: date | None
    responded_by: str | None
    rejected_reason: str | None
    rejected_on: date | None
    rejected_by: str | None
    closed_on: date | None
    closed_by: str | None


class CaseDetail(_Out):
    case: CaseOut
    triggers: list[TriggerOut]
    open_deadlines: list[DeadlineOut]
    audits: list[AuditOut]
    findings: list[FindingOut] = Field(default_factory=list, description="the case's findings")


class CommandResult(_Out):
    case: CaseOut
    events: list[EventOut]
    note: str | None


class DeadlineRow(_Out):
    deadline: DeadlineOut
    certificate_number: str | None
    holder: str
    state: State


PublicStatus = Literal["active", "suspended", "withdrawn", "expired", "cancelled"]


class PublicCertificate(_Out):
    """Only public fields: nothing about scores, contacts or reasons."""

    certificate_number: str
    certification_status: PublicStatus
    certified_entity_name: str
    certification_scope: str
    star_level: StarLevel | None
    certification_issue_date: date | None
    certification_expiry_date: date | None
    last_surveillance_date: date | None
    scheme_name: str
    document: DocumentOut | None = None  # the certificate document's current version
    hash_check: HashCheckOut | None = None  # what ?hash= is the hash of


class DocumentOut(_Out):
    """A version of a certificate's printed document: its content hash is printed on it."""

    version: int
    label: str
    effective_on: date
    content_hash: str


class HashCheckOut(_Out):
    """`current`: the hash of the certificate's current document; `older`: of an earlier,
    superseded version (`version`, `label`); `none`: of no version of this certificate."""

    hash: str
    matches: Literal["current", "older", "none"]
    version: int | None
    label: str | None


class Announcement(_Out):
    date: date
    action: Literal["grant", "renewal", "suspension", "restoration", "withdrawal"]
    certificate_number: str | None
    certified_entity_name: str
    certification_scope: str
    star_level: StarLevel | None


class RegisterEntry(_Out):
    certificate_number: str
    certification_status: str
    certification_type: str
    certification_scope: str
    certification_original_issue_date: str
    certification_issue_date: str
    certification_expiry_date: str
    certified_entity_name: str
    certified_entity_unique_id: str
    scheme_name: str
    star_level: str


class RuleVersionOut(_Out):
    ruleset: str
    version: str
    title: str
    effective_from: date
    content_hash: str
    source: str
    in_force: bool


class Me(_Out):
    name: str
    role: str


class Health(_Out):
    status: Literal["ok"]
