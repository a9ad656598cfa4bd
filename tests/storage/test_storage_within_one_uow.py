"""What a unit of work remembers between statements never outlives its transaction.

The SQL backend skips repeated existence, uniqueness and "event taken?" queries for rows it has
already read or written in the current transaction; after a rollback those facts are void.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from storage_backends import Backend
from storage_builders import T0, new_case, stored_case_id

from storage.sql import mapping
from storage.sql import statements as st
from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput
from workflows.model import Case, Deadline, DeadlineKind, Event, StarLevel, State, SuspensionCause


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
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        uow.events.append(_event(case_id, 1))
        uow.rollback()
        uow.events.append(_event(case_id, 1))  # number 1 is free again
        uow.commit()
    with backend.new_uow() as uow:
        assert [e.seq for e in uow.events.for_case(case_id)] == [1]
        with pytest.raises(ConcurrencyConflict):
            uow.events.append(_event(case_id, 1))


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


def test_what_a_loaded_row_remembers_is_what_saving_its_case_would_write() -> None:
    case = Case(
        7, 1, 2, State.SUSPENDED, "Holder", "scope", "ASC-7", StarLevel.FOUR,
        Decimal("91.50"), date(2025, 1, 2), date(2025, 1, 3), date(2028, 1, 2),
        date(2026, 1, 5), date(2026, 2, 1), SuspensionCause.CLIENT_REQUEST, "2024.1", 3,
    )  # fmt: skip
    row = SimpleNamespace(**mapping.case_values(case), id=7, version=3, head_seq=4, head_hash="h")
    remembered = {k: getattr(row, k) for k in st.CASE_COLUMNS}  # what SqlCases.get keeps
    assert remembered == mapping.case_values(mapping.case(row))
    assert tuple(mapping.case_values(case)) == st.CASE_COLUMNS


def test_deadlines_done_in_the_transaction_show_in_its_next_read(backend: Backend) -> None:
    """The open and done deadlines are read together: a deadline fired or added after that
    read is in the next one, done or open as it now is."""
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        first, second = uow.deadlines.add_many(
            [Deadline(None, case_id, DeadlineKind.SURVEILLANCE_DUE, T0),
             Deadline(None, case_id, DeadlineKind.EXPIRY, T0 + timedelta(days=30))]
        )  # fmt: skip
        uow.commit()
    assert first.id is not None and second.id is not None
    with backend.new_uow() as uow:
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [first.id, second.id]
        assert uow.deadlines.done_for_case(case_id) == []
        uow.deadlines.mark_done(first.id, T0)
        assert [d.id for d in uow.deadlines.done_for_case(case_id)] == [first.id]
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [second.id]
        uow.deadlines.open_for_case(case_id)
        added = uow.deadlines.add(Deadline(None, case_id, DeadlineKind.RECERT_REMINDER, T0))
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [added.id, second.id]
        assert [d.id for d in uow.deadlines.done_for_case(case_id)] == [first.id]
