"""Rule file → validated RuleSet. Every problem is collected with its line; the file is refused once.

Loading works on bytes plus a source name, so a file, a test string or (later) a database row all
load the same way. See rules/README.md for the format.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ruamel.yaml.error import YAMLError

from engine.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    ConditionParser,
    Ref,
    decimal_of,
    negate,
    push_not,
    refs,
)
from engine.errors import RuleFileError
from engine.outcomes import DEFAULT_OUTCOME_FOR, DEFAULT_OUTCOMES, Outcome, RuleKind
from engine.ruleset import (
    BAND_NAMES,
    LIFECYCLE_KEYS,
    Band,
    Dimension,
    Example,
    Indicator,
    Item,
    LifecycleNumbers,
    Rule,
    RuleSet,
    ScoringModel,
)
from engine.source import Reporter, closest, line_of, rule_yaml, yaml_problem
from engine.vocabulary import (
    ALL_FACTS,
    APPLICATION_FACTS,
    SCORE_FACTS,
    Check,
    FactSpec,
    FactType,
)

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
EXPECT_KEYS = (
    "outcome",
    "eligible",
    "certified",
    "band",
    "final_score",
    "normalised_score",
    "failures",
    "notes",
    "fail_reasons",
    "earliest_application",
)
MAX_MONTHS = 120
"""Longest running time and lifecycle period a rule file may give: 10 years, over three times
the 3-year certificate of ISO/IEC 17021-1, so no real scheme is refused and no date overflows."""
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_MISSING: Any = object()
"""A required section left out: reported once as missing, not again as of the wrong type."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def load_ruleset(
    data: bytes,
    source: str,
    *,
    outcomes: Mapping[str, Outcome] = DEFAULT_OUTCOMES,
    run_examples: bool = True,
) -> RuleSet:
    """Parse, validate and (by default) run the example cases of one rule set version.

    Raises RuleFileError listing every problem found, each with file:line.
    """
    reporter = Reporter(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError([_problem(reporter, None, f"not UTF-8 text: {exc.reason}")]) from exc
    try:
        doc = rule_yaml().load(text)
    except (YAMLError, RecursionError) as exc:  # RecursionError: nested too deep
        reporter.report(*yaml_problem(exc, text))
        raise RuleFileError(reporter.problems) from exc
    ruleset = _Builder(reporter, outcomes).build(doc, data)
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


class _Builder:
    def __init__(self, reporter: Reporter, outcomes: Mapping[str, Outcome]) -> None:
        self.r = reporter
        self.outcomes = outcomes
        self._indicators_complete = True  # every indicator read (none refused, none twice)

    # --- small readers ---------------------------------------------------------------------

    def mapping(self, node: Any, what: str, line: int | None) -> Mapping[str, Any] | None:
        if node is _MISSING:
            return None
        if not isinstance(node, Mapping):
            self.r.report(line, f"{what} must be a mapping, got {_kind(node)}")
            return None
        return node

    def seq(self, node: Any, what: str, line: int | None) -> list[Any] | None:
        if node is _MISSING:
            return None
        if not isinstance(node, list):
            self.r.report(line, f"{what} must be a list, got {_kind(node)}")
            return None
        return node

    def keys(
        self,
        node: Mapping[str, Any],
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> bool:
        ok = True
        meant: set[str | None] = set()  # a misspelt key is said once, not again as missing
        for key in node:
            if key not in required and key not in optional:
                self.r.unknown(
                    line_of(node, key), f"key in {what}", str(key), (*required, *optional)
                )
                meant.add(closest(str(key), (*required, *optional)))
                ok = False
        for key in required:
            if key not in node:
                if key not in meant:
                    self.r.report(line_of(node), f"{what} is missing {key!r}")
                ok = False
        return ok

    def text(self, node: Mapping[str, Any], key: str, what: str) -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            self.r.report(
                line_of(node, key), f"{what}.{key} must be non-empty text, got {_kind(value)}"
            )
            return None
        return str(value)

    def ident(self, node: Mapping[str, Any], key: str, what: str) -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not _IDENT.match(value):
            self.r.report(
                line_of(node, key), f"{what}.{key} must be a snake_case id, got {_kind(value)}"
            )
            return None
        return str(value)

    def whole(
        self, node: Mapping[str, Any], key: str, what: str, minimum: int, maximum: int
    ) -> int | None:
        value = node.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.r.report(
                line_of(node, key),
                f"{what}.{key} must be a whole number >= {minimum}, got {_kind(value)}",
            )
            return None
        if value > maximum:
            self.r.report(
                line_of(node, key),
                f"{what}.{key} = {value} is too long: at most {maximum} months "
                f"({maximum // 12} years)",
            )
            return None
        return int(value)

    def points(self, node: Mapping[str, Any], key: str, what: str) -> Decimal | None:
        number = decimal_of(node.get(key))
        if number is None or number <= 0 or number.as_tuple().exponent < -6:  # type: ignore[operator]
            self.r.report(
                line_of(node, key),
                f"{what}.{key} must be a positive number with at "
                f"most 6 decimals, got {_kind(node.get(key))}",
            )
            return None
        return number

    def outcome(self, node: Mapping[str, Any], kind: RuleKind, what: str) -> str:
        name = node.get("outcome", DEFAULT_OUTCOME_FOR[kind])
        line = line_of(node, "outcome") if "outcome" in node else line_of(node)
        if not isinstance(name, str) or name not in self.outcomes:
            self.r.unknown(line, "outcome", str(name), self.outcomes)
        elif kind not in self.outcomes[name].applies_to:
            allowed = sorted(n for n, o in self.outcomes.items() if kind in o.applies_to)
            self.r.report(
                line,
                f"outcome {name!r} does not apply to {what}",
                "use one of " + ", ".join(allowed),
            )
        return str(name)

    # --- the document ------------------------------------------------------------------------

    def build(self, doc: Any, data: bytes) -> RuleSet | None:
        top = self.mapping(doc, "a rule file", 1)
        if top is None:
            return None
        self.keys(top, "the rule file", REQUIRED_TOP, ("title", "examples"))
        name = top.get("ruleset")
        if "ruleset" in top and (not isinstance(name, str) or not _NAME.match(name)):
            self.r.report(
                line_of(top, "ruleset"),
                f"ruleset must be a lower-case name (letters, digits, - and _), got {_kind(name)}",
            )
        version = self._version(top)
        effective = top.get("effective_from")
        if "effective_from" in top and (
            not isinstance(effective, date) or isinstance(effective, datetime)
        ):
            self.r.report(
                line_of(top, "effective_from"),
                f"effective_from must be a date YYYY-MM-DD, got {_kind(effective)}",
            )
        title = top.get("title", "")
        if not isinstance(title, str) or ("title" in top and not title.strip()):
            self.r.report(
                line_of(top, "title"),
                f"title must be free text, got {_kind(title)}",
                "or leave it out",
            )

        def section(key: str) -> tuple[Any, int | None]:
            return top.get(key, _MISSING), line_of(top, key)

        rules: list[Rule] = []
        rules += self._prerequisites(*section("prerequisites"))
        months, running = self._running_time(*section("running_time"))
        rules += running
        scoring = self._scoring(*section("scoring"))
        bands, band_rules = self._bands(*section("bands"))
        rules += self._fail_rules(*section("fail_rules"))
        rules += band_rules
        lifecycle = self._lifecycle(*section("lifecycle"))
        examples = self._examples(top.get("examples", []), line_of(top, "examples"), effective)
        if (
            self.r.problems
            or scoring is None
            or lifecycle is None
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
            source=self.r.file,
            content_hash=hashlib.sha256(data).hexdigest(),
            min_running_months=months,
            rules=tuple(rules),
            scoring=scoring,
            bands=bands,
            lifecycle=lifecycle,
            examples=examples,
            outcomes=self.outcomes,
            shifted=tuple(sorted(shifted, key=lambda ref: ref.key)),
            effective_line=line_of(top, "effective_from"),
        )

    def _version(self, top: Mapping[str, Any]) -> str | None:
        if "version" not in top:
            return None
        raw = top.get("version")
        line = line_of(top, "version")
        if isinstance(raw, float):
            self.r.report(
                line,
                f"version {raw!r} must be quoted",
                "a bare 2011.10 reads as the number 2011.1; write version: '2011.10'",
            )
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not _VERSION.match(raw):
            self.r.report(
                line, f"version must be whole numbers joined by dots (1, 2011.2), got {_kind(raw)}"
            )
            return None
        return raw

    def _prerequisites(self, node: Any, line: int | None) -> list[Rule]:
        # Authors write what is required; the compiled rule fires on its violation.
        return self._named_rules(
            node, line, section="prerequisites", noun="prerequisite", condition_key="require",
            facts=APPLICATION_FACTS, kind=RuleKind.PREREQUISITE, check=Check.APPLICATION,
            compile_condition=lambda c: negate(c, APPLICATION_FACTS),
        )  # fmt: skip

    def _named_rules(
        self,
        node: Any,
        line: int | None,
        *,
        section: str,
        noun: str,
        condition_key: str,
        facts: Mapping[str, FactSpec],
        kind: RuleKind,
        check: Check,
        compile_condition: Callable[[Condition], Condition],
    ) -> list[Rule]:
        """A list of {id, message, <condition_key>, outcome?} entries: prerequisites, fail rules."""
        items = self.seq(node, section, line)
        if items is None:
            return []
        parser = ConditionParser(self.r, facts, section)
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            item = self.mapping(raw, f"a {noun}", line_of(items, i))
            if item is None or not self.keys(
                item, f"a {noun}", ("id", "message", condition_key), ("outcome",)
            ):
                continue
            rid = self.ident(item, "id", noun)
            message = self.text(item, "message", noun)
            outcome = self.outcome(item, kind, f"a {noun}")
            condition = parser.parse(item[condition_key], line_of(item, condition_key))
            if rid in seen:
                self.r.report(line_of(item, "id"), f"{noun} id {rid!r} is used twice")
            if rid is None or message is None or condition is None:
                continue
            seen.add(rid)
            prefix = "prerequisite" if kind is RuleKind.PREREQUISITE else "fail"
            rules.append(
                Rule(
                    f"{prefix}.{rid}",
                    kind,
                    rid,
                    message,
                    outcome,
                    compile_condition(condition),
                    check,
                    line_of(item),
                )
            )
        return rules

    def _running_time(self, node: Any, line: int | None) -> tuple[int, list[Rule]]:
        item = self.mapping(node, "running_time", line)
        if item is None or not self.keys(
            item, "running_time", ("min_months", "message"), ("outcome",)
        ):
            return 0, []
        months = self.whole(item, "min_months", "running_time", 0, MAX_MONTHS)
        message = self.text(item, "message", "running_time")
        outcome = self.outcome(item, RuleKind.RUNNING_TIME, "running_time")
        if months is None or message is None:
            return 0, []
        violation = Compare(
            "application_date", "lt", Ref("service_system_since", months), FactType.DATE
        )
        rule = Rule(
            "running_time",
            RuleKind.RUNNING_TIME,
            "running_time",
            message,
            outcome,
            violation,
            Check.APPLICATION,
            line_of(item),
        )
        return months, [rule]

    def _scoring(self, node: Any, line: int | None) -> ScoringModel | None:
        item = self.mapping(node, "scoring", line)
        if item is None or not self.keys(
            item, "scoring", ("total", "allocation_note", "dimensions", "indicators")
        ):
            return None
        total = self.points(item, "total", "scoring")
        note = self.text(item, "allocation_note", "scoring")
        dimensions = self._dimensions(item.get("dimensions"), line_of(item, "dimensions"))
        indicators = self._indicators(
            item.get("indicators"), line_of(item, "indicators"), dimensions
        )
        if total is None or note is None or dimensions is None or indicators is None:
            return None
        dim_sum = sum((d.points for d, _ in dimensions.values()), Decimal(0))
        if dim_sum != total:
            parts = " + ".join(f"{d.points}" for d, _ in dimensions.values())
            self.r.report(
                line_of(item, "dimensions"),
                f"dimension points add up to {dim_sum} ({parts}), not {total}",
            )
        # With an indicator refused above, its dimension's sum would blame the wrong numbers.
        for dim, dim_line in dimensions.values() if self._indicators_complete else ():
            inds = [ind for ind in indicators.values() if ind[0].dimension == dim.id]
            got = sum((ind.points for ind, _ in inds), Decimal(0))
            if not inds:
                self.r.report(dim_line, f"dimension {dim.id!r} has no indicators")
            elif got != dim.points:
                self.r.report(
                    dim_line,
                    f"indicators of dimension {dim.id!r} add up to {got}, "
                    f"not its {dim.points} points",
                )
        return ScoringModel(
            total=total,
            dimensions=tuple(d for d, _ in dimensions.values()),
            indicators=tuple(i for i, _ in indicators.values()),
            allocation_note=note,
            by_id={i.id: i for i, _ in indicators.values()},
        )

    def _dimensions(
        self, node: Any, line: int | None
    ) -> dict[str, tuple[Dimension, int | None]] | None:
        items = self.seq(node, "scoring.dimensions", line)
        if items is None:
            return None
        found: dict[str, tuple[Dimension, int | None]] = {}
        for i, raw in enumerate(items):
            item = self.mapping(raw, "a dimension", line_of(items, i))
            if item is None or not self.keys(item, "a dimension", ("id", "name", "points")):
                continue
            did = self.ident(item, "id", "dimension")
            name = self.text(item, "name", "dimension")
            points = self.points(item, "points", "dimension")
            if did in found:
                self.r.report(line_of(item, "id"), f"dimension id {did!r} is used twice")
            elif did is not None and name is not None and points is not None:
                found[did] = (Dimension(did, name, points), line_of(item))
        return found

    def _indicators(
        self,
        node: Any,
        line: int | None,
        dimensions: dict[str, tuple[Dimension, int | None]] | None,
    ) -> dict[str, tuple[Indicator, int | None]] | None:
        items = self.seq(node, "scoring.indicators", line)
        if items is None:
            return None
        found: dict[str, tuple[Indicator, int | None]] = {}
        for i, raw in enumerate(items):
            item = self.mapping(raw, "an indicator", line_of(items, i))
            if item is None or not self.keys(
                item, "an indicator", ("id", "name", "points"), ("dimension", "items")
            ):
                continue
            iid = self.ident(item, "id", "indicator")
            name = self.text(item, "name", "indicator")
            points = self.points(item, "points", "indicator")
            dim = item.get("dimension")
            if dim is None:
                self.r.report(
                    line_of(item),
                    f"indicator {iid!r} is outside any dimension",
                    "give it dimension: <one of the dimension ids>",
                )
            elif dimensions is not None and dim not in dimensions:
                self.r.unknown(
                    line_of(item, "dimension"),
                    f"dimension for indicator {iid!r}",
                    str(dim),
                    dimensions,
                )
                dim = None
            sub = self._items(item, iid, points)
            if iid in found:
                self.r.report(line_of(item, "id"), f"indicator id {iid!r} is used twice")
            elif None not in (iid, name, points, dim, sub):
                found[str(iid)] = (
                    Indicator(
                        str(iid),
                        str(name),
                        str(dim),
                        points,  # type: ignore[arg-type]
                        sub or (),
                    ),
                    line_of(item),
                )
        self._indicators_complete = len(found) == len(items)
        return found

    def _items(
        self, item: Mapping[str, Any], iid: str | None, points: Decimal | None
    ) -> tuple[Item, ...] | None:
        if "items" not in item:
            return ()
        raw_items = self.seq(item["items"], f"items of {iid}", line_of(item, "items"))
        if raw_items is None:
            return None
        result: list[Item] = []
        for j, raw in enumerate(raw_items):
            sub = self.mapping(raw, "an item", line_of(raw_items, j))
            if sub is None or not self.keys(sub, "an item", ("id", "name", "points")):
                return None
            sid = self.ident(sub, "id", "item")
            name = self.text(sub, "name", "item")
            sub_points = self.points(sub, "points", "item")
            if sid is None or name is None or sub_points is None:
                return None
            if any(x.id == sid for x in result):
                self.r.report(line_of(sub, "id"), f"item id {sid!r} is used twice in {iid!r}")
                return None
            result.append(Item(sid, name, sub_points))
        got = sum((x.points for x in result), Decimal(0))
        if points is not None and got != points:
            self.r.report(
                line_of(item, "items"),
                f"items of indicator {iid!r} add up to {got}, not its {points} points",
            )  # the indicator's own points still count towards its dimension's sum
        return tuple(result)

    def _bands(self, node: Any, line: int | None) -> tuple[tuple[Band, ...], list[Rule]]:
        items = self.seq(node, "bands", line)
        if items is None:
            return (), []
        found: list[tuple[Band, int | None]] = []
        for i, raw in enumerate(items):
            band = self._band(raw, line_of(items, i), found)
            if band is not None:
                found.append(band)
        if not found:
            if not self.r.problems:
                self.r.report(line, "bands must list at least one band")
            return (), []
        if len(found) < len(items):
            # With a band refused above, gaps, the open top and the order would blame the others.
            return (), []
        found.sort(key=lambda pair: pair[0].lower)
        for (low, low_line), (high, _) in itertools.pairwise(found):
            if low.upper is None:
                self.r.report(
                    low_line,
                    f"band {low.name} has no upper bound (below) but "
                    f"{high.name} starts above it at {high.lower}",
                    "bands overlap",
                )
            elif low.upper < high.lower:
                self.r.report(
                    low_line,
                    f"gap between bands: {low.name} ends below {low.upper} "
                    f"but {high.name} starts at {high.lower}",
                    f"set below: {high.lower}",
                )
            elif low.upper > high.lower:
                self.r.report(
                    low_line,
                    f"bands overlap: {low.name} runs below {low.upper} "
                    f"but {high.name} starts at {high.lower}",
                    f"set below: {high.lower}",
                )
        top, top_line = found[-1]
        if top.upper is not None:
            self.r.report(
                top_line,
                f"the highest band {top.name} must be open-ended "
                f"(no 'below'), not end below {top.upper}",
                "scores up to 101 are possible with a bonus",
            )
        names = [b.name for b, _ in found]
        expected = [n for n in reversed(BAND_NAMES) if n in names]
        if names != expected:
            self.r.report(
                line, f"bands out of order: {' < '.join(names)}", f"expected {' < '.join(expected)}"
            )
        bands = tuple(b for b, _ in reversed(found))
        return bands, self._band_rules(bands, found)

    def _band(
        self, raw: Any, line: int | None, found: list[tuple[Band, int | None]]
    ) -> tuple[Band, int | None] | None:
        item = self.mapping(raw, "a band", line)
        if item is None or not self.keys(item, "a band", ("band", "from"), ("below",)):
            return None
        name = item.get("band")
        if not isinstance(name, str) or name not in BAND_NAMES:
            self.r.unknown(line_of(item, "band"), "band", str(name), BAND_NAMES)
            return None
        lower = self._bound(item, "from")
        upper = self._bound(item, "below") if item.get("below") is not None else None
        if lower is None or (item.get("below") is not None and upper is None):
            return None
        if upper is not None and upper <= lower:
            self.r.report(
                line_of(item), f"band {name}: below ({upper}) must be above from ({lower})"
            )
            return None
        if any(b.name == name for b, _ in found):
            self.r.report(line_of(item, "band"), f"band {name!r} is given twice")
            return None
        return Band(name, lower, upper), line_of(item)

    def _bound(self, item: Mapping[str, Any], key: str) -> Decimal | None:
        number = decimal_of(item.get(key))
        if number is None or number.as_tuple().exponent < -6:  # type: ignore[operator]
            self.r.report(
                line_of(item, key),
                f"band {key} must be a number with at most 6 decimals, got {_kind(item.get(key))}",
            )
            return None
        return number

    def _band_rules(
        self, bands: tuple[Band, ...], found: list[tuple[Band, int | None]]
    ) -> list[Rule]:
        lines = {b.name: line for b, line in found}
        rules: list[Rule] = []
        for band in bands:
            parts: list[Condition] = [Compare("final_score", "ge", band.lower, FactType.SCORE)]
            if band.upper is not None:
                parts.append(Compare("final_score", "lt", band.upper, FactType.SCORE))
            rules.append(
                Rule(
                    f"band.{band.name}",
                    RuleKind.BAND,
                    band.name,
                    f"final score in [{band.lower}, {band.upper or '∞'}): {band.name}",
                    "award_band",
                    AllOf(tuple(parts)),
                    Check.SCORING,
                    lines[band.name],
                )
            )
        lowest = bands[-1].lower
        rules.append(
            Rule(
                "band.none",
                RuleKind.BAND,
                "none",
                f"final score below {lowest}: no band",
                "award_band",
                AnyOf((Compare("final_score", "lt", lowest, FactType.SCORE),)),
                Check.SCORING,
                None,
            )
        )
        return rules

    def _fail_rules(self, node: Any, line: int | None) -> list[Rule]:
        return self._named_rules(
            node, line, section="fail_rules", noun="fail rule", condition_key="when",
            facts=SCORE_FACTS, kind=RuleKind.FAIL, check=Check.SCORING, compile_condition=_no_not,
        )  # fmt: skip

    def _lifecycle(self, node: Any, line: int | None) -> LifecycleNumbers | None:
        item = self.mapping(node, "lifecycle", line)
        if item is None or not self.keys(item, "lifecycle", LIFECYCLE_KEYS):
            return None
        values = {
            k: self.whole(
                item, k, "lifecycle", 0 if k == "restoration_after_expiry_months" else 1, MAX_MONTHS
            )
            for k in LIFECYCLE_KEYS
        }
        if any(v is None for v in values.values()):
            return None
        terms = LifecycleNumbers(**values)  # type: ignore[arg-type]
        checks = (
            (
                "first_surveillance_months",
                terms.first_surveillance_months < terms.validity_months,
                "the first surveillance must fall before the certificate expires",
            ),
            (
                "surveillance_interval_months",
                terms.surveillance_interval_months < terms.validity_months,
                "surveillances must fall within the validity",
            ),
            (
                "surveillance_window_months",
                terms.surveillance_window_months
                < min(terms.first_surveillance_months, terms.surveillance_interval_months),
                "the window must open after the previous audit",
            ),
            (
                "recert_reminder_months",
                terms.recert_reminder_months < terms.validity_months,
                "the reminder must come after the certificate starts",
            ),
            (
                "suspension_limit_months",
                terms.suspension_limit_months <= terms.validity_months,
                "a suspension cannot last longer than the certificate's validity",
            ),
            (
                "restoration_after_expiry_months",
                terms.restoration_after_expiry_months <= terms.validity_months,
                "the allowance after expiry cannot be longer than the validity",
            ),
        )
        for key, ok, why in checks:
            if not ok:
                self.r.report(
                    line_of(item, key), f"lifecycle.{key} = {values[key]} is inconsistent: {why}"
                )
        return terms

    def _examples(self, node: Any, line: int | None, effective: Any) -> tuple[Example, ...]:
        items = self.seq(node, "examples", line)
        if items is None:
            return ()
        examples: list[Example] = []
        names: set[str] = set()
        for i, raw in enumerate(items):
            item = self.mapping(raw, "an example", line_of(items, i))
            if item is None or not self.keys(
                item, "an example", ("name", "facts", "expect"), ("as_of", "checks")
            ):
                continue
            name = self.text(item, "name", "example")
            if name in names:
                self.r.report(line_of(item, "name"), f"example name {name!r} is used twice")
            facts = self.mapping(item["facts"], "example facts", line_of(item, "facts"))
            expect = self.mapping(item["expect"], "example expect", line_of(item, "expect"))
            if expect is not None:
                self.keys(expect, "example expect", (), EXPECT_KEYS)
            as_of = item.get("as_of", effective)
            if not isinstance(as_of, date) or isinstance(as_of, datetime):
                if "as_of" in item:  # else effective_from is wrong, and said so once
                    self.r.report(
                        line_of(item, "as_of"), f"as_of must be a date, got {_kind(as_of)}"
                    )
                continue
            checks = self._checks(item)
            if name is None or facts is None or expect is None or checks is False:
                continue
            names.add(name)
            example = Example(
                name, line_of(item), _plain(facts), as_of, checks, _plain(expect)  # type: ignore[arg-type]
            )
            examples.append(example)
        return tuple(examples)

    def _checks(self, item: Mapping[str, Any]) -> tuple[Check, ...] | bool | None:
        if "checks" not in item:
            return None
        raw = item["checks"]
        choices = [c.value for c in Check]
        if not isinstance(raw, list) or not raw:
            self.r.report(line_of(item, "checks"), f"checks must be a list of {choices}")
            return False
        for value in raw:
            if value not in choices:
                self.r.unknown(line_of(item, "checks"), "check", str(value), choices)
                return False
        return tuple(Check(v) for v in raw)


def _no_not(condition: Condition) -> Condition:
    return push_not(condition, ALL_FACTS)


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists (numbers keep their written form)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, float):
        return Decimal(str(node))
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    return node


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    plain = _plain(value)
    # As the author wrote it: 3.5, not Decimal('3.5'); 2012-02-01, not datetime.date(2012, 2, 1).
    return str(plain) if isinstance(plain, Decimal | date) else repr(plain)
