"""The deadline runner: claims due deadlines with a lease and fires each as a lifecycle transition.

A tick claims due rows (so several daemons share the work and a crashed one's rows return after
the lease), fires them in due order, and gives back what it cannot fire now. A firing that fails
becomes an incident on its row (attempts, last error) and is retried with back-off; it never
blocks the others. A database that stops answering aborts the tick: nothing is half-written, each
firing being one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from workflows.commands import FireDeadline
from workflows.errors import DatabaseUnavailable, WriteConflict
from workflows.leased_work import Backoff, DeadlineTable, ReleasableWork, StopFlag, Stopping
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
    def handle(self, command: FireDeadline) -> FiringResult: ...


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

    def counts(self) -> dict[str, int]:
        return {
            "claimed": self.claimed,
            "fired": self.fired,
            "failed": self.failed,
            "conflicts": self.conflicts,
            "deferred": self.deferred,
        }


class DeadlineRunner:
    """One daemon's view of the deadline table: claim, fire, record failures.

    `is_write_conflict` and `is_database_down` tell a lost race (re-evaluated on the next tick)
    and an unanswering database (the tick aborts) from a broken deadline (an incident).
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
    ) -> None:
        self.case_service = case_service
        self.uow_factory = uow_factory
        self.clock = clock
        self.worker = worker
        self.batch_size = batch_size
        self.work = ReleasableWork(
            DeadlineTable,
            uow_factory=uow_factory,
            clock=clock,
            worker=worker,
            lease=lease,
            backoff=Backoff(incident_backoff, MAX_BACKOFF),
        )
        self.log_firings = log_firings
        self.on_progress = on_progress  # called after each firing: a long tick shows it is alive
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
            while self._in_hand:
                deadline = self._in_hand[0]
                if self.stopping.is_set():
                    self._release_leftovers()
                    break
                added = self._fire(deadline, report)
                self._in_hand.pop(0)
                self._hand_back_after(added)
                if self.on_progress is not None:
                    self.on_progress()
        return report

    def _hand_back_after(self, added: Sequence[Deadline]) -> None:
        """A firing that added a deadline already due (a catch-up) must see it fire before the
        rows in hand due after it, as a daemon that never stopped would: those are given back,
        in one transaction, and the next claim takes them all again in due order."""
        now = self.clock.now()
        due = [d.due_at for d in added if d.due_at <= now]
        if not due:
            return
        first = min(due)
        later = [d for d in self._in_hand if d.due_at > first]
        if not later:
            return
        self._in_hand = [d for d in self._in_hand if d.due_at <= first]
        self.work.release(later)

    def _release_leftovers(self) -> None:
        while self._in_hand:
            self.work.release(self._in_hand[:1])
            self._in_hand.pop(0)

    def _fire(self, deadline: Deadline, report: TickReport) -> tuple[Deadline, ...]:
        """Fire one claimed row; the deadlines its transition added (none if it did not fire)."""
        assert deadline.id is not None
        try:
            result = self.case_service.handle(
                FireDeadline(
                    deadline_id=deadline.id, case_id=deadline.case_id, by=f"daemon:{self.worker}"
                )
            )
        except Exception as exc:
            # The case service already re-ran the firing on the new state after each lost race; a
            # conflict that outlasts its attempts is no race but a broken record: an incident.
            if self.is_write_conflict(exc):
                report.conflicts += 1
                self.work.release([deadline])
                self._lost_race.add(deadline.id)  # re-evaluated on the next tick, not this one
                return ()
            if self.is_database_down(exc):
                raise
            report.failed += 1
            self.failed_total += 1
            self._record_failure(deadline, exc)
            return ()
        if result.deferred:  # an earlier deadline of the case is open: it goes first
            report.deferred += 1
            self.work.release([deadline])
            self._lost_race.add(deadline.id)  # claimed again on a later tick, after it
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
        report.fired += 1
        self.fired_total += 1
        report.fired_list.append(fired)
        if self.log_firings:
            self.log(
                logging.INFO,
                "deadline_fired",
                case=deadline.case_id,
                certificate=result.certificate,
                deadline=deadline.id,
                kind=deadline.kind.value,
                due=deadline.due_at.isoformat(),
                fired_at=fired_at.isoformat(),
                lag_s=round(lag, 3),
                late=lag > LATE_AFTER_S,
                outcome=event.trigger,
                state=str(result.state),
                worker=self.worker,
            )
        return result.deadlines_added

    def _record_failure(self, deadline: Deadline, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        failure = self.work.fail(deadline, error)
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
