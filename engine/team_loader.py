"""Team rule file → validated TeamRules. Every problem is collected with its line; the file is
refused once, as engine.loader refuses a criteria file. The format: rules/README.md ("Team rules").

A team rule file says `kind: team` at its top; workflows.rule_kind tells the two kinds apart
without parsing, so the same commands take either.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ruamel.yaml.error import YAMLError

from engine.alias_budget import TooManyAliases
from engine.conditions import ConditionParser, Ref, negate, refs
from engine.file_cap import FileCap, check_size
from engine.loader import version_key
from engine.node_reader import MISSING, NodeReader, kind_of, plain
from engine.outcomes import DEFAULT_OUTCOMES
from engine.rule_errors import RuleFileError
from engine.source import Reporter, line_of, rule_yaml, yaml_problem
from engine.team_facts import TEAM_FACTS
from engine.team_rules import (
    TABLE_KINDS,
    TEAM_KIND,
    Adjustment,
    AuditTimeTable,
    PersonnelRow,
    TeamExample,
    TeamRule,
    TeamRules,
    TeamSizeRow,
)

TEAM_OUTCOMES = ("refuse_team", "note")
EXPECT_KEYS = ("accepted", "failures", "notes", "days", "members")
MAX_REDUCTION = 30
"""IAF MD 5 lets a body reduce audit time by at most 30%: a file may allow less, never more."""
MAX_PERCENT = 100
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def load_team_rules(
    data: bytes, source: str, *, run_examples: bool = True, cap: FileCap | None = None
) -> TeamRules:
    """Parse, validate and (by default) run the examples of one team rule set version.

    Raises RuleFileError listing every problem found, each with file:line.
    """
    if cap is not None:
        check_size(data, source, cap)
    reporter = Reporter(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reporter.report(None, f"not UTF-8 text: {exc.reason}")
        raise RuleFileError(reporter.problems) from exc
    try:
        doc = rule_yaml().load(text)
    except TooManyAliases as exc:
        reporter.report(exc.line, exc.message, exc.hint)
        raise RuleFileError(reporter.problems) from exc
    except (YAMLError, RecursionError, ValueError) as exc:
        reporter.report(*yaml_problem(exc, text))
        raise RuleFileError(reporter.problems) from exc
    rules = _build(NodeReader(reporter, DEFAULT_OUTCOMES), doc, hashlib.sha256(data).hexdigest())
    if reporter.problems or rules is None:
        raise RuleFileError(reporter.problems)
    if run_examples:
        from engine.team_evaluate import run_team_examples

        for example, detail in run_team_examples(rules):
            if detail is not None:
                reporter.report(example.line, f"example {example.name!r} fails: {detail}")
        if reporter.problems:
            raise RuleFileError(reporter.problems)
    return rules


_TOP = ("kind", "ruleset", "version", "effective_from", "rules", "audit_time")


def _build(reader: NodeReader, doc: Any, content_hash: str) -> TeamRules | None:
    top = reader.mapping(doc, "a team rule file", 1)
    if top is None:
        return None
    reader.keys(top, "the team rule file", _TOP, ("title", "examples"))
    r = reader.r
    if "kind" in top and top.get("kind") != TEAM_KIND:
        r.report(line_of(top, "kind"), f"kind must be {TEAM_KIND!r}, got {kind_of(top['kind'])}")
    name = top.get("ruleset")
    if "ruleset" in top and (not isinstance(name, str) or not _NAME.match(name)):
        r.report(line_of(top, "ruleset"), f"ruleset must be a lower-case name, got {kind_of(name)}")
    version = top.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if "version" in top and (not isinstance(version, str) or not _VERSION.match(version)):
        r.report(line_of(top, "version"), f"version must be like 1 or 2.1, got {kind_of(version)}")
        version = None
    effective = top.get("effective_from")
    if "effective_from" in top and (
        not isinstance(effective, date) or isinstance(effective, datetime)
    ):
        r.report(
            line_of(top, "effective_from"),
            f"effective_from must be a date YYYY-MM-DD, got {kind_of(effective)}",
        )
    title = top.get("title", "")
    if not isinstance(title, str):
        r.report(line_of(top, "title"), f"title must be free text, got {kind_of(title)}")
    rules = _rules(reader, top.get("rules", MISSING), line_of(top, "rules"))
    table = _audit_time(reader, top.get("audit_time", MISSING), line_of(top, "audit_time"))
    examples = _examples(reader, top.get("examples", []), line_of(top, "examples"), effective)
    if r.problems or table is None or not isinstance(effective, date) or version is None:
        return None
    shifted: set[Ref] = set()
    for rule in rules:
        shifted |= {ref for ref in refs(rule.fires_when) if ref.key != ref.fact}
    return TeamRules(
        name=str(name),
        version=str(version),
        version_key=version_key(str(version)),
        effective_from=effective,
        title=str(title),
        source=r.file,
        content_hash=content_hash,
        rules=tuple(rules),
        audit_time=table,
        examples=examples,
        shifted=tuple(sorted(shifted, key=lambda ref: ref.key)),
        effective_line=line_of(top, "effective_from"),
    )


def _rules(reader: NodeReader, node: Any, line: int | None) -> list[TeamRule]:
    items = reader.seq(node, "rules", line)
    if items is None:
        return []
    if not items:
        reader.r.report(line, "rules must list at least one rule")
    parser = ConditionParser(reader.r, TEAM_FACTS, "team rules")
    found: list[TeamRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        item = reader.mapping(raw, "a team rule", line_of(items, i))
        if item is None or not reader.keys(
            item, "a team rule", ("id", "message", "require"), ("outcome",)
        ):
            continue
        rid = reader.ident(item, "id", "team rule")
        message = reader.text(item, "message", "team rule")
        outcome = item.get("outcome", "refuse_team")
        if outcome not in TEAM_OUTCOMES:
            reader.r.unknown(
                line_of(item, "outcome"), "outcome of a team rule", str(outcome), TEAM_OUTCOMES
            )
        condition = parser.parse(item["require"], line_of(item, "require"))
        if rid in seen:
            reader.r.report(line_of(item, "id"), f"team rule id {rid!r} is used twice")
        if rid is None or message is None or condition is None:
            continue
        seen.add(rid)
        violation = negate(condition, TEAM_FACTS)
        found.append(
            TeamRule(f"team.{rid}", rid, message, str(outcome), violation, line_of(item), condition)
        )
    return found


def _audit_time(reader: NodeReader, node: Any, line: int | None) -> AuditTimeTable | None:
    r = reader.r
    item = reader.mapping(node, "audit_time", line)
    if item is None or not reader.keys(
        item,
        "audit_time",
        ("personnel", "sites", "bounds", "minimum_days", "team_size"),
        ("adjustments", "note"),
    ):
        return None
    before = len(r.problems)
    personnel = _personnel(reader, item["personnel"], line_of(item, "personnel"))
    sites = reader.mapping(item["sites"], "audit_time.sites", line_of(item, "sites"))
    extra = cap_ = 0
    if sites is not None and reader.keys(
        sites, "audit_time.sites", ("extra_percent", "max_percent")
    ):
        extra = _percent(reader, sites, "extra_percent", 0, MAX_PERCENT)
        cap_ = _percent(reader, sites, "max_percent", 0, 4 * MAX_PERCENT)
    bounds = reader.mapping(item["bounds"], "audit_time.bounds", line_of(item, "bounds"))
    most_less = most_more = 0
    if bounds is not None and reader.keys(
        bounds, "audit_time.bounds", ("max_reduction_percent", "max_increase_percent")
    ):
        most_less = _percent(reader, bounds, "max_reduction_percent", 0, MAX_REDUCTION)
        most_more = _percent(reader, bounds, "max_increase_percent", 0, MAX_PERCENT)
    adjustments = _adjustments(reader, item.get("adjustments", []), line_of(item, "adjustments"))
    minimum = _days(reader, item, "minimum_days", "audit_time")
    sizes = _team_size(reader, item["team_size"], line_of(item, "team_size"))
    note = item.get("note", "")
    if not isinstance(note, str):
        r.report(line_of(item, "note"), f"audit_time.note must be text, got {kind_of(note)}")
    if len(r.problems) > before or minimum is None:
        return None
    return AuditTimeTable(
        personnel, extra, cap_, adjustments, most_less, most_more, minimum, sizes, str(note)
    )


def _percent(reader: NodeReader, node: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.r.report(
            line_of(node, key), f"{key} must be a whole percent {low}..{high}, got {kind_of(value)}"
        )
        return 0
    return int(value)


def _days(reader: NodeReader, node: Mapping[str, Any], key: str, what: str) -> Decimal | None:
    value = plain(node.get(key))
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        reader.r.report(
            line_of(node, key), f"{what}.{key} must be a positive number of days, got "
            f"{kind_of(node.get(key))}"
        )  # fmt: skip
        return None
    days = Decimal(value)
    if days % Decimal("0.5"):
        reader.r.report(line_of(node, key), f"{what}.{key} = {days} is not a whole half day")
        return None
    return days


def _personnel(reader: NodeReader, node: Any, line: int | None) -> tuple[PersonnelRow, ...]:
    items = reader.seq(node, "audit_time.personnel", line)
    if not items:
        if items is not None:
            reader.r.report(line, "audit_time.personnel must list at least one row")
        return ()
    rows: list[PersonnelRow] = []
    for i, raw in enumerate(items):
        row_line = line_of(items, i)
        last = i == len(items) - 1
        row = reader.mapping(raw, "a personnel row", row_line)
        if row is None or not reader.keys(
            row, "a personnel row", TABLE_KINDS, ("special",) if last else ("up_to", "special")
        ):
            continue
        if not last and "up_to" not in row:
            reader.r.report(row_line, "a personnel row before the last needs up_to")
            continue
        up_to = row.get("up_to")
        if up_to is not None and (isinstance(up_to, bool) or not isinstance(up_to, int)):
            reader.r.report(line_of(row, "up_to"), f"up_to must be a whole number, got {up_to!r}")
            continue
        if up_to is not None and rows and rows[-1].up_to is not None and up_to <= rows[-1].up_to:
            reader.r.report(
                line_of(row, "up_to"),
                f"up_to {up_to} does not rise above the row before ({rows[-1].up_to})",
                "list rows from the smallest client up",
            )
            continue
        days = {k: _days(reader, row, k, "a personnel row") for k in TABLE_KINDS}
        days["special"] = (
            _days(reader, row, "special", "a personnel row")
            if "special" in row
            else days["surveillance"]
        )
        if any(v is None for v in days.values()):
            continue
        rows.append(PersonnelRow(up_to, {k: v for k, v in days.items() if v is not None}, row_line))
    return tuple(rows)


def _team_size(reader: NodeReader, node: Any, line: int | None) -> tuple[TeamSizeRow, ...]:
    items = reader.seq(node, "audit_time.team_size", line)
    if not items:
        if items is not None:
            reader.r.report(line, "audit_time.team_size must list at least one row")
        return ()
    rows: list[TeamSizeRow] = []
    for i, raw in enumerate(items):
        last = i == len(items) - 1
        row = reader.mapping(raw, "a team_size row", line_of(items, i))
        if row is None or not reader.keys(
            row, "a team_size row", ("members",) if last else ("up_to_days", "members")
        ):
            continue
        members = row.get("members")
        if isinstance(members, bool) or not isinstance(members, int) or not 1 <= members <= 20:
            reader.r.report(
                line_of(row, "members"), f"members must be 1..20, got {kind_of(members)}"
            )
            continue
        up_to = None if last else _days(reader, row, "up_to_days", "a team_size row")
        if not last and up_to is None:
            continue
        below = rows[-1].up_to_days if rows else None
        if up_to is not None and below is not None and up_to <= below:
            reader.r.report(
                line_of(row, "up_to_days"), f"up_to_days {up_to} does not rise above the row before"
            )
            continue
        rows.append(TeamSizeRow(up_to, members))
    return tuple(rows)


def _adjustments(reader: NodeReader, node: Any, line: int | None) -> tuple[Adjustment, ...]:
    items = reader.seq(node, "audit_time.adjustments", line)
    found: list[Adjustment] = []
    for i, raw in enumerate(items or []):
        item = reader.mapping(raw, "an adjustment", line_of(items, i))
        if item is None or not reader.keys(item, "an adjustment", ("id", "message", "percent")):
            continue
        aid = reader.ident(item, "id", "adjustment")
        message = reader.text(item, "message", "adjustment")
        value = item.get("percent")
        if isinstance(value, bool) or not isinstance(value, int) or not -50 <= value <= 50:
            reader.r.report(
                line_of(item, "percent"),
                f"adjustment.percent must be a whole percent -50..50, got {kind_of(value)}",
            )
            continue
        if any(a.id == aid for a in found):
            reader.r.report(line_of(item, "id"), f"adjustment id {aid!r} is used twice")
            continue
        if aid is not None and message is not None:
            found.append(Adjustment(aid, message, int(value), line_of(item)))
    return tuple(found)


def _examples(
    reader: NodeReader, node: Any, line: int | None, effective: Any
) -> tuple[TeamExample, ...]:
    items = reader.seq(node, "examples", line)
    found: list[TeamExample] = []
    names: set[str] = set()
    for i, raw in enumerate(items or []):
        item = reader.mapping(raw, "an example", line_of(items, i))
        if item is None or not reader.keys(
            item, "an example", ("name", "expect"), ("facts", "audit_time", "as_of")
        ):
            continue
        name = reader.text(item, "name", "example")
        if name in names:
            reader.r.report(line_of(item, "name"), f"example name {name!r} is used twice")
        if ("facts" in item) == ("audit_time" in item):
            reader.r.report(line_of(item), "an example gives either facts or audit_time")
            continue
        given_key = "facts" if "facts" in item else "audit_time"
        given = reader.mapping(item[given_key], f"example {given_key}", line_of(item, given_key))
        expect = reader.mapping(item["expect"], "example expect", line_of(item, "expect"))
        if expect is not None:
            reader.keys(expect, "example expect", (), EXPECT_KEYS)
        as_of = item.get("as_of", effective)
        if not isinstance(as_of, date) or isinstance(as_of, datetime):
            if "as_of" in item:
                reader.r.report(line_of(item, "as_of"), f"as_of must be a date, got {as_of!r}")
            continue
        if name is None or given is None or expect is None:
            continue
        names.add(name)
        facts = {given_key: plain(given)} if given_key == "audit_time" else plain(given)
        found.append(TeamExample(name, line_of(item), facts, as_of, plain(expect)))
    return tuple(found)
