"""YAML aliases on a budget: a few shared values are welcome, a billion laughs is refused as read.

An alias (`*eligible`) stands for a copy of everything its anchor (`&eligible`) holds. Anchors
that alias each other ten deep, ten to a level, make a file of a few kilobytes stand for ten
billion values: nothing in the text is wrong, but whatever walks the document afterwards never
finishes. The composer here counts, while it reads, how many values the document's aliases stand
for once expanded, and stops at the alias that takes that count over the budget, naming its line.
Nothing is expanded to count: each anchored value's expanded size is known when it is complete.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.events import AliasEvent

ALIAS_BUDGET = 10_000
"""Values (scalars, lists and mappings, keys included) all the aliases of one document may stand
for. The shipped rule files' anchors stand for a few hundred; a billion laughs passes it within
its fourth level."""


class TooManyAliases(ComposerError):
    """A document whose aliases stand for more than the budget, or for themselves without end."""

    def __init__(self, message: str, mark: Any, hint: str) -> None:
        super().__init__(None, None, message, mark)
        self.line: int = int(mark.line) + 1
        self.message = message
        self.hint = hint


class BudgetedComposer(Composer):
    """ruamel's composer, refusing aliases past ALIAS_BUDGET (see the module docstring)."""

    budget = ALIAS_BUDGET

    def compose_document(self: Any) -> Any:
        self._expanded = 0  # values the document so far stands for, aliases expanded
        self._by_aliases = 0  # of which aliases stand for
        self._sizes: dict[int, int] = {}  # id(anchored node) -> values it stands for
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is ruamel's to refuse
                self._spend(event, self._sizes.get(id(target)))
            return super().compose_node(parent, index)
        before = self._expanded
        node = super().compose_node(parent, index)
        self._expanded += 1
        if event.anchor is not None:
            self._sizes[id(node)] = self._expanded - before
        return node

    def _spend(self, alias: Any, size: int | None) -> None:
        if size is None:  # the anchor is still open: the alias is inside what it copies
            raise TooManyAliases(
                f"alias *{alias.anchor} is inside its own anchor &{alias.anchor}, so it stands "
                "for itself without end",
                alias.start_mark,
                "an anchored value cannot hold an alias of itself",
            )
        self._expanded += size
        self._by_aliases += size
        if self._by_aliases > self.budget:
            raise TooManyAliases(
                f"too many aliases: with *{alias.anchor} the aliases stand for more than "
                f"{self.budget} values",
                alias.start_mark,
                "an alias is a copy of its anchor's whole value: write the values out, or alias "
                "fewer or smaller anchors",
            )
