"""Published team rule versions: stored in the same table as the criteria's (rule_versions), as a
rule set of their own, published and listed by the same commands. The database copy is the truth;
a database holding no team version is given the shipped team files of `paths.rules_dir` once, the
first time team rules are needed, recorded as backdated with the reason "shipped default".
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from engine.book import rule_files
from engine.file_cap import FileCap, read_rule_file
from engine.rule_errors import Problem, RuleFileError
from engine.team_evaluate import TeamBook
from engine.team_loader import load_team_rules
from engine.team_rules import TeamRules
from starcert.rule_publication import (
    SHIPPED_BY,
    SHIPPED_REASON,
    Publication,
    Published,
    key_line,
    published_source,
    stored_versions,
)
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.ports import PublishedRules, UnitOfWork
from workflows.rule_kind import TEAM, rule_kind

UowFactory = Callable[[], UnitOfWork]
_PARSED: dict[str, TeamRules] = {}  # sha256 of a version's text -> the version as written
_LOCK = threading.Lock()


def team_rows(uow_factory: UowFactory) -> list[PublishedRules]:
    return stored_versions(uow_factory, kind=TEAM)


def team_rules_of(row: PublishedRules) -> TeamRules:
    """A stored team version (its examples passed when it was published), parsed once."""
    data = row.content.encode("utf-8")
    key = hashlib.sha256(data).hexdigest()
    with _LOCK:
        written = _PARSED.get(key)
    if written is None:
        written = load_team_rules(data, published_source(row), run_examples=False)
        with _LOCK:
            _PARSED[key] = written
    return written.published_as(row.effective_from, published_source(row))


def published_team_version(uow_factory: UowFactory, version: str) -> TeamRules | None:
    """A published team rules version, or None if there is no such version."""
    rows = [r for r in team_rows(uow_factory) if r.version == version]
    return team_rules_of(rows[0]) if rows else None


def published_team_book(uow_factory: UowFactory) -> TeamBook:
    """Every published team version; RuleFileError when none is."""
    rows = team_rows(uow_factory)
    if not rows:
        raise RuleFileError(
            [
                Problem(
                    "database",
                    None,
                    "no team rule version is published",
                    "publish one: starcert rules publish TEAM-FILE --effective YYYY-MM-DD",
                )
            ]
        )
    return TeamBook(team_rules_of(r) for r in rows)


def seed_team_shipped(
    uow_factory: UowFactory, directory: Path, now: datetime, cap: FileCap
) -> list[PublishedRules]:
    """Store the shipped team files of `directory` when the database holds no team version."""
    if team_rows(uow_factory):
        return []
    read = [(p, read_rule_file(p, cap)) for p in rule_files(directory)]
    found = [(str(p), d) for p, d in read if rule_kind(d) == TEAM]
    book = TeamBook(load_team_rules(d, name) for name, d in found)
    texts = dict(found)
    try:
        with uow_factory() as uow:
            stored = [
                uow.rule_versions.add(
                    PublishedRules(
                        id=None,
                        ruleset=v.name,
                        version=v.version,
                        content_hash=v.content_hash,
                        content=texts[v.source].decode("utf-8"),
                        source_name=v.source,
                        effective_from=v.effective_from,
                        published_at=now,
                        published_by=SHIPPED_BY,
                        backdate_reason=SHIPPED_REASON,
                    )
                )
                for v in book.versions
            ]
            uow.commit()
    except (ConcurrencyConflict, InvalidInput):
        return []  # another process seeded them first
    return stored


def publish_team(
    uow_factory: UowFactory, request: Publication, author: str, reason: str | None
) -> Published:
    """Store a team rule file as its rule set's next version (starcert.rules_store.publish
    hands team files here once the dates and the author are checked)."""
    as_written = load_team_rules(request.data, request.name, cap=request.cap)
    rules = as_written.published_as(request.effective_from, request.name)
    content = request.data.decode("utf-8")
    with uow_factory() as uow:
        stored = [r for r in uow.rule_versions.list() if rule_kind(r.content.encode()) == TEAM]
        names = {r.ruleset for r in stored}
        if names and rules.name not in names:
            raise RuleFileError(
                [
                    Problem(
                        request.name,
                        key_line(content, "ruleset"),
                        f"team rule set {rules.name!r} is not the one this database serves "
                        f"({', '.join(sorted(names))})",
                        "publish the next version of that team rule set (same `ruleset:` name)",
                    )
                ]
            )
        TeamBook([*(team_rules_of(r) for r in stored), rules])  # order and dates, or refused
        row = uow.rule_versions.add(request.row(rules, content, author, reason))
        uow.commit()
    return Published(row, rules, None, as_written.effective_from)
