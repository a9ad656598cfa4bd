"""The audit trail against someone with write access to the database: every field of a case row
is held to its trail, and a history rewritten with its hashes recomputed is caught by a signed
checkpoint kept outside the database. SQLite and PostgreSQL, through the `starcert` command."""

from __future__ import annotations

import json
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from storage.database import open_database
from tests.integration.conftest import FACTS, Starcert, sheet
from tests.office_day import office_day
from workflows.audit_trail import seal
from workflows.credit_code import check_character


def code(serial: int) -> str:
    body = f"91350100M{serial:07d}4"[:17]
    return body + check_character(body)


def certified(starcert: Starcert, serial: int, name: str = "Acme Appliances") -> int:
    """A case from application to an active certificate; its id."""
    org = starcert(
        "org", "add", "--name", name, "--credit-code", code(serial), "--by", "alice", "--json"
    ).json()
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply", "--org", str(org["id"]), "--submitted", office_day(-60), "--since",
        office_day(-200), "--scope", "after-sales service of household appliances", "--facts",
        str(facts), "--by", "alice", "--json",
    ).json()  # fmt: skip
    cid = str(case["id"])
    starcert("review", cid, "--by", "alice")
    for kind, ago in (("stage1", 50), ("stage2", 40)):
        extra = ["--sheet", str(starcert.write("sheet.json", sheet(2)))] if kind == "stage2" else []
        starcert(
            "audit", "record", cid, "--kind", kind, "--date", office_day(-ago), "--auditor", "bob",
            *extra, "--by", "alice",
        )  # fmt: skip
    assert starcert("decide", cid, "--by", "carol", "--json").json()["state"] == "active"
    return int(cid)


def database_url(starcert: Starcert) -> str:
    config = tomllib.loads(starcert.config.read_text(encoding="utf-8"))
    url: str = config.get("database", {}).get("url", "")
    return url or f"sqlite:///{starcert.workdir / 'data' / 'starcert.db'}"


@pytest.fixture
def intruder(starcert: Starcert) -> Iterator[Engine]:
    """A raw connection to starcert's database, its guard triggers on `events` dropped, as
    someone with write access to the database can."""
    engine = create_engine(database_url(starcert))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
                )
            ).scalars()
            for name in list(names):
                if name != "events_move_head":
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS events_no_update_delete ON events"))
    yield engine
    engine.dispose()


def verify(starcert: Starcert, *more: str) -> tuple[int, dict[str, Any]]:
    done = starcert("audit", "verify", "--json", *more, check=False)
    assert done.code in (0, 1), done.err
    report: dict[str, Any] = done.json()
    return done.code, report


EDITS = [
    ("star_level", "star_level = 'three_star'", "five_star", "three_star"),
    ("expires_on", "expires_on = '2099-12-31'", None, "2099-12-31"),
    ("holder", "holder = 'Mallory Trading'", "Acme Appliances", "Mallory Trading"),
    ("scope", "scope = 'everything'", "after-sales service of household appliances", "everything"),
    ("final_score", "final_score = '99.50'", "98", "99.50"),
    ("decided_on", "decided_on = '2020-01-01'", None, "2020-01-01"),
    ("issued_on", "issued_on = '2020-01-01'", None, "2020-01-01"),
    ("rule_version", "rule_version = '9'", "1", "9"),
    ("surveillances", "surveillances = 3", "0", "3"),
    ("suspension_cause", "suspension_cause = 'mark_misuse'", "none", "mark_misuse"),
]


