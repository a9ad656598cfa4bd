"""Two writers taking the same two cases in opposite order: PostgreSQL aborts one; it must come out
as ConcurrencyConflict (retry), never as a raw database error."""

from __future__ import annotations

import threading

import pytest
from storage_backends import Backend
from storage_builders import new_case

from workflows.errors import ConcurrencyConflict
from workflows.model import State


@pytest.mark.postgres
@pytest.mark.parametrize("sql_backend", ["postgresql"], indirect=True)
def test_a_deadlock_is_reported_as_a_conflict(sql_backend: Backend) -> None:
    with sql_backend.new_uow() as uow:
        first = new_case(uow, "甲公司")
        second = new_case(uow, "乙公司")
        uow.commit()
    assert first.id is not None and second.id is not None
    both_hold_one = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def writer(ids: tuple[int, int]) -> None:
        try:
            with sql_backend.new_uow() as uow:
                for n, case_id in enumerate(ids):
                    case = uow.cases.get(case_id)
                    case.state = State.STAGE1
                    uow.cases.save(case)
                    if n == 0:
                        both_hold_one.wait()
                uow.commit()
            outcomes.append("committed")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=writer, args=((first.id, second.id),)),
        threading.Thread(target=writer, args=((second.id, first.id),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["committed", "conflict"]
