"""What the daemons are doing, read from the database: for `starcert status` and `health`.

Everything here is a read of committed rows; any process (or an operator on another machine)
sees the same picture whichever daemon wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.database import Database
from storage.heartbeats import Heartbeat, Heartbeats
from workflows.errors import StorageError
from workflows.model import Deadline
from workflows.read_ports import LeaseHolder


@dataclass(frozen=True)
class Status:
    now: datetime
    daemons: list[Heartbeat]
    overdue: int  # open, due, not failing: what a running daemon will fire next
    oldest_overdue: datetime | None
    next_deadlines: list[dict[str, Any]]
    lease_holders: list[LeaseHolder]
    incidents: list[dict[str, Any]]
    outbox_pending: int
    outbox_given_up: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "daemons": [
                {
                    "worker": d.worker,
                    "pid": d.pid,
                    "host": d.host,
                    "state": d.state,
                    "started_at": d.started_at.isoformat(),
                    "beat_at": d.beat_at.isoformat() if d.beat_at else None,
                    "last_tick_at": d.last_tick_at.isoformat() if d.last_tick_at else None,
                    "clock_at": d.clock_at.isoformat() if d.clock_at else None,
                    "fired_total": d.fired_total,
                    "failed_total": d.failed_total,
                    "last_error": d.last_error,
                }
                for d in self.daemons
            ],
            "overdue": self.overdue,
            "oldest_overdue": self.oldest_overdue.isoformat() if self.oldest_overdue else None,
            "next_deadlines": self.next_deadlines,
            "lease_holders": [
                {"worker": h.worker, "deadlines": h.deadlines, "until": h.until.isoformat()}
                for h in self.lease_holders
            ],
            "incidents": self.incidents,
            "outbox_pending": self.outbox_pending,
            "outbox_given_up": self.outbox_given_up,
        }


def _deadline(row: Deadline) -> dict[str, Any]:
    return {
        "id": row.id,
        "case": row.case_id,
        "kind": str(row.kind),
        "due_at": row.due_at.isoformat(),
        "attempts": row.attempts,
        "claimed_by": row.claimed_by,
        "claimed_until": row.claimed_until.isoformat() if row.claimed_until else None,
        "error": row.last_error,
    }


def read_status(
    database: Database, now: datetime, *, limit: int = 10, max_attempts: int = 8
) -> Status:
    watch = database.reads.deadline_watch(now, limit=limit, max_attempts=max_attempts)
    return Status(
        now=now,
        daemons=list(database.heartbeats.all()),
        overdue=watch.overdue,
        oldest_overdue=watch.oldest_overdue,
        next_deadlines=[_deadline(d) for d in watch.upcoming],
        lease_holders=watch.lease_holders,
        incidents=[_deadline(d) for d in watch.incidents],
        outbox_pending=watch.outbox_pending,
        outbox_given_up=watch.outbox_given_up,
    )


def status_text(status: Status, stale_after: timedelta | None = None) -> str:
    """`stale_after`: a daemon not stopped and not heard from for longer is named as such (it
    was killed, or its machine went down, without writing `stopped`)."""
    lines = [f"now {status.now.isoformat()}"]
    if not status.daemons:
        lines.append("daemons: none has run against this database")
    for d in status.daemons:
        # The age tells a daemon killed without a word (its state still says running) from one
        # that ticks: compare it with tick_seconds.
        if d.last_tick_at:
            ago = (status.now - d.last_tick_at).total_seconds()
            tick = f"{d.last_tick_at.isoformat()} ({ago:.0f} s ago)"
        else:
            ago = (status.now - d.started_at).total_seconds()
            tick = f"never (started {ago:.0f} s ago)"
        if d.state == "firing" and d.beat_at:
            tick += (
                f", firing since, last beat {(status.now - d.beat_at).total_seconds():.0f} s ago"
            )
        heard = max((t for t in (d.beat_at, d.last_tick_at) if t is not None), default=None)
        silent = (status.now - (heard or d.started_at)).total_seconds()
        stale = (
            d.state != "stopped"
            and stale_after is not None
            and silent > stale_after.total_seconds()
        )
        lines.append(
            f"daemon {d.worker} ({d.state}, pid {d.pid}): last tick {tick}, "
            f"fired {d.fired_total}, failed {d.failed_total}"
            + (f", last error: {d.last_error}" if d.last_error else "")
            + (f"; NOT HEARD FROM for {silent:.0f} s (stopped without a word?)" if stale else "")
        )
    oldest = f", oldest due {status.oldest_overdue.isoformat()}" if status.oldest_overdue else ""
    lines.append(f"overdue (due, not yet fired): {status.overdue}{oldest}")
    for h in status.lease_holders:
        lines.append(f"lease: {h.worker} holds {h.deadlines} until {h.until.isoformat()}")
    lines.append(f"incidents: {len(status.incidents)}")
    for i in status.incidents:
        lines.append(
            f"  deadline {i['id']} case {i['case']} {i['kind']} due {i['due_at']}: "
            f"{i['attempts']} attempts, retry after {i['claimed_until']}: {i['error']}"
        )
    lines.append("next deadlines:")
    for n in status.next_deadlines:
        lines.append(f"  {n['due_at']}  case {n['case']}  {n['kind']}")
    if not status.next_deadlines:
        lines.append("  none")
    lines.append(f"outbox: {status.outbox_pending} pending, {status.outbox_given_up} given up")
    return "\n".join(lines)


def health(
    database: Database, wall_now: datetime, max_age: timedelta, worker: str | None = None
) -> tuple[bool, str]:
    """(ok, one-line reason): the database answers and a running daemon ticked recently."""
    heartbeats: Heartbeats = database.heartbeats
    try:
        beats = [b for b in heartbeats.all() if worker is None or b.worker == worker]
    except Exception as exc:
        said = str(exc) if isinstance(exc, StorageError) else f"{type(exc).__name__}: {exc}"
        return False, f"database unreachable: {said.splitlines()[0]}"
    running = [b for b in beats if b.state in ("starting", "running", "firing")]
    if not running:
        who = f"daemon {worker} is not" if worker else "no daemon is"
        return False, f"{who} running against this database"
    fresh = [b for b in running if _ticking(b, wall_now, max_age)]
    if not fresh:
        last = max((b.last_tick_at for b in running if b.last_tick_at), default=None)
        seen = last.isoformat() if last else "never"
        return False, f"no tick within {max_age.total_seconds():g}s (last tick {seen})"
    errors = [b for b in fresh if b.last_error]
    names = ", ".join(b.worker + ("" if b.state == "running" else f" {b.state}") for b in fresh)
    if errors:
        return True, f"ok with errors: {errors[0].worker}: {errors[0].last_error}"
    return True, f"ok: {len(fresh)} daemon(s) ticking ({names})"


def _ticking(beat: Heartbeat, wall_now: datetime, max_age: timedelta) -> bool:
    """A tick ended within max_age, or the daemon beat since, starting or mid-way through a long
    tick. A daemon whose ticks fail beats "running" with its last good tick growing old: that
    one is not ticking.
    """
    if beat.last_tick_at is not None and wall_now - beat.last_tick_at <= max_age:
        return True
    busy = beat.state in ("starting", "firing")
    return busy and beat.beat_at is not None and wall_now - beat.beat_at <= max_age
