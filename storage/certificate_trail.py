"""What a case's event trail says of its certificate, worked out alike by both backends.

Issuing events record the certificate's `number` and `decided_on`; scored events that re-band
record the star level. From them: the number and star level right after each event (what an
announcement of a past event shows), and whether a number was replaced by a renewal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from workflows.certificate_versions import CHANGED, versioned_number
from workflows.read_ports import Replaced

TRANSFER_IN = "transfer_in"
"""Issues our number for another body's certificate, with its star level (no score of ours)."""
ISSUING = ("certify", "recertify", "restore_after_expiry", TRANSFER_IN)
"""The events that issue a certificate (they record its `number` and `decided_on`)."""

_SCORED = (*ISSUING, "surveil", "restore")

Certificate = tuple[str | None, str | None]  # (number, star level) as stored in events


def after_each_event(
    trail: Iterable[tuple[int, int, str, Mapping[str, Any] | None]],
) -> dict[tuple[int, int], Certificate]:
    """(case, seq) -> the certificate number (with its version) and star level right after
    that event.

    `trail` is (case id, seq, trigger, data) in case and sequence order. A renewal's new number
    or a re-banding since must not rewrite what an earlier event showed.
    """
    then: dict[tuple[int, int], Certificate] = {}
    current: dict[int, tuple[str | None, str | None, int]] = {}
    for case_id, seq, trigger, stored in trail:
        number, star, version = current.get(case_id, (None, None, 0))
        data = stored or {}
        if trigger in ISSUING:
            issued = data.get("number", number)
            version = version if issued == number else 0
            number = issued
        elif trigger in CHANGED:
            version = int(data.get("amendment", version))
        if trigger == TRANSFER_IN:
            star = data.get("star_level", star)
        score = data.get("score")
        if trigger in _SCORED and isinstance(score, dict):
            star = score.get("star_level", star)
        current[case_id] = (number, star, version)
        then[(case_id, seq)] = (versioned_number(number, version), star)
    return then


def replaced(
    number: str, case_id: int, issued: Sequence[Mapping[str, Any]], current: str | None
) -> Replaced | None:
    """`number` if an issuing event of case `case_id` recorded it and a renewal since gave the
    case another number (`issued`: what its issuing events recorded, in order)."""
    numbers = [data.get("number") for data in issued]
    if current == number or number not in numbers:
        return None
    renewal = issued[numbers.index(number) + 1 :]
    on = renewal[0].get("decided_on") if renewal else None
    return Replaced(number, case_id, None if on is None else date.fromisoformat(on), current)


def first_issued(issued: Sequence[Mapping[str, Any]]) -> date | None:
    """The earliest `decided_on` the case's first-certification events recorded."""
    days = [str(d["decided_on"]) for d in issued if d.get("decided_on")]
    return date.fromisoformat(min(days)) if days else None
