"""Delivering the notification outbox: a webhook channel and the deliverer that drives it.

At least once: a message is marked delivered only after the receiver answered 2xx, in a
transaction of its own. A crash between the answer and the mark sends it again on the next pass,
with the same `Idempotency-Key` header (`starcert-notification-<id>`), so the receiver can drop the
repeat. Failures are retried with exponential back-off up to `max_attempts`; a message that used
them all stays in the outbox with its last error, shown by `starcert status`.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from starcert.backoff import doubling
from starcert.daemon import jsonlog
from workflows.ports import Clock, Notification, UnitOfWork

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


class WebhookChannel:
    """POSTs each message as JSON to one URL; any 2xx answer is a delivery."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        # No proxies from the environment: the receiver is the body's own endpoint.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, message: Notification) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(message_body(message), ensure_ascii=False).encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": idempotency_key(message),
                "User-Agent": "starcert-daemon",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"HTTP {exc.code} from {self.url}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"{self.url} unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status} from {self.url}")


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
        stopping: threading.Event | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.channel = channel
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.batch_size = batch_size
        self.stopping = stopping if stopping is not None else threading.Event()

    def deliver_due(self) -> DeliveryReport:
        report = DeliveryReport()
        while not self.stopping.is_set():
            now = self.clock.now()
            with self.uow_factory() as uow:
                batch = list(
                    uow.notifications.claim_pending(
                        now, self.worker, now + self.lease, self.batch_size, self.max_attempts
                    )
                )
                uow.commit()
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
            attempts = message.attempts + 1
            retry_at = self.clock.now() + doubling(self.backoff, attempts, MAX_DELIVERY_BACKOFF)
            with self.uow_factory() as uow:
                uow.notifications.record_failure(message.id, str(exc), retry_at)
                uow.commit()
            gave_up = attempts >= self.max_attempts
            report.failed += 1
            report.gave_up += gave_up
            jsonlog(
                logging.ERROR if gave_up else logging.WARNING,
                "notification_failed",
                notification=message.id,
                case=message.case_id,
                kind=message.kind,
                attempts=attempts,
                gave_up=gave_up,
                retry_at=None if gave_up else retry_at.isoformat(),
                error=str(exc),
            )
            return
        # A crash or a lost database here leaves it unmarked: it is sent again after the lease,
        # with the same idempotency key.
        with self.uow_factory() as uow:
            uow.notifications.mark_delivered(message.id, self.clock.now())
            uow.commit()
        report.sent += 1
        jsonlog(
            logging.INFO,
            "notification_delivered",
            notification=message.id,
            case=message.case_id,
            kind=message.kind,
            attempts=message.attempts + 1,
        )
