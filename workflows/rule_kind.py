"""Which kind of rule file a text is, told without parsing it: the criteria (the default), or
team rules, whose top level says `kind: team`. The same commands take either kind; a criteria
book skips team files beside it, and a team book takes only them. Here, not in engine/, so that
commands which only list stored versions tell them apart without loading the rules engine."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.ports import PublishedRules

CRITERIA = "criteria"
TEAM = "team"
_KIND_LINE = re.compile(rb"^kind:[ \t]*['\"]?team['\"]?[ \t]*(#.*)?\r?$", re.MULTILINE)


def rule_kind(data: bytes) -> str:
    """TEAM for a file whose top level says `kind: team`, else CRITERIA."""
    return TEAM if _KIND_LINE.search(data) else CRITERIA


def row_kind(row: PublishedRules) -> str:
    """The kind of rule file a stored version is: CRITERIA or TEAM."""
    return rule_kind(row.content.encode("utf-8"))
