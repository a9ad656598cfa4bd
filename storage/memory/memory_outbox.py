"""The notification outbox in memory (the SQL one: storage.sql.sql_outbox)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from storage import checks
from storage.formats import utc
from storage.memory.memory_tables import MemoryTransaction
from storage.stored_records import checked_notification
from workflows.errors import CaseNotFound
from workflows.ports import Notification


class MemoryOutbox:
    def __init__(self, uow: MemoryTransaction) -> None:
        self._uow = uow

    def _rows(self) -> list[Notification]:
        rows: Mapping[int, Notification] = self._uow.data.table("notifications")
        return sorted(rows.values(), key=lambda m: (m.deliver_after, m.id or 0))

    def _put(self, message: Notification) -> None:
        self._uow.put("notifications", message.id, message)

    def add(self, notification: Notification) -> Notification:
        message = checked_notification(notification)
        if message.case_id is not None and message.case_id not in self._uow.data.cases:
            raise CaseNotFound(f"case {message.case_id} not found")
        stored = replace(message, id=self._uow.store.next_id("notifications"))
        self._put(stored)
        return stored

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
        claimed: list[Notification] = []
        for m in self._rows():
            if len(claimed) >= limit:
                break
            free = m.claimed_until is None or m.claimed_until <= now
            live = m.attempts < max_attempts
            mine = channel is None or m.channel == channel
            if m.delivered_at is None and m.deliver_after <= now and free and live and mine:
                row = replace(m, claimed_by=worker, claimed_until=lease_until)
                self._put(row)
                claimed.append(row)
        return claimed

    def _pending_row(self, notification_id: int) -> Notification | None:
        rows: Mapping[int, Notification] = self._uow.data.table("notifications")
        row = rows.get(notification_id)
        return row if row is not None and row.delivered_at is None else None

    def mark_delivered(self, notification_id: int, at: datetime) -> None:
        at = utc(at, "delivered_at")
        row = self._pending_row(notification_id)
        if row is not None:
            self._put(replace(row, delivered_at=at, claimed_until=None))

    def record_failure(self, notification_id: int, error: str, retry_at: datetime) -> None:
        retry_at = utc(retry_at, "retry_at")
        row = self._pending_row(notification_id)
        if row is not None:
            self._put(
                replace(row, attempts=row.attempts + 1, last_error=error, claimed_until=retry_at)
            )

    def pending(self, limit: int) -> Sequence[Notification]:
        checks.batch(limit)
        return [m for m in self._rows() if m.delivered_at is None][:limit]

    def for_case(self, case_id: int) -> Sequence[Notification]:
        return sorted((m for m in self._rows() if m.case_id == case_id), key=lambda m: m.id or 0)
