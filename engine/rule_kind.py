"""Which kind of rule file a text is, told without parsing it: the criteria (the default), or
team rules, whose top level says `kind: team`. The same commands take either kind; a criteria
book skips team files beside it, and a team book takes only them."""

from __future__ import annotations

import re

CRITERIA = "criteria"
TEAM = "team"
_KIND_LINE = re.compile(rb"^kind:[ \t]*['\"]?team['\"]?[ \t]*(#.*)?\r?$", re.MULTILINE)


def rule_kind(data: bytes) -> str:
    """TEAM for a file whose top level says `kind: team`, else CRITERIA."""
    return TEAM if _KIND_LINE.search(data) else CRITERIA
