"""/api/assignments: accept a team for an audit, as `starcert plan accept` does
(starcert.assignment_accepting), and list the teams accepted.

Who may: operators, who plan audits, accept; operators and auditors list (an auditor their own
audits with `auditor`). A team the rules refuse is a 409 `team_refused` whose `problems` say,
rule by rule, why; nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field, StrictStr

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, require
from starcert.api.error_responses import ERROR_RESPONSES, ApiError
from starcert.api.schemas import Day, Id, _In
from workflows.model import AuditKind

router = APIRouter(prefix="/api/assignments", responses=ERROR_RESPONSES, tags=["teams"])

Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Planner = Annotated[Principal, Depends(require(Role.OPERATOR, Role.AUDITOR))]
Ref = Annotated[StrictStr, Field(min_length=1, max_length=100)]

_FIELD = {"--auditors": "auditors", "--leader": "leader", "--from": "starts_on",
          "--to": "ends_on", "--kind": "kind", "--by": "by"}  # fmt: skip


class AcceptIn(_In):
    case_id: Id
    kind: AuditKind | None = Field(default=None, description="default: the proposal's")
    auditors: Annotated[list[Ref], Field(max_length=50)] = Field(
        default_factory=list,
        description="auditor ids or registrations; none: the plan's proposal for the case",
    )
    leader: Ref | None = None
    starts_on: Day | None = Field(default=None, description="first audit day; default: proposed")
    ends_on: Day | None = Field(default=None, description="last day; default: by the audit time")
    weeks: Annotated[int, Field(ge=1, le=104, strict=True)] = Field(
        default=8, description="how far ahead the plan looks for the proposal"
    )


@router.post("", status_code=201)
def accept(body: AcceptIn, request: Request, who: Operator) -> dict[str, Any]:
    """Store the team for the case's audit once the team rules in force on its first day accept
    it, replacing (and keeping) the team accepted before for the same audit."""
    from starcert.assignment_accepting import AcceptRequest
    from starcert.assignment_accepting import accept as accept_team
    from workflows.assignments import as_json
    from workflows.errors import InvalidInput

    try:
        done = accept_team(
            application_of(request),
            AcceptRequest(
                case_id=body.case_id, by=who.name, kind=body.kind, auditors=body.auditors,
                leader=body.leader, starts_on=body.starts_on, ends_on=body.ends_on,
                weeks=body.weeks,
            ),
        )  # fmt: skip
    except InvalidInput as exc:  # named as the CLI's options: say the request's field
        raise InvalidInput(_FIELD.get(exc.field, exc.field), exc.message) from None
    verdict = done.verdict.to_dict()
    if done.assignment is None:
        refused = [r for r in verdict["rules"] if r["verdict"] == "refused"]
        raise ApiError(
            409,
            "team_refused",
            f"the team rules {verdict['ruleset']} {verdict['version']} refuse this team on "
            f"{verdict['audit_date']}: nothing was stored",
            "auditors",
            problems=[
                f"{r['rule']}: {r['message']}"
                + (f" (because {r['because']})" if r["because"] else "")
                for r in refused
            ],
        )
    return {
        "assignment": as_json(done.assignment),
        "replaced": None if done.replaced is None else done.replaced.id,
        "verdict": verdict,
    }


@router.get("")
def listed(
    request: Request,
    who: Planner,
    case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    auditor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="an auditor's id or registration: only the teams they are in, "
            "in the order the audits start",
        ),
    ] = None,
) -> list[dict[str, Any]]:
    """Every current assignment, or every one of `case_id` with those replaced, oldest first;
    with `auditor`, those whose team includes that auditor."""
    from starcert.team_checking import auditor_named
    from workflows.assignments import as_json, of_auditor

    application = application_of(request)
    store = application.database.assignments
    found = store.current() if case_id is None else store.for_case(case_id)
    if auditor is not None:
        named = auditor_named(application, auditor, "auditor")
        found = of_auditor(found, named.id or 0)
    return [as_json(a) for a in found]
