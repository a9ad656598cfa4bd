"""Operators on several threads against one memory store: every command is all or nothing."""

from __future__ import annotations

import random
import threading

from lifecycle_steps import Office

from storage.memory.memory_store import MemoryStore
from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.case_service import CaseService
from workflows.errors import ConcurrencyConflict, IllegalTransition
from workflows.model import State, SuspensionCause


def test_concurrent_suspensions_and_restorations_keep_every_trail_whole(
    office: Office, case_service: CaseService, store: MemoryStore
) -> None:
    cases = [office.certify() for _ in range(4)]
    with store.uow() as uow:
        before = {case_id: len(uow.events.for_case(case_id)) for case_id in cases}
    done = dict.fromkeys(cases, 0)
    lock = threading.Lock()

    def operator(seed: int) -> None:
        pick = random.Random(seed)
        for _ in range(150):
            case_id = pick.choice(cases)
            with store.uow() as uow:
                state = uow.cases.get(case_id).state
            command: c.Command = (
                c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "asked", "op")
                if state is State.ACTIVE
                else c.Restore(case_id, "resumed", "op")
            )
            try:
                case_service.handle(command)
            except (ConcurrencyConflict, IllegalTransition):
                continue  # another operator moved the case first
            with lock:
                done[case_id] += 1

    threads = [threading.Thread(target=operator, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with store.uow() as uow:
        assert verify_log(uow.events, case_row=uow.cases.get).ok
        for case_id in cases:
            assert len(uow.events.for_case(case_id)) == before[case_id] + done[case_id]
            case = uow.cases.get(case_id)
            assert case.version == len(uow.events.for_case(case_id)) - 1  # one save per event
            kinds = [d.kind for d in uow.deadlines.open_for_case(case_id)]
            assert len(kinds) == len(set(kinds))
