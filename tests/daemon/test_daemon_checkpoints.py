"""A running daemon signs a checkpoint each interval when some chain head moved, on its own
(injected) clock; what it signed verifies against the trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from daemon_helpers import Site, certify, wait_until

from workflows.fake_clock import FakeClock

START = datetime(2024, 1, 11, 1, 0, tzinfo=UTC)
"""The daemon's clock: a day after the fixture's certifications, with nothing due."""


def test_the_daemon_signs_checkpoints_on_its_clock_when_heads_move(
    sqlite_site: Site, clock: FakeClock
) -> None:
    site = sqlite_site
    certify(site, clock, 2)
    with site.config.open("a", encoding="utf-8") as config:
        config.write("[audit]\ncheckpoint_seconds = 0.3\n")
    no_key = site.serve("keyless", "--clock-start", START.isoformat())
    try:
        wait_until("a first tick", lambda: bool(no_key.events("started")), timeout=30)
        assert no_key.term() == 0
    finally:
        site.stop_all()
    assert no_key.events("checkpoint_signed") == no_key.events("checkpoint_failed") == []
    assert "checkpoints: off (no key at" in no_key.out.read_text(encoding="utf-8")

    site.cli("audit", "keygen")
    daemon = site.serve("d", "--clock-start", START.isoformat())
    try:
        wait_until("a checkpoint", lambda: len(daemon.events("checkpoint_signed")) >= 1, 30)
        certify(site, clock, 1)  # a third case: its head is new
        wait_until(
            "a checkpoint over three chains",
            lambda: any(line["tree_size"] == 3 for line in daemon.events("checkpoint_signed")),
            timeout=30,
        )
        assert daemon.term() == 0
    finally:
        site.stop_all()
    assert daemon.not_json() == []
    signed = daemon.events("checkpoint_signed")
    assert signed[0]["tree_size"] == 2

    kept = site.root / "kept.json"
    site.cli("audit", "checkpoint", "--no-sign", "--out", str(kept))
    stored = json.loads(kept.read_text(encoding="utf-8"))["checkpoints"]
    assert len(stored) == len(signed)  # none while the heads stood still
    for checkpoint in stored:
        at = datetime.fromisoformat(checkpoint["signed_at"])
        assert START <= at < START + timedelta(hours=1)  # the daemon's clock, not the wall's
    verified = json.loads(site.cli("audit", "verify", "--checkpoints", str(kept), "--json").stdout)
    assert verified["ok"] is True and verified["checkpoints_checked"] == len(stored)
