"""Daemon heartbeats in `daemon_status`: one row per worker, upserted on each beat.

Kept apart from the unit of work: a heartbeat is operational state, not part of any case's
history, and is written in its own short transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.formats import utc, utc_or_none
from storage.sql.sql_errors import translated
from storage.sql.tables import DaemonStatusRow
from workflows.read_ports import Heartbeat


class SqlHeartbeats:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, beat: Heartbeat) -> None:
        with translated(), Session(self.engine) as session:
            row = session.get(DaemonStatusRow, beat.worker)
            if row is None:
                row = DaemonStatusRow(
                    worker=beat.worker,
                    pid=beat.pid,
                    host=beat.host,
                    state=beat.state,
                    started_at=utc(beat.started_at, "started_at"),
                )
            row.pid = beat.pid
            row.host = beat.host
            row.state = beat.state
            row.started_at = utc(beat.started_at, "started_at")
            row.beat_at = utc_or_none(beat.beat_at, "beat_at")
            row.last_tick_at = utc_or_none(beat.last_tick_at, "last_tick_at")
            row.clock_at = utc_or_none(beat.clock_at, "clock_at")
            row.fired_total = beat.fired_total
            row.failed_total = beat.failed_total
            row.last_error = beat.last_error
            session.add(row)
            session.commit()

    def all(self) -> Sequence[Heartbeat]:
        with translated(), Session(self.engine) as session:
            rows = session.exec(select(DaemonStatusRow).order_by(col(DaemonStatusRow.worker)))
            return [
                Heartbeat(
                    worker=r.worker,
                    pid=r.pid,
                    host=r.host,
                    state=r.state,
                    started_at=r.started_at,
                    beat_at=r.beat_at,
                    last_tick_at=r.last_tick_at,
                    clock_at=r.clock_at,
                    fired_total=r.fired_total,
                    failed_total=r.failed_total,
                    last_error=r.last_error,
                )
                for r in rows
            ]
