"""The planning warnings sent, in memory: one set of keys per memory store, the outbox message
put in the store's outbox in the same step (see storage.sql.sql_warnings)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from storage.formats import utc
from storage.memory.memory_store import MemoryStore
from workflows.ports import Notification


@dataclass
class _Kept:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, tuple[str, datetime]] = field(default_factory=dict)


_KEPT: weakref.WeakKeyDictionary[MemoryStore, _Kept] = weakref.WeakKeyDictionary()
_MAKING = threading.Lock()


class MemoryWarnings:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        with _MAKING:
            self._kept = _KEPT.setdefault(store, _Kept())

    def warn_once(self, key: str, text: str, message: Notification) -> bool:
        with self._kept.lock:
            if key in self._kept.sent:
                return False
            with self._store.uow() as uow:
                uow.notifications.add(message)
                uow.commit()
            self._kept.sent[key] = (text, utc(message.created_at, "at"))
            return True

    def sent(self) -> Sequence[tuple[str, str, datetime]]:
        with self._kept.lock:
            rows = [(k, text, at) for k, (text, at) in self._kept.sent.items()]
        return sorted(rows, key=lambda r: (r[2], r[0]))
