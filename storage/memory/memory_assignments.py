"""Audit assignments in memory, one list per memory store (see workflows.assignments)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from storage.formats import utc
from storage.memory.memory_store import MemoryStore
from workflows.assignments import Assignment
from workflows.errors import ConcurrencyConflict, NotFound


@dataclass
class _Kept:
    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: dict[int, Assignment] = field(default_factory=dict)


_KEPT: weakref.WeakKeyDictionary[MemoryStore, _Kept] = weakref.WeakKeyDictionary()
"""Each store's assignments, so every handle on one store sees the same ones."""
_MAKING = threading.Lock()


class MemoryAssignments:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        with _MAKING:
            kept = _KEPT.setdefault(store, _Kept())
        self._lock = kept.lock
        self._rows = kept.rows

    def add(self, assignment: Assignment) -> Assignment:
        self._refuse_missing(assignment)  # as the SQL foreign keys do
        with self._lock:
            old = None if assignment.replaces is None else self._rows.get(assignment.replaces)
            if assignment.replaces is not None and (old is None or not old.current):
                raise ConcurrencyConflict(
                    f"assignment {assignment.replaces} was replaced by someone else"
                )
            stored = replace(
                assignment,
                id=max(self._rows, default=0) + 1,
                accepted_at=utc(assignment.accepted_at, "accepted_at"),
                replaced_by=None,
            )
            assert stored.id is not None
            self._rows[stored.id] = stored
            if old is not None and old.id is not None:
                self._rows[old.id] = replace(old, replaced_by=stored.id)
            return stored

    def for_case(self, case_id: int) -> Sequence[Assignment]:
        with self._lock:
            return [self._rows[k] for k in sorted(self._rows) if self._rows[k].case_id == case_id]

    def current(self) -> Sequence[Assignment]:
        with self._lock:
            return [self._rows[k] for k in sorted(self._rows) if self._rows[k].current]

    def _refuse_missing(self, assignment: Assignment) -> None:
        from storage.memory.memory_auditors import MemoryAuditors

        with self._store.uow() as uow:
            uow.cases.get(assignment.case_id)  # CaseNotFound
        register = MemoryAuditors(self._store)
        for auditor_id in assignment.member_ids:
            try:
                register.get(auditor_id)
            except NotFound:
                raise NotFound(f"auditor {auditor_id} not found") from None
