"""The deadline runner: claims due deadlines with a lease and fires each as a lifecycle transition.

A tick claims due rows (so several daemons share the work and a crashed one's rows return after
the lease), fires them in due order, and gives back what it cannot fire now. The firings of a
claimed batch share one transaction, each in a savepoint of its own: one commit per batch (group
commit), and a firing that fails is undone alone and becomes an incident on its row (attempts,
last error), retried with back-off; it never blocks the others. A database that stops answering
aborts the tick: the open batch is rolled back whole, so nothing is half-written, and its rows,
still open and leased, fire once their lease runs out. A commit the database refuses is retried
one firing per transaction, so one bad firing cannot keep its batch from being stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from workflows.commands import FireDeadline
from workflows.errors import ConcurrencyConflict, DatabaseUnavailable, WriteConflict
from workflows.leased_work import (
    Backoff,
    DeadlineTable,
    Failure,
    ReleasableWork,
    StopFlag,
    Stopping,
)
from workflows.model import Deadline, Event, State
from workflows.ports import Clock, UnitOfWork
from workflows.worker_log import JsonLog

MAX_BACKOFF = timedelta(hours=6)
LATE_AFTER_S = 60.0
"""A firing more than this long after its due time is logged as late (the daemon was down)."""


class FiringResult(Protocol):
    """What the case service answers to a FireDeadline."""

    @property
    def events(self) -> tuple[Event, ...]: ...
    @property
    def deadlines_added(self) -> tuple[Deadline, ...]: ...
    @property
    def deferred(self) -> bool: ...
    @property
    def certificate(self) -> str | None: ...
    @property
    def state(self) -> State | None: ...


class FiresDeadlines(Protocol):
    """The case service, as far as the runner uses it."""

    @property
    def rules(self) -> object: ...
    def fire_in(self, uow: UnitOfWork, command: FireDeadline) -> FiringResult:
        """Fire in the caller's unit of work, in a savepoint of its own; the caller commits."""
        ...


def is_write_conflict(exc: BaseException) -> bool:
    return isinstance(exc, WriteConflict)


def is_database_down(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseUnavailable)


@dataclass(frozen=True)
class Fired:
    deadline_id: int
    case_id: int
    kind: str
    due_at: datetime
    fired_at: datetime
    lag_s: float
    outcome: str  # the trigger applied, or deadline_obsolete


@dataclass
class TickReport:
    claimed: int = 0
    fired: int = 0
    failed: int = 0
    conflicts: int = 0
    deferred: int = 0  # claimed, but an earlier deadline of the same case was still open
    fired_list: list[Fired] = field(default_factory=list)

    def add(self, other: TickReport) -> None:
        self.claimed += other.claimed
        self.fired += other.fired
        self.failed += other.failed
        self.conflicts += other.conflicts
        self.deferred += other.deferred
        self.fired_list.extend(other.fired_list)

    def counts(self) -> dict[str, int]:
        return {
            "claimed": self.claimed,
            "fired": self.fired,
            "failed": self.failed,
            "conflicts": self.conflicts,
            "deferred": self.deferred,
        }


class _Batch:
    """What one transaction of firings did, told (counted, logged) once it is committed."""

    def __init__(self) -> None:
        self.report = TickReport()
        self.lost_race: set[int | None] = set()
        self.fired: list[tuple[Fired, FiringResult]] = []
        self.incidents: list[tuple[Deadline, Failure, str]] = []


