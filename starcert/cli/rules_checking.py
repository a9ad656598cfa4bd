"""The work behind `starcert rules check|test|explain` (starcert.cli.rules_commands declares
them): it brings the rules engine, so it is imported only when one of them runs."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import typer

from engine import (
    Check,
    Decision,
    EngineError,
    FactError,
    RuleBook,
    RuleFileError,
    RuleSet,
    evaluate,
    load_ruleset,
    run_examples,
)
from engine.book import rule_files
from engine.file_cap import FileCap, read_rule_file
from engine.team_rules import TeamRules
from engine.vocabulary import SCORE_SHEET_FACT
from starcert.cli.command_kit import (
    fail,
    load,
    parse_day,
    refused,
)
from starcert.cli.team_rules_checking import load_team_book, team_summary, test_team_file
from starcert.inputs import read_document, read_facts, read_sheet, sheet_problem
from starcert.rule_publication import file_cap, stored_versions
from starcert.rules_adapter import sheet_facts
from starcert.rules_authoring import against_published, summary
from starcert.rules_store import indexed
from storage.database import open_database
from workflows.errors import InvalidInput, StorageError
from workflows.ports import PublishedRules
from workflows.rule_kind import CRITERIA, TEAM, row_kind, rule_kind


def _rules_dir(path: Path | None) -> Path:
    """The path given, else the rule directory the config names (not the working directory)."""
    if path is not None:
        return path
    try:
        return load().paths.rules_dir
    except Exception as exc:
        raise fail(1, f"no rule path given and the config cannot be read: {exc}") from None


def _books(path: Path) -> list[Path]:
    """Folders at or under `path` that hold rule files, each one rule book."""
    if not path.exists():
        raise fail(2, f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    folders = [path, *sorted(p for p in path.rglob("*") if p.is_dir())]
    found = [f for f in folders if rule_files(f)]
    if not found:
        raise fail(2, f"{path}: holds no rule files (*.yaml)")
    return found


def _cap() -> FileCap:
    """The size limit of a rule file, from the config."""
    try:
        return file_cap(load())
    except Exception as exc:
        raise fail(
            1, f"the config (which sets the rule file size limit) cannot be read: {exc}"
        ) from None


def _load(path: Path, cap: FileCap) -> list[RuleSet | TeamRules]:
    """The versions at `path`: criteria and team rule files, each kind its own book."""
    if path.is_file():
        data = read_rule_file(path, cap)
        if rule_kind(data) == TEAM:
            return list(load_team_book(path, cap))
        return [load_ruleset(data, str(path))]
    team = load_team_book(path, cap)
    if team and len(team) == len(rule_files(path)):
        return list(team)
    return [*RuleBook.from_directory(path, cap=cap).versions, *team]


def check_files(path: Path | None) -> None:
    """What `starcert rules check` does (declared, with its help, in rules_commands)."""
    problems: list[str] = []
    cap = _cap()
    stored, note = stored_for_check()
    for book in _books(_rules_dir(path)):
        try:
            versions = _load(book, cap)
        except RuleFileError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        for v in versions:
            said = team_summary(v) if isinstance(v, TeamRules) else summary(v)
            typer.echo(f"ok  {v.source}: {said}")
            if stored is not None:
                typer.echo(f"    database: {against_published(v, stored)}")
    if note:
        typer.echo(note, err=True)
    if problems:
        raise refused(problems)


def test_files(path: Path | None) -> None:
    """What `starcert rules test` does."""
    cap = _cap()
    files = [
        f
        for book in _books(_rules_dir(path))
        for f in ([book] if book.is_file() else rule_files(book))
    ]
    failed = 0
    problems: list[str] = []
    passed = 0
    ran: list[Path] = []
    for file in files:
        try:
            data = read_rule_file(file, cap)
            if rule_kind(data) == TEAM:
                more, less = test_team_file(file, data)
                passed, failed = passed + more, failed + less
                ran.append(file)
                continue
            ruleset = load_ruleset(data, str(file), run_examples=False)
        except RuleFileError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        ran.append(file)
        for result in run_examples(ruleset):
            where = f"{file}:{result.example.line}"
            if result.passed:
                passed += 1
                typer.echo(f"PASS {where} {result.example.name}")
            else:
                failed += 1
                typer.echo(f"FAIL {where} {result.example.name}: {result.detail}", err=True)
    refused_files = len(files) - len(ran)
    # A refused file's examples never ran: "0 passed, 0 failed" alone would read as nothing wrong.
    not_run = f", {refused_files} file(s) refused (examples not run)" if refused_files else ""
    typer.echo(f"{passed} passed, {failed} failed{not_run}")
    if problems:
        raise refused(problems)
    if failed:  # the file would be refused by check and publish: bad input too
        raise typer.Exit(2)


def explain_facts(
    facts: Path | None,
    sheet: Path | None,
    dates: tuple[str | None, str | None],
    as_of: str | None,
    rules: Path | None,
    checks: list[str] | None,
    as_json: bool,
) -> None:
    """What `starcert rules explain` does: the facts file of `apply` (dates as its --submitted
    and --since) and the score sheet of `audit record`, read as those commands read them."""
    try:
        data = _explained(facts, sheet, *dates)
    except InvalidInput as exc:
        raise fail(2, str(exc)) from None
    day = _as_of(as_of, data)
    try:
        target: Any = explaining_rules(rules)
        decision = evaluate(target, data, day, checks=checks)
    except RuleFileError as exc:
        raise refused(exc.problems) from None
    except FactError as exc:
        if sheet is not None and exc.fact.startswith(f"{SCORE_SHEET_FACT}."):
            found = sheet_problem(sheet, exc.fact.removeprefix(f"{SCORE_SHEET_FACT}."), exc.message)
            raise fail(2, str(found)) from None
        raise fail(2, f"{facts or sheet}: {exc}") from None
    except EngineError as exc:  # NotInForce is a LookupError
        code = 4 if isinstance(exc, LookupError) else 2 if isinstance(exc, ValueError) else 1
        raise fail(code, f"{facts or sheet}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(render(decision))


_DATES = ("application_date", "service_system_since")


def _explained(
    facts: Path | None, sheet: Path | None, submitted: str | None, since: str | None
) -> dict[str, Any]:
    """The engine's facts from the files and options. A facts file may also be a rule file
    example's `facts` (dates and `score_sheet` in it): those parts go to the engine as given."""
    if facts is None and sheet is None:
        raise InvalidInput("--facts", "give a facts file, a score sheet (--sheet) or both")
    data: dict[str, Any] = {}
    raw: Any = {}
    if facts is not None:
        raw = read_document(facts)
        if not isinstance(raw, dict):
            raise InvalidInput(str(facts), "expected a mapping of fact name to value")
        data = {k: raw[k] for k in (*_DATES, SCORE_SHEET_FACT) if k in raw}
        if set(raw) - set(data):
            data.update(asdict(read_facts(facts, besides=data)))
    for option, name, value in (
        ("--submitted", _DATES[0], submitted),
        ("--since", _DATES[1], since),
    ):
        if value is None:
            continue
        if name in data:
            raise InvalidInput(option, f"{facts} gives {name} already")
        data[name] = parse_day(value, option)
    if facts is not None and not set(_DATES) & set(raw) and set(data) - {SCORE_SHEET_FACT}:
        absent = [
            o for o, n in (("--submitted", _DATES[0]), ("--since", _DATES[1])) if n not in data
        ]
        if absent:
            raise InvalidInput(
                " and ".join(absent),
                "missing: a facts file needs the application date (--submitted) and the day the "
                "service system started running (--since), as apply takes them",
            )
    if sheet is not None:
        if SCORE_SHEET_FACT in data:
            raise InvalidInput("--sheet", f"{facts} holds a score_sheet already")
        data[SCORE_SHEET_FACT] = sheet_facts(read_sheet(sheet))
    return data


