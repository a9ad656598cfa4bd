"""Published rule set versions over the `rule_versions` table, on SQL (its memory twin: storage.memory.memory_rule_versions).

A version is only ever added, never changed. Two publishers at once are kept apart: on SQLite the
unit of work's `BEGIN IMMEDIATE` already makes writers take turns; on PostgreSQL `add` locks the
table against other writers (readers go on) until the transaction ends. Inside that, `add` checks
that the new version comes after the latest stored one, both by version and by effective date,
so versions are stored in order or refused: never lost, never interleaved.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, text
from sqlmodel import col, select

from storage.sql.sql_transaction import SqlTransaction
from storage.sql.tables import RuleVersionRow
from storage.stored_records import (
    RuleVersionNotFound,
    check_follows,
    checked_published,
    version_order,
)
from workflows.ports import PublishedRules


def _published(row: RuleVersionRow) -> PublishedRules:
    return PublishedRules(
        id=row.id,
        ruleset=row.ruleset,
        version=row.version,
        content_hash=row.content_hash,
        content=row.content,
        source_name=row.source_name,
        effective_from=row.effective_from,
        published_at=row.published_at,
        published_by=row.published_by,
        backdate_reason=row.backdate_reason,
        published_by_os_user=row.published_by_os_user,
    )


class SqlRuleVersions:
    def __init__(self, uow: SqlTransaction) -> None:
        self._uow = uow

    def add(self, published: PublishedRules) -> PublishedRules:
        published = checked_published(published)
        if self._uow.dialect == "postgresql":
            # Writers wait for each other; SELECTs (daemons refreshing) are not blocked.
            self._uow.session.execute(text("LOCK TABLE rule_versions IN EXCLUSIVE MODE"))
        stored = self.list(published.ruleset)
        same = next((p for p in stored if p.version == published.version), None)
        latest = max(stored, key=lambda p: version_order(p.version), default=None)
        check_follows(published, latest, same)
        row = RuleVersionRow(
            ruleset=published.ruleset,
            version=published.version,
            content_hash=published.content_hash,
            content=published.content,
            source_name=published.source_name,
            effective_from=published.effective_from,
            published_at=published.published_at,
            published_by=published.published_by,
            backdate_reason=published.backdate_reason,
            published_by_os_user=published.published_by_os_user,
        )
        return _published(self._uow.insert(row))

    def list(self, ruleset: str | None = None, *, after_id: int = 0) -> Sequence[PublishedRules]:
        stmt = select(RuleVersionRow).where(col(RuleVersionRow.id) > after_id)
        if ruleset is not None:
            stmt = stmt.where(RuleVersionRow.ruleset == ruleset)
        return [_published(r) for r in self._uow.rows(stmt.order_by(col(RuleVersionRow.id)))]

    def get(self, ruleset: str, version: str) -> PublishedRules:
        row = self._uow.first(
            select(RuleVersionRow).where(
                RuleVersionRow.ruleset == ruleset, RuleVersionRow.version == version
            )
        )
        if row is None:
            raise RuleVersionNotFound(f"rule set {ruleset} has no published version {version}")
        return _published(row)

    def latest_id(self) -> int:
        found = self._uow.session.exec(select(func.max(RuleVersionRow.id))).one()
        return int(found or 0)
