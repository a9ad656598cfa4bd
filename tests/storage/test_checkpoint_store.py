"""The checkpoint store, alike on every backend: the heads it signs over, checkpoints kept with
their heads, and public keys kept once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.memory.memory_checkpoints import MemoryCheckpoints
from storage.sql.sql_checkpoints import SqlCheckpoints
from tests.storage.storage_backends import Backend
from tests.storage.storage_builders import new_case
from workflows.audit_trail import seal
from workflows.checkpoints import Checkpoint, CheckpointStore, Head, PublicKey, root_of
from workflows.model import Event, State

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _store(backend: Backend) -> CheckpointStore:
    if backend.store is not None:
        return MemoryCheckpoints(backend.store)
    assert backend.engine is not None
    return SqlCheckpoints(backend.engine)


def _case_with_events(backend: Backend, n: int) -> list[Event]:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        events: list[Event] = []
        for i in range(n):
            raw = Event(case.id, 0, AT + timedelta(days=i), "li", f"t{i}", None, State.APPLIED,
                        None, None, None, {"i": i})  # fmt: skip
            events.append(uow.events.append(seal(raw, events[-1] if events else None)))
        uow.commit()
    return events


def test_heads_are_every_case_with_events_in_case_order(backend: Backend) -> None:
    store = _store(backend)
    assert store.heads() == []
    first = _case_with_events(backend, 3)
    _case_with_events(backend, 0)  # no events yet: no head
    third = _case_with_events(backend, 1)
    assert store.heads() == [
        Head(first[0].case_id, 3, first[-1].hash),
        Head(third[0].case_id, 1, third[-1].hash),
    ]


def test_checkpoints_and_keys_come_back_as_kept(backend: Backend) -> None:
    store = _store(backend)
    assert store.latest() is None and store.all() == [] and store.keys() == []
    events = _case_with_events(backend, 2)
    heads = tuple(store.heads())
    old, new = PublicKey("a" * 16, "01" * 32, AT), PublicKey("b" * 16, "02" * 32, AT + timedelta(1))
    store.add_key(old)
    store.add_key(old)  # kept once
    store.add_key(new)
    assert store.keys() == [old, new]
    made = [
        store.add(
            Checkpoint(
                key.key_id, len(heads), root_of(heads), AT + timedelta(hours=i), "ab" * 64, heads
            )
        )
        for i, key in enumerate((old, new))
    ]
    assert made[0].id is not None and made[1].id is not None and made[0].id < made[1].id
    assert store.all() == made
    assert store.latest() == made[1]
    assert made[1].heads == (Head(events[0].case_id, 2, events[-1].hash),)
