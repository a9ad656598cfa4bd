"""What publishing a rule file is made of, for the criteria and the team rules alike: the request
(Publication), what it stored (Published), how a stored version names its source, the stored
versions of one kind, the shipped files' author and reason, and the size a rule file may have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from engine import RuleSet
from engine.file_cap import FileCap, read_rule_file
from engine.team_rules import TeamRules
from starcert.config import Config, RulesConfig
from workflows.ports import PublishedRules, UnitOfWork
from workflows.rule_kind import CRITERIA, row_kind

SHIPPED_REASON = "shipped default"
SHIPPED_BY = "starcert (shipped rule files)"

UowFactory = Callable[[], UnitOfWork]
SIZE_SETTING = "[rules] max_file_bytes in the config"
DEFAULT_CAP = FileCap(RulesConfig().max_file_bytes, SIZE_SETTING)
"""The config's default, for callers given no config."""


def file_cap(config: Config) -> FileCap:
    """The configured size limit of a rule file, its hint naming the config file to change."""
    where = f"[rules] max_file_bytes in {config.source}" if config.source else SIZE_SETTING
    return FileCap(config.rules.max_file_bytes, where)


def published_source(row: PublishedRules) -> str:
    """How a database version names its source in decisions and messages."""
    return f"{row.source_name} (published {row.ruleset} {row.version})"


def stored_versions(
    uow_factory: UowFactory, after_id: int = 0, kind: str | None = CRITERIA
) -> list[PublishedRules]:
    """The stored versions of one kind of rule file (criteria unless told; None: both)."""
    with uow_factory() as uow:
        rows = list(uow.rule_versions.list(after_id=after_id))
    return rows if kind is None else [r for r in rows if row_kind(r) == kind]


@dataclass(frozen=True)
class InputNames:
    """What the caller calls a publication's inputs, so a refusal names what the author gave."""

    effective: str
    author: str
    backdate: str | None  # None: this caller cannot backdate


CLI_INPUTS = InputNames("--effective", "--by", "--backdate")


@dataclass(frozen=True)
class Publication:
    name: str  # the file's name, as problems name it and the version records its source
    data: bytes  # the file's bytes: checked and stored as the same read
    effective_from: date
    author: str
    today: date  # the body's calendar date now: effective dates before it are backdating
    now: datetime
    backdate_reason: str | None = None
    os_user: str | None = None  # the host account behind a CLI publication
    inputs: InputNames = CLI_INPUTS
    cap: FileCap = field(default=DEFAULT_CAP)  # `data` over it is refused before it is parsed

    def row(
        self, rules: RuleSet | TeamRules, content: str, author: str, reason: str | None
    ) -> PublishedRules:
        """The stored version this publication makes of `rules` (criteria or team alike)."""
        return PublishedRules(
            id=None,
            ruleset=rules.name,
            version=rules.version,
            content_hash=rules.content_hash,
            content=content,
            source_name=self.name,
            effective_from=self.effective_from,
            published_at=self.now,
            published_by=author,
            backdate_reason=reason,
            published_by_os_user=self.os_user,
        )

    @classmethod
    def from_file(
        cls,
        path: Path,
        effective_from: date,
        author: str,
        today: date,
        now: datetime,
        backdate_reason: str | None = None,
        os_user: str | None = None,
        cap: FileCap = DEFAULT_CAP,
    ) -> Publication:
        """The file at `path`, read once (RuleFileError naming it when it cannot be read, or
        when it is over `cap`: then it is never read whole)."""
        return cls(
            str(path), read_rule_file(path, cap), effective_from, author, today, now,
            backdate_reason, os_user, cap=cap,
        )  # fmt: skip


@dataclass(frozen=True)
class Published:
    row: PublishedRules
    ruleset: RuleSet | TeamRules
    previous: RuleSet | None  # the criteria version stored before it, if any
    file_effective_from: date  # the file's own effective_from; the published date governs

    @property
    def file_date_differs(self) -> bool:
        return self.file_effective_from != self.row.effective_from


def key_line(content: str, key: str) -> int | None:
    for number, line in enumerate(content.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None
