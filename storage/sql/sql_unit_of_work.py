"""The SQL unit of work: one transaction (storage.sql.sql_transaction), its nine repositories
and the reads of `RegisterReads` in it."""

from __future__ import annotations

from functools import cached_property

from storage.sql.sql_accounts import SqlAccounts
from storage.sql.sql_cases import (
    SqlApplications,
    SqlAudits,
    SqlCases,
    SqlEventLog,
    SqlOrganisations,
)
from storage.sql.sql_deadlines import SqlDeadlines
from storage.sql.sql_outbox import SqlOutbox
from storage.sql.sql_reads import SqlRegisterReads
from storage.sql.sql_rule_versions import SqlRuleVersions
from storage.sql.sql_transaction import SqlTransaction
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


class SqlUnitOfWork(SqlTransaction):
    """`with SqlUnitOfWork(engine) as uow: ...; uow.commit()`: the storage contract on SQL."""

    # Repositories are made on first use: a transition touches four of the nine.
    @cached_property
    def organisations(self) -> OrganisationRepository:
        return SqlOrganisations(self)

    @cached_property
    def applications(self) -> ApplicationRepository:
        return SqlApplications(self)

    @cached_property
    def audits(self) -> AuditRepository:
        return SqlAudits(self)

    @cached_property
    def cases(self) -> CaseRepository:
        return SqlCases(self)

    @cached_property
    def deadlines(self) -> DeadlineRepository:
        return SqlDeadlines(self)

    @cached_property
    def events(self) -> EventLog:
        return SqlEventLog(self)

    @cached_property
    def accounts(self) -> AccountRepository:
        return SqlAccounts(self)

    @cached_property
    def notifications(self) -> NotificationOutbox:
        return SqlOutbox(self)

    @cached_property
    def rule_versions(self) -> RuleVersionRepository:
        return SqlRuleVersions(self)

    @cached_property
    def reads(self) -> RegisterReads:
        return SqlRegisterReads(self)


__all__ = ["SqlUnitOfWork"]
