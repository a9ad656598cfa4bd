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
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from engine import RuleBook, RuleFileError, RuleSet, load_ruleset
from engine.book import read_sources
from engine.file_cap import FileCap, read_rule_file
from engine.indexed_version import IndexedVersion
from engine.rule_errors import Problem
from starcert.parsed_rulesets import ParsedRulesets
from starcert.rule_publication import (
    DEFAULT_CAP,
    SHIPPED_BY,
    SHIPPED_REASON,
    Publication,
    Published,
    UowFactory,
    key_line,
    published_source,
    stored_versions,
)
from starcert.team_rules_store import publish_team
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.ports import PublishedRules
from workflows.rule_kind import CRITERIA, TEAM, row_kind, rule_kind

_PARSED: dict[str, RuleSet] = {}  # sha256 of a version's text -> the version as written
_PARSED_LOCK = threading.Lock()


def ruleset_of(row: PublishedRules, kept: ParsedRulesets | None = None) -> RuleSet:
    """A stored version as a RuleSet: its examples passed when it was published. Parsed once
    per process, and with `kept` once per data directory (starcert.parsed_rulesets)."""
    data = row.content.encode("utf-8")
    key = hashlib.sha256(data).hexdigest()  # of the text itself, not the row's word for it
    with _PARSED_LOCK:
        written = _PARSED.get(key)
    if written is None:
        written = None if kept is None else kept.get(key)
        if written is None:
            written = load_ruleset(data, published_source(row), run_examples=False)
            if kept is not None:
                kept.put(key, written)
        with _PARSED_LOCK:
            _PARSED[key] = written
    return written.published_as(row.effective_from, published_source(row))


def indexed(row: PublishedRules, kept: ParsedRulesets | None = None) -> IndexedVersion:
    """A stored version by its index, parsed (ruleset_of) when first needed."""
    return IndexedVersion(
        name=row.ruleset,
        version=row.version,
        effective_from=row.effective_from,
        content_hash=row.content_hash,
        source=published_source(row),
        parse=lambda: ruleset_of(row, kept),
    )


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

    def __init__(
        self,
        uow_factory: UowFactory,
        book: RuleBook | None = None,
        kept: ParsedRulesets | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.book = book if book is not None else RuleBook()
        self.kept = kept  # versions parsed by earlier processes (starcert.parsed_rulesets)
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
            self.book.replace_rulesets([indexed(r, self.kept) for r in rows])
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
            added = [
                ruleset_of(r, self.kept) for r in rows if row_kind(r) == CRITERIA
            ]  # team: their own
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
                        key_line(content, "ruleset"),
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
