"""The daemon: claims due deadlines from the database and fires each as a lifecycle transition.

The database is the truth and APScheduler only the alarm clock: a tick claims due rows with a lease
(so several daemons share the work and a crashed one's rows return after the lease), fires them in
due order, and schedules the next wake-up at the earliest open deadline. A firing that fails becomes
an incident on its row (attempts, last error) and is retried with back-off; it never blocks others.
A database that stops answering aborts the tick (nothing is half-written: each firing is one
transaction) and the daemon retries with back-off until it answers again.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from starcert.backoff import doubling
from starcert.clock import SystemClock
from storage.heartbeats import Heartbeat, Heartbeats
from workflows.case_service import CaseService
from workflows.commands import FireDeadline
from workflows.model import Deadline
from workflows.ports import Clock, UnitOfWork

log = logging.getLogger("starcert.daemon")

MAX_BACKOFF = timedelta(hours=6)
LATE_AFTER_S = 60.0
"""A firing more than this long after its due time is logged as late (the daemon was down)."""
MAX_DATABASE_BACKOFF_S = 30.0


def jsonlog(level: int, event: str, **fields: Any) -> None:
    """One JSON object per line: what happened, with a wall-clock timestamp."""
    record = {"ts": SystemClock().now().isoformat(), "event": event, **fields}
    log.log(level, json.dumps(record, ensure_ascii=False, default=str))


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_write_conflict(exc: BaseException) -> bool:
    """PostgreSQL broke a deadlock or a serialization conflict by aborting our transaction.

    An operator's command and a firing on the same case lock its rows in different orders; the
    server aborts one of them, which then is re-evaluated like any other lost race.
    """
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in ("40P01", "40001")


def is_database_down(exc: BaseException) -> bool:
    """Errors that mean "the database did not answer", not "this deadline is broken"."""
    if is_write_conflict(exc):
        return False
    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class ShiftableClock(Clock, Protocol):
    def to_wall(self, instant: datetime) -> datetime: ...


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
    """One daemon's view of the deadline table: claim, fire, record failures."""

    def __init__(
        self,
        *,
        lifecycle: CaseService,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        worker: str,
        lease: timedelta,
        batch_size: int,
        incident_backoff: timedelta = timedelta(seconds=30),
        log_firings: bool = True,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.uow_factory = uow_factory
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.batch_size = batch_size
        self.incident_backoff = incident_backoff
        self.log_firings = log_firings
        self.on_progress = on_progress  # called after each firing: a long tick shows it is alive
        self.stopping = threading.Event()
        self.fired_total = 0  # over the runner's life, ticks cut short included
        self.failed_total = 0
        self._in_hand: list[Deadline] = []
        self._lost_race: set[int | None] = set()  # rows given back this tick after a lost race

    def tick(self) -> TickReport:
        """Fire everything due now, batch after batch, until nothing due is left or we stop.

        Leases left from a tick the database cut short are given back first.
        """
        report = TickReport()
        refresh = getattr(self.lifecycle.rules, "refresh", None)
        if refresh is not None:
            refresh()  # rule versions published since the last tick; firings keep their version
        self._release_leftovers()
        self._lost_race = set()
        while not self.stopping.is_set():
            claimed = self._claim()
            again = [d for d in claimed if d.id in self._lost_race]
            if again:
                self._give_back(again)
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

    def _hand_back_after(self, added: tuple[Deadline, ...]) -> None:
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
        self._give_back(later)

    def _give_back(self, rows: list[Deadline]) -> None:
        """Release our leases on `rows` in one transaction."""
        with self.uow_factory() as uow:
            for deadline in rows:
                assert deadline.id is not None
                uow.deadlines.release(deadline.id, self.worker)
            uow.commit()

    def _release_leftovers(self) -> None:
        while self._in_hand:
            self._release(self._in_hand[0])
            self._in_hand.pop(0)

    def _claim(self) -> list[Deadline]:
        now = self.clock.now()
        with self.uow_factory() as uow:
            rows = list(
                uow.deadlines.claim_due(now, self.worker, now + self.lease, self.batch_size)
            )
            uow.commit()
        return rows

    def _fire(self, deadline: Deadline, report: TickReport) -> tuple[Deadline, ...]:
        """Fire one claimed row; the deadlines its transition added (none if it did not fire)."""
        assert deadline.id is not None
        try:
            result = self.lifecycle.handle(
                FireDeadline(
                    deadline_id=deadline.id, case_id=deadline.case_id, by=f"daemon:{self.worker}"
                )
            )
        except Exception as exc:
            # The lifecycle already re-ran the firing on the new state after each lost race; a
            # conflict that outlasts its attempts is no race but a broken record: an incident.
            if is_write_conflict(exc):
                report.conflicts += 1
                self._release(deadline)
                self._lost_race.add(deadline.id)  # re-evaluated on the next tick, not this one
                return ()
            if is_database_down(exc):
                raise
            report.failed += 1
            self.failed_total += 1
            self._record_failure(deadline, exc)
            return ()
        if result.deferred:  # an earlier deadline of the case is open: it goes first
            report.deferred += 1
            self._release(deadline)
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
            jsonlog(
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

    def _release(self, deadline: Deadline) -> None:
        assert deadline.id is not None
        with self.uow_factory() as uow:
            uow.deadlines.release(deadline.id, self.worker)
            uow.commit()

    def _record_failure(self, deadline: Deadline, exc: Exception) -> None:
        assert deadline.id is not None
        with self.uow_factory() as uow:
            attempts = uow.deadlines.get(deadline.id).attempts + 1
            backoff = doubling(self.incident_backoff, attempts, MAX_BACKOFF)
            retry_at = self.clock.now() + backoff
            error = f"{type(exc).__name__}: {exc}"
            uow.deadlines.record_failure(deadline.id, error, retry_at)
            uow.commit()
        jsonlog(
            logging.ERROR,
            "deadline_incident",
            case=deadline.case_id,
            deadline=deadline.id,
            kind=deadline.kind.value,
            due=deadline.due_at.isoformat(),
            attempts=attempts,
            retry_at=retry_at.isoformat(),
            error=error,
            worker=self.worker,
        )

    def next_due(self) -> datetime | None:
        with self.uow_factory() as uow:
            return uow.deadlines.next_due_at()


class Deliveries(Protocol):
    def deliver_due(self) -> Any: ...


class Daemon:
    """The long-running process: ticks on APScheduler, heartbeats, back-off, graceful stop."""

    def __init__(
        self,
        runner: DeadlineRunner,
        *,
        clock: ShiftableClock,
        heartbeats: Heartbeats,
        tick_seconds: float,
        deliverer: Deliveries | None = None,
        deliver_seconds: float = 5.0,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.heartbeats = heartbeats
        self.tick_seconds = tick_seconds
        self.deliverer = deliverer
        self.deliver_seconds = deliver_seconds
        self.started_at = SystemClock().now()
        self.db_failures = 0
        self.last_error: str | None = None
        self.last_tick_at: datetime | None = None
        self._retry_not_before = self.started_at
        # A catch-up tick can fire for minutes; beating within it keeps `starcert health` (and a
        # service manager polling it) from taking a busy daemon for a hung one.
        self.progress_every = timedelta(seconds=min(max(tick_seconds, 1.0), 10.0))
        self._last_beat_at = self.started_at
        runner.on_progress = self._progress
        self._tick_lock = threading.Lock()
        self._scheduler: Any = None

    # --- jobs --------------------------------------------------------------------------------

    def tick(self) -> None:
        with self._tick_lock:
            self._tick()

    def _tick(self) -> None:
        if self.db_failures and SystemClock().now() < self._retry_not_before:
            return  # backing off: the interval tick waits for the retry
        try:
            report = self.runner.tick()
            nxt = None if self.runner.stopping.is_set() else self.runner.next_due()
        except Exception as exc:
            self._tick_failed(exc)
            return
        if self.db_failures:
            jsonlog(logging.INFO, "database_back", after_failures=self.db_failures)
        self.db_failures = 0
        self.last_error = None
        self.last_tick_at = SystemClock().now()
        if report.claimed:
            jsonlog(logging.INFO, "tick", worker=self.runner.worker, **report.counts())
        self._beat("running")
        if report.fired and self.deliverer is not None:
            self._wake("deliver")
        if nxt is not None and not self.runner.stopping.is_set():
            self._at(self.clock.to_wall(nxt), "next-due")

    def _tick_failed(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        self.last_error = error
        if not is_database_down(exc):
            jsonlog(logging.ERROR, "tick_failed", worker=self.runner.worker, error=error)
            self._beat("running")
            return
        self.db_failures += 1
        delay = min(0.5 * 2 ** (self.db_failures - 1), MAX_DATABASE_BACKOFF_S)
        self._retry_not_before = SystemClock().now() + timedelta(seconds=delay)
        jsonlog(
            logging.WARNING,
            "database_unavailable",
            worker=self.runner.worker,
            attempt=self.db_failures,
            retry_in_s=delay,
            error=error,
        )
        if not self.runner.stopping.is_set():
            self._at(self._retry_not_before, "db-retry")

    def deliver(self) -> None:
        if self.deliverer is None:
            return
        try:
            self.deliverer.deliver_due()
        except Exception as exc:
            level = logging.WARNING if is_database_down(exc) else logging.ERROR
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            jsonlog(level, "delivery_pass_failed", worker=self.runner.worker, error=error)

    def _progress(self) -> None:
        if SystemClock().now() - self._last_beat_at >= self.progress_every:
            self._beat("firing")

    def _beat(self, state: str) -> None:
        self._last_beat_at = SystemClock().now()
        try:
            self.heartbeats.put(
                Heartbeat(
                    worker=self.runner.worker,
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    state=state,
                    started_at=self.started_at,
                    beat_at=self._last_beat_at,
                    last_tick_at=self.last_tick_at,
                    clock_at=self.clock.now(),
                    fired_total=self.runner.fired_total,
                    failed_total=self.runner.failed_total,
                    last_error=self.last_error,
                )
            )
        except Exception as exc:
            if not is_database_down(exc):
                raise

    # --- scheduling ----------------------------------------------------------------------------

    def _at(self, wall: datetime, job_id: str) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self.tick, "date", run_date=wall, id=job_id, replace_existing=True, executor="ticks"
        )

    def _wake(self, job_id: str) -> None:
        if self._scheduler is None:
            return
        try:
            self._scheduler.modify_job(job_id, next_run_time=SystemClock().now())
        except Exception:  # the job is gone: we are stopping
            return

    def run(self, banner: Callable[[], None]) -> None:
        """Run until SIGTERM/SIGINT; the deadline in hand is finished, the rest released.

        The signal handler only asks for the stop; the main thread waits for that request and
        then shuts the scheduler down. So a stop requested again while stopping (a second
        Ctrl-C, systemd and an operator both sending SIGTERM) or before the scheduler runs
        changes nothing: the daemon still finishes the deadline in hand, beats `stopped` and
        exits 0.
        """
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"ticks": ThreadPoolExecutor(1), "default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler = scheduler
        now = SystemClock().now()
        stopping = self.runner.stopping

        def stop(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if stopping.is_set():
                jsonlog(logging.INFO, "stop_repeated", signal=name, worker=self.runner.worker)
                return
            jsonlog(logging.INFO, "stopping", signal=name)
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="interval",
            next_run_time=now,
            executor="ticks",
        )
        if self.deliverer is not None:
            scheduler.add_job(
                self.deliver,
                "interval",
                seconds=self.deliver_seconds,
                id="deliver",
                next_run_time=now,
                executor="default",
            )
        self._beat("starting")  # healthy while its beat is fresh; then it must tick
        banner()
        jsonlog(logging.INFO, "started", worker=self.runner.worker, clock=self.clock.now())
        scheduler.start()
        stopping.wait()  # a signal handler runs in this thread, between waits
        scheduler.shutdown(wait=True)  # the tick in hand finishes (it sees `stopping`)
        self._beat("stopped")
        # Nothing is left to stop: a stop requested while the process tears down is ignored
        # (Python resets its own handlers early in that, which would end it by the signal).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        jsonlog(logging.INFO, "stopped", worker=self.runner.worker, fired=self.runner.fired_total)
