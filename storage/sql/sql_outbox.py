"""The notification outbox over the `notifications` table, on SQL (its memory twin: storage.memory.memory_outbox).

A message is added in the transaction that causes it (a reminder firing), so it exists exactly
when its cause committed. Deliverers lease pending messages the way daemons lease deadlines
(`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several daemons never send the same one at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from storage import checks
from storage.formats import utc
from storage.sql.sql_transaction import SqlTransaction
from storage.sql.tables import NotificationRow
from storage.stored_records import checked_notification
from workflows.errors import CaseNotFound
from workflows.ports import Notification


def _message(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        channel=row.channel,
        payload=dict(row.payload),
        created_at=row.created_at,
        deliver_after=row.deliver_after,
        attempts=row.attempts,
        last_error=row.last_error,
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
        delivered_at=row.delivered_at,
    )


_PENDING = col(NotificationRow.delivered_at).is_(None)
_ORDER = (col(NotificationRow.deliver_after), col(NotificationRow.id))


class SqlOutbox:
    def __init__(self, uow: SqlTransaction) -> None:
        self._uow = uow

    def add(self, notification: Notification) -> Notification:
        message = checked_notification(notification)
        if message.case_id is not None and not self._uow.exists_case(message.case_id):
            raise CaseNotFound(f"case {message.case_id} not found")
        values = {
            "case_id": message.case_id,
            "kind": message.kind,
            "channel": message.channel,
            "payload": dict(message.payload),
            "created_at": message.created_at,
            "deliver_after": message.deliver_after,
            "attempts": message.attempts,
            "last_error": message.last_error,
            "claimed_by": message.claimed_by,
            "claimed_until": message.claimed_until,
            "delivered_at": message.delivered_at,
        }
        return _message(self._uow.insert_values(NotificationRow, values))

    def claim_pending(
        self,
        now: datetime,
        worker: str,
        lease_until: datetime,
        limit: int,
        max_attempts: int,
        channel: str | None = None,
    ) -> Sequence[Notification]:
        now = utc(now, "now")
        lease_until = utc(lease_until, "lease_until")
        checks.text(worker, "worker")
        checks.batch(limit)
        if limit == 0:
            return []
        until = col(NotificationRow.claimed_until)
        pick = (
            select(NotificationRow.id)
            .where(_PENDING, col(NotificationRow.deliver_after) <= now)
            .where(col(NotificationRow.attempts) < max_attempts)
            .where(until.is_(None) | (until <= now))
            .order_by(*_ORDER)
            .limit(limit)
        )
        if channel is not None:
            pick = pick.where(col(NotificationRow.channel) == channel)
        if self._uow.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = [i for i in self._uow.session.exec(pick).all() if i is not None]
        if not ids:
            return []
        self._uow.session.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id).in_(ids))
            .values(claimed_by=worker, claimed_until=lease_until)
        )
        stmt = select(NotificationRow).where(col(NotificationRow.id).in_(ids)).order_by(*_ORDER)
        return [_message(r) for r in self._uow.rows(stmt)]

    def mark_delivered(self, notification_id: int, at: datetime) -> None:
        at = utc(at, "delivered_at")
        self._uow.session.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id) == notification_id, _PENDING)
            .values(delivered_at=at, claimed_until=None)
        )

    def record_failure(self, notification_id: int, error: str, retry_at: datetime) -> None:
        retry_at = utc(retry_at, "retry_at")
        self._uow.session.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id) == notification_id, _PENDING)
            .values(
                attempts=col(NotificationRow.attempts) + 1,
                last_error=error,
                claimed_until=retry_at,
            )
        )

    def pending(self, limit: int) -> Sequence[Notification]:
        checks.batch(limit)
        stmt = select(NotificationRow).where(_PENDING).order_by(*_ORDER).limit(limit)
        return [_message(r) for r in self._uow.rows(stmt)]

    def for_case(self, case_id: int) -> Sequence[Notification]:
        stmt = (
            select(NotificationRow)
            .where(NotificationRow.case_id == case_id)
            .order_by(col(NotificationRow.id))
        )
        return [_message(r) for r in self._uow.rows(stmt)]
