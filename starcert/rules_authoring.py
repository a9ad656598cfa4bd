"""What a rule author does (check, diff, impact, publish), once for the CLI and the API alike.

Each takes a rule file as its name and bytes, so a file on disk and a file sent in a request are
checked, compared and published by the same code, and refused with the same file:line problems;
bytes over the configured size limit (`file_cap`) are refused before they are parsed, and every
parse goes through engine.load_ruleset, so the YAML alias budget holds for both alike.
The callers only read their input and show the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from engine import RuleSet, load_ruleset
from engine.file_cap import FileCap
from engine.team_rules import TeamRules
from starcert.rule_publication import (
    CLI_INPUTS,
    InputNames,
    Publication,
    Published,
    file_cap,
    stored_versions,
)
from starcert.rules_store import publish, publish_refusal, ruleset_of
from workflows.deadlines import local_day
from workflows.ports import PublishedRules

if TYPE_CHECKING:
    from starcert.app import App
    from starcert.rules_impact import Impact
    from starcert.team_impact import AskedTeam


def check(data: bytes, name: str, cap: FileCap) -> RuleSet:
    """Validate a rule file and run its examples (RuleFileError naming `name`:line if not, or
    naming `name` and its size when `data` is over `cap`: then it is not parsed at all)."""
    return load_ruleset(data, name, cap=cap)


def summary(v: RuleSet) -> str:
    """One line saying what a checked file holds."""
    return (
        f"{v.name} {v.version} from {v.effective_from}, {len(v.rules)} rules, "
        f"{len(v.scoring.indicators)} indicators, {len(v.examples)} examples, "
        f"sha256 {v.content_hash[:12]}"
    )


def against_published(v: RuleSet | TeamRules, stored: Sequence[PublishedRules]) -> str:
    """How a checked file stands to the published versions, in words."""
    same = next((p for p in stored if p.content_hash == v.content_hash), None)
    if same is not None:
        return (
            f"published as {same.ruleset} {same.version}, effective {same.effective_from} "
            "(same content)"
        )
    twin = next((p for p in stored if p.ruleset == v.name and p.version == v.version), None)
    if twin is not None:
        return (
            f"DIFFERS from published {twin.ruleset} {twin.version} (sha256 "
            f"{twin.content_hash[:12]}): the database copy is in force; give the file a new "
            "version and publish it to change anything"
        )
    return "not published"


def published_version(application: App, version: str) -> RuleSet | None:
    """A published version of the rule set, as a RuleSet, or None if there is no such version."""
    rows = [r for r in stored_versions(application.uow) if r.version == version]
    return ruleset_of(rows[0]) if rows else None


# --- impact -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    impact: Impact
    refusal: str | None  # why publish would refuse the version as previewed, or None

    def to_dict(self) -> dict[str, object]:
        return {**self.impact.to_dict(), "publish_refusal": self.refusal}


def preview(
    application: App,
    written: RuleSet,
    effective: date | None,
    progress: Callable[[int], None] | None = None,
) -> Preview:
    """Who `written` would change from `effective` (default: its own date, or today if that is
    past: the earliest publish accepts), and whether publish would refuse it. Writes nothing."""
    from starcert.rules_impact import impact

    now = application.clock.now()
    today = local_day(now, application.config.zone)
    new = written.published_as(effective or max(written.effective_from, today), written.source)
    refusal = publish_refusal(application.uow, new, today)
    report = impact(
        application.database.reads,
        application.rules.book,
        new,
        now=now,
        zone=application.config.zone,
        progress=progress,
    )
    return Preview(report, refusal)


# --- publish ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publishing:
    published: Published
    moved: int  # certificates whose open deadlines moved to the new lifecycle numbers
    checkpoint: int | None  # the checkpoint signed over every chain head, when a key is kept
    teams_refused: tuple[AskedTeam, ...] = ()  # accepted teams a team version refuses
    teams_not_asked: tuple[AskedTeam, ...] = ()  # and those it could not be asked about


def publish_file(
    application: App,
    name: str,
    data: bytes,
    effective_from: date,
    author: str,
    *,
    os_user: str | None = None,
    backdate_reason: str | None = None,
    inputs: InputNames = CLI_INPUTS,
) -> Publishing:
    """Store the file as a new version in force from `effective_from`, recorded as `author`'s
    (and the host's `os_user` for the CLI); then move the open deadlines it changes. `data` over
    the configured size (`[rules] max_file_bytes`) is refused before it is parsed."""
    application.publish_shipped_rules()  # a new database first holds the shipped ones
    now = application.clock.now()
    done = publish(
        application.uow,
        Publication(
            name=name,
            data=data,
            effective_from=effective_from,
            author=author,
            today=local_day(now, application.config.zone),
            now=now,
            backdate_reason=backdate_reason,
            os_user=os_user,
            inputs=inputs,
            cap=file_cap(application.config),
        ),
    )
    application.refresh_rules()  # when they are loaded already
    if isinstance(done.ruleset, TeamRules):  # team rules move no deadline; they may refuse teams
        from starcert.team_impact import asked_again, split

        asked = asked_again(application, done.ruleset, effective_from)
        return Publishing(done, 0, _checkpoint(application), *split(asked))
    moved = recompute(application, done.ruleset, done.previous, done.row.published_by)
    return Publishing(done, moved, _checkpoint(application))


def _checkpoint(application: App) -> int | None:
    """A publication is a checkpoint: signed when a key is configured ([audit] key_file)."""
    from starcert.checkpoint_keys import sign_if_keyed

    made = sign_if_keyed(
        application.database.checkpoints,
        application.config.audit.key_file,
        application.clock.now(),
        unless_unchanged=False,
    )
    return None if made is None else made.id


def recompute(application: App, new: RuleSet, previous: RuleSet | None, by: str) -> int:
    """Move open deadlines of certificates not yet past them to the new lifecycle numbers.

    The moves are found read-only in bulk; only the cases that move get a command (one
    transaction and one event each), so publishing over a large register stays quick.
    """
    from starcert.rules_impact import WITH_DEADLINES, terms_of
    from workflows.commands import RecomputeDeadlines
    from workflows.recompute import deadline_moves

    if previous is not None and previous.lifecycle == new.lifecycle:
        return 0
    zone = application.config.zone
    terms = terms_of(new)
    reads = application.database.reads
    cases = reads.cases(WITH_DEADLINES)
    open_rows = reads.deadlines_by_case()
    moved = 0
    for case in cases:
        assert case.id is not None
        if deadline_moves(case, open_rows.get(case.id, ()), terms, new.effective_from, zone):
            result = application.case_service.handle(
                RecomputeDeadlines(case.id, new.effective_from, by=by)
            )
            moved += bool(result.events)
    return moved
