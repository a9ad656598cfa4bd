"""The deadline plan: which dated obligations a case has, and the calendar arithmetic under it.

The one home of these dates: the lifecycle plans a case's deadlines with `plan`, and the rules
engine's explanation of a decision shows `certificate_plan`, the same dates for a certificate
decided that day.

All dates are calendar dates; months are calendar months with month-end clamping
(31 Jan + 1 month = 28/29 Feb), never a count of days. Every date is anchored to the case's own
domain dates (decision, expiry, suspension), never to the moment a deadline happened to fire, so
a late firing does not push the next obligation back.

A deadline "due on day d" fires at the start of day d+1 in the certification body's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from workflows.model import Case, Deadline, DeadlineKind, State

KINDS = tuple(k for k in DeadlineKind if k is not DeadlineKind.FINDINGS_DUE)
"""The kinds a case's plan holds, in order, as a tuple: walking the Enum itself costs more than
the walk. A finding's correction deadline is not planned here: it comes with the finding."""
REMINDER_KINDS = frozenset(
    {
        DeadlineKind.SURVEILLANCE_WINDOW_OPENS,
        DeadlineKind.RECERT_REMINDER,
        DeadlineKind.RESTORATION_ALLOWANCE_ENDS,
    }
)
"""Deadlines that only put a reminder in the trail; the others drive a transition."""


class LifecycleMonths(Protocol):
    """The lifecycle numbers a plan is made of, in calendar months. The lifecycle's
    `LifecycleTerms` and the rule set's `LifecycleNumbers` both have them."""

    @property
    def validity_months(self) -> int: ...
    @property
    def first_surveillance_months(self) -> int: ...
    @property
    def surveillance_interval_months(self) -> int: ...
    @property
    def surveillance_window_months(self) -> int: ...
    @property
    def suspension_limit_months(self) -> int: ...
    @property
    def recert_reminder_months(self) -> int: ...
    @property
    def restoration_after_expiry_months(self) -> int: ...


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


@lru_cache(maxsize=65536)
def add_months(day: date, months: int, days: int = 0) -> date:
    """`day` plus calendar months (clamped to the month's end: 30 Nov + 3 months = 28/29 Feb),
    then plus days.

    The same result as `day + dateutil.relativedelta(months=months, days=days)` (a test checks
    this), at a fraction of its cost: a decision and a transition add months several times.
    Pure and asked the same few questions again and again: worth remembering.
    """
    if months:
        year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
        month = month0 + 1
        last = _month_length(year, month)
        day = date(year, month, day.day if day.day <= last else last)
    return day + timedelta(days=days) if days else day


def expiry_date(decided_on: date, validity_months: int) -> date:
    """Last day of validity: the day before the validity's anniversary of the decision.

    Decided on 15 Mar 2024, valid 36 months: through 14 Mar 2027. An anniversary the calendar
    lacks (29 Feb in a common year, 31 Apr) falls on the day after that month's end, so the
    month's last day is still valid: decided on 29 Feb 2024, valid through 28 Feb 2027.
    """
    anniversary = add_months(decided_on, validity_months)
    if anniversary.day != decided_on.day:  # clamped to the month's end
        return anniversary
    return anniversary - timedelta(days=1)


def renewed_expiry(prior_expiry: date, validity_months: int) -> date:
    """Last day of validity of a renewed certificate: the prior cycle continued for the validity.

    ISO/IEC 17021-1 (9.6.3.2): a re-certification decided before expiry may keep the existing
    expiry as its base, and a restoration within the allowance after expiry keeps the prior
    cycle's dates. The new cycle runs from the day after the prior expiry, so it is the prior
    expiry plus the validity: prior expiry 14 Mar 2027, valid 36 months: through 14 Mar 2030,
    whether decided in January 2027 or (restored) in May 2027.
    """
    return expiry_date(prior_expiry + timedelta(days=1), validity_months)


def scheduled_surveillance(decided_on: date, terms: LifecycleMonths, k: int) -> date:
    """The k-th (1-based) surveillance date the decision's anniversary rule sets.

    Computed from the decision date each time, so month-end clamping never drifts
    (31 Jan → 31 Jan, not 28 Feb → 28 Feb).
    """
    if k < 1:
        raise ValueError(f"surveillance number starts at 1, got {k}")
    months = terms.first_surveillance_months + (k - 1) * terms.surveillance_interval_months
    return add_months(decided_on, months)


def next_surveillance_due(case: Case, terms: LifecycleMonths) -> date | None:
    """When the case's next surveillance is due, or None when the re-certification takes over.

    The first is due within one interval of the decision, then at most one interval apart;
    each passing surveillance fulfils the next anniversary in turn, however early (the body may
    audit before the window opens) or late (while suspended for it). So the k-th is due on the
    k-th anniversary of the decision, or one interval after the last surveillance if that comes
    first. One that would fall due once the re-certification window has opened (the
    re-certification reminder's day) is the re-certification audit's, not a surveillance's.
    """
    if case.decided_on is None or case.expires_on is None:
        return None
    due = scheduled_surveillance(case.decided_on, terms, case.surveillances + 1)
    last = case.last_surveillance_on
    if case.surveillances and last is not None:
        due = min(due, add_months(last, terms.surveillance_interval_months))
    return _unless_recertifying(due, recert_window_opens(case.expires_on, terms))


def _unless_recertifying(due: date, reminder: date) -> date | None:
    """A surveillance due on or after the re-certification reminder's day is none."""
    return None if due >= reminder else due


def recert_window_opens(expires_on: date, terms: LifecycleMonths) -> date:
    """The re-certification reminder's day: from then on the re-certification audit is due."""
    return add_months(expires_on, -terms.recert_reminder_months)


