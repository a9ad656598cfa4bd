"""A real in-memory backend: the storage contract without a database, for tests and trials.

Several `MemoryUnitOfWork`s share one `MemoryStore`, the way several processes share a database;
how a unit of work isolates its writes is told in storage.memory.memory_tables.
"""

from __future__ import annotations

from storage.memory.memory_accounts import MemoryAccounts
from storage.memory.memory_cases import (
    MemoryApplications,
    MemoryAudits,
    MemoryCases,
    MemoryEventLog,
    MemoryOrganisations,
)
from storage.memory.memory_deadlines import MemoryDeadlines
from storage.memory.memory_outbox import MemoryOutbox
from storage.memory.memory_reads import MemoryRegisterReads
from storage.memory.memory_rule_versions import MemoryRuleVersions
from storage.memory.memory_tables import MemoryTransaction, SharedTables
from workflows.ports import (
    AccountRepository,
    ApplicationRepository,
    AuditRepository,
    CaseRepository,
    DeadlineRepository,
    EventLog,
    NotificationOutbox,
    OrganisationRepository,
    RuleVersionRepository,
)
from workflows.read_ports import RegisterReads


class MemoryStore(SharedTables):
    """The shared committed data, with a change stamp per row for first-committer-wins checks."""

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class MemoryUnitOfWork(MemoryTransaction):
    """One transaction over a MemoryStore: the nine repositories and the reads of the contract."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        super().__init__(store if store is not None else MemoryStore())
        self.organisations: OrganisationRepository = MemoryOrganisations(self)
        self.applications: ApplicationRepository = MemoryApplications(self)
        self.audits: AuditRepository = MemoryAudits(self)
        self.cases: CaseRepository = MemoryCases(self)
        self.deadlines: DeadlineRepository = MemoryDeadlines(self)
        self.events: EventLog = MemoryEventLog(self)
        self.accounts: AccountRepository = MemoryAccounts(self)
        self.notifications: NotificationOutbox = MemoryOutbox(self)
        self.rule_versions: RuleVersionRepository = MemoryRuleVersions(self)

    @property
    def reads(self) -> RegisterReads:
        """Search, feeds and the register on this unit of work's snapshot."""
        return MemoryRegisterReads(self.data)


__all__ = ["MemoryStore", "MemoryUnitOfWork"]
