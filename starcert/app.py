"""Composition root: opens the database, builds the rules and the case service from one Config.

Each part is built on first use, and the rules engine is imported only then: a command that
reads (show, list, export) opens the database and loads no rule version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

from starcert.config import Config
from starcert.unloaded_rules import RulesNotLoaded, UnloadedRules
from starcert.wall_clock import SystemClock
from storage.database import Database, open_database
from workflows.assignment_gate import AssignmentGate
from workflows.auditor_service import AuditorService
from workflows.case_service import CaseService
from workflows.certificate_machine import TriggerCheck
from workflows.ports import Clock, RulesPort, UnitOfWork
from workflows.read_ports import ReadingUnitOfWork

if TYPE_CHECKING:
    from engine import RuleSet
    from starcert.documents.versions_memo import VersionsMemo
    from starcert.metrics import ProcessMetrics
    from starcert.rules_adapter import EngineRules


@dataclass
class App:
    config: Config
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def database(self) -> Database:
        """The database, once it is known to carry this starcert's schema."""
        self.config.paths.data_dir.mkdir(parents=True, exist_ok=True)
        database = open_database(self.config.database_url)
        try:
            database.require_current()
        except BaseException:
            database.close()
            raise
        return database

    def uow(self) -> ReadingUnitOfWork:
        return self.database.unit_of_work()

    def publish_shipped_rules(self) -> None:
        """A database with no published version gets the shipped rule files (backdated, reason
        "shipped default"); one that has any is left as it is (one cheap query)."""
        with self.uow() as uow:
            if uow.rule_versions.latest_id():
                return
        from starcert.rule_publication import file_cap
        from starcert.rules_store import seed_shipped

        rules_dir, now = self.config.paths.rules_dir, self.clock.now()
        seed_shipped(self.uow, rules_dir, now, file_cap(self.config))

    @cached_property
    def rules(self) -> EngineRules:
        """The published rule versions (the shipped ones seeded first), each parsed and compiled
        when a decision first needs it, and kept parsed for the next process in the data
        directory's cache/rulesets."""
        from starcert.parsed_rulesets import ParsedRulesets
        from starcert.rules_adapter import EngineRules

        self.publish_shipped_rules()
        kept = ParsedRulesets(self.config.paths.data_dir / "cache" / "rulesets")
        return EngineRules.from_database(self.uow, kept)

    def refresh_rules(self) -> list[RuleSet]:
        """Load newly published versions, if the rules are in use (the daemon calls it per tick)."""
        return self.rules.refresh() if "rules" in self.__dict__ else []

    @cached_property
    def document_versions(self) -> VersionsMemo:
        """Certificate document versions derived from a case's trail, kept by its chain head."""
        from starcert.documents.versions_memo import VersionsMemo

        return VersionsMemo()

    @cached_property
    def metrics(self) -> ProcessMetrics:
        from starcert.metrics import ProcessMetrics

        return ProcessMetrics()

    @cached_property
    def case_service(self) -> CaseService:
        """This process's case service, its commands counted and timed for /metrics."""
        return self.case_service_on(self.rules, metrics=self.metrics)

    def allowed_triggers(self, case_id: int) -> list[TriggerCheck]:
        """Every operator trigger from the case's state, allowed or not and why; the rules are
        loaded only when one of its guards asks them (starcert.unloaded_rules)."""
        if "rules" not in self.__dict__:
            try:
                return self.case_service_on(UnloadedRules()).allowed_triggers(case_id)
            except RulesNotLoaded:
                pass  # rolled back, nothing written: ask again with the rules loaded
        return self.case_service.allowed_triggers(case_id)

    def case_service_on(
        self,
        rules: RulesPort,
        uow_factory: Callable[[], UnitOfWork] | None = None,
        metrics: ProcessMetrics | None = None,
        *,
        held_to_assignments: bool = True,
    ) -> CaseService:
        """The case service with these rules, on this database or on `uow_factory`'s. Audits
        recorded through it on this database are held to their assignments (`audit_gate`)
        unless `held_to_assignments` is False: a simulation plays the auditors too."""
        from starcert.metrics import MeasuredCaseService

        certs = self.config.certificates
        service = CaseService if metrics is None else partial(MeasuredCaseService, metrics=metrics)
        return service(
            uow_factory=uow_factory if uow_factory is not None else self.uow,
            rules=rules,
            clock=self.clock,
            zone=self.config.zone,
            number_prefix=certs.number_prefix,
            new_number_on_recertification=certs.new_number_on_recertification,
            audit_gate=self.audit_gate if held_to_assignments and uow_factory is None else None,
        )

    @cached_property
    def audit_gate(self) -> AssignmentGate:
        """What a recorded audit is held to: its assignment (config [auditors])."""
        return AssignmentGate(
            self.database.assignments,
            self.database.auditors,
            self.config.auditors.require_assignment,
        )

    @cached_property
    def auditors(self) -> AuditorService:
        """The auditor register, checked against the body's areas (config [auditors])."""
        return AuditorService(self.database.auditors, self.clock, self.config.auditors.areas)

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.close()
