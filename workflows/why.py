"""A reason given in English that keeps its message and values, so that a page can say it in the
reader's language (starcert.web) while events, logs and the CLI keep the English text.

`why("needs a {kind} audit", kind="stage2")` is the str "needs a stage2 audit" everywhere a str
goes; `template` and `values` travel with it as far as nothing rebuilds the string.
`listing(["major", "minor"])` is the str "major, minor" whose items a page says one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class Why(str):
    template: str
    values: Mapping[str, Any]

    def __new__(cls, template: str, values: Mapping[str, Any]) -> Why:
        made = super().__new__(cls, template.format(**values))
        made.template = template
        made.values = values
        return made

    def __reduce__(self) -> tuple[type[Why], tuple[str, Mapping[str, Any]]]:
        return Why, (self.template, self.values)  # copies and pickles keep the message


def why(template: str, **values: Any) -> Why:
    """The reason `template` says with `values` (str.format fields); the name the message
    catalogue's extractor looks for."""
    return Why(template, values)


class Listed(str):
    items: tuple[Any, ...]

    def __new__(cls, items: Iterable[Any]) -> Listed:
        kept = tuple(items)
        made = super().__new__(cls, ", ".join(str(item) for item in kept))
        made.items = kept
        return made

    def __reduce__(self) -> tuple[type[Listed], tuple[tuple[Any, ...]]]:
        return Listed, (self.items,)


def listing(items: Iterable[Any]) -> Listed:
    """The items (codes, numbers, reasons) one after another, "a, b, c": a value of a reason
    whose items a page says each in its words."""
    return Listed(items)


def parts(reason: str) -> tuple[str, Mapping[str, Any]]:
    """The message and values of a reason; a plain str is its own message, with none."""
    if isinstance(reason, Why):
        return reason.template, reason.values
    return reason, {}
