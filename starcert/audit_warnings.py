"""The planning warnings over the database: which hold today (the console lists them), and
sending each new one once through the outbox (the daemon, hourly). See
workflows.planning_warnings for what is warned of and when; [auditors] assignment_lead_days and
qualification_warning_days set how far ahead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from workflows.deadlines import local_day
from workflows.planning_warnings import (
    DueWithoutTeam,
    PlanningWarning,
    expiring,
    notification,
    unassigned,
)

if TYPE_CHECKING:
    from starcert.app import App


def current_warnings(application: App) -> list[PlanningWarning]:
    """Every warning that holds today: due audits without a team, qualifications ending."""
    from starcert.audit_planning import due_windows

    today = local_day(application.clock.now(), application.config.zone)
    settings = application.config.auditors
    last = today + timedelta(days=settings.assignment_lead_days)
    due = [
        DueWithoutTeam(
            w.case.id or 0, w.case.holder, w.kind.value, w.window_to, w.assignment is not None
        )
        for w in due_windows(application, today, last)
    ]
    return [
        *unassigned(due, today, settings.assignment_lead_days),
        *expiring(application.database.auditors.list(), today, settings.qualification_warning_days),
    ]


def send_warnings(application: App) -> list[PlanningWarning]:
    """Put each warning that holds today and was never sent in the outbox; the ones sent now."""
    now = application.clock.now()
    log = application.database.warnings
    return [
        w
        for w in current_warnings(application)
        if log.warn_once(w.key, w.text, notification(w, now))
    ]
