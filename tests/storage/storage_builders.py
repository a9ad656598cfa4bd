"""Valid domain objects for storage tests, and a helper that stores a case with its parents."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from workflows.model import (
    Application,
    Case,
    IndicatorResult,
    Organisation,
    PrerequisiteFacts,
    ScoreSheet,
    State,
)
from workflows.ports import UnitOfWork

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
_codes = itertools.count(1)

FACTS = PrerequisiteFacts(
    has_service_documents=True,
    has_dedicated_manager=True,
    has_dedicated_funds=False,
    last_major_failure=date(2019, 5, 31),
    has_trained_staff=True,
    is_prc_legal_entity=True,
)

SHEET = ScoreSheet(
    results={
        "organisation": IndicatorResult(points=Decimal("5.50")),
        "repair": IndicatorResult(conforming=17, sampled=20),
        "complaint_handling": IndicatorResult(points=Decimal("12.125")),
        "quality_guarantee": IndicatorResult(
            items={"returns": Decimal("2"), "exchanges": Decimal("1.5"), "warranty": Decimal("3")}
        ),
    },
    excluded=frozenset({"recycling", "delivery"}),
    special_deductions=("late complaint reply", "missing record"),
    special_bonus="national service award",
)


def credit_code() -> str:
    """A distinct 18-character code (storage does not validate the check character)."""
    return f"91350100M{next(_codes):08d}X"


def new_case(uow: UnitOfWork, name: str = "福州服务有限公司") -> Case:
    """Store an organisation, its application and an APPLIED case; returns the stored case."""
    org = uow.organisations.add(Organisation(None, name, credit_code()))
    assert org.id is not None
    app = uow.applications.add(
        Application(None, org.id, date(2024, 2, 1), date(2023, 10, 31), "家电售后服务", FACTS)
    )
    assert app.id is not None
    return uow.cases.add(Case(None, org.id, app.id, State.APPLIED, name, "家电售后服务"))


def stored_case_id(new_uow: Callable[[], UnitOfWork], name: str = "福州服务有限公司") -> int:
    """The id of a case committed in a transaction of its own, for tests of later ones."""
    with new_uow() as uow:
        case = new_case(uow, name)
        uow.commit()
    assert case.id is not None
    return case.id
