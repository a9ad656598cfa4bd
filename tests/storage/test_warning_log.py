"""The planning warnings sent, alike on every backend: a key is warned once, its message put in
the outbox with it; a key warned before writes nothing; a message naming no case writes
nothing either."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.memory.memory_warnings import MemoryWarnings
from storage.sql.sql_warnings import SqlWarnings
from tests.storage.storage_backends import Backend
from tests.storage.storage_builders import new_case
from workflows.errors import CaseNotFound
from workflows.ports import Notification, WarningLog

AT = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)


def _log(backend: Backend) -> WarningLog:
    if backend.store is not None:
        return MemoryWarnings(backend.store)
    assert backend.engine is not None
    return SqlWarnings(backend.engine)


def _message(case_id: int | None, text: str) -> Notification:
    return Notification(None, case_id, "audit_unassigned", "webhook", {"text": text}, AT, AT)


def _outbox(backend: Backend) -> list[tuple[int | None, str]]:
    with backend.new_uow() as uow:
        return [(m.case_id, m.payload["text"]) for m in uow.notifications.pending(100)]


def test_a_warning_is_sent_once_with_its_message(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    log = _log(backend)
    assert log.warn_once("a:1", "first", _message(case.id, "first")) is True
    assert _log(backend).warn_once("a:1", "again", _message(case.id, "again")) is False
    assert log.warn_once("q:7", "an auditor", _message(None, "an auditor")) is True
    assert _outbox(backend) == [(case.id, "first"), (None, "an auditor")]
    assert [(k, t) for k, t, _ in log.sent()] == [("a:1", "first"), ("q:7", "an auditor")]
    assert all(at == AT for _, _, at in log.sent())


def test_a_message_naming_no_case_writes_nothing(backend: Backend) -> None:
    log = _log(backend)
    with pytest.raises(CaseNotFound):
        log.warn_once("a:404", "nobody", _message(404, "nobody"))
    assert log.sent() == [] and _outbox(backend) == []
    assert log.warn_once("a:404", "later", _message(None, "later")) is True  # not taken
