"""Composition root: opens the database, builds the rules and the case service from one Config."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from engine import RuleSet
from starcert.config import Config
from starcert.rules_adapter import EngineRules
from starcert.rules_store import seed_shipped
from starcert.wall_clock import SystemClock
from storage.database import Database, open_database
from workflows.case_service import CaseService
from workflows.ports import Clock
from workflows.read_ports import ReadingUnitOfWork


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

    @cached_property
    def rules(self) -> EngineRules:
        """The published rule versions; a database with none is first seeded with the shipped
        rule files (backdated, reason "shipped default")."""
        seed_shipped(self.uow, self.config.paths.rules_dir, self.clock.now())
        return EngineRules.from_database(self.uow)

    def refresh_rules(self) -> list[RuleSet]:
        """Load newly published versions, if the rules are in use (the daemon calls it per tick)."""
        return self.rules.refresh() if "rules" in self.__dict__ else []

    @cached_property
    def case_service(self) -> CaseService:
        certs = self.config.certificates
        return CaseService(
            uow_factory=self.uow,
            rules=self.rules,
            clock=self.clock,
            zone=self.config.zone,
            number_prefix=certs.number_prefix,
            new_number_on_recertification=certs.new_number_on_recertification,
        )

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.close()
