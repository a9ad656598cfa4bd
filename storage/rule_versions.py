"""Published rule set versions over the `rule_versions` table, for the SQL and in-memory backends.

A version is only ever added, never changed. Two publishers at once are kept apart: on SQLite the
unit of work's `BEGIN IMMEDIATE` already makes writers take turns; on PostgreSQL `add` locks the
table against other writers (readers go on) until the transaction ends. Inside that, `add` checks
that the new version comes after the latest stored one, both by version and by effective date,
so versions are stored in order or refused: never lost, never interleaved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func, text
from sqlmodel import col, select

from storage import checks
from storage.formats import utc
from storage.tables import RuleVersionRow
from workflows.errors import InvalidInput, NotFound
from workflows.ports import PublishedRules

if TYPE_CHECKING:
    from storage.memory import MemoryUnitOfWork
    from storage.sql import SqlUnitOfWork


class RuleVersionNotFound(NotFound):
    pass


def version_order(version: str) -> tuple[int, ...]:
    """ "1.10" after "1.9": whole numbers joined by dots, compared as numbers."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise InvalidInput("version", f"{version!r} is not whole numbers joined by dots") from None


def _checked(published: PublishedRules) -> PublishedRules:
    checks.new_row(published.id, "rule version")
    checks.text(published.ruleset, "ruleset")
    checks.text(published.published_by, "published_by")
    checks.text(published.source_name, "source_name")
    version_order(published.version)
    digest = hashlib.sha256(published.content.encode("utf-8")).hexdigest()
    if digest != published.content_hash:
        raise InvalidInput("content_hash", "is not the sha256 of the content")
    if published.backdate_reason is not None:
        checks.text(published.backdate_reason, "backdate_reason")
    return replace(published, published_at=utc(published.published_at, "published_at"))


def check_follows(
    new: PublishedRules, latest: PublishedRules | None, same_version: PublishedRules | None
) -> None:
    """Refuse a version that exists or that does not come after the latest one stored."""
    if same_version is not None:
        raise InvalidInput(
            "version",
            f"{new.ruleset} {new.version} is already published (on "
            f"{same_version.published_at:%Y-%m-%d %H:%M} by {same_version.published_by}); "
            "a published version never changes: give the file a new version",
        )
    if latest is None:
        return
    if version_order(new.version) <= version_order(latest.version):
        raise InvalidInput(
            "version",
            f"{new.ruleset} {new.version} does not come after the latest published version "
            f"{latest.version}",
        )
    if new.effective_from <= latest.effective_from:
        raise InvalidInput(
            "effective_from",
            f"{new.ruleset} {new.version} would take effect on {new.effective_from}, not after "
            f"version {latest.version} ({latest.effective_from}): effective dates never go "
            "backwards",
        )


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
    )


class SqlRuleVersions:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, published: PublishedRules) -> PublishedRules:
        published = _checked(published)
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


class MemoryRuleVersions:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> list[PublishedRules]:
        return sorted(self._uow.data.rule_versions.values(), key=lambda p: p.id or 0)

    def add(self, published: PublishedRules) -> PublishedRules:
        published = _checked(published)
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
