"""`starcert health --json`: the same checks and exit status, as one JSON object."""

from __future__ import annotations

import json

from daemon_helpers import Site, wait_until


def _health(site: Site, *extra: str) -> tuple[int, dict[str, object]]:
    ran = site.cli("health", "--json", *extra, check=False)
    return ran.returncode, json.loads(ran.stdout)


def test_health_json_follows_the_daemon(sqlite_site: Site) -> None:
    site = sqlite_site
    code, before = _health(site)
    assert code == 1 and before["healthy"] is False
    assert before["reason"] == "no daemon is running against this database"
    daemon = site.serve("watch")
    try:
        wait_until("healthy", lambda: _health(site)[0] == 0, timeout=30)
        code, during = _health(site, "--max-age", "45")
        assert code == 0 and during["healthy"] is True
        assert str(during["reason"]).startswith("ok: 1 daemon(s) ticking (watch")
        assert during["max_age_seconds"] == 45 and during["worker"] is None
        assert str(during["checked_at"]).endswith("+00:00")
        code, other = _health(site, "--worker", "nosuch")
        assert code == 1 and other["worker"] == "nosuch" and other["healthy"] is False
        assert daemon.term() == 0
    finally:
        site.stop_all()


def test_health_json_when_the_database_is_missing(sqlite_site: Site) -> None:
    site = sqlite_site
    config = site.config.read_text().replace(site.url, site.url + ".missing")
    site.config.write_text(config)
    code, found = _health(site)
    assert code == 1 and found["healthy"] is False and found["reason"]
