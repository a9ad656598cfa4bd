"""What a unit of work remembers between statements never outlives its transaction.

The SQL backend skips repeated existence, uniqueness and "event taken?" queries for rows it has
already read or written in the current transaction; after a rollback those facts are void.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from storage_backends import Backend
from storage_builders import T0, new_case

from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput
from workflows.model import Deadline, DeadlineKind, Event, State


def _event(case_id: int, seq: int) -> Event:
    return Event(
        case_id=case_id, seq=seq, at=T0, actor="operator:li", trigger="accept_application",
        from_state=State.APPLIED, to_state=State.STAGE1, reason=None, rule_version=None,
        rule_hash=None, data={}, prev_hash="", hash=f"h{seq}",
    )  # fmt: skip


def test_a_case_rolled_back_is_unknown_to_what_follows(backend: Backend) -> None:
    with backend.new_uow() as uow:
        gone = new_case(uow, "rolled back")
        assert gone.id is not None
        uow.events.append(_event(gone.id, 1))
        uow.rollback()
        with pytest.raises(CaseNotFound):
            uow.events.append(_event(gone.id, 1))
        with pytest.raises(CaseNotFound):
            uow.deadlines.add(Deadline(None, gone.id, DeadlineKind.EXPIRY, T0))


def test_a_rolled_back_event_leaves_its_number_free_and_a_kept_one_taken(
    backend: Backend,
) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None
    with backend.new_uow() as uow:
        uow.events.append(_event(case.id, 1))
        uow.rollback()
        uow.events.append(_event(case.id, 1))  # number 1 is free again
        uow.commit()
    with backend.new_uow() as uow:
        assert [e.seq for e in uow.events.for_case(case.id)] == [1]
        with pytest.raises(ConcurrencyConflict):
            uow.events.append(_event(case.id, 1))


def test_a_loaded_number_given_away_is_checked_again(backend: Backend) -> None:
    with backend.new_uow() as uow:
        a, b = new_case(uow, "A"), new_case(uow, "B")
        uow.commit()
    assert a.id is not None and b.id is not None
    with backend.new_uow() as uow:
        mine = uow.cases.get(a.id)
        mine.number = "ASC-1"
        uow.cases.save(mine)
        uow.commit()
    with backend.new_uow() as uow:
        loaded = uow.cases.get(b.id)  # holds no number yet
        with pytest.raises(InvalidInput, match="ASC-1"):
            uow.cases.save(replace(loaded, number="ASC-1"))
