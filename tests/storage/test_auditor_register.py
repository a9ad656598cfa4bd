"""The auditor register, alike on every backend: records come back as kept, updates replace
what they change under the version check, every change stays in the history, and a refused
record writes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from storage.memory.memory_auditors import MemoryAuditors
from storage.sql.sql_auditors import SqlAuditors
from tests.storage.storage_backends import Backend
from tests.storage.storage_builders import credit_code
from workflows.auditor_service import AuditorService
from workflows.auditors import (
    Auditor,
    AuditorEdit,
    AuditorNotFound,
    AuditorQuery,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
)
from workflows.errors import ConcurrencyConflict, InvalidInput
from workflows.fake_clock import FakeClock
from workflows.model import Organisation
from workflows.ports import AuditorRegister

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AREAS = ("household_appliances", "automobiles", "e_commerce", "furniture")


def _register(backend: Backend) -> AuditorRegister:
    if backend.store is not None:
        return MemoryAuditors(backend.store)
    assert backend.engine is not None
    return SqlAuditors(backend.engine)


def _organisation(backend: Backend) -> int:
    with backend.new_uow() as uow:
        org = uow.organisations.add(Organisation(None, "闽江家电", credit_code()))
        uow.commit()
    assert org.id is not None
    return org.id


def _wang(org: int, registration: str = "2021-N1AS-1234567") -> Auditor:
    return Auditor(
        None,
        "王芳",
        Qualification(registration, Grade.SENIOR_AUDITOR, date(2021, 4, 1), date(2027, 3, 31)),
        areas=("household_appliances", "e_commerce"),
        languages=("zh", "en"),
        unavailable=(Unavailability(date(2026, 5, 1), date(2026, 5, 5)),),
        relations=(Relation(org, RelationKind.CONSULTANCY, date(2019, 1, 1), date(2020, 6, 30)),),
    )


def _service(backend: Backend) -> tuple[AuditorService, FakeClock]:
    clock = FakeClock(AT)
    return AuditorService(_register(backend), clock, AREAS), clock


def test_an_auditor_comes_back_as_kept_with_its_history(backend: Backend) -> None:
    service, _ = _service(backend)
    org = _organisation(backend)
    added = service.add(_wang(org), "li")
    assert added.id is not None and added.version == 0
    assert added.areas == ("e_commerce", "household_appliances")
    assert added.languages == ("en", "zh")
    again = _register(backend).get(added.id)  # a handle of its own sees the same record
    assert again == added
    assert _register(backend).by_registration("2021-N1AS-1234567") == added
    assert _register(backend).by_registration("nobody") is None
    [entry] = service.history(added.id)
    assert (entry.by, entry.at, entry.action) == ("li", AT, "added")
    assert entry.changes["areas"] == ["e_commerce", "household_appliances"]


def test_an_update_changes_what_it_names_and_is_kept_in_the_history(backend: Backend) -> None:
    service, clock = _service(backend)
    org, other = _organisation(backend), _organisation(backend)
    added = service.add(_wang(org), "li")
    assert added.id is not None
    clock.advance(timedelta(days=1))
    job = Relation(other, RelationKind.EMPLOYMENT, date(2015, 1, 1), date(2018, 12, 31))
    edit = AuditorEdit(
        valid_until=date(2030, 3, 31),
        add_areas=("furniture",),
        remove_areas=("e_commerce",),
        remove_languages=("en",),
        add_unavailable=(Unavailability(date(2026, 7, 1), date(2026, 7, 31)),),
        remove_unavailable=added.unavailable,
        add_relations=(job,),
    )
    updated = service.update(added.id, edit, "zhang")
    assert updated.version == 1
    assert updated.areas == ("furniture", "household_appliances")
    assert updated.languages == ("zh",)
    assert updated.unavailable == (Unavailability(date(2026, 7, 1), date(2026, 7, 31)),)
    assert updated.relations == tuple(sorted((*added.relations, job)))
    assert updated.qualification.valid_until == date(2030, 3, 31)
    assert _register(backend).get(added.id) == updated
    history = service.history(added.id)
    assert [(h.action, h.by, h.at) for h in history] == [
        ("added", "li", AT),
        ("updated", "zhang", AT + timedelta(days=1)),
    ]
    assert history[1].changes["areas"] == {"added": ["furniture"], "removed": ["e_commerce"]}
    assert history[1].changes["valid_until"] == "2030-03-31"


def test_a_stale_version_is_a_conflict_and_changes_nothing(backend: Backend) -> None:
    service, _ = _service(backend)
    added = service.add(_wang(_organisation(backend)), "li")
    assert added.id is not None
    service.update(added.id, AuditorEdit(name="王芳芳"), "li")
    register = _register(backend)
    with pytest.raises(ConcurrencyConflict):
        register.save(replace(added, name="stale"), service.history(added.id)[0])
    with pytest.raises(ConcurrencyConflict):
        service.update(added.id, AuditorEdit(name="x"), "li", expected_version=0)
    assert register.get(added.id).name == "王芳芳"
    assert len(register.history(added.id)) == 2


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        (dict(areas=("shipbuilding",)), "areas", "unknown area 'shipbuilding'; the body's areas are: household_appliances, automobiles, e_commerce, furniture"),
        (dict(qualification=Qualification("R-1", Grade.AUDITOR, date(2026, 1, 1), date(2025, 12, 31))), "valid_until", "2025-12-31 is not after the registration date 2026-01-01"),
        (dict(unavailable=(Unavailability(date(2026, 5, 9), date(2026, 5, 1)),)), "unavailable", "ends 2026-05-01 before it starts 2026-05-09"),
        (dict(unavailable=(Unavailability(date(2026, 5, 1), date(2026, 5, 9)), Unavailability(date(2026, 5, 9), date(2026, 5, 20)))), "unavailable", "2026-05-09..2026-05-20 overlaps 2026-05-01..2026-05-09; join them into one range"),
        (dict(relations=(Relation(999_999, RelationKind.EMPLOYMENT, date(2020, 1, 1)),)), "relations", "no organisation 999999 is registered"),
        (dict(relations=(Relation(0, RelationKind.EMPLOYMENT, date(2020, 1, 2), date(2020, 1, 1)),)), "relations", "ends 2020-01-01 before it starts 2020-01-02"),
        (dict(languages=("Chinese",)), "languages", "'Chinese' is not a language tag such as zh or en"),
        (dict(name="  "), "name", "must not be empty"),
    ],
)  # fmt: skip
def test_a_bad_record_is_refused_naming_the_field_and_nothing_is_written(
    backend: Backend, change: dict[str, object], field: str, said: str
) -> None:
    service, _ = _service(backend)
    org = _organisation(backend)
    with pytest.raises(InvalidInput) as refused:
        service.add(replace(_wang(org), **change), "li")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.message) == (field, said)
    assert list(_register(backend).list()) == []
    added = service.add(_wang(org), "li")
    assert added.id is not None
    with pytest.raises(InvalidInput) as again:
        service.update(added.id, AuditorEdit(add_areas=("shipbuilding",)), "li")
    assert again.value.field == "areas"
    with pytest.raises(InvalidInput) as absent:
        service.update(added.id, AuditorEdit(remove_languages=("fr",)), "li")
    assert (absent.value.field, absent.value.message) == (
        "remove_languages",
        "fr is not on the record, so it cannot be removed",
    )
    assert _register(backend).get(added.id) == added
    assert len(service.history(added.id)) == 1


def test_a_registration_number_belongs_to_one_auditor(backend: Backend) -> None:
    service, _ = _service(backend)
    org = _organisation(backend)
    first = service.add(_wang(org), "li")
    with pytest.raises(InvalidInput) as refused:
        service.add(replace(_wang(org), name="李明"), "li")
    assert refused.value.field == "registration"
    with pytest.raises(InvalidInput):  # the store refuses it too, had the check been raced
        _register(backend).add(replace(_wang(org), name="李明"), service.history(first.id or 0)[0])
    assert [a.name for a in service.list()] == ["王芳"]


def test_lists_filter_by_area_grade_qualification_and_availability(backend: Backend) -> None:
    service, _ = _service(backend)
    org = _organisation(backend)
    wang = service.add(_wang(org), "li")
    li = service.add(
        Auditor(
            None,
            "李明",
            Qualification("2020-N1AS-7654321", Grade.AUDITOR, date(2020, 1, 1), date(2026, 4, 30)),
            areas=("automobiles",),
            languages=("zh",),
        ),
        "li",
    )
    assert service.list() == [wang, li]
    assert service.list(AuditorQuery(area="automobiles")) == [li]
    assert service.list(AuditorQuery(grade=Grade.SENIOR_AUDITOR)) == [wang]
    assert service.list(AuditorQuery(qualified_on=date(2026, 6, 1))) == [wang]
    assert service.list(AuditorQuery(available_on=date(2026, 5, 3))) == [li]
    with pytest.raises(InvalidInput) as refused:
        service.list(AuditorQuery(area="ships"))
    assert refused.value.field == "area"
    with pytest.raises(AuditorNotFound):
        service.get(999_999)
    with pytest.raises(AuditorNotFound):
        service.history(999_999)
