"""Fixtures for lifecycle tests: a Lifecycle over the in-memory store, a fake clock, plain rules."""

from __future__ import annotations

import pytest
from lifecycle_doubles import SHANGHAI, START, PlainRules
from lifecycle_steps import Office

from storage.memory.memory_store import MemoryStore
from workflows.clock import FakeClock
from workflows.services import Lifecycle


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def rules() -> PlainRules:
    return PlainRules()


@pytest.fixture
def lifecycle(store: MemoryStore, rules: PlainRules, clock: FakeClock) -> Lifecycle:
    return Lifecycle(store.uow, rules, clock, SHANGHAI, number_prefix="ASC")


@pytest.fixture
def office(lifecycle: Lifecycle, store: MemoryStore, clock: FakeClock) -> Office:
    return Office(lifecycle, store.uow, clock)
