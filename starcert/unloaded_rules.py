"""Rules not loaded yet: a RulesPort that answers nothing, so that reading a case loads none.

`starcert show` lists the triggers an operator may fire; in most states no guard asks the rules.
It asks with these first and loads the published versions only when a guard wants an answer.
The versions cannot be read from inside the case's transaction (on SQLite that is the one
writer's, and a second reader would wait for it), so the question is asked again after loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NoReturn

from workflows.model import Application, Organisation, ScoreSheet


class RulesNotLoaded(Exception):
    """A guard asked the rules; load them and ask again (nothing was written)."""


class UnloadedRules:
    """Implements workflows.ports.RulesPort by refusing every question."""

    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> NoReturn:
        raise RulesNotLoaded("review_application")

    def score(self, sheet: ScoreSheet, as_of: date) -> NoReturn:
        raise RulesNotLoaded("score")

    def terms(self, as_of: date) -> NoReturn:
        raise RulesNotLoaded("terms")

    def effective_dates(self) -> Sequence[date]:
        raise RulesNotLoaded("effective_dates")
