"""Errors the rules engine raises on purpose.

StarcertError (workflows.errors)
└── EngineError                          evaluation went wrong inside the engine
    ├── RuleFileError (ValueError)       a rule file was refused; carries every Problem found
    ├── FactError (ValueError)           a fact is missing, unknown or of the wrong type; names it
    └── NotInForce (LookupError)         no version of the rule set is in force on the date asked
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflows.errors import StarcertError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule file, located so an author can go straight to it."""

    file: str
    line: int | None  # 1-based; None when the problem is the file as a whole
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.message}{hint}"


class EngineError(StarcertError):
    """Root of the engine's errors."""


class RuleFileError(EngineError, ValueError):
    """A rule file (or a set of them) was refused as a whole."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in rule files"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class FactError(EngineError, ValueError):
    def __init__(self, fact: str, message: str) -> None:
        super().__init__(f"fact {fact}: {message}")
        self.fact = fact
        self.message = message


class NotInForce(EngineError, LookupError):
    pass
