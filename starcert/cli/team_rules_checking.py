"""`starcert rules check|test` on team rule files (workflows.rule_kind tells them apart): loaded,
summarised and their examples run as the criteria's are, in the same output."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from engine.book import rule_files
from engine.file_cap import FileCap, read_rule_file
from engine.team_evaluate import TeamBook, run_team_examples
from engine.team_loader import load_team_rules
from engine.team_rules import TeamRules
from starcert.cli.command_kit import fail

if TYPE_CHECKING:
    from starcert.app import App
from workflows.rule_kind import TEAM, rule_kind


def team_files(folder: Path, cap: FileCap) -> list[tuple[Path, bytes]]:
    """The team rule files of a file or directly in a folder, each read once."""
    paths = [folder] if folder.is_file() else rule_files(folder)
    read = [(p, read_rule_file(p, cap)) for p in paths]
    return [(p, data) for p, data in read if rule_kind(data) == TEAM]


def load_team_book(folder: Path, cap: FileCap) -> list[TeamRules]:
    """Every team version at `folder`, checked and cross-checked as one book (RuleFileError)."""
    versions = [load_team_rules(data, str(p)) for p, data in team_files(folder, cap)]
    return list(TeamBook(versions).versions)


def team_summary(v: TeamRules) -> str:
    rows = len(v.audit_time.personnel)
    return (
        f"{v.name} {v.version} from {v.effective_from} (team rules), {len(v.rules)} rules, "
        f"audit time in {rows} rows, {len(v.examples)} examples, sha256 {v.content_hash[:12]}"
    )


def test_team_file(path: Path, data: bytes) -> tuple[int, int]:
    """Run one team file's examples, PASS/FAIL each; (passed, failed)."""
    rules = load_team_rules(data, str(path), run_examples=False)
    passed = failed = 0
    for example, detail in run_team_examples(rules):
        where = f"{path}:{example.line}"
        if detail is None:
            passed += 1
            typer.echo(f"PASS {where} {example.name}")
        else:
            failed += 1
            typer.echo(f"FAIL {where} {example.name}: {detail}", err=True)
    return passed, failed


def is_team_file(path: Path) -> bool:
    """Whether `path` is an existing team rule file (read whole: rule files are small)."""
    try:
        return path.is_file() and rule_kind(path.read_bytes()) == TEAM
    except OSError:
        return False


def team_version_or_file(ref: str, application: App | None, cap: FileCap) -> TeamRules:
    """A team rule file at `ref`, else the published team version `ref`."""
    path = Path(ref)
    if path.exists():
        data = read_rule_file(path, cap)
        if rule_kind(data) != TEAM:
            raise fail(2, f"{ref}: criteria, not team rules")
        return load_team_rules(data, ref)
    if application is None:
        raise fail(4, f"{ref}: no such file")
    from starcert.team_rules_store import published_team_version

    found = published_team_version(application.uow, ref)
    if found is None:
        raise fail(4, f"{ref}: neither a file nor a published team rule version")
    return found
