"""Published rule set versions in memory (the SQL ones and their ordering rules:
storage.sql.sql_rule_versions, storage.stored_records)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from storage.memory.memory_tables import MemoryTransaction
from storage.stored_records import (
    RuleVersionNotFound,
    check_follows,
    checked_published,
    version_order,
)
from workflows.ports import PublishedRules


class MemoryRuleVersions:
    def __init__(self, uow: MemoryTransaction) -> None:
        self._uow = uow

    def _all(self) -> list[PublishedRules]:
        return sorted(self._uow.data.rule_versions.values(), key=lambda p: p.id or 0)

    def add(self, published: PublishedRules) -> PublishedRules:
        published = checked_published(published)
        stored = self.list(published.ruleset)
        same = next((p for p in stored if p.version == published.version), None)
        latest = max(stored, key=lambda p: version_order(p.version), default=None)
        check_follows(published, latest, same)
        new = replace(published, id=self._uow.store.next_id("rule_versions"))
        self._uow.put("rule_versions", new.id, new)
        return new

    def list(self, ruleset: str | None = None, *, after_id: int = 0) -> Sequence[PublishedRules]:
        return [
            p
            for p in self._all()
            if (p.id or 0) > after_id and (ruleset is None or p.ruleset == ruleset)
        ]

    def get(self, ruleset: str, version: str) -> PublishedRules:
        found = next((p for p in self.list(ruleset) if p.version == version), None)
        if found is None:
            raise RuleVersionNotFound(f"rule set {ruleset} has no published version {version}")
        return found

    def latest_id(self) -> int:
        return max((p.id or 0 for p in self._all()), default=0)
