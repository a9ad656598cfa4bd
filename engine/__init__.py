"""The starcert rules engine: declarative rule files → validated, versioned rule sets → Decisions.

    book = RuleBook.from_directory("rules")
    decision = book.evaluate(facts, as_of=date(2026, 3, 1))        # or evaluate(book, facts, as_of)

Only engine.durable_adapter imports durable_rules.
"""

from engine.book import RuleBook
from engine.decision import Decision, RuleResult
from engine.evaluate import Backend, evaluate
from engine.examples import ExampleResult, run_examples
from engine.loader import load_ruleset
from engine.outcomes import DEFAULT_OUTCOMES, Outcome, RuleKind, Tally
from engine.rule_errors import EngineError, FactError, NotInForce, Problem, RuleFileError
from engine.ruleset import RuleSet
from engine.vocabulary import Check

__all__ = [
    "DEFAULT_OUTCOMES",
    "Backend",
    "Check",
    "Decision",
    "EngineError",
    "ExampleResult",
    "FactError",
    "NotInForce",
    "Outcome",
    "Problem",
    "RuleBook",
    "RuleFileError",
    "RuleKind",
    "RuleResult",
    "RuleSet",
    "Tally",
    "evaluate",
    "load_ruleset",
    "run_examples",
]
