"""Leased work: how a worker takes rows from a shared table, gives them back, and backs off.

The deadline runner and the notification deliverer both work this way. A worker claims rows with
a lease (so several workers share a table, and a crashed one's rows return once its lease runs
out), finishes or releases each, and records a failure with a doubling back-off that leases the
row until its retry. `Outage` backs a whole pass off while the database does not answer, and
`Pulse` paces a worker's heartbeats. Every time read here comes from the injected clock, so a
fake clock drives leases, back-off and heartbeats without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from workflows.model import Deadline
from workflows.ports import Clock, Notification, UnitOfWork

Row = TypeVar("Row")


@dataclass(frozen=True)
class Backoff:
    """Doubling delays with a ceiling: `base` after the first failure, twice that after the
    second, ... at most `ceiling`."""

    base: timedelta
    ceiling: timedelta

    def after(self, failures: int) -> timedelta:
        factor: int = 2 ** min(max(failures, 1) - 1, 16)
        return min(self.base * factor, self.ceiling)


class StopFlag:
    """Set once to ask a worker to stop after the row in hand (a threading.Event also fits)."""

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True


class Stopping(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...


# --- tables ------------------------------------------------------------------------------------


class LeasedTable(Protocol[Row]):
    """One table's leasing operations inside a unit of work."""

    def claim(self, now: datetime, worker: str, lease_until: datetime, limit: int) -> Sequence[Row]:
        """Lease up to `limit` rows ready at `now` whose lease is free or ran out."""
        ...

    def failures(self, row: Row) -> int:
        """How often the row failed before, as stored now."""
        ...

    def record_failure(self, row: Row, error: str, retry_at: datetime) -> None:
        """Count a failure, keep its error, and lease the row until `retry_at`."""
        ...


class ReleasableTable(LeasedTable[Row], Protocol[Row]):
    def release(self, row: Row, worker: str) -> None:
        """Clear `worker`'s lease on the row, so the next claim may take it at once."""
        ...


def _id(row: Deadline | Notification) -> int:
    if row.id is None:
        raise ValueError("a leased row has an id")
    return row.id


class DeadlineTable:
    """The deadline table, leased by due order."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def claim(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]:
        return self.uow.deadlines.claim_due(now, worker, lease_until, limit)

    def failures(self, row: Deadline) -> int:
        return self.uow.deadlines.get(_id(row)).attempts

    def record_failure(self, row: Deadline, error: str, retry_at: datetime) -> None:
        self.uow.deadlines.record_failure(_id(row), error, retry_at)

    def release(self, row: Deadline, worker: str) -> None:
        self.uow.deadlines.release(_id(row), worker)


class OutboxTable:
    """The notification outbox, oldest first; a message that failed `max_attempts` times stays
    out of every claim. Nothing releases a message early: its lease outlives one send."""

    def __init__(self, uow: UnitOfWork, max_attempts: int, channel: str | None = None) -> None:
        self.uow = uow
        self.max_attempts = max_attempts
        self.channel = channel  # None: every channel's messages

    def claim(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Notification]:
        return self.uow.notifications.claim_pending(
            now, worker, lease_until, limit, self.max_attempts, self.channel
        )

    def failures(self, row: Notification) -> int:
        return row.attempts  # as claimed: the lease keeps every other worker off it

    def record_failure(self, row: Notification, error: str, retry_at: datetime) -> None:
        self.uow.notifications.record_failure(_id(row), error, retry_at)


# --- the worker's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    attempts: int  # failures counted, this one included
    retry_at: datetime  # the row is leased (backing off) until then


class LeasedWork(Generic[Row]):
    """One worker's hold on a leased table: claim, record failures with back-off.

    Each call is one transaction of its own, committed before it returns; the `_in` forms
    write in the caller's unit of work instead, committed with whatever else it holds.
    """

    def __init__(
        self,
        table: Callable[[UnitOfWork], LeasedTable[Row]],
        *,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        worker: str,
        lease: timedelta,
        backoff: Backoff,
    ) -> None:
        self.table = table
        self.uow_factory = uow_factory
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.backoff = backoff

    def claim(self, limit: int) -> list[Row]:
        """Lease up to `limit` ready rows until now + the lease."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            rows = list(self.table(uow).claim(now, self.worker, now + self.lease, limit))
            uow.commit()
        return rows

    def fail(self, row: Row, error: str) -> Failure:
        """Count a failure and lease the row until its back-off ends."""
        with self.uow_factory() as uow:
            failure = self.fail_in(uow, row, error)
            uow.commit()
        return failure

    def fail_in(self, uow: UnitOfWork, row: Row, error: str) -> Failure:
        table = self.table(uow)
        attempts = table.failures(row) + 1
        retry_at = self.clock.now() + self.backoff.after(attempts)
        table.record_failure(row, error, retry_at)
        return Failure(attempts, retry_at)


class ReleasableWork(LeasedWork[Row]):
    """Leased work whose rows can also be given back before their lease runs out."""

    def __init__(
        self,
        table: Callable[[UnitOfWork], ReleasableTable[Row]],
        *,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        worker: str,
        lease: timedelta,
        backoff: Backoff,
    ) -> None:
        super().__init__(
            table, uow_factory=uow_factory, clock=clock, worker=worker, lease=lease, backoff=backoff
        )
        self.releasable = table

    def release(self, rows: Sequence[Row]) -> None:
        """Clear our leases on `rows`, in one transaction."""
        if not rows:
            return
        with self.uow_factory() as uow:
            self.release_in(uow, rows)
            uow.commit()

    def release_in(self, uow: UnitOfWork, rows: Sequence[Row]) -> None:
        table = self.releasable(uow)
        for row in rows:
            table.release(row, self.worker)


# --- a whole pass ------------------------------------------------------------------------------


class Outage:
    """Back-off for a whole pass while the database does not answer: after each failure in a
    row, no pass before the back-off's time has come."""

    def __init__(self, clock: Clock, backoff: Backoff) -> None:
        self.clock = clock
        self.backoff = backoff
        self.failures = 0
        self.retry_at: datetime | None = None

    def ready(self) -> bool:
        """Whether a pass may run now."""
        return self.retry_at is None or self.clock.now() >= self.retry_at

    def failed(self) -> timedelta:
        """Count one more failed pass; the delay before the next one (see `retry_at`)."""
        self.failures += 1
        delay = self.backoff.after(self.failures)
        self.retry_at = self.clock.now() + delay
        return delay

    def recovered(self) -> int:
        """A pass went through: the failures it ends (0 when there was no outage)."""
        failures, self.failures, self.retry_at = self.failures, 0, None
        return failures


class Pulse:
    """A worker's heartbeat: `beat` writes one at the clock's time; `progress`, called as work
    goes on, beats "firing" once `every` has passed since the last beat, so a long pass shows it
    is alive."""

    def __init__(
        self, clock: Clock, every: timedelta, write: Callable[[str, datetime], None]
    ) -> None:
        self.clock = clock
        self.every = every
        self.write = write
        self.started_at = clock.now()
        self.last_beat_at = self.started_at

    def beat(self, state: str) -> datetime:
        self.last_beat_at = self.clock.now()
        self.write(state, self.last_beat_at)
        return self.last_beat_at

    def progress(self) -> None:
        """Beat "firing" if one is due."""
        if self.clock.now() - self.last_beat_at >= self.every:
            self.beat("firing")
