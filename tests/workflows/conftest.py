"""Fixtures for lifecycle tests: the case service over the in-memory store, a fake clock, plain rules."""

from __future__ import annotations

import pytest
from lifecycle_doubles import SHANGHAI, START, PlainRules
from lifecycle_steps import Office

from storage.memory.memory_store import MemoryStore
from workflows.case_service import CaseService
from workflows.fake_clock import FakeClock


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
def case_service(store: MemoryStore, rules: PlainRules, clock: FakeClock) -> CaseService:
    return CaseService(store.uow, rules, clock, SHANGHAI, number_prefix="ASC")


@pytest.fixture
def office(case_service: CaseService, store: MemoryStore, clock: FakeClock) -> Office:
    return Office(case_service, store.uow, clock)
