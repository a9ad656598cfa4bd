"""The SQL unit of work: one transaction (storage.sql.sql_transaction), its ten repositories
and the reads of `RegisterReads` in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from storage.sql.sql_accounts import SqlAccounts
from storage.sql.sql_cases import (
    SqlApplications,
    SqlAudits,
    SqlCases,
    SqlEventLog,
    SqlOrganisations,
)
from storage.sql.sql_deadlines import SqlDeadlines
from storage.sql.sql_findings import SqlFindings
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
    FindingRepository,
    NotificationOutbox,
    OrganisationRepository,
    RuleVersionRepository,
)
from workflows.read_ports import RegisterReads

T = TypeVar("T")


class _made_on_first_use(Generic[T]):
    """What `functools.cached_property` does, without the lock it takes on Python 3.11 (a
    command opens a unit of work and asks for four repositories: the lock showed in its cost).
    A unit of work belongs to one thread."""

    def __init__(self, make: Callable[[Any], T]) -> None:
        self._make = make
        self._name = make.__name__

    @overload
    def __get__(self, uow: None, owner: type[Any]) -> _made_on_first_use[T]: ...
    @overload
    def __get__(self, uow: object, owner: type[Any]) -> T: ...
    def __get__(self, uow: object | None, owner: type[Any]) -> T | _made_on_first_use[T]:
        if uow is None:
            return self
        made = uow.__dict__[self._name] = self._make(uow)  # found there from now on
        return made


class SqlUnitOfWork(SqlTransaction):
    """`with SqlUnitOfWork(engine) as uow: ...; uow.commit()`: the storage contract on SQL."""

    # Repositories are made on first use: a transition touches four of the nine.
    @_made_on_first_use
    def organisations(self) -> OrganisationRepository:
        return SqlOrganisations(self)

    @_made_on_first_use
    def applications(self) -> ApplicationRepository:
        return SqlApplications(self)

    @_made_on_first_use
    def audits(self) -> AuditRepository:
        return SqlAudits(self)

    @_made_on_first_use
    def cases(self) -> CaseRepository:
        return SqlCases(self)

    @_made_on_first_use
    def deadlines(self) -> DeadlineRepository:
        return SqlDeadlines(self)

    @_made_on_first_use
    def events(self) -> EventLog:
        return SqlEventLog(self)

    @_made_on_first_use
    def accounts(self) -> AccountRepository:
        return SqlAccounts(self)

    @_made_on_first_use
    def notifications(self) -> NotificationOutbox:
        return SqlOutbox(self)

    @_made_on_first_use
    def rule_versions(self) -> RuleVersionRepository:
        return SqlRuleVersions(self)

    @_made_on_first_use
    def findings(self) -> FindingRepository:
        return SqlFindings(self)

    @_made_on_first_use
    def reads(self) -> RegisterReads:
        return SqlRegisterReads(self)


__all__ = ["SqlUnitOfWork"]
