"""Certificate changes through the operator CLI: each change gives the certificate its next
version, shown after its number everywhere an operator reads it; earlier versions stay listed
with their events and still find the case; bad input names its field and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.conftest import FACTS, Starcert
from tests.integration.test_cli_lifecycle import CODE, certified
from tests.office_day import office_day, office_today
from workflows.credit_code import check_character
from workflows.deadlines import add_months

OTHER_CODE = "91350100M000200Y4" + check_character("91350100M000200Y4")


def test_changes_give_versions_listed_with_their_events(starcert: Starcert) -> None:
    cid = certified(starcert)
    number = starcert("decide", cid, "--by", "carol", "--json").json()["number"]
    asked = starcert(
        "change", "request-extension", cid, "--scope", "household and kitchen appliances",
        "--by", "alice", "--json",
    ).json()  # fmt: skip
    assert asked["certificate_number"] == number  # a request is no new version
    refused = starcert("change", "extend-scope", cid, "--by", "carol", check=False)
    assert refused.code == 3 and "special audit recorded after the request" in refused.err
    assert "starcert audit record" in refused.err  # what the operator can run instead
    starcert(
        "audit", "record", cid, "--kind", "special", "--date", office_day(0), "--auditor", "bob",
        "--by", "alice",
    )  # fmt: skip
    extended = starcert("change", "extend-scope", cid, "--by", "carol", "--json").json()
    assert extended["scope"] == "household and kitchen appliances"
    assert extended["certificate_number"] == f"{number}-A1"
    reduced = starcert(
        "change", "reduce-scope", cid, "--scope", "household appliances", "--reason",
        "kitchen appliances failed the special audit", "--by", "carol", "--json",
    ).json()  # fmt: skip
    assert reduced["certificate_number"] == f"{number}-A2"

    before = starcert("show", cid, "--json").json()
    wrong = starcert(
        "change", "holder", cid, "--name", "Other Ltd", "--credit-code", OTHER_CODE,
        "--by", "carol", check=False,
    )  # fmt: skip
    assert wrong.code == 2 and "credit_code" in wrong.err and "same legal entity" in wrong.err
    assert starcert("show", cid, "--json").json() == before  # nothing written

    renamed = starcert(
        "change", "holder", cid, "--name", "Acme Appliances (Fujian)", "--credit-code", CODE,
        "--address", "福州市鼓楼区", "--by", "carol", "--json",
    ).json()  # fmt: skip
    assert renamed["holder"] == "Acme Appliances (Fujian)"
    assert renamed["certificate_number"] == f"{number}-A3"

    listed = starcert("show", cid, "--versions", "--json").json()
    assert [v["number"] for v in listed] == [number, *(f"{number}-A{n}" for n in (1, 2, 3))]
    assert [v["trigger"] for v in listed] == [
        "certify", "extend_scope", "reduce_scope", "change_holder",
    ]  # fmt: skip
    history = starcert("show", cid, "--json").json()["history"]
    for version in listed:  # each version is an event on the trail
        assert history[version["seq"] - 1]["trigger"] == version["trigger"]
    words = starcert("show", cid, "--versions").out
    assert f"{number}-A2" in words and "scope reduced" in words and "福州市鼓楼区" in words
    assert f"certificate {number}-A3" in starcert("show", cid).out
    assert starcert("show", f"{number}-A1", "--json").json()["case"]["id"] == int(cid)
    assert "ok:" in starcert("audit", "verify").out
    assert f"{number}-A3" in starcert("export").out


def test_a_transfer_in_keeps_the_expiry_and_plans_the_audit_due_in_its_cycle(
    starcert: Starcert,
) -> None:
    org = starcert(
        "org", "add", "--name", "Minjiang Service", "--credit-code", OTHER_CODE, "--by", "alice",
        "--json",
    ).json()  # fmt: skip
    facts = starcert.write("facts.json", FACTS)
    cid = str(
        starcert(
            "apply", "--org", str(org["id"]), "--submitted", office_day(0), "--since",
            office_day(-400), "--scope", "after-sales service of elevators", "--facts",
            str(facts), "--by", "alice", "--json",
        ).json()["id"]
    )  # fmt: skip
    today = office_today()
    decided, expires = today - timedelta(days=300), today + timedelta(days=800)
    transfer = (
        "change", "transfer-in", cid, "--previous-body", "CQC", "--previous-number",
        "CQC-2025-SV-0815", "--decided-on", decided.isoformat(), "--star-level", "four_star",
        "--by", "carol",
    )  # fmt: skip
    before = starcert("show", cid, "--json").json()
    expired = starcert(*transfer, "--expires-on", office_day(-1), check=False)
    assert expired.code == 2 and "expires_on" in expired.err and "expired" in expired.err
    suspended = starcert(
        *transfer, "--expires-on", expires.isoformat(), "--previous-status", "suspended",
        check=False,
    )  # fmt: skip
    assert suspended.code == 2 and "previous_status" in suspended.err
    assert starcert("show", cid, "--json").json() == before

    done = starcert(*transfer, "--expires-on", expires.isoformat(), "--json").json()
    assert done["state"] == "active" and done["star_level"] == "four_star"
    assert done["expires_on"] == expires.isoformat() and done["issued_on"] == today.isoformat()
    detail = starcert("show", cid, "--json").json()
    due = {d["kind"]: d["due_at"] for d in detail["open_deadlines"]}
    first = add_months(decided, 12)  # the cycle's first surveillance, not a year from today
    assert date.fromisoformat(due["surveillance_due"][:10]) - first <= timedelta(days=1)
    [version] = starcert("show", cid, "--versions", "--json").json()
    assert "transferred in from CQC" in version["changed"]
    assert "CQC-2025-SV-0815" in version["changed"]
    assert "transferred" in starcert("show", cid).out
    assert "ok:" in starcert("audit", "verify").out
