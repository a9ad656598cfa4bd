"""Calendar-month arithmetic with month-end clamping (30 Nov + 3 months = 28/29 Feb).

The same result as `date + dateutil.relativedelta(months=n, days=d)` (a test checks this), at a
fraction of its cost: a decision adds months several times and relativedelta dominated it.
"""

from __future__ import annotations

from datetime import date, timedelta

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def add_months(day: date, months: int, days: int = 0) -> date:
    if months:
        year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
        month = month0 + 1
        last = _month_length(year, month)
        day = date(year, month, day.day if day.day <= last else last)
    return day + timedelta(days=days) if days else day


def expiry_date(decided_on: date, validity_months: int) -> date:
    """Last day of a validity of `validity_months` from `decided_on`: the day before its
    anniversary. An anniversary the calendar lacks (29 Feb in a common year, 31 Apr) falls on
    the day after that month's end, so the month's last day is still valid."""
    anniversary = add_months(decided_on, validity_months)
    if anniversary.day != decided_on.day:
        return anniversary
    return anniversary - timedelta(days=1)
