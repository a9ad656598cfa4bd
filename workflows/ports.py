"""The small protocols the lifecycle uses: the rules it asks, the store it writes, its clock.

`engine` and `storage` implement these without importing each other; `starcert` wires them.
Long because every port the domain declares is listed here, one small protocol each, so that a
backend's author reads in one place all a storage must serve.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from workflows.findings import Finding
from workflows.model import (
    Application,
    Audit,
    Case,
    ChainHead,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    ScoreSheet,
    StarLevel,
    State,
)

if TYPE_CHECKING:
    from workflows.assignments import Assignment
    from workflows.auditors import Auditor, AuditorChange

# --- rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStamp:
    """Which published rule set made a decision."""

    version: str
    content_hash: str


@dataclass(frozen=True)
class ApplicationVerdict:
    eligible: bool
    failures: tuple[str, ...]  # one message per failed prerequisite or running-time rule
    earliest_application: date | None  # first date the running-time rule allows
    rules: RuleStamp


@dataclass(frozen=True)
class ScoreVerdict:
    passed: bool  # False below 70 or with 5+ special deductions
    final_score: Decimal
    star_level: StarLevel | None  # None when not passed
    reasons: tuple[str, ...]
    rules: RuleStamp


@dataclass(frozen=True)
class LifecycleTerms:
    """The lifecycle numbers of the rule set in force; months are calendar months."""

    validity_months: int
    first_surveillance_months: int  # first surveillance due this long after the decision
    surveillance_interval_months: int  # later ones at most this far apart
    surveillance_window_months: int  # the window opens this long before a surveillance is due
    suspension_limit_months: int
    recert_reminder_months: int  # reminder this long before expiry
    restoration_after_expiry_months: int  # 0 = no restoration after expiry
    rules: RuleStamp
    # The rule file's correction periods of audit findings, in days (workflows.findings), and
    # the indicators a finding may concern (empty: any); a rules double may leave them be.
    major_correction_days: int = 90
    minor_plan_days: int = 30
    indicators: tuple[str, ...] = ()


class RulesPort(Protocol):
    """The rules in force on a date; each method raises LookupError when none is that day, and
    ValueError (with `.fact` and `.message`) for a fact the rules cannot decide on."""

    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> ApplicationVerdict: ...

    def score(self, sheet: ScoreSheet, as_of: date) -> ScoreVerdict: ...

    def terms(self, as_of: date) -> LifecycleTerms: ...

    def effective_dates(self) -> Sequence[date]:
        """Every version's effective date, ascending (published ones only, where published)."""
        ...


# --- clock -------------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...


# --- storage -----------------------------------------------------------------------------------


class OrganisationRepository(Protocol):
    def add(self, organisation: Organisation) -> Organisation: ...
    def get(self, organisation_id: int) -> Organisation: ...
    def by_credit_code(self, credit_code: str) -> Organisation | None: ...
    def set_contact_email(self, organisation_id: int, email: str | None) -> Organisation:
        """Store an address checked by workflows.contact_email (None: no contact)."""
        ...


class ApplicationRepository(Protocol):
    def add(self, application: Application) -> Application: ...
    def get(self, application_id: int) -> Application: ...


class AuditRepository(Protocol):
    def add(self, audit: Audit) -> Audit: ...
    def for_case(self, case_id: int) -> Sequence[Audit]: ...
    def latest_date(self, case_id: int) -> date | None:
        """The date of the case's latest audit (what a new audit may not precede), or None."""
        ...


class FindingRepository(Protocol):
    def add(self, finding: Finding) -> Finding:
        """Store a new finding (its id given here); (case, number) is unique."""
        ...

    def save(self, finding: Finding) -> None:
        """Replace the stored finding of `finding.id` (the case's version check guards it)."""
        ...

    def for_case(self, case_id: int) -> Sequence[Finding]:
        """The case's findings by number."""
        ...


