"""A deadline whose firing fails becomes a visible incident: backed off, never blocking the rest,
retried or resolved by an operator; and `status`/`health` tell what the daemon is doing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon_helpers import Site, bulk_active_cases, bulk_deadlines, firings, wait_until
from sqlalchemy import text


def _break(site: Site, case_id: int) -> None:
    engine = site.engine()
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET state = 'bogus' WHERE id = :c"), {"c": case_id})
    engine.dispose()


def test_a_failing_deadline_is_an_incident_an_operator_can_retry_or_resolve(
    sqlite_site: Site,
) -> None:
    site = sqlite_site
    engine = site.engine()
    cases = bulk_active_cases(engine, 4)
    bulk_deadlines(engine, cases, 1, datetime.now(UTC) - timedelta(hours=1))
    _break(site, cases[1])
    _break(site, cases[2])

    tick = site.json("fire-due")
    assert tick["fired"] == 2 and tick["failed"] == 2  # the broken ones do not block the others
    incidents = site.json("incidents", "list")
    assert [i["case"] for i in incidents] == cases[1:3]
    assert all("bogus" in i["error"] and i["attempts"] == 1 for i in incidents)
    assert all(i["retry_after"] is not None for i in incidents)

    status = site.json("status")
    assert [i["case"] for i in status["incidents"]] == cases[1:3]
    assert status["overdue"] == 0  # failing rows are incidents, not silently overdue
    assert site.json("fire-due")["claimed"] == 0  # backed off: not retried at once

    with engine.begin() as conn:  # the operator repairs the record, then retries
        conn.execute(text("UPDATE cases SET state = 'active' WHERE id = :c"), {"c": cases[1]})
    first, second = incidents
    site.cli("incidents", "retry", str(first["id"]))
    assert site.json("fire-due")["fired"] == 1

    refused = site.cli(
        "incidents", "resolve", str(second["id"]), "--reason", " ", "--by", "li.na", check=False
    )
    assert refused.returncode == 2 and "reason" in refused.stderr
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET state = 'active' WHERE id = :c"), {"c": cases[2]})
    done = site.json(
        "incidents",
        "resolve",
        str(second["id"]),
        "--reason",
        "record repaired by hand",
        "--by",
        "li.na",
    )
    assert done["case"] == cases[2]
    with engine.connect() as conn:
        event = conn.execute(
            text("SELECT actor, trigger, reason FROM events WHERE case_id = :c ORDER BY seq DESC"),
            {"c": cases[2]},
        ).first()
        assert tuple(event) == ("li.na", "incident_resolved", "record repaired by hand")
        assert (
            conn.execute(text("SELECT count(*) FROM deadlines WHERE done_at IS NULL")).scalar_one()
            == 0
        )
    assert site.json("incidents", "list") == []
    again = site.cli("incidents", "retry", str(second["id"]), check=False)
    assert again.returncode == 2 and "already done" in again.stderr
    counts = firings(engine)
    assert sorted(counts.values()) == [1, 1, 1]  # three fired once, the resolved one never
    engine.dispose()


def test_health_follows_the_daemon_and_status_shows_its_heartbeat(sqlite_site: Site) -> None:
    site = sqlite_site
    before = site.cli("health", check=False)
    assert before.returncode == 1 and "no daemon" in before.stdout
    daemon = site.serve("watch")
    wait_until("healthy", lambda: site.cli("health", check=False).returncode == 0, timeout=30)
    # Healthy from its first beat ("starting"); its first tick makes it "running".
    ticked = lambda: site.json("status")["daemons"][0]["state"] == "running"  # noqa: E731
    wait_until("its first tick", ticked, timeout=30)
    other = site.cli("health", "--worker", "nosuch", check=False)
    assert other.returncode == 1
    assert "daemon nosuch is not running against this database" in other.stdout
    status = site.json("status")
    [beat] = status["daemons"]
    assert beat["worker"] == "watch" and beat["state"] == "running" and beat["last_tick_at"]
    shown = site.cli("status").stdout
    assert "daemon watch (running" in shown and " s ago)" in shown  # its age tells it ticks
    assert daemon.term() == 0
    after = site.cli("health", check=False)
    assert after.returncode == 1 and "unhealthy" in after.stdout
    assert site.json("status")["daemons"][0]["state"] == "stopped"
    assert "stopped" in daemon.out.read_text()


def test_a_firing_that_conflicts_on_every_attempt_is_an_incident_not_an_endless_retry(
    sqlite_site: Site,
) -> None:
    site = sqlite_site
    engine = site.engine()
    cases = bulk_active_cases(engine, 2)
    bulk_deadlines(engine, cases, 1, datetime.now(UTC) - timedelta(hours=1))
    with engine.begin() as conn:  # the head says no event yet, but event 1 is taken
        conn.execute(
            text(
                'INSERT INTO events (case_id, seq, at, actor, "trigger", to_state, data,'
                " prev_hash, hash) VALUES (:c, 1, '2025-01-01 00:00:00', 'x', 't', 'active',"
                " '{}', '', 'h')"
            ),
            {"c": cases[0]},
        )
        conn.execute(text("UPDATE cases SET head_seq = 0, head_hash = '' WHERE id = :c"), {"c": cases[0]})  # fmt: skip
    tick = site.json("fire-due")  # returns: the row is not handed back and claimed forever
    assert tick["fired"] == 1 and tick["failed"] == 1
    [incident] = site.json("incidents", "list")
    assert incident["case"] == cases[0] and "ConcurrencyConflict" in incident["error"]
    assert sum(firings(engine).values()) == 1  # the other case fired once
    engine.dispose()


def test_a_deadline_row_it_cannot_read_is_an_incident_and_the_others_fire(
    sqlite_site: Site,
) -> None:
    site = sqlite_site
    engine = site.engine()
    cases = bulk_active_cases(engine, 3)
    bulk_deadlines(engine, cases, 1, datetime.now(UTC) - timedelta(hours=1))
    with engine.begin() as conn:  # edited by hand
        conn.execute(
            text("UPDATE deadlines SET kind = 'frobnicate' WHERE case_id = :c"), {"c": cases[0]}
        )
    assert site.json("fire-due")["fired"] == 2  # the others are not held up
    [incident] = site.json("incidents", "list")
    assert incident["case"] == cases[0] and incident["kind"] == "frobnicate"
    assert "'frobnicate' is not one of" in incident["error"]
    refused = site.cli(
        "incidents", "resolve", str(incident["id"]), "--reason", "r", "--by", "li.na", check=False
    )
    assert refused.returncode == 1 and "fix the row" in refused.stderr
    assert "Traceback" not in refused.stderr
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE deadlines SET kind = 'surveillance_window_opens' WHERE id = :d"),
            {"d": incident["id"]},
        )
    site.cli("incidents", "retry", str(incident["id"]))
    assert site.json("fire-due")["fired"] == 1
    assert sorted(firings(engine).values()) == [1, 1, 1]
    engine.dispose()
