"""Certificate versions: the number each version is shown by, and every version a trail gave.

A certificate keeps its number through changes; each change (scope extended or reduced, holder
renamed) gives it a new version, shown as a suffix: `ASC-2026-000001-A1`, `-A2`. The counter is
the case's `amendments`; an issuing event that gives a new number starts it again at 0, one that
keeps the number (a body that does not renumber on renewal) keeps it, so no two versions ever
share what is shown. The trail is where earlier versions stay traceable: `versions` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.model import Event

ISSUED = frozenset({"certify", "recertify", "restore_after_expiry", "transfer_in"})
"""Triggers that issue a certificate number (the version counter starts, or carries on)."""
CHANGED = frozenset({"extend_scope", "reduce_scope", "change_holder"})
"""Triggers that change a certificate and give it the next version."""

_SUFFIX = re.compile(r"^(.+)-A([1-9][0-9]{0,5})$")


def versioned_number(number: str | None, amendments: int) -> str | None:
    """The number a version is shown by: the issued number, and `-A{n}` once changed."""
    if number is None:
        return None
    return f"{number}-A{amendments}" if amendments else number


def split_version(shown: str) -> tuple[str, int]:
    """(issued number, version) of a number as shown; no suffix is version 0."""
    found = _SUFFIX.match(shown)
    if found is None:
        return shown, 0
    return found.group(1), int(found.group(2))


@dataclass(frozen=True)
class CertificateVersion:
    """One version of a case's certificate, and the event that made it."""

    number: str  # as shown, with its suffix
    amendment: int
    seq: int
    at: datetime
    trigger: str
    changed: str  # what this version changed, in words


def versions(events: Sequence[Event]) -> list[CertificateVersion]:
    """Every version the trail gave, oldest first: the issuing events and the changes."""
    found: list[CertificateVersion] = []
    number: str | None = None
    amendment = 0
    for event in events:
        data = event.data
        if event.trigger in ISSUED:
            new = str(data["number"])
            amendment = amendment if new == number else 0
            number = new
        elif event.trigger in CHANGED and number is not None:
            amendment = int(data["amendment"])
        else:
            continue
        shown = versioned_number(number, amendment)
        assert shown is not None
        found.append(
            CertificateVersion(shown, amendment, event.seq, event.at, event.trigger, _said(event))
        )
    return found


def _said(event: Event) -> str:
    data: Mapping[str, Any] = event.data
    trigger = event.trigger
    if trigger == "transfer_in":
        return (
            f"transferred in from {data['previous_body']} (its certificate "
            f"{data['previous_number']}, expiring {data['expires_on']})"
        )
    if trigger in ("extend_scope", "reduce_scope"):
        word = "extended" if trigger == "extend_scope" else "reduced"
        return f"scope {word}: {data['previous_scope']!r} → {data['scope']!r}"
    if trigger == "change_holder":
        address = f", address {data['address']!r}" if data.get("address") else ""
        return f"holder changed: {data['previous_holder']!r} → {data['holder']!r}{address}"
    if trigger == "certify":
        return f"issued, expiring {data['expires_on']}"
    return f"renewed ({trigger}), expiring {data['expires_on']}"
