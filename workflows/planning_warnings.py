"""What the daemon warns the body's staff of, ahead of time: a due audit with no team accepted
by its lead time, and an auditor's qualification about to end. Each warning has a key naming
what it is about and the day that makes it (the due day, the last valid day), so it is sent once:
next year's surveillance, or a renewed qualification nearing its new end, is another warning.

Pure: the due audits, the register and the day are given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from workflows.auditors import Auditor
from workflows.ports import Notification

WARNING_CHANNEL = "webhook"
"""The body's own staff read warnings where they read reminders; e-mail goes to clients."""
UNASSIGNED = "audit_unassigned"
EXPIRING = "qualification_expiring"


@dataclass(frozen=True)
class DueWithoutTeam:
    """A due audit and whether a team is accepted for it (starcert.audit_planning)."""

    case_id: int
    holder: str
    kind: str
    due_on: date  # the last day it may start
    assigned: bool


@dataclass(frozen=True)
class PlanningWarning:
    key: str  # what and when: sent once per key
    kind: str  # UNASSIGNED or EXPIRING
    text: str
    payload: dict[str, Any]
    case_id: int | None = None


def unassigned(due: Iterable[DueWithoutTeam], today: date, lead_days: int) -> list[PlanningWarning]:
    """Each due audit with no team accepted once it is due within `lead_days`."""
    found = []
    for audit in sorted(due, key=lambda a: (a.due_on, a.case_id, a.kind)):
        left = (audit.due_on - today).days
        if audit.assigned or left > lead_days:
            continue
        found.append(
            PlanningWarning(
                key=f"{UNASSIGNED}:{audit.case_id}:{audit.kind}:{audit.due_on.isoformat()}",
                kind=UNASSIGNED,
                text=(
                    f"case {audit.case_id} ({audit.holder}): the {audit.kind} audit due by "
                    f"{audit.due_on.isoformat()} has no team assigned, {left} day(s) left"
                ),
                payload={
                    "case_id": audit.case_id,
                    "holder": audit.holder,
                    "audit_kind": audit.kind,
                    "due_on": audit.due_on.isoformat(),
                    "days_left": left,
                },
                case_id=audit.case_id,
            )
        )
    return found


def expiring(auditors: Iterable[Auditor], today: date, within_days: int) -> list[PlanningWarning]:
    """Each auditor whose qualification ends within `within_days` of `today` (not yet ended)."""
    last = today + timedelta(days=within_days)
    found = []
    for a in sorted(auditors, key=lambda a: (a.qualification.valid_until, a.id or 0)):
        q = a.qualification
        if not today <= q.valid_until <= last:
            continue
        left = (q.valid_until - today).days
        found.append(
            PlanningWarning(
                key=f"{EXPIRING}:{a.id}:{q.valid_until.isoformat()}",
                kind=EXPIRING,
                text=(
                    f"auditor {a.name} ({a.id}): qualification {q.registration} ends "
                    f"{q.valid_until.isoformat()}, {left} day(s) left"
                ),
                payload={
                    "auditor_id": a.id,
                    "name": a.name,
                    "registration": q.registration,
                    "valid_until": q.valid_until.isoformat(),
                    "days_left": left,
                },
            )
        )
    return found


def notification(warning: PlanningWarning, now: datetime) -> Notification:
    """The outbox message that sends `warning`."""
    return Notification(
        id=None,
        case_id=warning.case_id,
        kind=warning.kind,
        channel=WARNING_CHANNEL,
        payload={"kind": warning.kind, "text": warning.text, **warning.payload},
        created_at=now,
        deliver_after=now,
    )
