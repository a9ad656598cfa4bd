"""`MemoryDatabase`: the storage.database.Database handle on a memory store (tests and trials)."""

from __future__ import annotations

from storage.memory.memory_assignments import MemoryAssignments
from storage.memory.memory_auditors import MemoryAuditors
from storage.memory.memory_checkpoints import MemoryCheckpoints
from storage.memory.memory_console_sessions import MemoryConsoleSessions
from storage.memory.memory_rate_limits import MemoryRateLimits
from storage.memory.memory_reads import MemoryDatabaseReads, MemoryHeartbeats, MemoryPublicLookups
from storage.memory.memory_store import MemoryStore, MemoryUnitOfWork
from storage.memory.memory_warnings import MemoryWarnings


class MemoryDatabase:
    backend = "memory"

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.reads = MemoryDatabaseReads(self.store)
        self.heartbeats = MemoryHeartbeats()
        self.checkpoints = MemoryCheckpoints(self.store)
        self.console_sessions = MemoryConsoleSessions(self.store)
        self.rate_limits = MemoryRateLimits()
        self.auditors = MemoryAuditors(self.store)
        self.assignments = MemoryAssignments(self.store)
        self.warnings = MemoryWarnings(self.store)

    def shown_url(self) -> str:
        return "memory"

    def require_current(self) -> None:
        return None  # a memory store is always at this code's schema

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    def public_lookups(self) -> MemoryPublicLookups:
        return MemoryPublicLookups(self.store)

    def close(self) -> None:
        return None
