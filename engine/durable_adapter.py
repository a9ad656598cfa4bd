"""The one door to durable-rules. Everything it does badly is handled here:

- a ruleset holds at most 1024 live states (the 1025th raises MemoryError and breaks it for good):
  every evaluation gets its own sid and its state is deleted in a `finally`;
- rulesets register by name and never re-register: a name carries version and content hash, and a
  name already registered is reused;
- the host is not safe to call from several threads: one lock serialises register and evaluate;
- the stock host starts timer threads that dispatch pending actions on their own; we use no timers
  or queued events, and a dispatch thread could run an action outside the evaluation that asked
  for it, so this host starts none;
- an exception in an action is stored quietly in the state: it is caught, kept and re-raised
  as EngineError;
- a fact that matches no rule raises MessageNotHandledException: that just means nothing fired.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from engine.compiler import durable_rules
from engine.errors import EngineError
from engine.ruleset import RuleSet


class _TimerlessHost(durable.Host):  # type: ignore[misc]
    def _run(self) -> None:
        """No dispatch or timer threads: every action runs inside the assert that caused it."""


class _Run:
    __slots__ = ("error", "on_fire")

    def __init__(self, on_fire: Callable[[str], None]) -> None:
        self.on_fire = on_fire
        self.error: tuple[str, BaseException] | None = None


class DurableBackend:
    """Evaluates compiled rule sets with durable-rules; safe to share between threads."""

    name = "durable-rules"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host: Any = None
        self._registered: set[str] = set()
        self._runs: dict[str, _Run] = {}
        self._sids = itertools.count(1)

    def register(self, ruleset: RuleSet) -> None:
        with self._lock:
            self._register(ruleset)

    def _register(self, ruleset: RuleSet) -> None:
        name = ruleset.engine_name
        if name in self._registered:
            return
        if self._host is None:
            self._host = _TimerlessHost()
        definition = {key: {**rule, "run": self._action(key)}
                      for key, rule in durable_rules(ruleset).items()}
        try:
            self._host.register_rulesets({name: definition})
        except Exception as exc:
            raise EngineError(f"durable-rules refused {ruleset.label} "
                              f"({ruleset.source}): {exc}") from exc
        self._registered.add(name)

    def _action(self, key: str) -> Callable[[Any], None]:
        runs = self._runs

        def action(c: Any) -> None:
            run = runs[c.s["sid"]]
            try:
                run.on_fire(key)
            except BaseException as exc:
                run.error = (key, exc)
                raise

        return action

    def fire(self, ruleset: RuleSet, fact: dict[str, Any], on_fire: Callable[[str], None]) -> None:
        """Assert `fact` once; each rule it satisfies calls on_fire(rule key) before this returns."""
        sid = str(next(self._sids))
        name = ruleset.engine_name
        run = _Run(on_fire)
        with self._lock:
            self._register(ruleset)
            self._runs[sid] = run
            state: Any = None
            asserted = False
            try:
                try:
                    state = self._host.assert_fact(name, {**fact, "sid": sid})
                except durable.MessageNotHandledException:
                    pass
                asserted = True
            except MemoryError as exc:
                raise EngineError(f"durable-rules ran out of states in {name}") from exc
            finally:
                del self._runs[sid]
                try:
                    self._host.delete_state(name, sid)
                except Exception as exc:
                    if asserted:
                        raise EngineError(f"durable-rules could not delete state {sid} of "
                                          f"{name}: {exc}") from exc
        if run.error is not None:
            key, exc = run.error
            raise EngineError(f"rule {key} of {ruleset.label} failed in its action: "
                              f"{type(exc).__name__}: {exc}") from exc
        if isinstance(state, dict) and "exception" in state:
            raise EngineError(f"an action of {ruleset.label} failed inside durable-rules: "
                              f"{state['exception']}")


_default: DurableBackend | None = None
_default_lock = threading.Lock()


def default_backend() -> DurableBackend:
    """The process-wide durable-rules backend (created on first use, never at import)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DurableBackend()
        return _default
