"""The deadline runner on the memory store: a backlog fired batch by batch, each batch under one
commit with every firing in a savepoint, leaves each case's trail as firing one deadline per
transaction leaves it."""

from __future__ import annotations

from datetime import timedelta

from lifecycle_doubles import SHANGHAI, START, PlainRules
from lifecycle_steps import Office

from storage.memory.memory_store import MemoryStore
from workflows.audit_trail import verify
from workflows.case_service import CaseService
from workflows.deadline_runner import DeadlineRunner
from workflows.fake_clock import FakeClock


def _office_with_backlog() -> tuple[Office, list[int]]:
    store, clock = MemoryStore(), FakeClock(START)
    office = Office(CaseService(store.uow, PlainRules(), clock, SHANGHAI), store.uow, clock)
    cases = [office.certify(score) for score in (85, 90, 95, 85)]
    clock.advance(timedelta(days=1000))  # a daemon down for years: everything planned is due
    return office, cases


def _trails(office: Office, cases: list[int]) -> dict[int, list[tuple[str, str]]]:
    return {c: [(e.trigger, str(e.to_state)) for e in office.snapshot(c).events] for c in cases}


def test_a_backlog_fired_in_batches_leaves_the_trails_one_firing_per_transaction_leaves() -> None:
    batched, cases = _office_with_backlog()
    one_by_one, same = _office_with_backlog()
    assert same == cases
    runner = DeadlineRunner(
        case_service=batched.case_service, uow_factory=batched.new_uow, clock=batched.clock,
        worker="daemon-1", lease=timedelta(minutes=5), batch_size=50, log_firings=False,
    )  # fmt: skip
    fired = 0
    while (report := runner.tick()).claimed:
        fired += report.fired
        assert report.failed == report.conflicts == 0
    assert fired == len(one_by_one.fire_due()) > len(cases)
    assert _trails(batched, cases) == _trails(one_by_one, cases)
    for case_id in cases:
        assert verify(batched.snapshot(case_id).events) is None
        assert batched.snapshot(case_id).deadlines == one_by_one.snapshot(case_id).deadlines
