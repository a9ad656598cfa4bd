"""Operator actions on incidents: deadlines whose firing failed and wait in back-off.

Retry clears the back-off lease, so the next daemon tick fires the deadline again. Resolve closes
it without firing: the case's trail records who resolved it, why, and the error it had, and the
deadline is marked done, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workflows.audit_trail import seal
from workflows.errors import InvalidInput
from workflows.model import Deadline, Event
from workflows.ports import Clock, UnitOfWork
from workflows.why import why

INCIDENT_RESOLVED = "incident_resolved"
"""Event trigger: an operator closed a failing deadline without firing it."""


def list_incidents(uow_factory: Callable[[], UnitOfWork]) -> Sequence[Deadline]:
    with uow_factory() as uow:
        return list(uow.deadlines.incidents())


def _incident(uow: UnitOfWork, deadline_id: int) -> Deadline:
    deadline = uow.deadlines.get(deadline_id)
    if deadline.done_at is not None:
        raise InvalidInput("deadline", why("deadline {id} is already done", id=deadline_id))
    if deadline.last_error is None:
        said = why("deadline {id} is not an incident (never failed)", id=deadline_id)
        raise InvalidInput("deadline", said)
    return deadline


def retry(uow_factory: Callable[[], UnitOfWork], deadline_id: int) -> Deadline:
    """Clear the back-off so the next tick fires it; returns the row as it now stands."""
    with uow_factory() as uow:
        deadline = _incident(uow, deadline_id)
        if deadline.claimed_by is not None:
            uow.deadlines.release(deadline_id, deadline.claimed_by)
        uow.commit()
        return uow.deadlines.get(deadline_id)


def resolve(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    deadline_id: int,
    *,
    reason: str,
    by: str,
) -> Event:
    """Close the incident without firing it; the event in the case's trail says who and why."""
    if not reason.strip():
        raise InvalidInput("reason", why("must not be empty"))
    if not by.strip():
        raise InvalidInput("by", why("must not be empty"))
    with uow_factory() as uow:
        deadline = _incident(uow, deadline_id)
        case = uow.cases.get(deadline.case_id)
        now = clock.now()
        event = seal(
            Event(
                case_id=deadline.case_id,
                seq=0,
                at=now,
                actor=by.strip(),
                trigger=INCIDENT_RESOLVED,
                from_state=case.state,
                to_state=case.state,
                reason=reason.strip(),
                rule_version=None,
                rule_hash=None,
                data={
                    "deadline": {
                        "id": deadline.id,
                        "kind": str(deadline.kind),
                        "due_at": deadline.due_at.isoformat(),
                    },
                    "attempts": deadline.attempts,
                    "error": deadline.last_error,
                },
            ),
            uow.events.head(deadline.case_id),
        )
        stored = uow.events.append(event)
        uow.deadlines.mark_done(deadline_id, now)
        uow.cases.save(case)  # bumps the version: one writer of the chain at a time
        uow.commit()
        return stored
