"""What operators (and the scheduler) ask the lifecycle to do: frozen, imperative, one per intent.

Every command names who asks (`by`). The service validates each field before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.findings import Severity
from workflows.model import PrerequisiteFacts, ScoreSheet, StarLevel, SuspensionCause


@dataclass(frozen=True)
class RegisterOrganisation:
    name: str
    credit_code: str
    by: str
    contact_email: str | None = None


@dataclass(frozen=True)
class SubmitApplication:
    organisation_id: int
    submitted_on: date
    service_system_since: date
    scope: str
    facts: PrerequisiteFacts
    by: str
    area: str | None = None  # checked against the body's list by the caller (config)
    personnel: int | None = None  # effective personnel (full-time equivalents)
    sites: int | None = None


@dataclass(frozen=True)
class ReviewApplication:
    """Accept or refuse by the rules' verdict; the refusal records every failure."""

    case_id: int
    by: str


@dataclass(frozen=True)
class RecordStage1:
    case_id: int
    audit_date: date
    auditor: str
    by: str


@dataclass(frozen=True)
class RecordStage2:
    case_id: int
    audit_date: date
    auditor: str
    sheet: ScoreSheet
    by: str


@dataclass(frozen=True)
class Decide:
    """Certify or refuse by the latest stage 2 score, decided on `on` (None: today)."""

    case_id: int
    by: str
    on: date | None = None  # the day it was decided


@dataclass(frozen=True)
class RecordSurveillance:
    """Re-band or suspend an active certificate; on a suspended one, record the audit only."""

    case_id: int
    audit_date: date
    auditor: str
    sheet: ScoreSheet
    by: str


@dataclass(frozen=True)
class Suspend:
    case_id: int
    cause: SuspensionCause
    reason: str
    by: str
    on: date | None = None  # the day it happened (None: today)


@dataclass(frozen=True)
class Restore:
    case_id: int
    reason: str
    by: str
    on: date | None = None  # the day it happened (None: today)


@dataclass(frozen=True)
class Withdraw:
    case_id: int
    reason: str
    by: str
    on: date | None = None  # the day it happened (None: today)


@dataclass(frozen=True)
class Cancel:
    """The client cancels its application or certificate."""

    case_id: int
    reason: str
    by: str
    on: date | None = None  # the day it happened (None: today)


@dataclass(frozen=True)
class RecordRecertification:
    """Renew an active certificate, or restore an expired one within the allowance."""

    case_id: int
    audit_date: date
    auditor: str
    sheet: ScoreSheet
    by: str


@dataclass(frozen=True)
class RecordSpecialAudit:
    """Put a special audit (complaint investigation, short notice, follow-up) on the record.

    It changes no state: what it finds is for the operator to act on (suspend, restore). A sheet,
    when the audit scored one, is scored and its verdict kept in the event.
    """

    case_id: int
    audit_date: date
    auditor: str
    sheet: ScoreSheet | None
    by: str


@dataclass(frozen=True)
class Expire:
    case_id: int
    by: str


@dataclass(frozen=True)
class FireDeadline:
    """Fire one due deadline against the case's current state.

    Carries the case id because DeadlineRepository has no lookup by deadline id; the scheduler
    has both from the claimed row.
    """

    deadline_id: int
    case_id: int
    by: str = "scheduler"


@dataclass(frozen=True)
class RecomputeDeadlines:
    """Move a certificate's open deadlines to the lifecycle numbers of the rule version taking
    effect on `effective_from` (only those due from that day on)."""

    case_id: int
    effective_from: date
    by: str = "rules"


@dataclass(frozen=True)
class RecordFinding:
    """An auditor's finding on one of the case's audits (workflows.findings)."""

    case_id: int
    audit_id: int
    severity: Severity
    indicator: str
    evidence: str
    by: str
    on: date | None = None  # the day the finding was made (None: today)


@dataclass(frozen=True)
class RespondToFinding:
    """The client's response to finding `number` of the case, dated when the client gave it."""

    case_id: int
    number: int
    cause: str
    correction: str
    corrective_action: str
    responded_on: date
    by: str

    @property
    def on(self) -> date:
        """The day the step is dated: the response's own day."""
        return self.responded_on


@dataclass(frozen=True)
class CloseFinding:
    """An auditor verified the response (an observation needs none) and closes the finding."""

    case_id: int
    number: int
    by: str
    on: date | None = None  # the day it was verified and closed (None: today)


@dataclass(frozen=True)
class RejectFindingResponse:
    """An auditor rejects the response: the finding is open again, awaiting another."""

    case_id: int
    number: int
    reason: str
    by: str
    on: date | None = None  # the day the response was rejected (None: today)


@dataclass(frozen=True)
class RequestScopeExtension:
    """The client asks for a wider scope; a special audit and `ExtendScope` decide it."""

    case_id: int
    scope: str
    by: str


@dataclass(frozen=True)
class ExtendScope:
    """Grant the requested scope once a special audit after the request has its findings closed."""

    case_id: int
    by: str


@dataclass(frozen=True)
class ReduceScope:
    case_id: int
    scope: str
    reason: str
    by: str


@dataclass(frozen=True)
class ChangeHolder:
    """A new name or address of the same legal entity: `credit_code` must be the holder's."""

    case_id: int
    holder: str
    credit_code: str
    by: str
    address: str | None = None


@dataclass(frozen=True)
class TransferIn:
    """Issue our certificate for another body's (IAF MD 2); its expiry and cycle dates stay."""

    case_id: int
    previous_body: str
    previous_number: str
    previous_status: str  # as the previous body shows it: only an active one transfers
    decided_on: date  # the certification decision of the cycle being transferred
    expires_on: date
    star_level: StarLevel | str
    by: str
    surveillances: int = 0  # surveillances done in that cycle
    last_surveillance_on: date | None = None


Command = (
    RegisterOrganisation
    | SubmitApplication
    | ReviewApplication
    | RecordStage1
    | RecordStage2
    | Decide
    | RecordSurveillance
    | Suspend
    | Restore
    | Withdraw
    | Cancel
    | RecordRecertification
    | RecordSpecialAudit
    | Expire
    | FireDeadline
    | RecomputeDeadlines
    | RecordFinding
    | RespondToFinding
    | CloseFinding
    | RejectFindingResponse
    | RequestScopeExtension
    | ExtendScope
    | ReduceScope
    | ChangeHolder
    | TransferIn
)
