"""Decisions and sanctions entered late over the HTTP API: each body's `on` dates the change;
a bad day is refused naming `on` and writes nothing."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, days_ago


def _post(api: Api, cid: int, what: str, **body: Any) -> Any:
    return api.as_("operator").post(f"/api/cases/{cid}/{what}", json=body)


def _history(api: Api, cid: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = api.as_("viewer").get(f"/api/cases/{cid}/history").json()
    return got


def test_each_change_takes_the_day_in_its_on_field(api: Api) -> None:
    cid = api.decision_pending(holder="Dated Appliances")["id"]
    decided = _post(api, cid, "decide", on=days_ago(35))
    assert decided.json()["case"]["decided_on"] == days_ago(35), decided.text
    suspended = _post(api, cid, "suspend", cause="client_request", reason="asked", on=days_ago(30))
    assert suspended.json()["case"]["suspended_on"] == days_ago(30), suspended.text
    assert _post(api, cid, "restore", reason="cleared", on=days_ago(20)).status_code == 200
    _post(api, cid, "suspend", cause="client_request", reason="again", on=days_ago(10))
    withdrawn = _post(api, cid, "withdraw", reason="gone", on=days_ago(5))
    assert withdrawn.json()["case"]["state"] == "withdrawn", withdrawn.text
    dated = [(e["trigger"], e["data"]["on"]) for e in _history(api, cid)[-5:]]
    assert dated == [
        ("certify", days_ago(35)),
        ("suspend", days_ago(30)),
        ("restore", days_ago(20)),
        ("suspend", days_ago(10)),
        ("withdraw", days_ago(5)),
    ]
    other = api.decision_pending(holder="Cancelled Appliances")["id"]
    cancelled = _post(api, other, "cancel", reason="client left", on=days_ago(2))
    assert cancelled.json()["case"]["state"] == "cancelled", cancelled.text
    assert _history(api, other)[-1]["data"]["on"] == days_ago(2)


def test_a_bad_day_is_refused_naming_on_and_writes_nothing(api: Api) -> None:
    cid = api.decision_pending(holder="Early Appliances")["id"]
    audit = api.as_("viewer").get(f"/api/cases/{cid}").json()["audits"][-1]
    auditor = api.as_("auditor")
    auditor.post(
        f"/api/cases/{cid}/findings",
        json={"audit_id": audit["id"], "severity": "major", "indicator": "complaint_handling",
              "evidence": "complaints answered after 30 days", "on": days_ago(40)},
    )  # fmt: skip
    api.as_("operator").post(
        f"/api/cases/{cid}/findings/1/response",
        json={"cause": "c", "correction": "x", "corrective_action": "y",
              "responded_on": days_ago(30)},
    )  # fmt: skip
    closed = auditor.post(f"/api/cases/{cid}/findings/1/close", json={"on": days_ago(25)})
    assert closed.status_code == 200, closed.text
    history = _history(api, cid)
    for on, message in (
        ("tomorrow", None),
        (days_ago(-1), "is in the future"),
        (days_ago(41), "is before the stage 2 audit of"),
        (days_ago(28), "still open on"),
    ):
        refused = _post(api, cid, "decide", on=on)
        assert (refused.status_code, refused.json()["field"]) == (422, "on"), refused.text
        assert message is None or message in refused.json()["message"], refused.text
    assert _history(api, cid) == history
    assert _post(api, cid, "decide", on=days_ago(25)).status_code == 200
    for what, body in (
        ("suspend", {"cause": "client_request", "reason": "r", "on": days_ago(26)}),
        ("withdraw", {"reason": "r", "on": days_ago(-2)}),
        ("cancel", {"reason": "r", "on": days_ago(30)}),
    ):
        refused = _post(api, cid, what, **body)
        assert (refused.status_code, refused.json()["field"]) == (422, "on"), refused.text
    assert api.as_("viewer").get(f"/api/cases/{cid}").json()["case"]["state"] == "active"
