"""Adding and updating auditors: each change checked (workflows.auditors) and kept in the
register's history. Apart from the records so that the register's port (workflows.ports) can
name them without a circle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from workflows.auditors import (
    Auditor,
    AuditorChange,
    AuditorEdit,
    AuditorQuery,
    apply_edit,
    as_json,
    check_area,
    check_auditor,
    checked_text,
    differences,
    matching,
)
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.ports import AuditorRegister, Clock

EVERY = AuditorQuery()  # no filter


@dataclass
class AuditorService:
    """Adds and updates auditors on `register`, each change checked and kept in the history."""

    register: AuditorRegister
    clock: Clock
    areas: Sequence[str]  # the body's professional areas (config)
    _check: Callable[[Auditor], Auditor] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._check = lambda a: check_auditor(a, self.areas, self.register.missing_organisations)

    def add(self, auditor: Auditor, by: str) -> Auditor:
        by = checked_text(by, "by")
        checked = self._check(replace(auditor, id=None, version=0))
        self._unique(checked)
        change = AuditorChange(None, 0, self.clock.now(), by, "added", as_json(checked))
        return self.register.add(checked, change)

    def update(
        self, auditor_id: int, edit: AuditorEdit, by: str, expected_version: int | None = None
    ) -> Auditor:
        by = checked_text(by, "by")
        before = self.register.get(auditor_id)
        if expected_version is not None and expected_version != before.version:
            raise ConcurrencyConflict(
                f"auditor {auditor_id} is at version {before.version}, not {expected_version}"
            )
        after = self._check(apply_edit(before, edit))
        changed = differences(before, after)
        if not changed:
            raise InvalidInput("update", "nothing to change: the record already says so")
        self._unique(after)
        change = AuditorChange(None, auditor_id, self.clock.now(), by, "updated", changed)
        return self.register.save(after, change)

    def get(self, auditor_id: int) -> Auditor:
        return self.register.get(auditor_id)

    def list(self, query: AuditorQuery = EVERY) -> list[Auditor]:
        if query.area is not None:
            check_area(query.area, self.areas, "area")
        return matching(self.register.list(), query)

    def history(self, auditor_id: int) -> Sequence[AuditorChange]:
        self.register.get(auditor_id)  # not found is an error, not an empty history
        return self.register.history(auditor_id)

    def _unique(self, auditor: Auditor) -> None:
        holder = self.register.by_registration(auditor.qualification.registration)
        if holder is not None and holder.id != auditor.id:
            raise InvalidInput(
                "registration",
                f"{auditor.qualification.registration} is already auditor {holder.id}'s",
            )
