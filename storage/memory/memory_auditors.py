"""The auditor register in memory, beside a memory store's organisations (see workflows.auditors)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from storage.formats import utc
from storage.memory.memory_store import MemoryStore
from workflows.auditors import Auditor, AuditorChange, AuditorNotFound
from workflows.errors import ConcurrencyConflict, InvalidInput, NotFound


@dataclass
class _Kept:
    lock: threading.Lock = field(default_factory=threading.Lock)
    auditors: dict[int, Auditor] = field(default_factory=dict)
    changes: list[AuditorChange] = field(default_factory=list)


_KEPT: weakref.WeakKeyDictionary[MemoryStore, _Kept] = weakref.WeakKeyDictionary()
"""Each store's register, so every handle on one store sees the same auditors (as every
connection to one database does)."""
_MAKING = threading.Lock()


class MemoryAuditors:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        with _MAKING:
            kept = _KEPT.setdefault(store, _Kept())
        self._lock = kept.lock
        self._auditors = kept.auditors
        self._changes = kept.changes

    def add(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        with self._lock:
            self._refuse_taken(auditor)
            self._refuse_missing(auditor)
            stored = replace(auditor, id=max(self._auditors, default=0) + 1, version=0)
            assert stored.id is not None
            self._auditors[stored.id] = stored
            self._append(replace(change, auditor_id=stored.id))
            return stored

    def save(self, auditor: Auditor, change: AuditorChange) -> Auditor:
        assert auditor.id is not None
        with self._lock:
            held = self._held(auditor.id)
            if held.version != auditor.version:
                raise ConcurrencyConflict(f"auditor {auditor.id} was changed by someone else")
            self._refuse_taken(auditor)
            self._refuse_missing(auditor)
            stored = replace(auditor, version=auditor.version + 1)
            self._auditors[auditor.id] = stored
            self._append(replace(change, auditor_id=auditor.id))
            return stored

    def get(self, auditor_id: int) -> Auditor:
        with self._lock:
            return self._held(auditor_id)

    def by_registration(self, registration: str) -> Auditor | None:
        with self._lock:
            return next(
                (
                    a
                    for a in self._auditors.values()
                    if a.qualification.registration == registration
                ),
                None,
            )

    def list(self) -> Sequence[Auditor]:
        with self._lock:
            return [self._auditors[k] for k in sorted(self._auditors)]

    def history(self, auditor_id: int) -> Sequence[AuditorChange]:
        with self._lock:
            return [c for c in self._changes if c.auditor_id == auditor_id]

    def missing_organisations(self, ids: Iterable[int]) -> frozenset[int]:
        missing = set()
        with self._store.uow() as uow:
            for oid in set(ids):
                try:
                    uow.organisations.get(oid)
                except NotFound:
                    missing.add(oid)
        return frozenset(missing)

    # --- under the lock ----------------------------------------------------------------------

    def _held(self, auditor_id: int) -> Auditor:
        found = self._auditors.get(auditor_id)
        if found is None:
            raise AuditorNotFound(f"auditor {auditor_id} not found")
        return found

    def _refuse_taken(self, auditor: Auditor) -> None:
        """As the SQL unique index does."""
        number = auditor.qualification.registration
        if any(
            a.qualification.registration == number and a.id != auditor.id
            for a in self._auditors.values()
        ):
            raise InvalidInput("registration", "already registered to another auditor")

    def _refuse_missing(self, auditor: Auditor) -> None:
        """As the SQL foreign key does."""
        if self.missing_organisations(r.organisation_id for r in auditor.relations):
            raise InvalidInput("relations", "an organisation it names is not registered")

    def _append(self, change: AuditorChange) -> None:
        at = utc(change.at, "at")
        self._changes.append(replace(change, id=len(self._changes) + 1, at=at))
