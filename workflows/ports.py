"""The small protocols the lifecycle uses: the rules it asks, the store it writes, its clock.

`engine` and `storage` implement these without importing each other; `starcert` wires them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from workflows.model import (
    Application,
    Audit,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    ScoreSheet,
    StarLevel,
    State,
)

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


class RulesPort(Protocol):
    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> ApplicationVerdict: ...

    def score(self, sheet: ScoreSheet, as_of: date) -> ScoreVerdict: ...

    def terms(self, as_of: date) -> LifecycleTerms: ...


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


class ApplicationRepository(Protocol):
    def add(self, application: Application) -> Application: ...
    def get(self, application_id: int) -> Application: ...


class AuditRepository(Protocol):
    def add(self, audit: Audit) -> Audit: ...
    def for_case(self, case_id: int) -> Sequence[Audit]: ...


class CaseRepository(Protocol):
    def add(self, case: Case) -> Case: ...
    def get(self, case_id: int) -> Case: ...
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
    def open_for_case(self, case_id: int) -> Sequence[Deadline]: ...
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
    def last(self, case_id: int) -> Event | None: ...
    def for_case(self, case_id: int) -> Sequence[Event]: ...
    def all_case_ids(self) -> Iterator[int]: ...


class UnitOfWork(Protocol):
    organisations: OrganisationRepository
    applications: ApplicationRepository
    audits: AuditRepository
    cases: CaseRepository
    deadlines: DeadlineRepository
    events: EventLog

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
