"""Decisions remembered by what determines them, so equal facts are decided once per rule version.

The key is the rule version (content hash, name, version, the source recorded in the Decision and
its outcome registry), the date decided as of, the checks made and the canonical facts
(engine.canonical). A new version, or the same content published from another source, never
reuses another's answers. Least recently used entries go first; a memo is safe to share between
threads. Decisions are immutable, so a remembered one is returned as is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date

from engine.canonical import Canon
from engine.decision import Decision
from engine.outcomes import DEFAULT_OUTCOMES
from engine.ruleset import RuleSet
from engine.vocabulary import Check

DEFAULT_SIZE = 4096
"""About 4 KB a decision with its key: some 16 MB when full."""

MemoKey = tuple[Hashable, ...]


class DecisionMemo:
    """An LRU of decisions; size 0 remembers nothing."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError(f"a decision memo holds 0 or more decisions, not {size}")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[MemoKey, Decision] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def key(ruleset: RuleSet, as_of: date, checks: frozenset[Check], canon: Canon) -> MemoKey:
        outcomes = ruleset.outcomes
        return (
            ruleset.content_hash,
            ruleset.name,
            ruleset.version,
            ruleset.source,
            None if outcomes is DEFAULT_OUTCOMES else _Same(outcomes),
            as_of,
            checks,
            canon.key,
        )

    def get(self, key: MemoKey) -> Decision | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)
            return found

    def put(self, key: MemoKey, decision: Decision) -> None:
        if not self.size:
            return
        with self._lock:
            self._entries[key] = decision
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)


class _Same:
    """An outcome registry held by identity (a mapping is not hashable; the key keeps it alive,
    so its id is never another's)."""

    __slots__ = ("held",)

    def __init__(self, held: object) -> None:
        self.held = held

    def __hash__(self) -> int:
        return id(self.held)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.held is self.held
