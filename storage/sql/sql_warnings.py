"""The planning warnings sent, in `planning_warnings`: the key's row and the outbox message are
written in one transaction, and a key already there (a racing daemon's) writes neither."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from storage.formats import utc
from storage.sql.sql_errors import translated
from storage.sql.statements import table
from storage.sql.tables import CaseRow, NotificationRow, PlanningWarningRow
from storage.stored_records import checked_notification
from workflows.errors import CaseNotFound
from workflows.ports import Notification

WARNINGS = table(PlanningWarningRow)
NOTIFICATIONS = table(NotificationRow)
CASES = table(CaseRow)


class SqlWarnings:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def warn_once(self, key: str, text: str, message: Notification) -> bool:
        m = checked_notification(message)
        w = WARNINGS.c
        try:
            with translated(), self.engine.begin() as conn:
                if conn.execute(select(w.key).where(w.key == key)).first() is not None:
                    return False
                if m.case_id is not None and (
                    conn.execute(select(CASES.c.id).where(CASES.c.id == m.case_id)).first() is None
                ):
                    raise CaseNotFound(f"case {m.case_id} not found")
                conn.execute(
                    insert(WARNINGS).values(key=key, text=text, warned_at=utc(m.created_at, "at"))
                )
                conn.execute(
                    insert(NOTIFICATIONS).values(
                        case_id=m.case_id, kind=m.kind, channel=m.channel,
                        payload=dict(m.payload), created_at=m.created_at,
                        deliver_after=m.deliver_after, attempts=0,
                    )
                )  # fmt: skip
        except IntegrityError:
            return False  # another daemon warned first
        return True

    def sent(self) -> Sequence[tuple[str, str, datetime]]:
        w = WARNINGS.c
        query = select(w.key, w.text, w.warned_at).order_by(w.warned_at, w.key)
        with translated(), self.engine.begin() as conn:
            return [(r.key, r.text, utc(r.warned_at, "warned_at")) for r in conn.execute(query)]
