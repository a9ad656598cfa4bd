"""`starcert api` writes one JSON line per request on stderr: log-ins, 401s and 429s included,
with the account a token named and no secret from the query."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from daemon_helpers import answers_health, free_port, make_site, wait_until


def _ask(port: int, path: str, token: str | None = None, form: dict[str, str] | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if form is not None:  # a browser posting our own log-in form names our origin
        headers["Origin"] = f"http://127.0.0.1:{port}"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data, headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_each_request_leaves_one_json_line(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    token = site.json("users", "add", "alice", "--role", "operator", "--by", "admin")["token"]
    port = free_port()
    stderr = site.root / "api.err"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "starcert.cli", "--config", str(site.config), "api",
             "--port", str(port), "--verify-rate", "0.01", "--verify-burst", "1"],
            stdout=subprocess.DEVNULL, stderr=err, env=site.env, cwd=site.root,
        )  # fmt: skip
    try:
        wait_until("the API", lambda: answers_health(port), timeout=30)
        assert _ask(port, "/console/login", form={"token": "sc_wrong"}) == 401
        assert _ask(port, "/console/login", form={"token": token}) == 303
        assert _ask(port, "/api/cases") == 401
        assert _ask(port, "/api/me", token) == 200
        assert _ask(port, "/verify/ASC-2024-000001?token=hunter2&lang=en") in {404, 422}
        assert _ask(port, "/verify/ASC-2024-000001") == 429
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    lines = [json.loads(x) for x in stderr.read_text().splitlines() if x.startswith("{")]
    asked = [x for x in lines if x["event"] == "http_request" and x["path"] != "/health"]
    got = [(x["method"], x["path"], x["status"], x["account"]) for x in asked]
    assert got[:4] == [
        ("POST", "/console/login", 401, None),
        ("POST", "/console/login", 303, "alice"),
        ("GET", "/api/cases", 401, None),
        ("GET", "/api/me", 200, "alice"),
    ]
    assert got[4][1] == "/verify/ASC-2024-000001?token=***&lang=en"
    assert "hunter2" not in stderr.read_text()
    assert got[5] == ("GET", "/verify/ASC-2024-000001", 429, None)
    for line in asked:
        assert line["client"] == "127.0.0.1"
        assert line["duration_ms"] >= 0
        assert line["ts"]
