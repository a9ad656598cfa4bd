"""Delivering the notification outbox through a channel (starcert.notify: webhook and e-mail).

At least once: a message is marked delivered only after the channel reports success, in a
transaction of its own. A crash between the answer and the mark sends it again once its lease
has run out, with the same idempotency key (`starcert-notification-<id>`), so the receiver can
drop the repeat. Failures are retried with doubling back-off up to `max_attempts`; a message that
used them all stays in the outbox with its last error, shown by `starcert status`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Protocol

from workflows.leased_work import Backoff, LeasedWork, OutboxTable, StopFlag, Stopping
from workflows.ports import Clock, Notification, UnitOfWork
from workflows.worker_log import JsonLog

MAX_DELIVERY_BACKOFF = timedelta(hours=1)


class DeliveryFailed(Exception):
    pass


class Channel(Protocol):
    def send(self, message: Notification) -> None:
        """Deliver or raise DeliveryFailed saying why."""
        ...


def idempotency_key(message: Notification) -> str:
    return f"starcert-notification-{message.id}"


def message_body(message: Notification) -> dict[str, object]:
    return {
        "id": message.id,
        "kind": message.kind,
        "case_id": message.case_id,
        "created_at": message.created_at.isoformat(),
        "payload": dict(message.payload),
    }


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0


class Deliverer:
    """Leases pending messages and sends each through the channel, once per success.

    It leases one message at a time: the lease outlives one send, so another daemon never takes
    over a message this one still means to send. Once `stopping` is set it sends no more.
    """

    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        channel: Channel,
        clock: Clock,
        worker: str,
        lease: timedelta,
        max_attempts: int,
        backoff: timedelta,
        batch_size: int = 1,
        stopping: Stopping | None = None,
        log: JsonLog | None = None,
        only: str | None = None,
    ) -> None:
        """`only`: deliver the messages of this outbox channel ("webhook", "email") alone."""
        self.uow_factory = uow_factory
        self.channel = channel
        self.clock = clock
        self.worker = worker
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.work = LeasedWork(
            partial(OutboxTable, max_attempts=max_attempts, channel=only),
            uow_factory=uow_factory,
            clock=clock,
            worker=worker,
            lease=lease,
            backoff=Backoff(backoff, MAX_DELIVERY_BACKOFF),
        )
        self.stopping: Stopping = stopping if stopping is not None else StopFlag()
        self.log = log if log is not None else JsonLog(clock)

    def deliver_due(self) -> DeliveryReport:
        report = DeliveryReport()
        while not self.stopping.is_set():
            batch = self.work.claim(self.batch_size)
            if not batch:
                return report
            for message in batch:
                self._deliver(message, report)
        return report

    def _deliver(self, message: Notification, report: DeliveryReport) -> None:
        assert message.id is not None
        try:
            self.channel.send(message)
        except DeliveryFailed as exc:
            failure = self.work.fail(message, str(exc))
            gave_up = failure.attempts >= self.max_attempts
            report.failed += 1
            report.gave_up += gave_up
            self.log(
                logging.ERROR if gave_up else logging.WARNING,
                "notification_failed",
                notification=message.id,
                case=message.case_id,
                kind=message.kind,
                channel=message.channel,
                attempts=failure.attempts,
                gave_up=gave_up,
                retry_at=None if gave_up else failure.retry_at.isoformat(),
                error=str(exc),
            )
            return
        # A crash or a lost database here leaves it unmarked: it is sent again after the lease,
        # with the same idempotency key.
        with self.uow_factory() as uow:
            uow.notifications.mark_delivered(message.id, self.clock.now())
            uow.commit()
        report.sent += 1
        self.log(
            logging.INFO,
            "notification_delivered",
            notification=message.id,
            case=message.case_id,
            kind=message.kind,
            channel=message.channel,
            attempts=message.attempts + 1,
        )


class Deliverers:
    """Several deliverers (one per channel) run as one: the daemon hands its stop request and
    its log to each, and one pass delivers what is due on every channel."""

    def __init__(self, deliverers: list[Deliverer]) -> None:
        self.deliverers = deliverers

    @property
    def stopping(self) -> Stopping:
        return self.deliverers[0].stopping

    @stopping.setter
    def stopping(self, value: Stopping) -> None:
        for d in self.deliverers:
            d.stopping = value

    @property
    def log(self) -> JsonLog:
        return self.deliverers[0].log

    @log.setter
    def log(self, value: JsonLog) -> None:
        for d in self.deliverers:
            d.log = value

    def deliver_due(self) -> DeliveryReport:
        total = DeliveryReport()
        for d in self.deliverers:
            report = d.deliver_due()
            total.sent += report.sent
            total.failed += report.failed
            total.gave_up += report.gave_up
        return total
