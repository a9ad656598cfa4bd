"""Bodies of the rule authors' routes (starcert.api.routes_rules).

A rule file travels as JSON: its name (how problems name it, `name:line`, and how the published
version records its source) and its YAML as text. JSON, not a raw YAML body, because diff takes
two files and publish a date beside the file, and the OpenAPI document then describes every input.
The answers carry what `starcert rules ... --json` prints, field for field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictStr

from starcert.api.schemas import Day, _In, _Out

FileName = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the file's name, as problems name it (`name:line`)",
        examples=["gbt27922-v2.yaml"],
    ),
]
YamlText = Annotated[
    StrictStr, Field(min_length=1, description="the rule file's YAML, as text (UTF-8)")
]
VersionName = Annotated[
    StrictStr, Field(min_length=1, max_length=50, description="a published version, e.g. `1`")
]


class RuleFileIn(_In):
    name: FileName
    text: YamlText


class PublishedRef(_In):
    version: VersionName
    team: bool = Field(default=False, description="a version of the team rules, not the criteria")


class DiffIn(_In):
    old: RuleFileIn | PublishedRef
    new: RuleFileIn | PublishedRef


class ImpactIn(RuleFileIn):
    effective_from: Day | None = Field(
        default=None,
        description="default: the file's own, or today if that is past (the earliest accepted)",
    )


class PublishIn(RuleFileIn):
    effective_from: Day = Field(description="today or later, after the latest version's date")


class RuleCheckOut(_Out):
    ruleset: str
    version: str
    title: str
    effective_from: date
    content_hash: str
    rules: int
    indicators: int
    examples: int
    summary: str
    database: str  # how the file stands to the published versions


class ChangeOut(_Out):
    part: str
    subject: str
    what: str
    words: str


class DiffOut(_Out):
    old: str
    new: str
    changes: list[ChangeOut]


class CaseChangeOut(_Out):
    case_id: int
    number: str | None
    holder: str
    state: str
    change: str
    before: str
    after: str
    detail: str
    decided_by_new: bool


class ImpactOut(_Out):
    new: str
    effective_from: date
    certificates: int
    open_applications: int
    certificates_with_deadlines: int
    counts: dict[str, int]
    changes: list[CaseChangeOut]
    publish_refusal: str | None


class TimeChangeOut(_Out):
    case_id: int
    holder: str
    kind: str
    days_before: str
    days_after: str
    members_before: int
    members_after: int


class RuleRefusalOut(_Out):
    rule: str
    message: str


class RefusedTeamOut(_Out):
    assignment_id: int | None
    case_id: int
    holder: str
    kind: str
    starts_on: date
    accepted_under: str
    refused_by: list[RuleRefusalOut]
    not_asked: str | None = Field(description="why the team could not be asked, if it could not")


class TeamImpactOut(_Out):
    """A team rule file's impact: the audit time of each open case and the accepted teams."""

    new: str
    effective_from: date
    current: str | None
    compares: str
    compared: int
    unsized: int
    changes: list[TimeChangeOut]
    teams_checked: int
    teams_refused: list[RefusedTeamOut]
    teams_not_asked: list[RefusedTeamOut]


class PublishedOut(_Out):
    id: int | None
    ruleset: str
    version: str
    content_hash: str
    source_name: str
    effective_from: date
    published_at: datetime
    published_by: str
    published_by_os_user: str | None
    backdate_reason: str | None
    deadlines_moved_cases: int
    teams_refused: list[RefusedTeamOut] = Field(
        default_factory=list,
        description="a team version: the accepted teams it refuses from their first day",
    )
    teams_not_asked: list[RefusedTeamOut] = Field(
        default_factory=list,
        description="a team version: the accepted teams it could not be asked about",
    )
