"""Signed checkpoints and their public keys beside a memory store (tests and trials)."""

from __future__ import annotations

import threading
from dataclasses import replace

from storage.formats import utc
from storage.memory.memory_store import MemoryStore
from workflows.checkpoints import Checkpoint, Head, PublicKey


class MemoryCheckpoints:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._checkpoints: list[Checkpoint] = []
        self._keys: dict[str, PublicKey] = {}

    def heads(self) -> list[Head]:
        with self._store.uow() as uow:
            found = []
            for case_id in uow.events.all_case_ids():
                head = uow.events.head(case_id)
                if head is not None:
                    found.append(Head(case_id, head.seq, head.hash))
            return found

    def add(self, checkpoint: Checkpoint) -> Checkpoint:
        with self._lock:
            if checkpoint.key_id not in self._keys:
                raise LookupError(f"checkpoint key {checkpoint.key_id} is not kept")
            stored = replace(
                checkpoint,
                id=len(self._checkpoints) + 1,
                signed_at=utc(checkpoint.signed_at, "signed_at"),
            )
            self._checkpoints.append(stored)
            return stored

    def all(self) -> list[Checkpoint]:
        with self._lock:
            return list(self._checkpoints)

    def latest(self) -> Checkpoint | None:
        with self._lock:
            return self._checkpoints[-1] if self._checkpoints else None

    def add_key(self, key: PublicKey) -> None:
        with self._lock:
            self._keys.setdefault(key.key_id, replace(key, created_at=utc(key.created_at, "at")))

    def keys(self) -> list[PublicKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.key_id))