def test_verify_names_each_field_of_a_case_row_edited_behind_its_back(
    starcert: Starcert, intruder: Engine
) -> None:
    certified(starcert, 1)
    cid = certified(starcert, 2)
    assert verify(starcert)[0] == 0
    with intruder.connect() as conn:
        row = conn.execute(text("SELECT * FROM cases WHERE id = :c"), {"c": cid}).mappings().one()
    for field, assignment, trail, stored in EDITS:
        column = assignment.split(" = ")[0]
        with intruder.begin() as conn:
            conn.execute(text(f"UPDATE cases SET {assignment} WHERE id = :c"), {"c": cid})
        code_, report = verify(starcert)
        with intruder.begin() as conn:
            conn.execute(
                text(f"UPDATE cases SET {column} = :v WHERE id = :c"), {"v": row[column], "c": cid}
            )
        assert code_ == 1, field
        broken = report["broken"]
        assert (broken["case_id"], broken["field"]) == (cid, field)
        assert stored in broken["found"] and "on the case row" in broken["found"]
        assert (trail or str(row[column])) in broken["expected"], (field, broken)
    assert verify(starcert)[0] == 0  # each edit undone: clean again


def test_a_suspension_day_edited_is_named(starcert: Starcert, intruder: Engine) -> None:
    cid = certified(starcert, 3)
    starcert(
        "suspend", str(cid), "--cause", "client_request", "--reason", "client asked", "--by", "a"
    )
    assert verify(starcert)[0] == 0
    with intruder.begin() as conn:
        conn.execute(text("UPDATE cases SET suspended_on = '2001-02-03' WHERE id = :c"), {"c": cid})
    code_, report = verify(starcert)
    assert code_ == 1
    assert report["broken"]["field"] == "suspended_on"
    assert "2001-02-03" in report["broken"]["found"]


