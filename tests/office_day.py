"""Today as the certification body's office sees it: the day its commands are dated by.

Commands run in the configured time zone (Asia/Shanghai by default), which is a day ahead of UTC
for eight hours of every UTC day; a test that dated its audits by the machine's own calendar
would then date them before the decision starcert just took.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starcert.config import load_config


def office_today() -> date:
    return datetime.now(load_config().zone).date()


def office_day(days_from_today: int) -> str:
    return (office_today() + timedelta(days=days_from_today)).isoformat()
