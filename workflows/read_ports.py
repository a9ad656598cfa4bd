"""What starcert reads beyond the repositories, as both storage backends serve it.

`RegisterReads` (case search, feeds, the register) is read inside a unit of work
(`ReadingUnitOfWork.reads`); `PublicLookups` is the public verification's hot path, on a handle
of its own; `DatabaseReads` answers the operator's views of the whole database (daemon status,
simulation summary, what a new rule version would change), each call a read of committed rows. `HeartbeatLog` keeps what
each daemon last said. SQL: storage.sql; memory: storage.memory.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from workflows.model import (
    Application,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    ScoreSheet,
    StarLevel,
    State,
)
from workflows.ports import UnitOfWork


@dataclass(frozen=True)
class PublicCertificate:
    """Exactly what the public may see of a certificate."""

    number: str
    holder: str
    scope: str
    state: State
    star_level: StarLevel | None
    issued_on: date | None
    expires_on: date | None
    last_surveillance_on: date | None
    amendments: int = 0  # its version: shown after the number (-A1), see certificate_versions


@dataclass(frozen=True)
class PublicRecord:
    """A certificate as the public query shows it: its public fields and what dates its status.

    `status_entered_at` is when the event that put the certificate in its state was written;
    `status_effective_on` the day that event took effect when it recorded one (a deadline that
    fired late takes effect the day after its due day); `surveillance_due_at` the open
    surveillance deadline's instant, if the certificate has one.
    """

    certificate: PublicCertificate
    suspended_on: date | None
    status_entered_at: datetime | None
    status_effective_on: date | None
    surveillance_due_at: datetime | None


@dataclass(frozen=True)
class Replaced:
    """A certificate number a renewal replaced: which case holds it and its number now."""

    number: str
    case_id: int
    replaced_on: date | None
    current: str | None


@dataclass(frozen=True)
class CaseEvent:
    event: Event
    number: str | None
    holder: str
    scope: str
    star_level: StarLevel | None


@dataclass(frozen=True)
class CaseDeadline:
    deadline: Deadline
    number: str | None
    holder: str
    state: State


@dataclass(frozen=True)
class RegisterEntry:
    case: Case
    organisation: Organisation
    first_issued_on: date | None  # the first certification's decision date, kept across renewals


@dataclass(frozen=True)
class Heartbeat:
    worker: str
    pid: int
    host: str
    state: str  # starting, running, firing (a tick long enough to beat mid-way), stopped
    started_at: datetime
    beat_at: datetime | None  # wall time of this beat; a tick's end or progress within one
    last_tick_at: datetime | None
    clock_at: datetime | None  # the daemon's clock at that tick (differs when shifted)
    fired_total: int
    failed_total: int
    last_error: str | None


@dataclass(frozen=True)
class OperationsCounts:
    """What /metrics reads from the database at scrape time: the same for every process."""

    deadlines_due: int  # open, due, not failing: what a running daemon fires next
    deadlines_late: int  # of those, due a day or more ago: fired now, they fire late
    deadlines_in_incident: int  # open rows whose last firing failed
    outbox: dict[tuple[str, str], int]  # (channel, "pending" | "given_up") -> undelivered messages


@dataclass(frozen=True)
class LeaseHolder:
    worker: str
    deadlines: int
    until: datetime


@dataclass(frozen=True)
class DeadlineWatch:
    """The deadline table and the outbox as `starcert status` shows them.

    A deadline whose stored kind this starcert cannot read is listed with its kind as stored.
    """

    overdue: int  # open, due, not failing: what a running daemon will fire next
    oldest_overdue: datetime | None
    upcoming: list[Deadline]  # open, not yet due, in due order
    lease_holders: list[LeaseHolder]  # leases of healthy open rows still running, by worker
    incidents: list[Deadline]  # open rows whose last firing failed, in due order
    outbox_pending: int  # undelivered, fewer than max_attempts failures
    outbox_given_up: int  # undelivered, max_attempts failures or more


class RegisterReads(Protocol):
    def search_cases(
        self,
        *,
        text: str | None = None,
        state: State | None = None,
        star_level: StarLevel | None = None,
        only_ids: Sequence[int] | None = None,
        holder: str | None = None,
        due_between: tuple[datetime, datetime] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Case], int]:
        """Cases matching all filters, in id order, one page of them and the total count.

        `text` matches a certificate number exactly or the holder's name or the number as a
        case-insensitive substring; `holder` the holder's name as a case-insensitive substring;
        `due_between` (start, end) keeps cases with an open deadline due in (start, end].
        """
        ...

    def recent_events(
        self, triggers: Sequence[str], limit: int, since: datetime | None = None
    ) -> list[CaseEvent]:
        """The latest events of the given triggers, newest first, each with the certificate's
        number and star level as they stood after it, and the holder and scope."""
        ...

    def open_deadlines_between(
        self, start: datetime | None, end: datetime, limit: int
    ) -> list[CaseDeadline]:
        """Open deadlines due in (start, end] (from the earliest when start is None), due order."""
        ...

    def cases_of_organisation(self, organisation_id: int) -> list[Case]:
        """The organisation's cases, oldest first."""
        ...

    def register(self) -> list[RegisterEntry]:
        """Every case holding a certificate number, with its organisation, in id order."""
        ...


class ReadingUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also answers the reads of `RegisterReads` in its transaction."""

    @property
    def reads(self) -> RegisterReads: ...


class PublicLookups(Protocol):
    def verify(self, number: str) -> PublicCertificate | None:
        """The public fields of certificate `number`, or None."""
        ...

    def replaced_number(self, number: str) -> Replaced | None:
        """`number` if it was issued once and a renewal has since given its case another one."""
        ...

    def search(
        self,
        *,
        number: str | None = None,
        holder: str | None = None,
        credit_code: str | None = None,
        states: Collection[State],
        limit: int,
        offset: int = 0,
    ) -> tuple[list[PublicRecord], int]:
        """Certificates (cases holding a number) in `states` found by exactly one key, in
        number order: one page of them and how many there are.

        `number` matches exactly (by index); `holder` a part of the holder's name, ignoring
        case; `credit_code` the holder organisation's code exactly (by index).
        """
        ...

    def close(self) -> None: ...


class HeartbeatLog(Protocol):
    def put(self, beat: Heartbeat) -> None:
        """Record a daemon's beat (its own short transaction), replacing its previous one."""
        ...

    def all(self) -> Sequence[Heartbeat]:
        """Every daemon's last beat, by worker name."""
        ...


class DatabaseReads(Protocol):
    def replaced_number(self, number: str) -> Replaced | None: ...

    def deadline_watch(self, now: datetime, *, limit: int, max_attempts: int) -> DeadlineWatch:
        """`limit` bounds the upcoming deadlines listed."""
        ...

    def operations_counts(
        self, now: datetime, *, late_before: datetime, max_attempts: int
    ) -> OperationsCounts:
        """Counts of due, late (due at or before `late_before`) and failing deadlines, and the
        undelivered outbox by channel."""
        ...

    def register_counts(self) -> dict[tuple[str, str | None], int]:
        """How many cases stand in each (state, star level), ordered by both."""
        ...

    def notifications_written(self) -> int: ...

    def case_states(self) -> list[str]:
        """Every case's state as stored, one per case."""
        ...

    def cases(self, states: Collection[State] | None = None) -> list[Case]:
        """Every case (in those states), in id order."""
        ...

    def latest_sheets(self) -> dict[int, ScoreSheet]:
        """Each case's latest scored audit sheet (by audit date, then recording order)."""
        ...

    def latest_sheets_plain(self) -> dict[int, dict[str, Any]]:
        """The same sheets as plain data, read in bulk without domain objects (points as exact
        text; storage.formats.sheet_plain): for what-if runs over the whole register."""
        ...

    def applications(self, ids: Collection[int]) -> dict[int, Application]: ...

    def deadlines_by_case(
        self, *, done_of_kinds: Collection[DeadlineKind] | None = None
    ) -> dict[int, list[Deadline]]:
        """Each case's open deadlines; or, `done_of_kinds`, its deadlines of those kinds already
        done. Only id, case, kind and due time are read."""
        ...
