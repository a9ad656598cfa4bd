"""A savepoint undoes its own block and nothing else, on every backend.

The deadline runner commits a batch of firings at once, each in a savepoint: a firing that fails
must leave the database, and what the unit of work remembers between statements, as the firing
before it left them, or the next firing in the batch would build on writes that never happened.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text
from storage_backends import Backend
from storage_builders import T0, stored_case_id

from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.errors import StorageError
from workflows.model import ChainHead, Deadline, DeadlineKind, Event, State


def _event(case_id: int, seq: int, prev: str) -> Event:
    return Event(
        case_id=case_id, seq=seq, at=T0, actor="daemon:test", trigger="accept_application",
        from_state=State.APPLIED, to_state=State.STAGE1, reason=None, rule_version=None,
        rule_hash=None, data={}, prev_hash=prev, hash=f"h{seq}",
    )  # fmt: skip


class Refused(Exception):
    pass


def _with_event_and_deadline(backend: Backend) -> tuple[int, int]:
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        uow.events.append(_event(case_id, 1, ""))
        due = uow.deadlines.add(Deadline(None, case_id, DeadlineKind.SURVEILLANCE_DUE, T0))
        uow.commit()
    assert due.id is not None
    return case_id, due.id


def test_a_failed_savepoint_leaves_the_rows_and_what_was_learnt_as_before_it(
    backend: Backend,
) -> None:
    case_id, due_id = _with_event_and_deadline(backend)
    with backend.new_uow() as uow:
        case = uow.cases.get(case_id)
        open_before = uow.deadlines.open_for_case(case_id)
        with pytest.raises(Refused), uow.savepoint():
            uow.cases.save(replace(case, state=State.STAGE1))
            uow.events.append(_event(case_id, 2, "h1"))
            uow.deadlines.mark_done(due_id, T0)
            uow.deadlines.add(Deadline(None, case_id, DeadlineKind.EXPIRY, T0))
            assert [d.kind for d in uow.deadlines.open_for_case(case_id)] == ["expiry"]
            assert uow.events.head(case_id) == ChainHead(2, "h2")
            raise Refused("the firing fails after writing")
        # Within the same unit of work, as a next firing of the batch sees it:
        assert uow.deadlines.open_for_case(case_id) == open_before
        assert uow.events.head(case_id) == ChainHead(1, "h1")
        assert uow.cases.get(case_id).version == case.version
        with uow.savepoint():  # the next one builds on the state before the failed one
            again = uow.cases.get(case_id)
            uow.cases.save(replace(again, state=State.STAGE1))
            uow.events.append(_event(case_id, 2, "h1"))
        uow.commit()
    with backend.new_uow() as uow:
        assert [(e.seq, e.prev_hash) for e in uow.events.for_case(case_id)] == [(1, ""), (2, "h1")]
        assert uow.cases.get(case_id).version == case.version + 1
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [due_id]


def test_a_savepoint_kept_inside_one_undone_is_undone_with_it(backend: Backend) -> None:
    case_id, due_id = _with_event_and_deadline(backend)
    with backend.new_uow() as uow:
        with pytest.raises(Refused), uow.savepoint():
            with uow.savepoint():
                uow.deadlines.mark_done(due_id, T0)
            uow.events.append(_event(case_id, 2, "h1"))
            raise Refused("after the inner block was kept")
        with uow.savepoint():
            uow.events.append(_event(case_id, 2, "h1b"))
        uow.commit()
    with backend.new_uow() as uow:
        assert [e.prev_hash for e in uow.events.for_case(case_id)] == ["", "h1b"]
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [due_id]


def test_leaving_a_unit_of_work_uncommitted_drops_its_kept_savepoints(backend: Backend) -> None:
    case_id, due_id = _with_event_and_deadline(backend)
    with backend.new_uow() as uow, uow.savepoint():
        uow.deadlines.mark_done(due_id, T0)
    with backend.new_uow() as uow:
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [due_id]


def test_a_statement_the_database_refuses_spoils_only_its_savepoint(sql_backend: Backend) -> None:
    """PostgreSQL refuses every statement after a failed one until the transaction, or the
    savepoint, is rolled back."""
    case_id, due_id = _with_event_and_deadline(sql_backend)
    with sql_backend.new_uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        with uow.savepoint():
            uow.deadlines.mark_done(due_id, T0)
        with pytest.raises(StorageError), uow.savepoint():
            uow.core(text("INSERT INTO no_such_table VALUES (1)"))
        with uow.savepoint():
            uow.events.append(_event(case_id, 2, "h1"))
        uow.commit()
    with sql_backend.new_uow() as uow:
        assert [e.seq for e in uow.events.for_case(case_id)] == [1, 2]
        assert uow.deadlines.open_for_case(case_id) == []
