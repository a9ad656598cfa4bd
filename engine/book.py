"""A rule book: every version of one rule set, ordered, answering which one is in force on a date.

Loading is all-or-nothing: a bad file raises RuleFileError (file:line) and the book keeps exactly
what it had. Sources are bytes plus a name, so a directory and the database feed it the same way.
The book holds each version by its index (engine.indexed_version): a version given unparsed is
parsed when a date it is in force on is asked for, not before.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from engine.decision import Decision
from engine.evaluate import Backend, evaluate
from engine.file_cap import FileCap, read_rule_file
from engine.indexed_version import IndexedVersion
from engine.loader import load_ruleset
from engine.outcomes import DEFAULT_OUTCOMES, Outcome
from engine.rule_errors import NotInForce, Problem, RuleFileError
from engine.ruleset import RuleSet
from workflows.rule_kind import CRITERIA, rule_kind

RULE_FILE_SUFFIXES = (".yaml", ".yml")


def rule_files(directory: Path) -> list[Path]:
    """The rule files directly in `directory` (sub-folders are other books)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in RULE_FILE_SUFFIXES)


class RuleBook:
    def __init__(self, outcomes: Mapping[str, Outcome] = DEFAULT_OUTCOMES) -> None:
        self._outcomes = outcomes
        self._lock = threading.Lock()
        # One tuple swapped whole, so a reader never pairs versions with another book's dates.
        self._snapshot: tuple[tuple[IndexedVersion, ...], tuple[date, ...]] = ((), ())

    @classmethod
    def from_directory(
        cls,
        directory: Path | str,
        outcomes: Mapping[str, Outcome] = DEFAULT_OUTCOMES,
        *,
        cap: FileCap | None = None,
    ) -> RuleBook:
        book = cls(outcomes)
        book.reload(directory, cap=cap)
        return book

    # --- reading -------------------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        versions = self._versions
        return versions[0].name if versions else None

    @property
    def versions(self) -> tuple[RuleSet, ...]:
        """Oldest first (by version, which is also effective-date order), each parsed: a version
        not parsed yet is parsed here. `index` and `effective_dates` parse nothing."""
        return tuple(v.ruleset() for v in self._versions)

    @property
    def index(self) -> tuple[IndexedVersion, ...]:
        """Oldest first, as `versions`, without parsing any."""
        return self._snapshot[0]

    @property
    def effective_dates(self) -> tuple[date, ...]:
        return self._snapshot[1]

    @property
    def _versions(self) -> tuple[IndexedVersion, ...]:
        return self._snapshot[0]

    def in_force(self, as_of: date) -> RuleSet:
        """The version in force on `as_of`, parsed now if it was not yet."""
        versions, starts = self._snapshot
        index = bisect_right(starts, as_of)
        if index == 0:
            first = f"; the first takes effect on {starts[0]}" if starts else ""
            raise NotInForce(
                f"no version of rule set {self.name or '(empty book)'} is in force on "
                f"{as_of}{first}"
            )
        return versions[index - 1].ruleset()

    def evaluate(
        self,
        facts: Mapping[str, Any],
        as_of: date,
        *,
        checks: Collection[str] | None = None,
        backend: Backend | None = None,
    ) -> Decision:
        return evaluate(self, facts, as_of, checks=checks, backend=backend)

    # --- loading -------------------------------------------------------------------------------

    def load(self, data: bytes, source: str) -> RuleSet:
        """Add (or replace with identical content) one version; refused if it breaks the book."""
        ruleset = load_ruleset(data, source, outcomes=self._outcomes)
        self.add([ruleset])
        return ruleset

    def add(self, rulesets: Iterable[RuleSet | IndexedVersion]) -> tuple[IndexedVersion, ...]:
        """Add versions (e.g. newly published ones) in one swap, or none of them.

        Evaluations already under way keep the tuple of versions they started with.
        """
        with self._lock:
            current = {v.version: v for v in self._versions}
            for ruleset in _indexed(rulesets):
                existing = current.get(ruleset.version)
                if existing is not None and existing.content_hash != ruleset.content_hash:
                    raise RuleFileError(
                        [
                            Problem(
                                ruleset.source,
                                None,
                                f"version {ruleset.version} is already loaded from {existing.source} "
                                "with other content",
                                "a published version never changes: give it a new version",
                            )
                        ]
                    )
                current[ruleset.version] = ruleset
            self._install(current.values())
        return self._versions

    def replace_rulesets(
        self, rulesets: Iterable[RuleSet | IndexedVersion]
    ) -> tuple[IndexedVersion, ...]:
        """Replace the whole book by these versions, parsed or not yet (all or nothing)."""
        with self._lock:
            self._install(_indexed(rulesets))
        return self._versions

    def load_file(self, path: Path | str) -> RuleSet:
        path = Path(path)
        return self.load(read_rule_file(path, None), str(path))

    def reload(
        self, directory: Path | str, *, cap: FileCap | None = None
    ) -> tuple[IndexedVersion, ...]:
        """Replace the book by the directory's files, only if every one of them is good."""
        return self.replace(read_sources(Path(directory), cap))

    def replace(self, sources: Iterable[tuple[bytes, str]]) -> tuple[IndexedVersion, ...]:
        problems: list[Problem] = []
        loaded: list[RuleSet] = []
        for data, source in sources:
            try:
                loaded.append(load_ruleset(data, source, outcomes=self._outcomes))
            except RuleFileError as exc:
                problems.extend(exc.problems)
        if problems:
            raise RuleFileError(problems)
        with self._lock:
            self._install(_indexed(loaded))
        return self._versions

    def _install(self, candidates: Iterable[IndexedVersion]) -> None:
        """Order and cross-check versions, then swap them in whole (the caller holds the lock)."""
        ordered = sorted(candidates, key=lambda v: v.version_key)
        problems: list[Problem] = []
        names = sorted({v.name for v in ordered})
        if len(names) > 1:
            for v in ordered:
                problems.append(
                    Problem(
                        v.source,
                        1,
                        f"rule set {v.name!r} beside "
                        f"{', '.join(repr(n) for n in names if n != v.name)}",
                        "one rule set per directory: move it to its own folder",
                    )
                )
        seen: dict[tuple[int, ...], IndexedVersion] = {}
        for v in ordered:
            if v.version_key in seen:
                problems.append(
                    Problem(
                        v.source, 1, f"version {v.version} is also in {seen[v.version_key].source}"
                    )
                )
            seen[v.version_key] = v
        for older, newer in itertools.pairwise(ordered):
            if newer.effective_from <= older.effective_from:
                problems.append(
                    Problem(
                        newer.source,
                        newer.effective_line,
                        f"effective date goes backwards: version {newer.version} takes effect on "
                        f"{newer.effective_from}, not after version {older.version} "
                        f"({older.effective_from}, {older.source})",
                        "a later version must take effect later",
                    )
                )
        if problems:
            raise RuleFileError(problems)
        self._snapshot = (tuple(ordered), tuple(v.effective_from for v in ordered))


def _indexed(versions: Iterable[RuleSet | IndexedVersion]) -> list[IndexedVersion]:
    return [v if isinstance(v, IndexedVersion) else IndexedVersion.of(v) for v in versions]


def read_sources(directory: Path, cap: FileCap | None = None) -> list[tuple[bytes, str]]:
    """(bytes, name) of the directory's criteria files (team rule files beside them are another
    book: workflows.rule_kind); every file over `cap` is refused."""
    if not directory.is_dir():
        raise RuleFileError([Problem(str(directory), None, "not a directory of rule files")])
    files = rule_files(directory)
    if not files:
        raise RuleFileError([Problem(str(directory), None, "holds no rule files (*.yaml)")])
    sources: list[tuple[bytes, str]] = []
    problems: list[Problem] = []
    for path in files:
        try:
            data = read_rule_file(path, cap)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        if rule_kind(data) == CRITERIA:
            sources.append((data, str(path)))
    if problems:
        raise RuleFileError(problems)
    if not sources:
        raise RuleFileError([Problem(str(directory), None, "holds no criteria rule files")])
    return sources
