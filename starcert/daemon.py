"""The daemon: claims due deadlines from the database and fires each as a lifecycle transition.

The database is the truth and APScheduler only the alarm clock: a tick claims due rows with a lease
(so several daemons share the work and a crashed one's rows return after the lease), fires them in
due order, and schedules the next wake-up at the earliest open deadline. A firing that fails becomes
an incident on its row (attempts, last error) and is retried with back-off; it never blocks others.
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
from datetime import datetime, timedelta
from types import FrameType

from workflows.commands import FireDeadline
from workflows.errors import ConcurrencyConflict
from workflows.model import Deadline
from workflows.ports import Clock, UnitOfWork
from workflows.services import Lifecycle

log = logging.getLogger("starcert.daemon")

MAX_BACKOFF = timedelta(hours=6)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickReport:
    claimed: int = 0
    fired: int = 0
    failed: int = 0
    conflicts: int = 0
    fired_ids: list[int] = field(default_factory=list)


class DeadlineRunner:
    """One daemon's view of the deadline table: claim, fire, record failures."""

    def __init__(
        self,
        *,
        lifecycle: Lifecycle,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        worker: str,
        lease: timedelta,
        batch_size: int,
    ) -> None:
        self.lifecycle = lifecycle
        self.uow_factory = uow_factory
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.batch_size = batch_size
        self.stopping = threading.Event()

    def tick(self) -> TickReport:
        """Fire everything due now, batch after batch, until nothing due is left or we stop."""
        report = TickReport()
        while not self.stopping.is_set():
            claimed = self._claim()
            if not claimed:
                break
            report.claimed += len(claimed)
            for deadline in claimed:
                if self.stopping.is_set():
                    self._release(deadline)
                    continue
                self._fire(deadline, report)
        return report

    def _claim(self) -> list[Deadline]:
        now = self.clock.now()
        with self.uow_factory() as uow:
            rows = list(
                uow.deadlines.claim_due(now, self.worker, now + self.lease, self.batch_size)
            )
            uow.commit()
        return rows

    def _fire(self, deadline: Deadline, report: TickReport) -> None:
        assert deadline.id is not None
        try:
            self.lifecycle.handle(
                FireDeadline(
                    deadline_id=deadline.id, case_id=deadline.case_id, by=f"daemon:{self.worker}"
                )
            )
        except ConcurrencyConflict:
            # An operator changed the case meanwhile: re-evaluate on the next pass, against the new state.
            report.conflicts += 1
            self._release(deadline)
            return
        except Exception as exc:
            report.failed += 1
            self._record_failure(deadline, exc)
            return
        fired_at = self.clock.now()
        report.fired += 1
        report.fired_ids.append(deadline.id)
        lag = (fired_at - deadline.due_at).total_seconds()
        log.info(
            json.dumps(
                {
                    "event": "deadline_fired",
                    "case": deadline.case_id,
                    "kind": deadline.kind.value,
                    "due": deadline.due_at.isoformat(),
                    "fired_at": fired_at.isoformat(),
                    "lag_s": round(lag, 3),
                    "late": lag > 60,
                    "worker": self.worker,
                }
            )
        )

    def _release(self, deadline: Deadline) -> None:
        assert deadline.id is not None
        with self.uow_factory() as uow:
            uow.deadlines.release(deadline.id, self.worker)
            uow.commit()

    def _record_failure(self, deadline: Deadline, exc: Exception) -> None:
        assert deadline.id is not None
        attempts = deadline.attempts + 1
        backoff = min(timedelta(seconds=30 * 2 ** min(attempts - 1, 16)), MAX_BACKOFF)
        retry_at = self.clock.now() + backoff
        error = f"{type(exc).__name__}: {exc}"
        with self.uow_factory() as uow:
            uow.deadlines.record_failure(deadline.id, error, retry_at)
            uow.commit()
        log.error(
            json.dumps(
                {
                    "event": "deadline_incident",
                    "case": deadline.case_id,
                    "kind": deadline.kind.value,
                    "due": deadline.due_at.isoformat(),
                    "attempts": attempts,
                    "retry_at": retry_at.isoformat(),
                    "error": error,
                }
            )
        )

    def next_due(self) -> datetime | None:
        with self.uow_factory() as uow:
            return uow.deadlines.next_due_at()


def serve(runner: DeadlineRunner, tick_seconds: float, banner: Callable[[], None]) -> None:
    """Run until SIGTERM/SIGINT: tick on an interval and at the next due deadline."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    )

    def tick() -> None:
        try:
            report = runner.tick()
            if report.claimed:
                log.info(
                    json.dumps(
                        {
                            "event": "tick",
                            **{k: v for k, v in vars(report).items() if k != "fired_ids"},
                        }
                    )
                )
        except Exception as exc:
            log.error(json.dumps({"event": "tick_failed", "error": f"{type(exc).__name__}: {exc}"}))
            return
        if runner.stopping.is_set():
            return
        try:
            nxt = runner.next_due()
        except Exception:
            return
        if nxt is not None:
            scheduler.add_job(tick, "date", run_date=nxt, id="next-due", replace_existing=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info(json.dumps({"event": "stopping", "signal": signal.Signals(signum).name}))
        runner.stopping.set()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.add_job(
        tick, "interval", seconds=tick_seconds, id="interval", next_run_time=runner.clock.now()
    )
    banner()
    scheduler.start()