class DeadlineRunner:
    """One daemon's view of the deadline table: claim, fire, record failures.

    `is_write_conflict` and `is_database_down` tell a lost race (re-evaluated on the next tick)
    and an unanswering database (the tick aborts) from a broken deadline (an incident).
    `per_commit` bounds the firings one transaction holds (default: the whole claimed batch).
    """

    def __init__(
        self,
        *,
        case_service: FiresDeadlines,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        worker: str,
        lease: timedelta,
        batch_size: int,
        incident_backoff: timedelta = timedelta(seconds=30),
        log_firings: bool = True,
        on_progress: Callable[[], None] | None = None,
        stopping: Stopping | None = None,
        log: JsonLog | None = None,
        is_write_conflict: Callable[[BaseException], bool] = is_write_conflict,
        is_database_down: Callable[[BaseException], bool] = is_database_down,
        per_commit: int | None = None,
    ) -> None:
        if per_commit is not None and per_commit < 1:
            raise ValueError("per_commit must be at least 1")
        self.case_service = case_service
        self.uow_factory = uow_factory
        self.clock = clock
        self.worker = worker
        self.batch_size = batch_size
        self.per_commit = per_commit or batch_size
        self.work = ReleasableWork(
            DeadlineTable,
            uow_factory=uow_factory,
            clock=clock,
            worker=worker,
            lease=lease,
            backoff=Backoff(incident_backoff, MAX_BACKOFF),
        )
        self.log_firings = log_firings
        self.on_progress = on_progress  # called after each commit: a long tick shows it is alive
        self.stopping: Stopping = stopping if stopping is not None else StopFlag()
        self.log = log if log is not None else JsonLog(clock)
        self.is_write_conflict = is_write_conflict
        self.is_database_down = is_database_down
        self.fired_total = 0  # over the runner's life, ticks cut short included
        self.failed_total = 0
        self._in_hand: list[Deadline] = []
        self._lost_race: set[int | None] = set()  # rows given back this tick after a lost race

    def tick(self) -> TickReport:
        """Fire everything due now, batch after batch, until nothing due is left or we stop.

        Leases left from a tick the database cut short are given back first.
        """
        report = TickReport()
        refresh = getattr(self.case_service.rules, "refresh", None)
        if refresh is not None:
            refresh()  # rule versions published since the last tick; firings keep their version
        self._release_leftovers()
        self._lost_race = set()
        while not self.stopping.is_set():
            claimed = self.work.claim(self.batch_size)
            again = [d for d in claimed if d.id in self._lost_race]
            if again:
                self.work.release(again)
                claimed = [d for d in claimed if d.id not in self._lost_race]
            if not claimed:
                break
            report.claimed += len(claimed)
            self._in_hand = list(claimed)
            while self._in_hand and not self.stopping.is_set():
                self._fire_some(self.per_commit, report)
                if self.on_progress is not None:
                    self.on_progress()
            self._release_leftovers()  # what a stop left in hand
        return report

    def _fire_some(self, limit: int, report: TickReport) -> None:
        """Fire up to `limit` rows in hand in one transaction, each in its own savepoint.

        Told once committed. A commit refused (not for a database down) is retried one firing
        per transaction; a single firing's refused commit is that firing's failure.
        """
        in_hand = list(self._in_hand)
        batch = _Batch()
        taken = 0
        try:
            with self.uow_factory() as uow:
                if limit > 1:  # the batch's cases and deadlines in two reads, not two a firing
                    uow.cases.read_ahead([d.case_id for d in self._in_hand[:limit]])
                while taken < min(limit, len(self._in_hand)) and not self.stopping.is_set():
                    taken += 1
                    added = self._fire(uow, self._in_hand[taken - 1], batch)
                    self._hand_back_after(uow, added, taken)
                uow.commit()
        except Exception as exc:
            if self.is_database_down(exc) or not taken:
                raise  # the rows stay in hand: given back at the next tick
            self._in_hand = in_hand  # as claimed: the hand-backs were rolled back too
            if limit > 1:
                for _ in range(taken):
                    if self._in_hand and not self.stopping.is_set():
                        self._fire_some(1, report)
                return
            batch = _Batch()
            self._failed(self._in_hand[0], exc, batch, None)
        del self._in_hand[:taken]
        self._told(batch, report)

    def _told(self, batch: _Batch, report: TickReport) -> None:
        report.add(batch.report)
        self._lost_race |= batch.lost_race
        self.fired_total += batch.report.fired
        self.failed_total += batch.report.failed
        for fired, result in batch.fired:
            if self.log_firings:
                self._log_fired(fired, result)
        for deadline, failure, error in batch.incidents:
            self._log_incident(deadline, failure, error)

    def _hand_back_after(self, uow: UnitOfWork, added: Sequence[Deadline], taken: int) -> None:
        """A firing that added a deadline already due (a catch-up) must see it fire before the
        rows in hand due after it, as a daemon that never stopped would: those are given back,
        in the batch's transaction, and the next claim takes them all again in due order."""
        now = self.clock.now()
        due = [d.due_at for d in added if d.due_at <= now]
        if not due:
            return
        first = min(due)
        rest = self._in_hand[taken:]
        later = [d for d in rest if d.due_at > first]
        if later:
            self._in_hand[taken:] = [d for d in rest if d.due_at <= first]
            self.work.release_in(uow, later)

    def _release_leftovers(self) -> None:
        while self._in_hand:
            self.work.release(self._in_hand[:1])
            self._in_hand.pop(0)

    def _fire(self, uow: UnitOfWork, deadline: Deadline, batch: _Batch) -> tuple[Deadline, ...]:
        """Fire one claimed row in `uow`; the deadlines its transition added (none if it did not
        fire). A failure is undone by the firing's savepoint and recorded in `uow`."""
        assert deadline.id is not None
        try:
            result = self.case_service.fire_in(
                uow,
                FireDeadline(
                    deadline_id=deadline.id, case_id=deadline.case_id, by=f"daemon:{self.worker}"
                ),
            )
        except Exception as exc:
            if self.is_database_down(exc):
                raise
            self._failed(deadline, exc, batch, uow)
            return ()
        if result.deferred:  # an earlier deadline of the case is open: it goes first
            batch.report.deferred += 1
            self.work.release_in(uow, [deadline])
            batch.lost_race.add(deadline.id)  # claimed again on a later tick, after it
            return ()
        if not result.events:
            return ()  # already fired (by another daemon whose lease ran out): nothing written
        event = result.events[0]
        fired_at = event.at
        lag = (fired_at - deadline.due_at).total_seconds()
        fired = Fired(
            deadline.id, deadline.case_id, deadline.kind.value, deadline.due_at, fired_at, lag,
            event.trigger,
        )  # fmt: skip
        batch.report.fired += 1
        batch.report.fired_list.append(fired)
        batch.fired.append((fired, result))
        return result.deadlines_added

    def _failed(
        self, deadline: Deadline, exc: Exception, batch: _Batch, uow: UnitOfWork | None
    ) -> None:
        """A lost race is given back (re-evaluated on the next tick); anything else is an
        incident. In `uow`, or in a transaction of its own without one (a refused commit)."""
        # The case service already re-ran the firing on the new state after each lost race; a
        # conflict that outlasts its attempts is no race but a broken record: an incident. A
        # commit refused for a conflict had no such retry: a lost race.
        refused_commit = uow is None and isinstance(exc, ConcurrencyConflict)
        if self.is_write_conflict(exc) or refused_commit:
            batch.report.conflicts += 1
            if uow is None:
                self.work.release([deadline])
            else:
                self.work.release_in(uow, [deadline])
            batch.lost_race.add(deadline.id)  # re-evaluated on the next tick, not this one
            return
        error = f"{type(exc).__name__}: {exc}"
        if uow is None:
            failure = self.work.fail(deadline, error)
        else:
            failure = self.work.fail_in(uow, deadline, error)
        batch.report.failed += 1
        batch.incidents.append((deadline, failure, error))

    def _log_fired(self, fired: Fired, result: FiringResult) -> None:
        self.log(
            logging.INFO,
            "deadline_fired",
            case=fired.case_id,
            certificate=result.certificate,
            deadline=fired.deadline_id,
            kind=fired.kind,
            due=fired.due_at.isoformat(),
            fired_at=fired.fired_at.isoformat(),
            lag_s=round(fired.lag_s, 3),
            late=fired.lag_s > LATE_AFTER_S,
            outcome=fired.outcome,
            state=str(result.state),
            worker=self.worker,
        )

    def _log_incident(self, deadline: Deadline, failure: Failure, error: str) -> None:
        self.log(
            logging.ERROR,
            "deadline_incident",
            case=deadline.case_id,
            deadline=deadline.id,
            kind=deadline.kind.value,
            due=deadline.due_at.isoformat(),
            attempts=failure.attempts,
            retry_at=failure.retry_at.isoformat(),
            error=error,
            worker=self.worker,
        )

    def next_due(self) -> datetime | None:
        with self.uow_factory() as uow:
            return uow.deadlines.next_due_at()