def rewrite_history(url: str, engine: Engine, case_id: int, seq: int) -> None:
    """Change one event of a case and recompute every hash after it, and the case's head."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET actor = 'mallory' WHERE case_id = :c AND seq = :s"),
            {"c": case_id, "s": seq},
        )
    database = open_database(url)
    try:
        with database.unit_of_work() as uow:
            events = list(uow.events.for_case(case_id))
    finally:
        database.close()
    chain = []
    for event in events:
        chain.append(seal(event, chain[-1] if chain else None))
    with engine.begin() as conn:
        for event in chain:
            conn.execute(
                text("UPDATE events SET prev_hash = :p, hash = :h WHERE case_id = :c AND seq = :s"),
                {"p": event.prev_hash, "h": event.hash, "c": case_id, "s": event.seq},
            )
        conn.execute(
            text("UPDATE cases SET head_hash = :h WHERE id = :c"),
            {"h": chain[-1].hash, "c": case_id},
        )


def test_a_rewritten_history_passes_plain_verify_but_not_a_kept_checkpoint(
    starcert: Starcert, intruder: Engine
) -> None:
    first, second = certified(starcert, 4), certified(starcert, 5)
    key = starcert("audit", "keygen", "--json").json()
    assert len(key["key_id"]) == 16 and len(bytes.fromhex(key["public_key"])) == 32
    kept = starcert.workdir / "kept.json"
    signed = starcert("audit", "checkpoint", "--out", str(kept), "--json").json()
    assert signed["signed"]["tree_size"] == 2
    assert verify(starcert, "--checkpoints", str(kept))[0] == 0
    starcert("suspend", str(first), "--cause", "client_request", "--reason", "asked", "--by", "a")
    assert verify(starcert, "--checkpoints", str(kept))[0] == 0  # an appended trail extends it

    rewrite_history(database_url(starcert), intruder, second, 2)
    code_, plain = verify(starcert)
    assert code_ == 0 and plain["ok"] is True  # the hash chain alone has no secret
    code_, held = verify(starcert, "--checkpoints", str(kept))
    assert code_ == 1
    assert (held["broken"]["case_id"], held["broken"]["field"]) == (second, "checkpoint")
    assert "history rewritten" in held["broken"]["found"]
    human = starcert("audit", "verify", "--checkpoints", str(kept), check=False)
    assert human.code == 1 and f"case {second}" in human.out


def test_a_checkpoint_signed_by_a_rotated_key_still_verifies(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    certified(starcert, 6)
    old = starcert("audit", "keygen", "--json").json()
    key_file = Path(old["key_file"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    starcert("audit", "checkpoint")
    again = starcert("audit", "keygen", check=False)
    assert again.code == 2 and "--rotate" in again.err
    new = starcert("audit", "keygen", "--rotate", "--json").json()
    assert new["key_id"] != old["key_id"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    certified(starcert, 7)
    kept = starcert.workdir / "all.json"
    starcert("audit", "checkpoint", "--out", str(kept))
    document = json.loads(kept.read_text(encoding="utf-8"))
    assert [c["key_id"] for c in document["checkpoints"]] == [old["key_id"], new["key_id"]]
    assert {k["key_id"] for k in document["keys"]} == {old["key_id"], new["key_id"]}
    code_, report = verify(starcert, "--checkpoints", str(kept))
    assert code_ == 0 and report["checkpoints_checked"] == 2


def test_a_tampered_checkpoint_is_refused(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    certified(starcert, 8)
    starcert("audit", "keygen")
    kept = starcert.workdir / "kept.json"
    starcert("audit", "checkpoint", "--out", str(kept))
    good = json.loads(kept.read_text(encoding="utf-8"))

    def refused(change: Any) -> dict[str, Any]:
        document = json.loads(json.dumps(good))
        change(document["checkpoints"][0])
        tampered = starcert.workdir / "tampered.json"
        tampered.write_text(json.dumps(document), encoding="utf-8")
        code_, report = verify(starcert, "--checkpoints", str(tampered))
        assert code_ == 1 and report["checkpoint"] == 0
        broken: dict[str, Any] = report["broken"]
        return broken

    def flip(hex_text: str) -> str:
        return ("0" if hex_text[0] != "0" else "1") + hex_text[1:]

    assert refused(lambda c: c.update(signature=flip(c["signature"])))["field"] == "signature"
    said = starcert("audit", "verify", "--checkpoints", "tampered.json", check=False)
    assert said.code == 1 and "BROKEN (kept checkpoint 0): signature: expected" in said.out
    assert refused(lambda c: c.update(root=flip(c["root"])))["field"] == "root"
    assert (
        refused(lambda c: c["heads"][0].__setitem__(2, flip(c["heads"][0][2])))["field"] == "root"
    )
    assert refused(lambda c: c.update(key_id="0" * 16))["field"] == "signature"
    assert (
        refused(lambda c: c.update(signed_at="2020-01-01T00:00:00+00:00"))["field"] == "signature"
    )

    broken = starcert.workdir / "broken.json"
    broken.write_text('{"format": "starcert-checkpoint/1", "keys": [], "checkpoints": [{}]}')
    bad = starcert("audit", "verify", "--checkpoints", str(broken), check=False)
    assert bad.code == 2 and "broken.json: checkpoints[0].heads" in bad.err


def test_signing_without_a_key_says_how_to_make_one(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    refused = starcert("audit", "checkpoint", check=False)
    assert refused.code == 2 and "starcert audit keygen" in refused.err
    starcert("audit", "keygen")
    key_file = starcert.workdir / "keys" / "checkpoint.key"
    key_file.chmod(0o644)
    loose = starcert("audit", "checkpoint", check=False)
    assert loose.code == 2 and "chmod 600" in loose.err


def test_publishing_rules_signs_a_checkpoint_when_a_key_is_configured(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    certified(starcert, 9)
    rules = Path(__file__).resolve().parents[2] / "rules" / "gbt27922-2011.yaml"
    draft = starcert.workdir / "v2.yaml"
    draft.write_text(
        rules.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"', 1),
        encoding="utf-8",
    )
    starcert("audit", "keygen")
    published = starcert(
        "rules", "publish", str(draft), "--effective", office_day(30), "--by", "chen", "--json"
    ).json()
    assert published["checkpoint"] is not None
    kept = starcert.workdir / "kept.json"
    starcert("audit", "checkpoint", "--no-sign", "--out", str(kept))
    (checkpoint,) = json.loads(kept.read_text(encoding="utf-8"))["checkpoints"]
    assert checkpoint["tree_size"] == 1