def explaining_rules(rules: Path | None) -> RuleSet | RuleBook:
    """A draft given with --rules, else the published versions (the files if none is)."""
    if rules is not None:
        if not rules.exists():
            raise fail(2, f"--rules: {rules}: no such file or directory")
        if rules.is_file():
            return load_ruleset(read_rule_file(rules, _cap()), str(rules))
        return RuleBook.from_directory(rules, cap=_cap())
    found, _why = stored_for_check()
    stored = [r for r in found or () if row_kind(r) == CRITERIA]
    if stored:  # each version parsed when the facts' date needs it
        book = RuleBook()
        book.replace_rulesets(indexed(row) for row in stored)
        return book
    directory = _rules_dir(None)
    typer.echo(
        f"(no rules published in the database: explained by the files in {directory})", err=True
    )
    return RuleBook.from_directory(directory)


def _as_of(raw: str | None, data: dict[str, Any]) -> date:
    value: Any = raw if raw is not None else data.get("application_date")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise fail(2, f"--as-of: expected a date YYYY-MM-DD, got {value!r}") from None
    raise fail(2, "--as-of: give the date to decide on (there is no application date to take)")


def _show(score: Decimal | None) -> str:
    """Rounded down for display: 94.999 shows as 94.99, never as 95.00."""
    return "-" if score is None else str(score.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def render(d: Decision) -> str:
    lines = [
        f"{d.outcome.upper()}  ({d.ruleset} {d.version}, sha256 {d.content_hash[:12]}, "
        f"{d.source}, as of {d.as_of})"
    ]
    if Check.APPLICATION.value in d.checks:
        lines.append(
            f"application: {'eligible' if d.eligible else 'ineligible'}; "
            f"earliest application {d.earliest_application}"
        )
        lines += [f"  FAILED {f.rule}: {f.message}" for f in d.failures]
    if Check.SCORING.value in d.checks:
        lines.append(
            f"score: {_show(d.achieved_points)} of {_show(d.applicable_points)} "
            f"applicable points -> normalised {_show(d.normalised_score)}, "
            f"{len(d.special_deductions)} special deductions, "
            f"bonus {'yes' if d.special_bonus else 'no'} -> final {_show(d.final_score)}"
        )
        lines.append(f"band: {d.band or 'not certified'}")
        lines += [f"  FAILED {f.rule}: {f.message}" for f in d.fail_reasons]
    lines += [f"  NOTE {n.rule}: {n.message}" for n in d.notes]
    lines += [f"  passed {p.rule}: {p.message}" for p in d.passed]
    if d.deadlines:
        lines.append("deadlines: " + ", ".join(f"{k} {v}" for k, v in d.deadlines.items()))
    return "\n".join(lines)


# --- check: disk against database ---------------------------------------------------------------


def stored_for_check() -> tuple[list[PublishedRules] | None, str]:
    """The published versions, or None and why not (no database is not an error for `check`)."""
    try:
        config = load()
    except Exception as exc:
        return None, f"(not compared with the database: {exc})"
    url = config.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None, "(not compared with the database: it does not exist yet)"
    try:
        database = open_database(url)
        try:
            return stored_versions(database.unit_of_work, kind=None), ""  # team rows too
        finally:
            database.close()
    except StorageError as exc:
        said = str(exc.__cause__ or exc)  # the database's own words, as it said them
        return None, f"(not compared with the database: {said.splitlines()[0]})"