class CaseRepository(Protocol):
    def add(self, case: Case) -> Case: ...
    def get(self, case_id: int) -> Case: ...
    def read_ahead(self, case_ids: Collection[int]) -> None:
        """A hint: these cases and their deadlines are read next in this transaction (a batch
        of firings); a backend may read them all at once. Reads stay as without it."""
        ...

    def by_number(self, number: str) -> Case: ...
    def save(self, case: Case) -> None:
        """Write `case` if its stored version is still `case.version`, then bump the version.

        Raises ConcurrencyConflict when another writer got there first.
        """
        ...

    def list(
        self,
        *,
        state: State | None = None,
        star_level: StarLevel | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Case]: ...


class DeadlineRepository(Protocol):
    def add(self, deadline: Deadline) -> Deadline: ...
    def add_many(self, deadlines: Sequence[Deadline]) -> Sequence[Deadline]:
        """Add several deadlines in one go (one statement where the backend allows), in order."""
        ...

    def open_for_case(self, case_id: int) -> Sequence[Deadline]: ...
    def done_for_case(self, case_id: int) -> Sequence[Deadline]: ...
    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int: ...
    def mark_done(self, deadline_id: int, at: datetime) -> None: ...
    def due(self, now: datetime, limit: int) -> Sequence[Deadline]: ...
    def claim_due(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]: ...
    def overdue_case_ids(self, now: datetime) -> Sequence[int]: ...
    def get(self, deadline_id: int) -> Deadline: ...
    def release(self, deadline_id: int, worker: str) -> None:
        """Give a claimed row back (lease cleared) so the next tick re-evaluates it."""
        ...

    def record_failure(self, deadline_id: int, error: str, retry_at: datetime) -> None:
        """Count a failed firing, keep its error, and lease the row until `retry_at` (back-off)."""
        ...

    def next_due_at(self) -> datetime | None: ...
    def incidents(self) -> Sequence[Deadline]:
        """Open rows whose last firing failed."""
        ...


class EventLog(Protocol):
    def append(self, event: Event) -> Event: ...
    def head(self, case_id: int) -> ChainHead | None:
        """The case's newest event's seq and hash (None before its first event)."""
        ...

    def for_case(self, case_id: int) -> Sequence[Event]: ...
    def last(self, case_id: int) -> Event | None:
        """The case's newest event (None before its first)."""
        ...

    def all_case_ids(self) -> Iterator[int]: ...


@dataclass(frozen=True)
class Notification:
    """An outbox message (a reminder to deliver), written in the transaction that causes it.

    Delivered at least once; receivers deduplicate on `id` (sent as the idempotency key).
    """

    id: int | None
    case_id: int | None
    kind: str
    channel: str
    payload: Mapping[str, Any]
    created_at: datetime
    deliver_after: datetime
    attempts: int = 0
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    delivered_at: datetime | None = None


class NotificationOutbox(Protocol):
    def add(self, notification: Notification) -> Notification: ...
    def claim_pending(
        self,
        now: datetime,
        worker: str,
        lease_until: datetime,
        limit: int,
        max_attempts: int,
        channel: str | None = None,
    ) -> Sequence[Notification]:
        """Lease undelivered messages whose time has come, whose lease is free and that have
        failed fewer than `max_attempts` times, oldest first (of `channel` only, if given)."""
        ...

    def mark_delivered(self, notification_id: int, at: datetime) -> None: ...
    def record_failure(self, notification_id: int, error: str, retry_at: datetime) -> None: ...
    def pending(self, limit: int) -> Sequence[Notification]: ...
    def for_case(self, case_id: int) -> Sequence[Notification]: ...


ROLES = ("operator", "auditor", "rule_author", "viewer", "admin")
"""API account roles: operator (cases and lifecycle), auditor (records audits), rule_author
(publishes rules), viewer (reads), admin (manages accounts). Every role reads."""


@dataclass(frozen=True)
class Account:
    """An API account; its token is kept only as a hash, and a revoked account stays on record."""

    id: int | None
    name: str
    role: str  # one of ROLES
    token_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    created_by_os_user: str | None = None  # the host account that ran the CLI; None over the API
    revoked_by_os_user: str | None = None


class AccountRepository(Protocol):
    def add(self, account: Account) -> Account: ...
    def by_name(self, name: str) -> Account | None: ...
    def by_token_hash(self, token_hash: str) -> Account | None:
        """The live (not revoked) account holding this token hash, if any."""
        ...

    def revoke(self, name: str, at: datetime, by: str, os_user: str | None = None) -> Account: ...
    def list(self) -> Sequence[Account]: ...


