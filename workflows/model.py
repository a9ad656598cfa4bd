"""The certification domain: what a case, an audit and a deadline are.

Pure values only: no I/O, no clock. A *case* follows one organisation from its application to the
end of its certificate; it carries the certificate fields once one is issued. Storage maps these to
rows; the lifecycle machine moves `Case.state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class State(StrEnum):
    APPLIED = "applied"  # application submitted, awaiting application review
    STAGE1 = "stage1"  # accepted: stage 1 document review
    STAGE2 = "stage2"  # stage 1 passed: stage 2 on-site audit
    DECISION = "decision"  # stage 2 scored: awaiting the certification decision
    ACTIVE = "active"  # certificate issued and valid
    SUSPENDED = "suspended"
    APPLICATION_REFUSED = "application_refused"
    NOT_CERTIFIED = "not_certified"  # decision refused (score below 70 or 5+ special deductions)
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset(
    {State.APPLICATION_REFUSED, State.NOT_CERTIFIED, State.WITHDRAWN, State.CANCELLED}
)
"""States no trigger leaves. EXPIRED is not here: a body may restore within an allowance."""
LIVE_STATES = frozenset(State) - TERMINAL_STATES - {State.EXPIRED}
"""A case still in its process: applied for, being audited or decided, or holding a certificate."""


class StarLevel(StrEnum):
    QUALIFIED = "qualified"  # 达标
    THREE = "three_star"
    FOUR = "four_star"
    FIVE = "five_star"


class AuditKind(StrEnum):
    STAGE1 = "stage1"
    STAGE2 = "stage2"
    SURVEILLANCE = "surveillance"
    RECERTIFICATION = "recertification"
    SPECIAL = "special"


class SuspensionCause(StrEnum):
    OVERDUE_SURVEILLANCE = "overdue_surveillance"
    FAILED_SURVEILLANCE = "failed_surveillance"
    SERIOUS_NONCONFORMITY = "serious_nonconformity"
    MARK_MISUSE = "mark_misuse"
    CLIENT_REQUEST = "client_request"
    UNRESOLVED_NONCONFORMITY = "unresolved_nonconformity"  # a major finding past its period


class DeadlineKind(StrEnum):
    SURVEILLANCE_WINDOW_OPENS = "surveillance_window_opens"  # reminder
    SURVEILLANCE_DUE = "surveillance_due"  # passing it unsurveilled suspends
    SUSPENSION_LIMIT = "suspension_limit"  # passing it still suspended withdraws
    RECERT_REMINDER = "recert_reminder"  # reminder
    EXPIRY = "expiry"
    RESTORATION_ALLOWANCE_ENDS = "restoration_allowance_ends"
    FINDINGS_DUE = "findings_due"  # a major finding's correction period ends (workflows.findings)


@dataclass(frozen=True)
class Organisation:
    id: int | None
    name: str
    credit_code: str  # unified social credit code, GB 32100, validated on input
    contact_email: str | None = None  # where reminders are e-mailed (workflows.contact_email)


@dataclass(frozen=True)
class PrerequisiteFacts:
    """The applicant's answers to the prerequisites; the rule files decide what they mean."""

    has_service_documents: bool
    has_dedicated_manager: bool
    has_dedicated_funds: bool
    last_major_failure: date | None  # most recent major after-sales failure, None if never
    has_trained_staff: bool
    is_prc_legal_entity: bool


@dataclass(frozen=True)
class Application:
    id: int | None
    organisation_id: int
    submitted_on: date
    service_system_since: date
    scope: str
    facts: PrerequisiteFacts
    # What the audit time and the team rules need: the professional area (of the body's list),
    # effective personnel and sites. None on applications made before they were recorded.
    area: str | None = None
    personnel: int | None = None
    sites: int | None = None


@dataclass(frozen=True)
class Sampled:
    """A sampled check: the item or indicator keeps its points in the conforming share."""

    conforming: int
    sampled: int


@dataclass(frozen=True)
class IndicatorResult:
    """Points found for one second-level indicator.

    One of: `points` (qualitative or directly scored); `conforming`/`sampled` (a sampled indicator
    loses its points in proportion to the nonconforming share); `items` (per third-level item,
    where the rule set lists items: its points, or a sample of it).
    """

    points: Decimal | None = None
    conforming: int | None = None
    sampled: int | None = None
    items: Mapping[str, Decimal | Sampled] | None = None


@dataclass(frozen=True)
class ScoreSheet:
    results: Mapping[str, IndicatorResult]
    excluded: frozenset[str] = frozenset()
    special_deductions: tuple[str, ...] = ()  # one reason per 1-point deduction
    special_bonus: str | None = None  # reason for the single bonus point, if granted


@dataclass(frozen=True)
class Audit:
    id: int | None
    case_id: int
    kind: AuditKind
    audit_date: date
    auditor: str
    sheet: ScoreSheet | None  # stage 1 may have none


@dataclass
class Case:
    """One organisation's certification, from application to the end of its certificate.

    Mutable on purpose: the lifecycle machine sets `state`; `version` is the optimistic-lock
    counter storage checks on save.
    """

    id: int | None
    organisation_id: int
    application_id: int
    state: State
    holder: str
    scope: str
    number: str | None = None
    star_level: StarLevel | None = None
    final_score: Decimal | None = None
    decided_on: date | None = None  # certification (or re-certification) decision date
    issued_on: date | None = None
    expires_on: date | None = None
    last_surveillance_on: date | None = None
    suspended_on: date | None = None
    suspension_cause: SuspensionCause | None = None
    rule_version: str | None = None  # rule set version that made the last decision
    version: int = 0
    surveillances: int = 0  # passing surveillances in the current validity period
    amendments: int = 0  # changes to the certificate since its number was issued (-A1, -A2)

    def copy(self) -> Case:
        """A copy to change (what `dataclasses.replace(case)` gives, at a fraction of its cost:
        a command copies its case a few times)."""
        twin = object.__new__(Case)
        twin.__dict__.update(self.__dict__)
        return twin


@dataclass(frozen=True)
class ChainHead:
    """A case's newest event, as far as the next one needs it: its number and its hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Deadline:
    id: int | None
    case_id: int
    kind: DeadlineKind
    due_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    done_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class Event:
    """One entry of a case's append-only audit trail, chained by hash to the one before."""

    case_id: int
    seq: int  # 1, 2, 3 ... per case
    at: datetime
    actor: str
    trigger: str
    from_state: State | None
    to_state: State
    reason: str | None
    rule_version: str | None
    rule_hash: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""


SURVEILLANCE_CAUSES = frozenset(
    {SuspensionCause.OVERDUE_SURVEILLANCE, SuspensionCause.FAILED_SURVEILLANCE}
)
"""Causes only a passing surveillance audit clears; the others are cleared by an operator."""
OPERATOR_CAUSES = tuple(c for c in SuspensionCause if c not in SURVEILLANCE_CAUSES)
"""Causes an operator suspends for; the surveillance causes come from the deadline the daemon
fires and from recording the failing audit, with the evidence that clears them."""
