"""`starcert incidents list|retry|resolve`: deadlines whose firing failed."""

from __future__ import annotations

from typing import Annotated

import typer

from starcert.cli.command_kit import (
    MAX_ID,
    By,
    Json,
    Reason,
    emit,
    open_app,
    run,
)
from starcert.incidents import list_incidents, resolve, retry
from workflows.model import Deadline

incidents_app = typer.Typer(help="Deadlines whose firing failed.", no_args_is_help=True)


def _incident_dict(d: Deadline) -> dict[str, object]:
    return {
        "id": d.id,
        "case": d.case_id,
        "kind": str(d.kind),
        "due_at": d.due_at.isoformat(),
        "attempts": d.attempts,
        "retry_after": d.claimed_until.isoformat() if d.claimed_until else None,
        "error": d.last_error,
    }


@incidents_app.command("list")
def incidents_list(as_json: Json = False) -> None:
    """Deadlines whose firing failed, with their error and next retry."""

    def go() -> None:
        with open_app() as application:
            rows = [_incident_dict(d) for d in list_incidents(application.uow)]

        def human() -> str:
            if not rows:
                return "no incidents"
            return "\n".join(
                f"deadline {r['id']} case {r['case']} {r['kind']} due {r['due_at']}: "
                f"{r['attempts']} attempts, retry after {r['retry_after']}: {r['error']}"
                for r in rows
            )

        emit(rows, as_json, human)

    run(go)


@incidents_app.command("retry")
def incidents_retry(
    deadline_id: Annotated[int, typer.Argument(help="deadline id", min=1, max=MAX_ID)],
    as_json: Json = False,
) -> None:
    """Clear the back-off: the next daemon tick fires the deadline again."""

    def go() -> None:
        with open_app() as application:
            row = retry(application.uow, deadline_id)
        data = _incident_dict(row)
        emit(data, as_json, lambda: f"deadline {deadline_id} will be retried on the next tick")

    run(go)


@incidents_app.command("resolve")
def incidents_resolve(
    deadline_id: Annotated[int, typer.Argument(help="deadline id", min=1, max=MAX_ID)],
    reason: Reason,
    by: By,
    as_json: Json = False,
) -> None:
    """Close an incident without firing it; the case's trail records who and why."""

    def go() -> None:
        with open_app() as application:
            event = resolve(application.uow, application.clock, deadline_id, reason=reason, by=by)
        data = {"deadline": deadline_id, "case": event.case_id, "event_seq": event.seq}
        emit(
            data,
            as_json,
            lambda: f"deadline {deadline_id} resolved; case {event.case_id} event {event.seq}",
        )

    run(go)
