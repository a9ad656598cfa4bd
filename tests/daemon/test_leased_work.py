"""Leases and back-off on a fake clock, against the in-memory store and SQLite: a lease that runs
out hands the row to another worker, a released row is taken at once, each failure doubles the
wait up to its ceiling, and a message that keeps failing is given up after its attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest

from starcert.app import App
from storage.memory.memory_store import MemoryStore
from tests.storage.storage_builders import new_case
from workflows.fake_clock import FakeClock
from workflows.leased_work import (
    Backoff,
    DeadlineTable,
    LeasedWork,
    OutboxTable,
    ReleasableWork,
)
from workflows.model import Deadline, DeadlineKind
from workflows.outbox_delivery import Deliverer, DeliveryFailed
from workflows.ports import Notification, UnitOfWork

LEASE = timedelta(minutes=5)
SECOND = timedelta(seconds=1)
NewUow = Callable[[], UnitOfWork]


@pytest.fixture(params=["memory", "sqlite"])
def new_uow(request: pytest.FixtureRequest, clock: FakeClock) -> NewUow:
    """A store holding one case with open deadlines; the clock stands at the first one's due time."""
    if request.param == "memory":
        store = MemoryStore()
        with store.uow() as uow:
            case = new_case(uow)
            assert case.id is not None
            kind = DeadlineKind.SURVEILLANCE_DUE
            uow.deadlines.add(Deadline(None, case.id, kind, clock.now() + timedelta(days=30)))
            uow.commit()
        factory: NewUow = store.uow
    else:
        app: App = request.getfixturevalue("app")  # a certified case on SQLite
        factory = app.uow
    with factory() as uow:
        first = uow.deadlines.next_due_at()
    assert first is not None
    clock.set(first)
    return factory


def _work(new_uow: NewUow, clock: FakeClock, worker: str) -> ReleasableWork[Deadline]:
    return ReleasableWork(
        DeadlineTable,
        uow_factory=new_uow,
        clock=clock,
        worker=worker,
        lease=LEASE,
        backoff=Backoff(timedelta(seconds=30), timedelta(minutes=2)),
    )


def _stored(new_uow: NewUow, deadline_id: int | None) -> Deadline:
    assert deadline_id is not None
    with new_uow() as uow:
        return uow.deadlines.get(deadline_id)


def test_a_crashed_workers_lease_runs_out_and_another_worker_takes_the_row(
    new_uow: NewUow, clock: FakeClock
) -> None:
    crashed, other = _work(new_uow, clock, "crashed"), _work(new_uow, clock, "other")
    [row] = crashed.claim(1)  # ... and the worker dies holding it
    assert row.claimed_by == "crashed" and row.claimed_until == clock.now() + LEASE
    assert other.claim(1) == []

    clock.advance(LEASE - SECOND)
    assert other.claim(1) == []  # still leased
    clock.advance(SECOND)
    [taken] = other.claim(1)
    assert (taken.id, taken.claimed_by) == (row.id, "other")
    assert _stored(new_uow, row.id).claimed_until == clock.now() + LEASE

    crashed.release([row])  # back too late: the row is no longer its to give back
    assert _stored(new_uow, row.id).claimed_by == "other"
    assert _work(new_uow, clock, "third").claim(1) == []


def test_a_released_row_is_claimed_again_at_once(new_uow: NewUow, clock: FakeClock) -> None:
    first, second = _work(new_uow, clock, "first"), _work(new_uow, clock, "second")
    [row] = first.claim(1)
    assert second.claim(1) == []
    first.release([row])
    stored = _stored(new_uow, row.id)
    assert (stored.claimed_by, stored.claimed_until) == (None, None)
    assert [d.id for d in second.claim(1)] == [row.id]  # no wait for the lease


