"""Certificate changes: each is an event on the trail and gives the certificate its next version
(-A1, -A2); a refused change names why and writes nothing; the trail replays to the row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lifecycle_doubles import credit_code
from lifecycle_steps import OPERATOR, Office

from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.certificate_versions import split_version, versioned_number, versions
from workflows.errors import IllegalTransition, InvalidInput
from workflows.model import DeadlineKind, StarLevel, State


def verified(office: Office) -> None:
    with office.new_uow() as uow:
        report = verify_log(uow.events, case_row=uow.cases.get)
    assert report.ok, report.broken


def shown(office: Office, case_id: int) -> str | None:
    case = office.snapshot(case_id).case
    return versioned_number(case.number, case.amendments)


def test_a_scope_extension_waits_for_a_special_audit_after_its_request(office: Office) -> None:
    case_id = office.certify()
    number = office.snapshot(case_id).case.number
    office.days(30)
    office.case_service.handle(c.RequestScopeExtension(case_id, "家电及厨电售后服务", OPERATOR))
    with pytest.raises(IllegalTransition, match="needs a special audit recorded after"):
        office.case_service.handle(c.ExtendScope(case_id, OPERATOR))
    assert office.snapshot(case_id).case.scope == "家电售后服务"
    office.case_service.handle(
        c.RecordSpecialAudit(case_id, office.days(5), "zhao.lei", None, OPERATOR)
    )
    result = office.case_service.handle(c.ExtendScope(case_id, OPERATOR))
    case = office.snapshot(case_id).case
    assert case.scope == "家电及厨电售后服务" and case.amendments == 1
    assert result.events[0].data["special_audit"]["auditor"] == "zhao.lei"
    assert shown(office, case_id) == f"{number}-A1"
    with pytest.raises(IllegalTransition, match="no scope extension is requested"):
        office.case_service.handle(c.ExtendScope(case_id, OPERATOR))  # decided once
    verified(office)


def test_a_special_audit_before_the_request_does_not_count(office: Office) -> None:
    case_id = office.certify()
    office.case_service.handle(
        c.RecordSpecialAudit(case_id, office.days(3), "zhao.lei", None, OPERATOR)
    )
    office.case_service.handle(c.RequestScopeExtension(case_id, "wider", OPERATOR))
    before = office.snapshot(case_id)
    with pytest.raises(IllegalTransition, match="special audit"):
        office.case_service.handle(c.ExtendScope(case_id, OPERATOR))
    assert office.snapshot(case_id) == before


def test_reductions_and_holder_changes_give_versions_the_trail_lists(office: Office) -> None:
    case_id = office.certify()
    number = office.snapshot(case_id).case.number
    assert number is not None
    office.days(10)
    with pytest.raises(InvalidInput, match="reason"):
        office.case_service.handle(c.ReduceScope(case_id, "冰箱售后服务", " ", OPERATOR))
    office.case_service.handle(
        c.ReduceScope(case_id, "冰箱售后服务", "repair failed in the special audit", OPERATOR)
    )
    office.days(10)
    office.case_service.handle(
        c.ChangeHolder(case_id, "Org 1 售后 (新)", credit_code(1), OPERATOR, address="上海市")
    )
    case = office.snapshot(case_id).case
    assert (case.scope, case.holder, case.amendments) == ("冰箱售后服务", "Org 1 售后 (新)", 2)
    listed = versions(office.snapshot(case_id).events)
    assert [v.number for v in listed] == [number, f"{number}-A1", f"{number}-A2"]
    assert [v.trigger for v in listed] == ["certify", "reduce_scope", "change_holder"]
    assert "上海市" in listed[-1].changed
    assert split_version(f"{number}-A2") == (number, 2)
    verified(office)


def test_a_holder_change_to_another_legal_entity_is_refused_and_writes_nothing(
    office: Office,
) -> None:
    case_id = office.certify()
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput) as refused:
        office.case_service.handle(c.ChangeHolder(case_id, "Other Co", credit_code(77), OPERATOR))
    assert refused.value.field == "credit_code"
    assert office.snapshot(case_id) == before
    with pytest.raises(InvalidInput) as bad:
        office.case_service.handle(c.ChangeHolder(case_id, "Other Co", "12345", OPERATOR))
    assert bad.value.field == "credit_code"
    assert office.snapshot(case_id) == before


def test_changes_need_a_certificate(office: Office) -> None:
    case_id = office.apply()
    with pytest.raises(IllegalTransition, match="applied"):
        office.case_service.handle(c.ReduceScope(case_id, "x", "why", OPERATOR))


def transfer(case_id: int, today: date, **changed: object) -> c.TransferIn:
    fields: dict[str, object] = dict(
        case_id=case_id,
        previous_body="CQC Service",
        previous_number="CQC-SV-2023-0815",
        previous_status="active",
        decided_on=date(2023, 3, 1),
        expires_on=date(2026, 2, 28),
        star_level="four_star",
        by=OPERATOR,
        surveillances=0,
        last_surveillance_on=None,
    )
    fields.update(changed)
    return c.TransferIn(**fields)  # type: ignore[arg-type]


def test_a_transfer_keeps_the_expiry_and_plans_the_audit_due_in_its_cycle(
    office: Office,
) -> None:
    case_id = office.apply()
    today = office.today  # 2024-01-10
    result = office.case_service.handle(transfer(case_id, today))
    case = office.snapshot(case_id).case
    assert case.state is State.ACTIVE and case.star_level is StarLevel.FOUR
    assert case.expires_on == date(2026, 2, 28) and case.issued_on == today
    assert case.decided_on == date(2023, 3, 1) and case.amendments == 0
    assert result.events[0].data["previous_number"] == "CQC-SV-2023-0815"
    # The cycle's first surveillance (due 2024-03-01) is the next audit, not one a year from now.
    assert office.open_deadlines(case_id)[DeadlineKind.SURVEILLANCE_DUE] == date(2024, 3, 1)
    assert versions(office.snapshot(case_id).events)[0].changed.startswith("transferred in")
    verified(office)


def test_a_transfer_counts_the_surveillances_done_in_its_cycle(office: Office) -> None:
    case_id = office.apply()
    office.case_service.handle(
        transfer(case_id, office.today, surveillances=1, last_surveillance_on=date(2024, 1, 2))
    )
    # The second of the cycle: by its anniversary, and no later than a year after the first.
    assert office.open_deadlines(case_id)[DeadlineKind.SURVEILLANCE_DUE] == date(2025, 1, 2)
    verified(office)


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"previous_status": "suspended"}, "previous_status"),
        ({"previous_status": "withdrawn"}, "previous_status"),
        ({"previous_status": "expired"}, "previous_status"),
        ({"expires_on": date(2024, 1, 9)}, "expires_on"),
        ({"star_level": "six_star"}, "star_level"),
        ({"decided_on": date(2027, 1, 1)}, "decided_on"),
        ({"surveillances": 1}, "last_surveillance_on"),
        ({"previous_body": " "}, "previous_body"),
    ],
)
def test_a_transfer_that_cannot_be_is_refused_naming_the_field(
    office: Office, changed: dict[str, object], field: str
) -> None:
    case_id = office.apply()
    before = office.snapshot(case_id)
    with pytest.raises(InvalidInput) as refused:
        office.case_service.handle(transfer(case_id, office.today, **changed))
    assert refused.value.field == field
    assert office.snapshot(case_id) == before


def test_a_renewal_under_a_new_number_starts_its_versions_again(office: Office) -> None:
    from lifecycle_doubles import sheet_scoring

    case_id = office.certify()
    office.case_service.handle(c.ChangeHolder(case_id, "Renamed", credit_code(1), OPERATOR))
    assert office.snapshot(case_id).case.amendments == 1
    expires = office.snapshot(case_id).case.expires_on
    assert expires is not None
    for _ in (1, 2):
        office.until(office.today + timedelta(days=330))
        office.case_service.handle(
            c.RecordSurveillance(case_id, office.today, "zhao.lei", sheet_scoring(85), OPERATOR)
        )
    office.until(expires - timedelta(days=30))
    office.case_service.handle(
        c.RecordRecertification(case_id, office.today, "zhao.lei", sheet_scoring(88), OPERATOR)
    )
    case = office.snapshot(case_id).case
    assert case.number is not None and case.number.endswith("-R1") and case.amendments == 0
    assert versions(office.snapshot(case_id).events)[-1].number == case.number
    verified(office)
