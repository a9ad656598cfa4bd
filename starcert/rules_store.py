"""Published rule versions: publish a file into the database, load the book from it, keep it fresh.

The database copy is the truth: a rule file edited on disk changes nothing until it is published
again. A database without any published version is seeded once with the shipped rule files
(config `paths.rules_dir`), recorded as backdated with the reason "shipped default".

A stored version is parsed only when a decision or a command needs it (the book holds every
version by its index: engine.indexed_version), and then once per process: the result is kept
under the sha256 of its content, so loading, refreshing, publishing and previewing never parse
the same text twice (changed text has another hash). A rule file over the configured size
(`[rules] max_file_bytes`) is refused before it is read (one sent to the API, before it is
parsed), so it is never published.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from engine import RuleBook, RuleFileError, RuleSet, load_ruleset
from engine.book import read_sources
from engine.file_cap import FileCap, read_rule_file
from engine.indexed_version import IndexedVersion
from engine.rule_errors import Problem
from engine.team_rules import TeamRules
from starcert.config import Config, RulesConfig
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.ports import PublishedRules, UnitOfWork
from workflows.rule_kind import CRITERIA, TEAM, row_kind, rule_kind

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


_PARSED: dict[str, RuleSet] = {}  # sha256 of a version's text -> the version as written
_PARSED_LOCK = threading.Lock()


def ruleset_of(row: PublishedRules) -> RuleSet:
    """A stored version as a RuleSet: its examples passed when it was published."""
    data = row.content.encode("utf-8")
    key = hashlib.sha256(data).hexdigest()  # of the text itself, not the row's word for it
    with _PARSED_LOCK:
        written = _PARSED.get(key)
    if written is None:
        written = load_ruleset(data, published_source(row), run_examples=False)
        with _PARSED_LOCK:
            _PARSED[key] = written
    return written.published_as(row.effective_from, published_source(row))


def indexed(row: PublishedRules) -> IndexedVersion:
    """A stored version by its index, parsed (ruleset_of) when first needed."""
    return IndexedVersion(
        name=row.ruleset,
        version=row.version,
        effective_from=row.effective_from,
        content_hash=row.content_hash,
        source=published_source(row),
        parse=lambda: ruleset_of(row),
    )


def stored_versions(
    uow_factory: UowFactory, after_id: int = 0, kind: str | None = CRITERIA
) -> list[PublishedRules]:
    """The stored versions of one kind of rule file (criteria unless told; None: both)."""
    with uow_factory() as uow:
        rows = list(uow.rule_versions.list(after_id=after_id))
    return rows if kind is None else [r for r in rows if row_kind(r) == kind]


def seed_shipped(
    uow_factory: UowFactory, directory: Path, now: datetime, cap: FileCap = DEFAULT_CAP
) -> list[PublishedRules]:
    """Publish the shipped rule files when the database holds no version at all (else nothing).

    Two processes seeding at once: one stores the book, the other finds it there. (The caller,
    App.publish_shipped_rules, looks first, without reading any file.)
    """
    sources = read_sources(directory, cap)
    book = RuleBook()
    book.replace(sources)
    read = {source: data for data, source in sources}
    try:
        with uow_factory() as uow:
            if uow.rule_versions.latest_id():
                return []
            stored = []
            for ruleset in book.versions:
                data = read[ruleset.source]
                stored.append(
                    uow.rule_versions.add(
                        PublishedRules(
                            id=None,
                            ruleset=ruleset.name,
                            version=ruleset.version,
                            content_hash=ruleset.content_hash,
                            content=data.decode("utf-8"),
                            source_name=ruleset.source,
                            effective_from=ruleset.effective_from,
                            published_at=now,
                            published_by=SHIPPED_BY,
                            backdate_reason=SHIPPED_REASON,
                        )
                    )
                )
            uow.commit()
    except (ConcurrencyConflict, InvalidInput):
        # Another process seeded first (its add or its commit won): use what it stored.
        return []
    return stored


class PublishedBook:
    """A RuleBook fed from the rule_versions table; `refresh()` is cheap when nothing is new."""

    def __init__(self, uow_factory: UowFactory, book: RuleBook | None = None) -> None:
        self.uow_factory = uow_factory
        self.book = book if book is not None else RuleBook()
        self._seen = 0
        self._lock = threading.Lock()

    @property
    def seen_id(self) -> int:
        return self._seen

    def load(self) -> tuple[IndexedVersion, ...]:
        """Replace the book by every stored version (all or nothing), parsing none of them."""
        with self._lock:
            rows = stored_versions(self.uow_factory)
            if not rows:
                raise RuleFileError(
                    [
                        Problem(
                            "database",
                            None,
                            "no rule version is published",
                            "publish one: starcert rules publish FILE --effective YYYY-MM-DD",
                        )
                    ]
                )
            _one_ruleset(rows)
            self.book.replace_rulesets([indexed(r) for r in rows])
            self._seen = max(r.id or 0 for r in rows)
            return self.book.index

    def refresh(self) -> list[RuleSet]:
        """Load versions published since the last look; returns the new ones (often none), each
        parsed, so a version that would fail is found when it is picked up.

        The book swaps its tuple of versions whole: an evaluation already under way finishes on
        the version it started with.
        """
        with self._lock:
            with self.uow_factory() as uow:
                latest = uow.rule_versions.latest_id()
                rows = (
                    list(uow.rule_versions.list(after_id=self._seen)) if latest > self._seen else []
                )
            if not rows:
                return []
            added = [ruleset_of(r) for r in rows if row_kind(r) == CRITERIA]  # team: their own
            if added:
                self.book.add(added)
            self._seen = max(r.id or 0 for r in rows)
            return added


def _one_ruleset(rows: Sequence[PublishedRules]) -> str:
    names = sorted({r.ruleset for r in rows})
    if len(names) > 1:
        raise RuleFileError(
            [
                Problem(
                    "database",
                    None,
                    f"holds versions of several rule sets: {', '.join(names)}",
                    "one database serves one certification body's rule set",
                )
            ]
        )
    return names[0]


# --- publishing -------------------------------------------------------------------------------


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


def check_file(path: Path, cap: FileCap = DEFAULT_CAP) -> RuleSet:
    """Validate a file and run its examples (RuleFileError with file:line when it fails, or
    naming the file when it is over `cap` or cannot be read)."""
    return load_ruleset(read_rule_file(path, cap), str(path))


def _checked_dates(request: Publication) -> str | None:
    """The backdate reason, once the effective date and it agree (InvalidInput otherwise)."""
    names = request.inputs
    reason = request.backdate_reason.strip() if request.backdate_reason is not None else None
    if reason is not None and not reason:
        raise InvalidInput(names.backdate or names.effective, "must give a reason")
    if request.effective_from < request.today and reason is None:
        backdating = f", or give {names.backdate} REASON (recorded)" if names.backdate else ""
        raise InvalidInput(
            names.effective,
            f"{request.effective_from} is in the past (today is {request.today}); a version takes "
            f"effect today or later{backdating}",
        )
    if request.effective_from >= request.today and reason is not None:
        raise InvalidInput(
            names.backdate or names.effective, f"{request.effective_from} is not in the past"
        )
    return reason


def publish(uow_factory: UowFactory, request: Publication) -> Published:
    """Validate, run the examples and store the file as a new version, all or nothing."""
    author = request.author.strip()
    if not author:
        raise InvalidInput(request.inputs.author, "must name the author")
    reason = _checked_dates(request)
    if rule_kind(request.data) == TEAM:
        from starcert.team_rules_store import publish_team

        return publish_team(uow_factory, request, author, reason)
    as_written = load_ruleset(request.data, request.name, cap=request.cap)
    ruleset = as_written.published_as(request.effective_from, request.name)
    content = request.data.decode("utf-8")  # load_ruleset refused anything but UTF-8
    with uow_factory() as uow:
        stored = [r for r in uow.rule_versions.list() if row_kind(r) == CRITERIA]
        names = {r.ruleset for r in stored}
        if names and ruleset.name not in names:
            raise RuleFileError(
                [
                    Problem(
                        request.name,
                        _key_line(content, "ruleset"),
                        f"rule set {ruleset.name!r} is not the one this database serves "
                        f"({', '.join(sorted(names))})",
                        "publish the next version of that rule set (same `ruleset:` name)",
                    )
                ]
            )
        previous_rows = [r for r in stored if r.ruleset == ruleset.name]
        # The new version must fit the stored book (order, dates) exactly as loading will need.
        book = RuleBook()
        book.replace_rulesets([indexed(r) for r in previous_rows])
        row = uow.rule_versions.add(request.row(ruleset, content, author, reason))
        book.add([ruleset])
        at = [v.version for v in book.index].index(ruleset.version)
        previous = book.index[at - 1].ruleset() if at else None  # the one version parsed here
        uow.commit()
    return Published(row, ruleset, previous, as_written.effective_from)


def publish_refusal(uow_factory: UowFactory, ruleset: RuleSet, today: date) -> str | None:
    """Why `publish` would refuse `ruleset` as it stands (its effective date included) today, or
    None; stores nothing. `rules impact` says it, so a what-if is never taken for a plan."""
    if ruleset.effective_from < today:
        return f"its effective date {ruleset.effective_from} is in the past (today is {today})"
    stored = stored_versions(uow_factory)
    names = sorted({r.ruleset for r in stored})
    if names and ruleset.name not in names:
        return f"rule set {ruleset.name!r} is not the one this database serves ({', '.join(names)})"
    mine = [r for r in stored if r.ruleset == ruleset.name]
    if any(r.version == ruleset.version for r in mine):
        return f"version {ruleset.version} is already published"
    book = RuleBook()
    try:
        book.replace_rulesets([*(indexed(r) for r in mine), ruleset])
    except RuleFileError as exc:
        return "; ".join(p.message for p in exc.problems)
    return None


def _key_line(content: str, key: str) -> int | None:
    for number, line in enumerate(content.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None
