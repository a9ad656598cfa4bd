"""The console certificate list's filters, read from the page's address.

state, star (a star level), overdue (any non-empty value), due_within (whole days, 1 to 3650)
and holder (part of the holder's name). A value that is none of these is refused with a message
naming the filter, and the list is not searched: a page never silently ignores what was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starcert.web.language import gettext as _
from workflows.errors import InvalidInput
from workflows.model import StarLevel, State

FILTERS = ("state", "star", "overdue", "due_within", "holder")
MAX_DUE_DAYS = 3650


@dataclass(frozen=True)
class Filters:
    state: State | None = None
    star_level: StarLevel | None = None
    overdue: bool = False
    due_within_days: int | None = None
    holder: str | None = None


def parse_filters(asked: Mapping[str, str]) -> Filters:
    state_text = asked.get("state", "").strip()
    star_text = asked.get("star", "").strip()
    days_text = asked.get("due_within", "").strip()
    holder = asked.get("holder", "").strip()
    try:
        state = State(state_text) if state_text else None
    except ValueError:
        raise InvalidInput(
            "state", _("no state %(value)r; choose one from the list") % {"value": state_text[:40]}
        ) from None
    try:
        star = StarLevel(star_text) if star_text else None
    except ValueError:
        raise InvalidInput(
            "star",
            _("no star level %(value)r; choose one from the list") % {"value": star_text[:40]},
        ) from None
    days = None
    if days_text:
        if (
            not days_text.isascii()
            or not days_text.isdigit()
            or not 1 <= int(days_text) <= MAX_DUE_DAYS
        ):
            raise InvalidInput(
                "due_within",
                _("must be a whole number of days from 1 to %(max)s, got %(value)r")
                % {"max": MAX_DUE_DAYS, "value": days_text[:40]},
            )
        days = int(days_text)
    if len(holder) > 200:
        raise InvalidInput("holder", _("at most 200 characters"))
    return Filters(state, star, bool(asked.get("overdue", "").strip()), days, holder or None)


def echo(asked: Mapping[str, str]) -> dict[str, str]:
    """The filters as asked, to fill the form in again (a refused value stays for correction)."""
    return {name: asked.get(name, "")[:200] for name in FILTERS}
