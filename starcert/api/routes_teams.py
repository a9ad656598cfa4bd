"""/api/teams/check: the team rules' verdict on a proposed audit team, as `starcert team check`
gives it (starcert.team_checking), rule by rule with the audit time. Reads only.

Who may: operators, who plan audits, and auditors, who read the register their teams come from
(the answer names colleagues and their relations with the client, as /api/auditors does).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, StrictStr

from starcert.accounts import Principal, Role
from starcert.api.auth import application_of, require
from starcert.api.error_responses import ERROR_RESPONSES
from starcert.api.schemas import Day, Id, _In
from workflows.model import AuditKind

router = APIRouter(prefix="/api/teams", responses=ERROR_RESPONSES, tags=["teams"])

Reader = Annotated[Principal, Depends(require(Role.OPERATOR, Role.AUDITOR))]
Ref = Annotated[StrictStr, Field(min_length=1, max_length=100)]
Count = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]


class TeamCheckIn(_In):
    case_id: Id
    auditors: Annotated[list[Ref], Field(min_length=1, max_length=50)] = Field(
        description="auditor ids or registration numbers; the leader defaults to the first"
    )
    leader: Ref | None = None
    on: Day | None = Field(default=None, description="audit date; default: today")
    kind: AuditKind | None = None
    area: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None
    personnel: Count | None = None
    sites: Count | None = None
    adjust: Annotated[tuple[Ref, ...], Field(max_length=20)] = ()


_FIELD = {"--auditors": "auditors", "--leader": "leader", "--area": "area", "--adjust": "adjust",
          "--personnel": "personnel", "--sites": "sites", "--kind": "kind"}  # fmt: skip


@router.post("/check")
def check(body: TeamCheckIn, request: Request, who: Reader) -> dict[str, Any]:
    """Would the team rules in force on `on` accept this team for the case, and why; with the
    audit time and every step that reached it. `accepted` false is an answer, not an error."""
    from starcert.team_checking import TeamRequest, check_team
    from workflows.errors import InvalidInput

    try:
        verdict = check_team(
            application_of(request),
            TeamRequest(
                case_id=body.case_id, auditors=body.auditors, leader=body.leader, on=body.on,
                kind=body.kind, area=body.area, personnel=body.personnel, sites=body.sites,
                adjust=tuple(body.adjust),
            ),
        )  # fmt: skip
    except InvalidInput as exc:  # named as the CLI's options: say the request's field
        raise InvalidInput(_FIELD.get(exc.field, exc.field), exc.message) from None
    return verdict.to_dict()
