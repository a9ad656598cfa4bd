"""`/metrics` from a serving daemon, read with Prometheus's own parser: the firings it did, the
commands it timed, the lookups it answered, and what the database holds."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from daemon_helpers import answers_health, certify, free_port, make_site, wait_until
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from workflows.fake_clock import FakeClock

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
WINDOW_OPEN = T0 + timedelta(days=300)  # past the surveillance window's opening (9 months)


def _get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status), reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels (Prometheus's own parser)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_the_daemons_firings_commands_lookups_and_outbox(tmp_path: Any) -> None:
    site = make_site(tmp_path / "site")
    [first, _second] = certify(site, FakeClock(T0), 2)
    engine = site.engine()
    with engine.connect() as conn:
        number = conn.execute(text("SELECT number FROM cases WHERE id = :i"), {"i": first})
        number = number.scalar_one()
    engine.dispose()
    port = free_port()
    with site.config.open("a", encoding="utf-8") as config:
        config.write(f'[api]\nserve_with_daemon = true\nhost = "127.0.0.1"\nport = {port}\n')
    token = site.json("users", "add", "prometheus", "--role", "viewer", "--by", "admin")["token"]
    daemon = site.serve("d1", "--clock-start", WINDOW_OPEN.isoformat())
    try:
        wait_until("the daemon's API", lambda: answers_health(port), timeout=30)
        wait_until("both reminders", lambda: len(daemon.events("deadline_fired")) >= 2, 30)
        assert _get(port, f"/verify/{number}")[0] == 200
        assert _get(port, f"/verify/{number[:-1]}9")[0] == 404  # a number never issued
        refused, _ = _get(port, "/metrics")
        status, exposition = _get(port, "/metrics", token)
        assert daemon.term() == 0
    finally:
        site.stop_all()
    assert refused == 401  # an account's token, as for the rest of the operator API
    assert status == 200
    got = samples(exposition)
    assert got[("starcert_deadlines_fired_total", (("worker", "d1"),))] == 2
    assert got[("starcert_commands_total", (("command", "FireDeadline"), ("outcome", "ok")))] == 2
    assert got[("starcert_command_duration_seconds_count", (("command", "FireDeadline"),))] == 2
    assert got[("starcert_verification_requests_total", (("status", "200"),))] == 1
    assert got[("starcert_verification_requests_total", (("status", "404"),))] == 1
    # No webhook configured: both reminders wait in the outbox.
    assert got[("starcert_outbox_backlog", (("channel", "webhook"), ("status", "pending")))] == 2
    assert got[("starcert_deadlines_due", ())] == 0
    assert got[("starcert_deadlines_in_incident", ())] == 0
    [version] = [k for k in got if k[0] == "starcert_rule_version_info"]
    assert dict(version[1])["version"] and dict(version[1])["rule_set"]
