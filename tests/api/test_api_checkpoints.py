"""The public checkpoint endpoints: anonymous, read-only, nothing private, and what they answer
is a file `starcert audit verify --checkpoints` (starcert.checkpoint_files.check) accepts."""

from __future__ import annotations

import json
from pathlib import Path

from starcert import checkpoint_files
from starcert.checkpoint_keys import generate, load, sign
from tests.api.conftest import Api


def test_the_latest_checkpoint_and_the_keys_answer_without_auth(api: Api, tmp_path: Path) -> None:
    anonymous = api.as_(None)
    assert anonymous.get("/checkpoints/keys").json() == {
        "format": "starcert-checkpoint/1",
        "keys": [],
    }
    none_yet = anonymous.get("/checkpoints/latest")
    assert none_yet.status_code == 404 and none_yet.json()["code"] == "not_found"

    case = api.certified()
    store = api.app.database.checkpoints
    key_file = tmp_path / "checkpoint.key"
    key = generate(key_file, api.app.clock.now())
    made = sign(store, load(key_file), api.app.clock.now())

    keys = anonymous.get("/checkpoints/keys")
    assert keys.status_code == 200
    assert [k["key_id"] for k in keys.json()["keys"]] == [key.key_id]
    latest = anonymous.get("/checkpoints/latest")
    assert latest.status_code == 200
    body = latest.json()
    assert body["checkpoints"][0]["root"] == made.root
    assert [case["id"], 5] in [h[:2] for h in body["checkpoints"][0]["heads"]]
    assert "PRIVATE" not in latest.text + keys.text
    assert key_file.read_text(encoding="ascii").splitlines()[1] not in latest.text + keys.text

    kept = tmp_path / "latest.json"
    kept.write_text(json.dumps(body), encoding="utf-8")
    with api.app.uow() as uow:
        held = checkpoint_files.check(*checkpoint_files.read(kept), uow.events.for_case)
    assert held.ok and held.checked == 1
