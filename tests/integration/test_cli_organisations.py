"""`starcert org show`: an operator finds an organisation, and its cases, by id or credit code."""

from __future__ import annotations

from tests.integration.conftest import FACTS, Starcert
from workflows.credit_code import check_character

CODE = "91350100M000300Y4" + check_character("91350100M000300Y4")


def test_an_organisation_is_found_by_id_or_credit_code_with_its_cases(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    org = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li", "--json"
    ).json()  # fmt: skip
    case = starcert(
        "apply", "--org", str(org["id"]), "--submitted", "2026-11-20", "--since", "2026-01-01",
        "--scope", "家电售后", "--facts", str(starcert.write("f.json", FACTS)), "--by", "li",
        "--json",
    ).json()  # fmt: skip
    by_code = starcert("org", "show", CODE.lower(), "--json").json()
    assert (by_code["id"], by_code["name"], by_code["credit_code"]) == (org["id"], "闽江家电", CODE)
    assert [(c["id"], c["state"]) for c in by_code["cases"]] == [(case["id"], "applied")]
    assert starcert("org", "show", str(org["id"]), "--json").json() == by_code
    human = starcert("org", "show", str(org["id"])).out.splitlines()
    assert human[0] == f"organisation {org['id']}: 闽江家电 ({CODE})"
    assert human[1].split() == ["case", str(case["id"]), "applied", "闽江家电"]


def test_an_unknown_organisation_is_not_found_in_one_line(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    for ref, said in (("7", "organisation 7 not found"),
                      (CODE, f"no organisation has the credit code {CODE}")):  # fmt: skip
        done = starcert("org", "show", ref, check=False)
        assert (done.code, done.out, done.err.strip()) == (4, "", f"error: {said}")


def test_a_contact_e_mail_is_registered_changed_and_removed(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    org = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li",
        "--contact-email", "Service@MinJiang.example.CN", "--json",
    ).json()  # fmt: skip
    assert org["contact_email"] == "Service@minjiang.example.cn"  # the domain normalised
    changed = starcert("org", "update", CODE, "--contact-email", "售后@闽江.中国", "--json").json()
    assert changed["contact_email"] == "售后@闽江.中国"
    shown = starcert("org", "show", str(org["id"])).out.splitlines()[0]
    assert shown == f"organisation {org['id']}: 闽江家电 ({CODE}), contact 售后@闽江.中国"
    assert starcert("org", "update", str(org["id"]), "--contact-email", "", "--json").json()
    assert starcert("org", "show", CODE, "--json").json()["contact_email"] is None


def test_a_bad_contact_e_mail_is_refused_naming_the_field_and_changes_nothing(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    refused = starcert(
        "org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li",
        "--contact-email", "service@", check=False,
    )  # fmt: skip
    assert refused.code != 0 and "contact_email" in refused.err and "service@" in refused.err
    assert starcert("org", "show", CODE, check=False).code == 4  # not registered
    starcert("org", "add", "--name", "闽江家电", "--credit-code", CODE, "--by", "li")
    again = starcert("org", "update", CODE, "--contact-email", "no at sign", check=False)
    assert again.code != 0 and "contact_email" in again.err
    assert starcert("org", "show", CODE, "--json").json()["contact_email"] is None
