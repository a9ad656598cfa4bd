"""Rule file → validated RuleSet. Every problem is collected with its line; the file is refused once.

Loading works on bytes plus a source name, so a file, a test string or (later) a database row all
load the same way. See rules/README.md for the format.

This module reads the document's top level; each section has its own module: rule_sections
(prerequisites, running_time, fail_rules), scoring_section, band_section, lifecycle_section and
example_section, all on the small readers of node_reader.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ruamel.yaml.error import YAMLError

from engine.alias_budget import TooManyAliases
from engine.band_section import read_bands
from engine.conditions import Ref, refs
from engine.example_section import EXPECT_KEYS as EXPECT_KEYS
from engine.example_section import read_examples
from engine.file_cap import FileCap, check_size
from engine.findings_section import read_findings
from engine.lifecycle_section import read_lifecycle
from engine.node_reader import MAX_MONTHS as MAX_MONTHS
from engine.node_reader import MISSING, NodeReader, kind_of
from engine.outcomes import DEFAULT_OUTCOMES, Outcome
from engine.rule_errors import RuleFileError
from engine.rule_sections import read_fail_rules, read_prerequisites, read_running_time
from engine.ruleset import Rule, RuleSet
from engine.scoring_section import read_scoring
from engine.source import Reporter, line_of, rule_yaml, yaml_problem

TOP_KEYS = (
    "ruleset",
    "version",
    "effective_from",
    "title",
    "prerequisites",
    "running_time",
    "scoring",
    "bands",
    "fail_rules",
    "lifecycle",
    "findings",
    "examples",
)
REQUIRED_TOP = (
    "ruleset",
    "version",
    "effective_from",
    "prerequisites",
    "running_time",
    "scoring",
    "bands",
    "fail_rules",
    "lifecycle",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


_PARSES: Counter[str] = Counter()  # sha256 of a text -> how often this process parsed it
_PARSES_LOCK = threading.Lock()


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def parse_count(content_hash: str) -> int:
    """How many times this process has parsed the text with this sha256 (refused or not): what
    loading a book of many versions costs is the versions it parses."""
    with _PARSES_LOCK:
        return _PARSES[content_hash]


def load_ruleset(
    data: bytes,
    source: str,
    *,
    outcomes: Mapping[str, Outcome] = DEFAULT_OUTCOMES,
    run_examples: bool = True,
    cap: FileCap | None = None,
) -> RuleSet:
    """Parse, validate and (by default) run the example cases of one rule set version.

    Raises RuleFileError listing every problem found, each with file:line; with `cap`, a text
    over its size is refused unread.
    """
    if cap is not None:
        check_size(data, source, cap)
    content_hash = hashlib.sha256(data).hexdigest()
    with _PARSES_LOCK:
        _PARSES[content_hash] += 1
    reporter = Reporter(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError([_problem(reporter, None, f"not UTF-8 text: {exc.reason}")]) from exc
    try:
        doc = rule_yaml().load(text)
    except TooManyAliases as exc:
        reporter.report(exc.line, exc.message, exc.hint)
        raise RuleFileError(reporter.problems) from exc
    except (YAMLError, RecursionError) as exc:  # RecursionError: nested too deep
        reporter.report(*yaml_problem(exc, text))
        raise RuleFileError(reporter.problems) from exc
    ruleset = _build(NodeReader(reporter, outcomes), doc, content_hash)
    if reporter.problems or ruleset is None:
        raise RuleFileError(reporter.problems)
    if run_examples:
        from engine.examples import run_examples as run

        failures = [r for r in run(ruleset) if not r.passed]
        if failures:
            for result in failures:
                reporter.report(
                    result.example.line, f"example {result.example.name!r} fails: {result.detail}"
                )
            raise RuleFileError(reporter.problems)
    return ruleset


def _problem(reporter: Reporter, line: int | None, message: str) -> Any:
    reporter.report(line, message)
    return reporter.problems[-1]


def _build(reader: NodeReader, doc: Any, content_hash: str) -> RuleSet | None:
    top = reader.mapping(doc, "a rule file", 1)
    if top is None:
        return None
    reader.keys(top, "the rule file", REQUIRED_TOP, ("title", "findings", "examples"))
    name = top.get("ruleset")
    if "ruleset" in top and (not isinstance(name, str) or not _NAME.match(name)):
        reader.r.report(
            line_of(top, "ruleset"),
            f"ruleset must be a lower-case name (letters, digits, - and _), got {kind_of(name)}",
        )
    version = _version(reader, top)
    effective = top.get("effective_from")
    if "effective_from" in top and (
        not isinstance(effective, date) or isinstance(effective, datetime)
    ):
        reader.r.report(
            line_of(top, "effective_from"),
            f"effective_from must be a date YYYY-MM-DD, got {kind_of(effective)}",
        )
    title = top.get("title", "")
    if not isinstance(title, str) or ("title" in top and not title.strip()):
        reader.r.report(
            line_of(top, "title"),
            f"title must be free text, got {kind_of(title)}",
            "or leave it out",
        )

    def section(key: str) -> tuple[Any, int | None]:
        return top.get(key, MISSING), line_of(top, key)

    rules: list[Rule] = []
    rules += read_prerequisites(reader, *section("prerequisites"))
    months, running = read_running_time(reader, *section("running_time"))
    rules += running
    scoring = read_scoring(reader, *section("scoring"))
    bands, band_rules = read_bands(reader, *section("bands"))
    rules += read_fail_rules(reader, *section("fail_rules"))
    rules += band_rules
    lifecycle = read_lifecycle(reader, *section("lifecycle"))
    corrections = read_findings(reader, *section("findings"))
    examples = read_examples(reader, top.get("examples", []), line_of(top, "examples"), effective)
    if (
        reader.r.problems
        or scoring is None
        or lifecycle is None
        or corrections is None
        or version is None
        or not isinstance(effective, date)
    ):
        return None
    shifted: set[Ref] = set()
    for rule in rules:
        shifted |= {ref for ref in refs(rule.fires_when) if ref.key != ref.fact}
    return RuleSet(
        name=str(name),
        version=version,
        version_key=version_key(version),
        effective_from=effective,
        title=str(title),
        source=reader.r.file,
        content_hash=content_hash,
        min_running_months=months,
        rules=tuple(rules),
        scoring=scoring,
        bands=bands,
        lifecycle=lifecycle,
        examples=examples,
        outcomes=reader.outcomes,
        shifted=tuple(sorted(shifted, key=lambda ref: ref.key)),
        effective_line=line_of(top, "effective_from"),
        corrections=corrections,
    )


def _version(reader: NodeReader, top: Mapping[str, Any]) -> str | None:
    if "version" not in top:
        return None
    raw = top.get("version")
    line = line_of(top, "version")
    if isinstance(raw, float):
        reader.r.report(
            line,
            f"version {raw!r} must be quoted",
            "a bare 2011.10 reads as the number 2011.1; write version: '2011.10'",
        )
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not _VERSION.match(raw):
        reader.r.report(
            line, f"version must be whole numbers joined by dots (1, 2011.2), got {kind_of(raw)}"
        )
        return None
    return raw
