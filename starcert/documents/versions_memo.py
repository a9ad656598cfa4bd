"""A case's certificate document versions kept by its chain head, for lookups that repeat.

The versions are derived from the whole trail (document_versions), which a public verification
would otherwise read and hash again on every request. A trail only grows, and every change a
document prints (holder, scope, star level, dates) is an event: a case whose chain head has not
moved has the versions it had. The holder's credit code, also printed, never changes.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from starcert.documents.document_versions import DocumentVersion

Key = tuple[int, int]  # (case id, the sequence number of its newest event)


class VersionsMemo:
    """Bounded, least recently used out first; shared by the server's worker threads."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._kept: OrderedDict[Key, tuple[DocumentVersion, ...]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Key) -> tuple[DocumentVersion, ...] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: Key, versions: tuple[DocumentVersion, ...]) -> None:
        with self._lock:
            self._kept[key] = versions
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
