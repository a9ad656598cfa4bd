"""Composition root: builds the database engine, rules and lifecycle from one Config."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from engine import RuleSet
from starcert.clock import SystemClock
from starcert.config import Config
from starcert.rules_adapter import EngineRules
from starcert.rules_store import seed_shipped
from storage.database import make_engine
from storage.kept_connection import KeptConnection, keep_for
from storage.schema import require_current
from storage.sql import SqlUnitOfWork
from workflows.case_service import CaseService
from workflows.ports import Clock


@dataclass
class App:
    config: Config
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def db(self) -> Engine:
        """The database engine, once the database is known to carry this starcert's schema."""
        self.config.paths.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.config.database_url)
        try:
            require_current(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    @cached_property
    def _kept(self) -> KeptConnection | None:
        return keep_for(self.db)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db, self._kept)

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
    def lifecycle(self) -> CaseService:
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
        kept = self.__dict__.get("_kept")
        if kept is not None:
            kept.close()
        if "db" in self.__dict__:
            self.db.dispose()