def test_each_failure_doubles_the_back_off_up_to_its_ceiling(
    new_uow: NewUow, clock: FakeClock
) -> None:
    work = _work(new_uow, clock, "w")
    waits = []
    [row] = work.claim(1)
    for attempt in range(1, 6):
        failure = work.fail(row, f"RuntimeError: attempt {attempt}")
        wait = failure.retry_at - clock.now()
        waits.append(wait)
        stored = _stored(new_uow, row.id)
        assert (stored.attempts, stored.last_error) == (attempt, f"RuntimeError: attempt {attempt}")
        assert (failure.attempts, stored.claimed_until) == (attempt, failure.retry_at)
        clock.advance(wait - SECOND)
        assert work.claim(1) == []  # backing off: not retried before its time
        clock.advance(SECOND)
        [row] = work.claim(1)
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 120, 120)]
    with new_uow() as uow:
        assert [d.id for d in uow.deadlines.incidents()] == [row.id]


class FlakyWebhook:
    """A receiver that refuses the first `refusals` sends, then takes every message."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.received: list[int | None] = []

    def send(self, message: Notification) -> None:
        if self.refusals:
            self.refusals -= 1
            raise DeliveryFailed("HTTP 503 from the receiver")
        self.received.append(message.id)


def _notify(new_uow: NewUow, clock: FakeClock, kind: str) -> int:
    now = clock.now()
    with new_uow() as uow:
        message = uow.notifications.add(Notification(None, None, kind, "webhook", {}, now, now))
        uow.commit()
    assert message.id is not None
    return message.id


def _message(new_uow: NewUow, message_id: int) -> Notification:
    with new_uow() as uow:
        return next(m for m in uow.notifications.pending(100) if m.id == message_id)


def test_a_failing_message_waits_longer_each_time_and_is_given_up_after_its_attempts(
    new_uow: NewUow, clock: FakeClock
) -> None:
    webhook = FlakyWebhook(refusals=3)
    deliverer = Deliverer(
        uow_factory=new_uow, channel=webhook, clock=clock, worker="w", lease=LEASE,
        max_attempts=3, backoff=timedelta(seconds=10),
    )  # fmt: skip
    doomed = _notify(new_uow, clock, "test_doomed")
    for attempt, wait in ((1, 10), (2, 20)):
        report = deliverer.deliver_due()
        assert (report.sent, report.failed, report.gave_up) == (0, 1, 0)
        retry_at = clock.now() + timedelta(seconds=wait)
        stored = _message(new_uow, doomed)
        assert (stored.attempts, stored.claimed_until) == (attempt, retry_at)
        clock.advance(timedelta(seconds=wait) - SECOND)
        assert deliverer.deliver_due().failed == 0  # not tried again before its time
        clock.advance(SECOND)
    report = deliverer.deliver_due()
    assert (report.sent, report.failed, report.gave_up) == (0, 1, 1)  # the third attempt failed

    clock.advance(timedelta(days=30))
    assert deliverer.deliver_due().failed == 0 and webhook.received == []  # given up for good
    stored = _message(new_uow, doomed)
    assert (stored.attempts, stored.last_error) == (3, "HTTP 503 from the receiver")
    assert stored.delivered_at is None

    fine = _notify(new_uow, clock, "test_fine")
    assert deliverer.deliver_due().sent == 1
    assert deliverer.deliver_due().sent == 0  # delivered once
    assert webhook.received == [fine]


def test_a_message_in_a_dead_deliverers_hands_is_sent_by_another_after_the_lease(
    new_uow: NewUow, clock: FakeClock
) -> None:
    message_id = _notify(new_uow, clock, "test_orphan")
    dead = LeasedWork(  # leases like a deliverer, then dies before sending
        partial(OutboxTable, max_attempts=3), uow_factory=new_uow, clock=clock, worker="dead",
        lease=LEASE, backoff=Backoff(SECOND, SECOND),
    )  # fmt: skip
    assert [m.id for m in dead.claim(1)] == [message_id]
    webhook = FlakyWebhook(refusals=0)
    alive = Deliverer(
        uow_factory=new_uow, channel=webhook, clock=clock, worker="alive", lease=LEASE,
        max_attempts=3, backoff=SECOND,
    )  # fmt: skip
    assert alive.deliver_due().sent == 0
    clock.advance(LEASE)
    assert alive.deliver_due().sent == 1 and webhook.received == [message_id]
