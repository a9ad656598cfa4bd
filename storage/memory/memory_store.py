"""A real in-memory backend: the storage contract without a database, for tests and trials.

Several `MemoryUnitOfWork`s share one `MemoryStore`, the way several processes share a database;
how a unit of work isolates its writes is told in storage.memory.memory_tables.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from storage.memory.memory_accounts import MemoryAccounts
from storage.memory.memory_cases import (
    MemoryApplications,
    MemoryAudits,
    MemoryCases,
    MemoryEventLog,
    MemoryOrganisations,
)
from storage.memory.memory_deadlines import MemoryDeadlines
from storage.memory.memory_findings import MemoryFindings
from storage.memory.memory_outbox import MemoryOutbox
from storage.memory.memory_reads import MemoryRegisterReads
from storage.memory.memory_rule_versions import MemoryRuleVersions
from storage.memory.memory_snapshot import Made
from storage.memory.memory_tables import MemoryTransaction, SharedTables
from workflows.ports import (
    AccountRepository,
    ApplicationRepository,
    AuditRepository,
    CaseRepository,
    DeadlineRepository,
    EventLog,
    FindingRepository,
    NotificationOutbox,
    OrganisationRepository,
    RuleVersionRepository,
)
from workflows.read_ports import RegisterReads

T = TypeVar("T")


class MemoryStore(SharedTables):
    """The shared committed data, with a change stamp per row for first-committer-wins checks."""

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


def _repository(make: Callable[[MemoryTransaction], T]) -> Made[T]:
    return Made(lambda uow, _name: make(uow))


class MemoryUnitOfWork(MemoryTransaction):
    """One transaction over a MemoryStore: the ten repositories and the reads of the contract
    (each repository made when first used)."""

    organisations: Made[OrganisationRepository] = _repository(MemoryOrganisations)
    applications: Made[ApplicationRepository] = _repository(MemoryApplications)
    audits: Made[AuditRepository] = _repository(MemoryAudits)
    cases: Made[CaseRepository] = _repository(MemoryCases)
    deadlines: Made[DeadlineRepository] = _repository(MemoryDeadlines)
    events: Made[EventLog] = _repository(MemoryEventLog)
    accounts: Made[AccountRepository] = _repository(MemoryAccounts)
    notifications: Made[NotificationOutbox] = _repository(MemoryOutbox)
    rule_versions: Made[RuleVersionRepository] = _repository(MemoryRuleVersions)
    findings: Made[FindingRepository] = _repository(MemoryFindings)

    def __init__(self, store: MemoryStore | None = None) -> None:
        super().__init__(store if store is not None else MemoryStore())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        # Each repository holds its unit of work: let go of them (made again if it is entered
        # again), so that a unit of work done with is freed at once, not by the cycle collector.
        made = self.__dict__
        for name in _REPOSITORIES:
            made.pop(name, None)

    @property
    def reads(self) -> RegisterReads:
        """Search, feeds and the register on this unit of work's snapshot."""
        return MemoryRegisterReads(self.data)


__all__ = ["MemoryStore", "MemoryUnitOfWork"]


_REPOSITORIES = (
    "organisations", "applications", "audits", "cases", "deadlines", "events", "accounts",
    "notifications", "rule_versions", "findings",
)  # fmt: skip
