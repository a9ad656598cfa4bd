"""`starcert auditor ...`: an operator keeps the auditor register from the command line."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Starcert
from workflows.credit_code import check_character

CODE = "91350100M000400Y4" + check_character("91350100M000400Y4")
WANG = (
    "auditor", "add", "--name", "王芳", "--registration", "2021-N1AS-1234567",
    "--grade", "senior_auditor", "--registered", "2021-04-01", "--valid-until", "2027-03-31",
    "--area", "household_appliances", "--area", "e_commerce", "--language", "zh",
    "--language", "en", "--unavailable", "2026-05-01..2026-05-05", "--by", "li",
)  # fmt: skip


def _org(starcert: Starcert) -> int:
    org = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li", "--json"
    )
    found: int = org.json()["id"]
    return found


def test_an_auditor_is_added_updated_listed_and_shown_with_its_history(
    starcert: Starcert,
) -> None:
    org = _org(starcert)
    added = starcert(*WANG, "--relation", f"{org}:consultancy:2019-01-01..2020-06-30", "--json")
    wang = added.json()
    assert (wang["id"], wang["grade"], wang["areas"]) == (
        1, "senior_auditor", ["e_commerce", "household_appliances"]
    )  # fmt: skip
    assert wang["relations"] == [
        {"organisation_id": org, "kind": "consultancy", "from": "2019-01-01", "to": "2020-06-30"}
    ]
    starcert(
        "auditor", "add", "--name", "李明", "--registration", "2020-N1AS-7654321",
        "--grade", "auditor", "--registered", "2020-01-01", "--valid-until", "2026-04-30",
        "--area", "automobiles", "--language", "zh", "--by", "li",
    )  # fmt: skip
    updated = starcert(
        "auditor", "update", "1", "--add-area", "furniture", "--remove-area", "e_commerce",
        "--remove-language", "en", "--add-unavailable", "2026-07-01..2026-07-31",
        "--remove-unavailable", "2026-05-01..2026-05-05",
        "--add-relation", f"{org}:employment:2015-01-01..2018-12-31",
        "--valid-until", "2030-03-31", "--by", "zhang", "--json",
    ).json()  # fmt: skip
    assert updated["areas"] == ["furniture", "household_appliances"]
    assert updated["languages"] == ["zh"]
    assert updated["unavailable"] == [{"from": "2026-07-01", "to": "2026-07-31"}]
    assert [r["kind"] for r in updated["relations"]] == ["consultancy", "employment"]
    assert (updated["valid_until"], updated["version"]) == ("2030-03-31", 1)

    def names(*filters: str) -> list[str]:
        return [a["name"] for a in starcert("auditor", "list", *filters, "--json").json()]

    assert names() == ["王芳", "李明"]
    assert names("--area", "automobiles") == ["李明"]
    assert names("--grade", "senior_auditor") == ["王芳"]
    assert names("--qualified-on", "2026-06-01") == ["王芳"]
    assert names("--available-on", "2026-07-15") == ["李明"]
    assert names("--area", "furniture", "--available-on", "2026-08-01") == ["王芳"]
    shown = starcert("auditor", "show", "1", "--json").json()
    assert [(h["by"], h["action"]) for h in shown["history"]] == [
        ("li", "added"),
        ("zhang", "updated"),
    ]
    assert shown["history"][1]["changes"]["areas"] == {
        "added": ["furniture"],
        "removed": ["e_commerce"],
    }
    human = starcert("auditor", "show", "1").out.splitlines()
    assert human[0] == (
        "auditor 1: 王芳 senior_auditor 2021-N1AS-1234567, valid 2021-04-01..2030-03-31 (valid)"
    )
    assert human[1:3] == ["  areas: furniture, household_appliances", "  languages: zh"]


BAD_ADDS = [
    (("--area", "shipbuilding"), "--area: unknown area 'shipbuilding'; the body's areas are: household_appliances, consumer_electronics, automobiles, furniture, building_materials, e_commerce, logistics, catering"),
    (("--valid-until", "2021-03-31"), "--valid-until: 2021-03-31 is not after the registration date 2021-04-01"),
    (("--unavailable", "2026-06-09..2026-06-01"), "--unavailable: ends 2026-06-01 before it starts 2026-06-09"),
    (("--unavailable", "2026-05-04..2026-05-10"), "--unavailable: 2026-05-04..2026-05-10 overlaps 2026-05-01..2026-05-05; join them into one range"),
    (("--relation", "999:employment:2020-01-01.."), "--relation: no organisation 999 is registered"),
    (("--relation", "1:friendship:2020-01-01.."), "--relation: kind 'friendship' is none of consultancy, employment"),
    (("--unavailable", "2026-05-01"), "--unavailable: expected FROM..TO (e.g. 2026-05-01..2026-05-05), got '2026-05-01'"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "said"), BAD_ADDS, ids=[b[0][0] + b[0][1] for b in BAD_ADDS])
def test_a_bad_auditor_is_refused_naming_the_option_and_nothing_is_written(
    starcert_sqlite: Starcert, extra: tuple[str, ...], said: str
) -> None:
    starcert = starcert_sqlite
    _org(starcert)
    args = list(WANG)
    if extra[0] == "--valid-until":
        args[args.index("--valid-until") + 1] = extra[1]
        extra = ()
    done = starcert(*args, *extra, check=False)
    assert (done.code, done.out, done.err.strip()) == (2, "", f"error: {said}")
    assert starcert("auditor", "list", "--json").json() == []


def test_a_bad_update_is_refused_and_the_record_and_history_stay(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    _org(starcert)
    before = starcert(*WANG)
    assert before.code == 0
    shown = starcert("auditor", "show", "1", "--json").json()
    for args, said in (
        (("--add-area", "ships"), "--add-area: unknown area 'ships'"),
        (("--add-unavailable", "2026-05-05..2026-05-06"), "--add-unavailable: 2026-05-05..2026-05-06 overlaps 2026-05-01..2026-05-05"),
        (("--remove-language", "fr"), "--remove-language: fr is not on the record"),
        (("--add-relation", "42:consultancy:2024-01-01.."), "--add-relation: no organisation 42"),
        (("--valid-until", "2020-01-01"), "--valid-until: 2020-01-01 is not after the registration date"),
    ):  # fmt: skip
        done = starcert("auditor", "update", "1", *args, "--by", "li", check=False)
        assert done.code == 2 and done.err.startswith(f"error: {said}"), done.err
    assert starcert("auditor", "show", "1", "--json").json() == shown
    missing = starcert("auditor", "update", "9", "--name", "x", "--by", "li", check=False)
    assert (missing.code, missing.err.strip()) == (4, "error: auditor 9 not found")
    stale = starcert(
        "auditor", "update", "1", "--name", "x", "--expected-version", "3", "--by", "li",
        check=False,
    )  # fmt: skip
    assert stale.code == 5


def test_the_bodys_own_area_list_in_the_config_is_the_one_checked(
    starcert_sqlite: Starcert,
) -> None:
    from starcert.config import AuditorsConfig, load_config

    assert load_config().auditors == AuditorsConfig()  # config.toml shows the defaults
    starcert = starcert_sqlite
    config = starcert.config.read_text(encoding="utf-8")
    starcert.config.write_text(config + '[auditors]\nareas = ["ships"]\n', encoding="utf-8")
    assert starcert(*WANG[:-2], "--area", "ships", "--by", "li", check=False).err.startswith(
        "error: --area: unknown area 'household_appliances'; the body's areas are: ships"
    )
    starcert.config.write_text(config + '[auditors]\nareas = ["Ships!"]\n', encoding="utf-8")
    refused = starcert("auditor", "list", check=False)
    assert refused.code == 2 and "auditors.areas" in refused.err and "'Ships!'" in refused.err
