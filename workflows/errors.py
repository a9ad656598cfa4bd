"""Every error starcert raises on purpose.

    StarcertError
    ├── InvalidInput (ValueError)            bad operator or API input; names the field
    ├── NotFound (LookupError)
    │   ├── CaseNotFound
    │   ├── OrganisationNotFound
    │   └── ApplicationNotFound
    ├── IllegalTransition                    trigger not allowed from the case's state, or a guard said no
    ├── ConcurrencyConflict                  another writer changed the case first; retry
    ├── BrokenRecord                         a stored row outside this version's vocabulary
    ├── AuditChainBroken                     the event log's hash chain does not verify
    ├── StorageError                         the database failed (storage/ translates driver errors)
    │   ├── DatabaseUnavailable              cannot connect, connection lost, locked: try later
    │   ├── WriteConflict (ConcurrencyConflict)  deadlock or serialization failure: retried as one
    │   └── SchemaMismatch                   the database's schema is not the one this code expects
    └── EngineError (engine.rule_errors)     rule files and evaluation

Leaves also subclass the fitting built-in so callers can catch either.
"""

from __future__ import annotations

from collections.abc import Sequence


class StarcertError(Exception):
    """Root of every error starcert raises on purpose."""


class InvalidInput(StarcertError, ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(StarcertError, LookupError):
    pass


class CaseNotFound(NotFound):
    pass


class OrganisationNotFound(NotFound):
    pass


class ApplicationNotFound(NotFound):
    pass


class IllegalTransition(StarcertError):
    def __init__(
        self, case: str, state: str, trigger: str, allowed: Sequence[str], why: str
    ) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"{case} is {state}: {trigger} refused ({why}); allowed from {state}: {allowed_text}"
        )
        self.case = case
        self.state = state
        self.trigger = trigger
        self.allowed = tuple(allowed)
        self.why = why


class ConcurrencyConflict(StarcertError):
    pass


class BrokenRecord(StarcertError):
    """A stored row this starcert cannot read (a value outside its vocabulary): fix the row."""


class AuditChainBroken(StarcertError):
    pass


class StorageError(StarcertError):
    """The database failed. Nothing above storage/ sees a driver's exception, only these."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached, was lost mid-transaction, or is locked: try again later."""


class WriteConflict(StorageError, ConcurrencyConflict):
    """The database broke a deadlock or a serialization conflict: the whole transaction may rerun
    (whatever retries a lost race retries this one)."""


class SchemaMismatch(StorageError):
    """The database's tables are not the ones this starcert expects (run `starcert db upgrade`)."""