@dataclass(frozen=True)
class PublishedRules:
    """One published rule set version, stored immutably; the database copy is the truth."""

    id: int | None
    ruleset: str
    version: str
    content_hash: str  # sha256 of `content` (UTF-8)
    content: str  # the rule file exactly as published
    source_name: str
    effective_from: date  # the published effective date governs, not the file's own
    published_at: datetime
    published_by: str
    backdate_reason: str | None = None
    published_by_os_user: str | None = None  # the host account that ran the CLI; None over the API


class RuleVersionRepository(Protocol):
    def add(self, published: PublishedRules) -> PublishedRules:
        """Store a new version after the latest one of its rule set, or refuse (InvalidInput).

        Refused when (ruleset, version) exists, or when its version or effective date does not
        come after the latest stored version's; checked and written in the caller's transaction
        with concurrent publishers kept apart, so versions are stored in order or not at all.
        """
        ...

    def list(self, ruleset: str | None = None, *, after_id: int = 0) -> Sequence[PublishedRules]:
        """Oldest first (by id, which is also version order within a rule set)."""
        ...

    def get(self, ruleset: str, version: str) -> PublishedRules: ...
    def latest_id(self) -> int:
        """The highest id stored (0 when none): a cheap "anything new?" probe."""
        ...


class AuditorRegister(Protocol):
    """The auditor register (workflows.auditors); each call its own short transaction."""

    def add(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        """Store a new auditor (id given here) and its first history entry."""
        ...

    def save(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        """Replace the record if still at `auditor.version` (else ConcurrencyConflict), bump
        the version and append `change` to its history."""
        ...

    def get(self, auditor_id: int) -> Auditor: ...
    def by_registration(self, registration: str) -> Auditor | None: ...
    def list(self) -> Sequence[Auditor]:
        """Every auditor, by id."""
        ...

    def history(self, auditor_id: int) -> Sequence[AuditorChange]:
        """Oldest first."""
        ...

    def missing_organisations(self, ids: Iterable[int]) -> frozenset[int]:
        """Which of `ids` no organisation has."""
        ...


class AssignmentStore(Protocol):
    """Audit assignments (workflows.assignments); each call its own short transaction."""

    def add(self, assignment: Assignment) -> Assignment:
        """Store `assignment` (id given here); if it `replaces` one, mark that one replaced by
        it in the same transaction, or raise ConcurrencyConflict when another accept already
        replaced it."""
        ...

    def for_case(self, case_id: int) -> Sequence[Assignment]:
        """Every assignment of the case, replaced ones too, oldest first."""
        ...

    def current(self) -> Sequence[Assignment]:
        """Every assignment not replaced, by id."""
        ...


class WarningLog(Protocol):
    """The warnings sent (workflows.planning_warnings), each once."""

    def warn_once(self, key: str, text: str, message: Notification) -> bool:
        """In one transaction: note `key` as warned and put `message` in the outbox, unless
        `key` was warned before (then nothing is written and the answer is False)."""
        ...

    def sent(self) -> Sequence[tuple[str, str, datetime]]:
        """Every warning sent: key, text and when, oldest first."""
        ...


class UnitOfWork(Protocol):
    @property
    def organisations(self) -> OrganisationRepository: ...
    @property
    def applications(self) -> ApplicationRepository: ...
    @property
    def audits(self) -> AuditRepository: ...
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def deadlines(self) -> DeadlineRepository: ...
    @property
    def events(self) -> EventLog: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def notifications(self) -> NotificationOutbox: ...
    @property
    def rule_versions(self) -> RuleVersionRepository: ...
    @property
    def findings(self) -> FindingRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back anything not committed."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def savepoint(self) -> AbstractContextManager[None]:
        """`with uow.savepoint(): ...`: the block's writes (and what the unit of work learnt in
        it) are undone alone if it raises, kept for the commit if it does not. Several deadline
        firings share one commit this way, each undone by itself when it fails."""
        ...
