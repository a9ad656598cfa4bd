"""The one door to durable-rules. Everything it does badly is handled here:

- a ruleset holds at most 1024 live states (the 1025th raises MemoryError and breaks it for good):
  each registered ruleset keeps one state, and every evaluation asserts its fact there and retracts
  it once the actions are drained (a third cheaper than a state per evaluation, created and
  deleted). Every rule matches one fact, so a retraction fires nothing. Should anything go wrong
  the state is deleted in a `finally` and the next evaluation starts a new one;
- rulesets are never re-registered: a name carries version and content hash, and a name already
  registered is reused, so two versions (or two files) of one rule set live side by side;
- the engine is not safe to call from several threads: one lock serialises register and evaluate;
- deleting the state of a fact that matched no rule, in a state slot no matched fact has used
  yet, crashes the process (free(): invalid pointer / segfault, measured with 2.0.28): no fact
  may go unmatched. A scored fact always fires one band rule; every other fact matches a
  sentinel rule. The sentinel tests a field only our fact carries (a rule matching the state
  document durable-rules re-asserts would fire for ever);
- an event (`post`) is consumed by the first rule it matches: we assert one *fact*, so every rule
  sees it (posting would be cheaper still, but a third of the decisions would miss rules);
- an exception in an action is stored quietly in the state by durable's Python host: we run the
  actions ourselves (below): an exception is kept, the remaining actions are drained (deleting a
  state with actions pending crashes too), the fact is retracted, and it surfaces as EngineError.

We drive durable's C engine (`durable_rules_engine`) with the calls its Python `Host` makes
(create_ruleset, assert_fact, start_action_for_state, complete_and_start_action, retract_fact,
delete_state) and skip the rest of that host: its timer threads, which could run our actions
outside the evaluation that caused them, and its per-action state round-trips (JSON in and out
plus update_state), which cost two thirds of a decision's time while our actions never change the
state.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from durable.engine import durable_rules_engine as durable  # its C engine, as its Host uses it

from engine.compiler import durable_rules
from engine.facts import CHECK_FLAG
from engine.rule_errors import EngineError
from engine.ruleset import RuleSet
from engine.team_rules import TeamRules
from engine.vocabulary import Check

_SENTINEL_RULE = "__evaluated__"
_SENTINEL_FIELD = "starcert_evaluation"
_NOT_HANDLED, _OBSERVED = 1, 2  # result codes of assert_fact (durable/engine.py _handle_result)
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dumps = _json.encode
_make_chunks = getattr(json.encoder, "c_make_encoder", None)  # _json.encode makes one a call
_chunks = (
    None
    if _make_chunks is None
    else _make_chunks(
        None, _json.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
)
_MATCHED = '":{"m":{'


def _document(fact: dict[str, Any], sid: str) -> str:
    """The fact as asserted: with the sentinel's field and the state's sid, encoded once."""
    body = "".join(_chunks(fact, 0)) if _chunks is not None else _dumps(fact)
    tail = f'"{_SENTINEL_FIELD}":1,"sid":"{sid}"}}'
    return f"{body[:-1]},{tail}" if len(body) > 2 else "{" + tail


def _fired(action: str) -> list[str]:
    """The rule names of one action, in its order, read without decoding the facts matched.

    An action is {"rule":{"m":{fact}},"rule":{"m":{fact}}}; our fact is flat (numbers and
    booleans), so the first "}" after a fact opens closes it. Anything else is decoded in full.
    """
    names = []
    at = 0  # at the "{" or "," before a name
    while True:
        end = action.find(_MATCHED, at)
        if end < 0 or action[at + 1] != '"':
            return list(json.loads(action))
        names.append(action[at + 2 : end])
        at = action.find("}", end + len(_MATCHED)) + 2
        if at < 2 or at >= len(action) or action[at] != ",":
            return names


class DurableBackend:
    """Evaluates compiled rule sets with durable-rules; safe to share between threads."""

    name = "durable-rules"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: dict[str, int] = {}
        self._sids = itertools.count(1)
        self._kept: dict[int, str] = {}  # handle → the sid of the state its evaluations use

    def register(self, ruleset: RuleSet | TeamRules) -> None:
        with self._lock:
            self._register(ruleset)

    def _register(self, ruleset: RuleSet | TeamRules) -> int:
        name = ruleset.engine_name
        handle = self._handles.get(name)
        if handle is not None:
            return handle
        # Team rules compile themselves (guarded by their own flag); the rest is shared.
        definition = (
            ruleset.durable_rules() if isinstance(ruleset, TeamRules) else durable_rules(ruleset)
        )
        # A scored fact always fires exactly one band rule; the sentinel covers the rest.
        definition[_SENTINEL_RULE] = {
            "all": [
                {
                    "m": {
                        "$and": [
                            {"$ex": {_SENTINEL_FIELD: 1}},
                            {"$nex": {CHECK_FLAG[Check.SCORING]: 1}},
                        ]
                    }
                }
            ]
        }
        try:
            handle = int(durable.create_ruleset(name, _dumps(definition)))
        except Exception as exc:
            raise EngineError(
                f"durable-rules refused {ruleset.label} ({ruleset.source}): {exc}"
            ) from exc
        self._handles[name] = handle
        return handle

    def fire(
        self, ruleset: RuleSet | TeamRules, fact: dict[str, Any], on_fire: Callable[[str], None]
    ) -> None:
        """Assert `fact` once; each rule it satisfies calls on_fire(rule key) before this returns.

        An exception from on_fire propagates (as EngineError) once the fact is retracted.
        """
        name = ruleset.engine_name
        seen = False
        failed: tuple[str, Exception] | None = None
        with self._lock:
            handle = self._register(ruleset)
            sid = self._kept.get(handle)
            if sid is None:
                sid = self._kept[handle] = str(next(self._sids))
            document = _document(fact, sid)
            asserted = clean = False
            try:
                try:
                    code, state = durable.assert_fact(handle, document)
                except MemoryError as exc:
                    raise EngineError(f"durable-rules ran out of states in {name}") from exc
                asserted = True
                if code in (_NOT_HANDLED, _OBSERVED):
                    raise EngineError(
                        f"durable-rules did not take the fact in {name} (result {code})"
                    )
                # Drain every pending action even after a failure: deleting a state with actions
                # still pending crashes the process.
                started = durable.start_action_for_state(handle, state)
                while started:
                    for key in _fired(started[1]):
                        seen = True
                        if key != _SENTINEL_RULE and failed is None:
                            try:
                                on_fire(key)
                            except Exception as exc:
                                failed = (key, exc)
                    following = durable.complete_and_start_action(handle, state)
                    started = (None, following) if following else None
                # A fact no rule matched is never retracted (its state is deleted, as before).
                clean = seen and durable.retract_fact(handle, document)[0] == 0
            finally:
                if not clean:  # the state is dropped, and the next evaluation makes a new one
                    del self._kept[handle]
                    try:
                        durable.delete_state(handle, sid)
                    except Exception as exc:
                        if asserted:
                            raise EngineError(
                                f"durable-rules could not delete state {sid} of {name}: {exc}"
                            ) from exc
        if failed is not None:
            key, cause = failed
            raise EngineError(
                f"rule {key} of {ruleset.label} failed in its action: "
                f"{type(cause).__name__}: {cause}"
            ) from cause
        if not seen:
            raise EngineError(f"durable-rules did not evaluate the fact in {name}")


_default: DurableBackend | None = None
_default_lock = threading.Lock()


def default_backend() -> DurableBackend:
    """The process-wide durable-rules backend (created on first use, never at import)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DurableBackend()
        return _default
