"""A second daemon (or API) on an address already served says so in one line and exits 1."""

from __future__ import annotations

from daemon_helpers import Site, answers_health, free_port, wait_until


def test_a_second_daemon_on_a_taken_port_refuses_with_one_line(sqlite_site: Site) -> None:
    site = sqlite_site
    port = free_port()
    with site.config.open("a", encoding="utf-8") as config:
        config.write(f'[api]\nserve_with_daemon = true\nhost = "127.0.0.1"\nport = {port}\n')
    first = site.serve("first")
    wait_until("the first daemon's API", lambda: answers_health(port), timeout=30)

    second = site.serve("second")
    assert second.proc.wait(30) == 1
    error = second.log.read_text(encoding="utf-8")
    assert f"cannot listen on 127.0.0.1:{port}" in error and "serve_with_daemon = false" in error
    assert "Traceback" not in error

    api = site.cli("api", "--port", str(port), check=False)
    assert api.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in api.stderr
    assert "starcert API on" not in api.stdout  # no banner for a server that never ran
    assert answers_health(port) and first.term() == 0
