"""A version as a book knows it: by its index (name, version, effective date, content hash) first,
its body parsed only when a decision or a command asks for it, and then kept.

A book of every published version used to parse each of them on every command, so one large old
version slowed every command. Ordering versions and answering which is in force on a date need
only the index; the body of a version nobody asks for is never parsed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from engine.loader import version_key
from engine.rule_errors import Problem, RuleFileError
from engine.ruleset import RuleSet


class IndexedVersion:
    __slots__ = (
        "_lock",
        "_parse",
        "_ruleset",
        "content_hash",
        "effective_from",
        "effective_line",
        "name",
        "source",
        "version",
        "version_key",
    )

    def __init__(
        self,
        *,
        name: str,
        version: str,
        effective_from: date,
        content_hash: str,
        source: str,
        parse: Callable[[], RuleSet],
    ) -> None:
        self.name = name
        self.version = version
        self.version_key = version_key(version)
        self.effective_from = effective_from
        self.content_hash = content_hash
        self.source = source
        self.effective_line: int | None = None
        self._parse = parse
        self._ruleset: RuleSet | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, ruleset: RuleSet) -> IndexedVersion:
        """A version already parsed."""
        entry = cls(
            name=ruleset.name,
            version=ruleset.version,
            effective_from=ruleset.effective_from,
            content_hash=ruleset.content_hash,
            source=ruleset.source,
            parse=lambda: ruleset,
        )
        entry.effective_line = ruleset.effective_line
        entry._ruleset = ruleset
        return entry

    def ruleset(self) -> RuleSet:
        """The version's body, parsed on first use (once, whoever asks at the same time)."""
        found = self._ruleset
        if found is not None:
            return found
        with self._lock:
            if self._ruleset is None:
                self._ruleset = self._checked(self._parse())
            return self._ruleset

    def _checked(self, parsed: RuleSet) -> RuleSet:
        indexed = (self.name, self.version, self.effective_from, self.content_hash)
        found = (parsed.name, parsed.version, parsed.effective_from, parsed.content_hash)
        if found != indexed:
            raise RuleFileError(
                [
                    Problem(
                        self.source,
                        None,
                        f"holds {parsed.label} from {parsed.effective_from} (sha256 "
                        f"{parsed.content_hash[:12]}), not the {self.name} {self.version} from "
                        f"{self.effective_from} (sha256 {self.content_hash[:12]}) it is listed as",
                        "a stored version never changes: restore it as it was published",
                    )
                ]
            )
        return parsed
