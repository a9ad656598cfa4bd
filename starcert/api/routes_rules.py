"""Rule authors under /api/rules: check, diff, impact and publish a rule file sent as text.

Each route calls what `starcert rules check|diff|impact|publish` call (starcert.rules_authoring),
so a file is refused with the same `name:line` problems and published under the same checks: a
file over the configured size (`[rules] max_file_bytes`) is refused before it is parsed, and the
YAML alias budget holds as it does on the host. The author of a publication is the token's
account, never anything in the body; an API publication cannot be backdated (that stays with the
host's `rules publish --backdate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

from engine.rule_errors import RuleFileError
from starcert import rules_authoring as authoring
from starcert.api import rule_schemas as r
from starcert.api.auth import RuleAuthor, application_of
from starcert.api.error_responses import ERROR_RESPONSES, ApiError
from starcert.rule_publication import InputNames, file_cap, stored_versions
from workflows.errors import InvalidInput, NotFound
from workflows.rule_kind import TEAM, rule_kind

if TYPE_CHECKING:
    from engine import RuleSet
    from engine.team_rules import TeamRules
    from starcert.app import App

router = APIRouter(prefix="/api/rules", responses=ERROR_RESPONSES, tags=["rules"])

API_INPUTS = InputNames(effective="effective_from", author="account", backdate=None)


@contextmanager
def refused_as(field: str) -> Iterator[None]:
    """A rule file refused inside the block is a 422 listing its problems, each `name:line`."""
    try:
        yield
    except RuleFileError as exc:
        raise ApiError(
            422,
            "rule_file_refused",
            str(exc),
            field,
            problems=[str(p) for p in exc.problems],
        ) from None


def _checked(body: r.RuleFileIn, application: App) -> RuleSet:
    """The file sent, validated with its examples run: bytes over the configured size limit
    (`[rules] max_file_bytes`, as for the CLI) are refused before they are parsed."""
    return authoring.check(body.text.encode("utf-8"), body.name, file_cap(application.config))


@router.post("/check", response_model=r.RuleCheckOut)
def check(body: r.RuleFileIn, request: Request, who: RuleAuthor) -> r.RuleCheckOut:
    """Validate a rule file and run its examples; say how it stands to the published versions."""
    application = application_of(request)
    if rule_kind(body.text.encode("utf-8")) == TEAM:
        return _check_team(body, application)
    with refused_as("text"):
        v = _checked(body, application)
    return r.RuleCheckOut(
        ruleset=v.name,
        version=v.version,
        title=v.title,
        effective_from=v.effective_from,
        content_hash=v.content_hash,
        rules=len(v.rules),
        indicators=len(v.scoring.indicators),
        examples=len(v.examples),
        summary=authoring.summary(v),
        database=authoring.against_published(v, stored_versions(application.uow)),
    )


def _check_team(body: r.RuleFileIn, application: App) -> r.RuleCheckOut:
    """A team rule file checked as the CLI checks it (its examples run); no indicators."""
    from engine.team_loader import load_team_rules
    from starcert.cli.team_rules_checking import team_summary

    with refused_as("text"):
        v = load_team_rules(body.text.encode("utf-8"), body.name, cap=file_cap(application.config))
    return r.RuleCheckOut(
        ruleset=v.name,
        version=v.version,
        title=v.title,
        effective_from=v.effective_from,
        content_hash=v.content_hash,
        rules=len(v.rules),
        indicators=0,
        examples=len(v.examples),
        summary=team_summary(v),
        database=authoring.against_published(v, stored_versions(application.uow, kind=None)),
    )


@router.post("/diff", response_model=r.DiffOut)
def diff(body: r.DiffIn, request: Request, who: RuleAuthor) -> r.DiffOut:
    """What changed from `old` to `new` (each a file or a published version), in words: the
    criteria's or the team rules' (a file says which it is; a version, by `team`)."""
    from engine.diff import diff as changes_between
    from engine.team_diff import team_diff
    from engine.team_rules import TeamRules

    application = application_of(request)
    old, new = (_side(application, f, ref) for f, ref in (("old", body.old), ("new", body.new)))
    if isinstance(old, TeamRules) and isinstance(new, TeamRules):
        changes = team_diff(old, new)
    elif isinstance(old, TeamRules) or isinstance(new, TeamRules):
        raise InvalidInput(
            "new", "one side is team rules, the other criteria: compare like with like"
        )
    else:
        changes = changes_between(old, new)
    return r.DiffOut(
        old=old.label, new=new.label, changes=[r.ChangeOut(**c.to_dict()) for c in changes]
    )


def _side(application: App, field: str, ref: r.RuleFileIn | r.PublishedRef) -> RuleSet | TeamRules:
    """One side of a diff: a published version of the criteria or the team rules, or a file
    checked with its examples run."""
    if isinstance(ref, r.PublishedRef):
        if ref.team:
            from starcert.team_rules_store import published_team_version

            team = published_team_version(application.uow, ref.version)
            if team is None:
                raise NotFound(f"{field}: no published team rules version {ref.version!r}")
            return team
        found = authoring.published_version(application, ref.version)
        if found is None:
            raise NotFound(f"{field}: no published version {ref.version!r}")
        return found
    with refused_as(f"{field}.text"):
        if rule_kind(ref.text.encode("utf-8")) == TEAM:
            from engine.team_loader import load_team_rules

            cap = file_cap(application.config)
            return load_team_rules(ref.text.encode("utf-8"), ref.name, cap=cap)
        return _checked(ref, application)


@router.post("/impact", response_model=r.ImpactOut | r.TeamImpactOut)
def impact(body: r.ImpactIn, request: Request, who: RuleAuthor) -> r.ImpactOut | r.TeamImpactOut:
    """Who the new version would change, as of its effective date; writes nothing. Says so when
    publish would refuse the version as it stands. A team rule file answers with the audit time
    of each open case and the accepted teams it would refuse, as `rules impact FILE` does."""
    application = application_of(request)
    data = body.text.encode("utf-8")
    if rule_kind(data) == TEAM:
        from starcert.team_impact import team_file_impact

        with refused_as("text"):
            report = team_file_impact(application, data, body.name, body.effective_from)
        return r.TeamImpactOut.model_validate(report.to_dict())
    with refused_as("text"):
        written = _checked(body, application)
    previewed = authoring.preview(application, written, body.effective_from)
    return r.ImpactOut.model_validate(previewed.to_dict())


@router.post("/versions", status_code=201, response_model=r.PublishedOut)
def publish(body: r.PublishIn, request: Request, who: RuleAuthor) -> r.PublishedOut:
    """Publish the file as a new version in force from `effective_from`, recorded as the token's
    account's; then move the open deadlines its lifecycle numbers change."""
    application = application_of(request)
    with refused_as("text"):
        done = authoring.publish_file(
            application,
            body.name,
            body.text.encode("utf-8"),  # over the configured size: refused before it is parsed
            body.effective_from,
            who.name,
            inputs=API_INPUTS,
        )
    row = done.published.row
    return r.PublishedOut(
        id=row.id,
        ruleset=row.ruleset,
        version=row.version,
        content_hash=row.content_hash,
        source_name=row.source_name,
        effective_from=row.effective_from,
        published_at=row.published_at,
        published_by=row.published_by,
        published_by_os_user=row.published_by_os_user,
        backdate_reason=row.backdate_reason,
        deadlines_moved_cases=done.moved,
        teams_refused=[r.RefusedTeamOut.model_validate(t.to_dict()) for t in done.teams_refused],
        teams_not_asked=[
            r.RefusedTeamOut.model_validate(t.to_dict()) for t in done.teams_not_asked
        ],
    )