def plan(case: Case, terms: LifecycleMonths) -> dict[DeadlineKind, date]:
    """The deadlines a case in its current state should have open, by kind, as due days."""
    if case.state is State.ACTIVE and case.expires_on is not None:
        reminder = recert_window_opens(case.expires_on, terms)
        return _while_valid(next_surveillance_due(case, terms), reminder, case.expires_on, terms)
    days: dict[DeadlineKind, date] = {}
    if case.state is State.SUSPENDED and case.expires_on is not None:
        if case.suspended_on is not None:
            days[DeadlineKind.SUSPENSION_LIMIT] = suspension_limit(case.suspended_on, terms)
        # A suspended client must still plan its re-certification before expiry.
        days[DeadlineKind.RECERT_REMINDER] = recert_window_opens(case.expires_on, terms)
        days[DeadlineKind.EXPIRY] = case.expires_on
    elif (
        case.state is State.EXPIRED
        and case.expires_on is not None
        and case.suspension_cause is None  # expired while suspended: not restorable
        and terms.restoration_after_expiry_months > 0
    ):
        days[DeadlineKind.RESTORATION_ALLOWANCE_ENDS] = restoration_ends(case.expires_on, terms)
    return days


def _while_valid(
    surveillance: date | None, reminder: date, expires_on: date, terms: LifecycleMonths
) -> dict[DeadlineKind, date]:
    """The plan of an active certificate: its next surveillance (if one is still due before the
    re-certification reminder), the reminder and the expiry."""
    if surveillance is None:
        return {DeadlineKind.RECERT_REMINDER: reminder, DeadlineKind.EXPIRY: expires_on}
    return {
        DeadlineKind.SURVEILLANCE_WINDOW_OPENS: add_months(
            surveillance, -terms.surveillance_window_months
        ),
        DeadlineKind.SURVEILLANCE_DUE: surveillance,
        DeadlineKind.RECERT_REMINDER: reminder,
        DeadlineKind.EXPIRY: expires_on,
    }


def certificate_plan(decided_on: date, terms: LifecycleMonths) -> dict[DeadlineKind, date]:
    """The deadlines a certificate decided on `decided_on` is given: what `plan` gives the new
    active case (no surveillance yet), and the restoration allowance it plans once the
    certificate has expired unsuspended. The rules engine's explanation of a certifying
    decision shows these."""
    expires_on = expiry_date(decided_on, terms.validity_months)
    reminder = recert_window_opens(expires_on, terms)
    first = _unless_recertifying(scheduled_surveillance(decided_on, terms, 1), reminder)
    days = _while_valid(first, reminder, expires_on, terms)
    if terms.restoration_after_expiry_months > 0:
        days[DeadlineKind.RESTORATION_ALLOWANCE_ENDS] = restoration_ends(expires_on, terms)
    return days


def plan_across_versions(
    case: Case, terms: LifecycleMonths, later: Sequence[tuple[date, LifecycleMonths]]
) -> dict[DeadlineKind, date]:
    """`plan` under `terms`, then brought in line with each later version in effective order,
    the way publishing that version moves an open deadline (see recompute.deadline_moves): a
    day before its effective date keeps the earlier numbers, one its numbers would put before
    that date is moved to the date itself. So a case transitioned after a future version was
    published gets the days the publication gave cases already open."""
    days = plan(case, terms)
    for effective_from, newer_terms in later:
        newer = plan(case, newer_terms)
        for kind in KINDS:
            before = days.get(kind)
            if before is not None and before < effective_from:
                continue  # falls due under the version before
            after = newer.get(kind)
            if after is not None and after < effective_from:
                after = effective_from if before is not None else None
            if after is None:
                days.pop(kind, None)
            else:
                days[kind] = after
    return days


def already_reminded(
    case: Case, kind: DeadlineKind, at: datetime, done: Sequence[Deadline], zone: ZoneInfo
) -> bool:
    """Whether the reminder of `kind` the case's current obligation calls for has fired already.

    The same reminder (same due time), or one of its kind since the obligation's period began,
    before a rule version or a re-plan moved it: each obligation is reminded once, and a
    reminder that was missed (the daemon down, the case suspended) is added back to fire late.
    """
    if kind is DeadlineKind.SURVEILLANCE_WINDOW_OPENS:
        start = case.last_surveillance_on if case.surveillances else case.decided_on
    elif kind is DeadlineKind.RECERT_REMINDER:
        start = case.decided_on
    else:
        start = case.expires_on
    since = None if start is None else due_at(start, zone)
    return any(
        d.kind is kind and (d.due_at == at or (since is not None and d.due_at > since))
        for d in done
    )


def suspension_limit(suspended_on: date, terms: LifecycleMonths) -> date:
    """Last day a suspension may still be lifted."""
    return add_months(suspended_on, terms.suspension_limit_months)


def restoration_ends(expires_on: date, terms: LifecycleMonths) -> date:
    """Last day an expired certificate may still be restored (meaningless when months = 0)."""
    return add_months(expires_on, terms.restoration_after_expiry_months)


@lru_cache(maxsize=65536)
def due_at(day: date, zone: ZoneInfo) -> datetime:
    """The instant (aware UTC) a deadline due on `day` fires: the start of the next local day.

    Pure, and asked for the same few days by every transition of a case: worth remembering."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def due_day(moment: datetime, zone: ZoneInfo) -> date:
    """The due day of a deadline firing at `moment` (inverse of `due_at`)."""
    if moment.tzinfo is None:
        raise ValueError("deadline instants must be timezone-aware")
    return moment.astimezone(zone).date() - timedelta(days=1)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date in the body's zone at `moment`."""
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(zone).date()
