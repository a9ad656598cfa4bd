"""The daemon process: ticks the deadline runner and the deliverer on APScheduler, beats, stops.

The database is the truth and APScheduler only the alarm clock: each tick runs the deadline runner
(workflows.deadline_runner), which claims due rows with a lease and fires them, then schedules the
next wake-up at the earliest open deadline. A database that stops answering aborts the tick
(nothing is half-written: the batch in hand rolls back whole) and the daemon retries with back-off
until it answers again. What time it is comes from the injected clock; heartbeats, that back-off
and the scheduler read it as wall time (`to_wall`), so a shifted or fake clock drives them all.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

from storage.heartbeats import Heartbeat
from workflows.checkpoints import Checkpoint
from workflows.deadline_runner import DeadlineRunner
from workflows.errors import DatabaseUnavailable, WriteConflict
from workflows.leased_work import Backoff, Outage, Pulse, Stopping
from workflows.ports import Clock
from workflows.worker_log import JsonLog

DATABASE_BACKOFF = Backoff(timedelta(seconds=0.5), timedelta(seconds=30))
"""Between ticks while the database does not answer: 0.5 s, 1 s, 2 s, ... at most 30 s."""


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_write_conflict(exc: BaseException) -> bool:
    """The database broke a deadlock or a serialization conflict by aborting our transaction.

    An operator's command and a firing on the same case lock its rows in different orders; the
    server aborts one of them, which then is re-evaluated like any other lost race.
    """
    return isinstance(exc, WriteConflict)


def is_database_down(exc: BaseException) -> bool:
    """Errors that mean "the database did not answer", not "this deadline is broken"."""
    return isinstance(exc, DatabaseUnavailable)


class ShiftableClock(Clock, Protocol):
    def to_wall(self, instant: datetime) -> datetime: ...


class WallClock:
    """The real time, read through a daemon's clock: `clock.to_wall(clock.now())`."""

    def __init__(self, clock: ShiftableClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.to_wall(self.clock.now())


class Deliveries(Protocol):
    stopping: Stopping
    log: JsonLog

    def deliver_due(self) -> Any: ...


class HeartbeatStore(Protocol):
    def put(self, beat: Heartbeat) -> None: ...


class Daemon:
    """The long-running process: ticks on APScheduler, heartbeats, back-off, graceful stop.

    It hands the runner and the deliverer its stop request, its log and its progress beat.
    """

    def __init__(
        self,
        runner: DeadlineRunner,
        *,
        clock: ShiftableClock,
        heartbeats: HeartbeatStore,
        tick_seconds: float,
        deliverer: Deliveries | None = None,
        deliver_seconds: float = 5.0,
        checkpointer: Callable[[], Checkpoint | None] | None = None,
        checkpoint_seconds: float = 3600.0,
        warner: Callable[[], Sequence[str]] | None = None,
        warn_seconds: float = 3600.0,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.wall = WallClock(clock)
        self.log = JsonLog(self.wall)
        self.heartbeats = heartbeats
        self.tick_seconds = tick_seconds
        self.deliverer = deliverer
        self.deliver_seconds = deliver_seconds
        self.checkpointer = checkpointer  # signs over the chain heads when they moved
        self.checkpoint_seconds = checkpoint_seconds
        self.warner = warner  # sends each planning warning once; says the ones sent now
        self.warn_seconds = warn_seconds
        self.stopping = threading.Event()
        self.outage = Outage(self.wall, DATABASE_BACKOFF)
        self.last_error: str | None = None
        self.last_tick_at: datetime | None = None
        # A catch-up tick can fire for minutes; beating within it keeps `starcert health` (and a
        # service manager polling it) from taking a busy daemon for a hung one.
        every = timedelta(seconds=min(max(tick_seconds, 1.0), 10.0))
        self.pulse = Pulse(self.wall, every, self._put_beat)
        self.started_at = self.pulse.started_at
        runner.on_progress = self.pulse.progress
        runner.stopping = self.stopping
        runner.log = self.log
        if deliverer is not None:
            deliverer.stopping = self.stopping  # SIGTERM ends delivery too, after the send in hand
            deliverer.log = self.log
        self._tick_lock = threading.Lock()
        self._scheduler: Any = None

    # --- jobs --------------------------------------------------------------------------------

    def tick(self) -> None:
        with self._tick_lock:
            self._tick()

    def _tick(self) -> None:
        if not self.outage.ready():
            return  # backing off: the interval tick waits for the retry
        try:
            report = self.runner.tick()
            nxt = None if self.stopping.is_set() else self.runner.next_due()
        except Exception as exc:
            self._tick_failed(exc)
            return
        failures = self.outage.recovered()
        if failures:
            self.log(logging.INFO, "database_back", after_failures=failures)
        self.last_error = None
        self.last_tick_at = self.wall.now()
        if report.claimed:
            self.log(logging.INFO, "tick", worker=self.runner.worker, **report.counts())
        self._beat("running")
        if report.fired and self.deliverer is not None:
            self._wake("deliver")
        if nxt is not None and not self.stopping.is_set():
            self._at(self.clock.to_wall(nxt), "next-due")

    def _tick_failed(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        self.last_error = error
        if not is_database_down(exc):
            self.log(logging.ERROR, "tick_failed", worker=self.runner.worker, error=error)
            self._beat("running")
            return
        delay = self.outage.failed()
        self.log(
            logging.WARNING,
            "database_unavailable",
            worker=self.runner.worker,
            attempt=self.outage.failures,
            retry_in_s=delay.total_seconds(),
            error=error,
        )
        if self.outage.retry_at is not None and not self.stopping.is_set():
            self._at(self.outage.retry_at, "db-retry")

    def deliver(self) -> None:
        if self.deliverer is None:
            return
        try:
            self.deliverer.deliver_due()
        except Exception as exc:
            level = logging.WARNING if is_database_down(exc) else logging.ERROR
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            self.log(level, "delivery_pass_failed", worker=self.runner.worker, error=error)

    def checkpoint(self) -> None:
        """Sign a checkpoint over every chain head if they moved (see starcert.checkpoint_keys);
        a failure is logged and the next interval tries again."""
        if self.checkpointer is None:
            return
        try:
            made = self.checkpointer()
        except Exception as exc:
            self._failed("checkpoint_failed", exc)
            return
        if made is not None:
            self.log(
                logging.INFO, "checkpoint_signed", worker=self.runner.worker, id=made.id,
                tree_size=made.tree_size, root=made.root, key_id=made.key_id,
            )  # fmt: skip

    def _failed(self, event: str, exc: Exception) -> None:
        """A periodic task's failure, logged in one line (a warning while the database is down)."""
        level = logging.WARNING if is_database_down(exc) else logging.ERROR
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        self.log(level, event, worker=self.runner.worker, error=error)

    def warn(self) -> None:
        """Send the planning warnings not sent before (starcert.audit_warnings); a failure is
        logged and the next interval tries again."""
        if self.warner is None:
            return
        try:
            sent = self.warner()
        except Exception as exc:
            self._failed("warnings_failed", exc)
            return
        for text in sent:
            self.log(logging.WARNING, "planning_warning", worker=self.runner.worker, text=text)
        self.log(logging.INFO, "warnings_checked", worker=self.runner.worker, sent=len(sent))
        if sent and self.deliverer is not None:
            self._wake("deliver")

    def _beat(self, state: str) -> None:
        self.pulse.beat(state)

    def _put_beat(self, state: str, at: datetime) -> None:
        try:
            self.heartbeats.put(
                Heartbeat(
                    worker=self.runner.worker,
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    state=state,
                    started_at=self.started_at,
                    beat_at=at,
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
            self._scheduler.modify_job(job_id, next_run_time=self.wall.now())
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
        now = self.wall.now()
        stopping = self.stopping
        # The first request takes it in one step no signal can split, so a signal arriving while
        # that request is still being logged counts as a repeat, not as a second first stop.
        first_stop = threading.Lock()

        def stop(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if not first_stop.acquire(blocking=False):
                self.log(logging.INFO, "stop_repeated", signal=name, worker=self.runner.worker)
                return
            self.log(logging.INFO, "stopping", signal=name)
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
        if self.checkpointer is not None:
            scheduler.add_job(
                self.checkpoint,
                "interval",
                seconds=self.checkpoint_seconds,
                id="checkpoint",
                next_run_time=now,
                executor="default",
            )
        if self.warner is not None:
            scheduler.add_job(
                self.warn,
                "interval",
                seconds=self.warn_seconds,
                id="warnings",
                next_run_time=now,
                executor="default",
            )
        self._beat("starting")  # healthy while its beat is fresh; then it must tick
        banner()
        self.log(logging.INFO, "started", worker=self.runner.worker, clock=self.clock.now())
        scheduler.start()
        stopping.wait()  # a signal handler runs in this thread, between waits
        scheduler.shutdown(wait=True)  # the tick in hand finishes (it sees `stopping`)
        self._beat("stopped")
        # Nothing is left to stop: a stop requested while the process tears down is ignored
        # (Python resets its own handlers early in that, which would end it by the signal).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.log(logging.INFO, "stopped", worker=self.runner.worker, fired=self.runner.fired_total)
