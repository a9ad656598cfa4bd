"""Reminders e-mailed to the organisation's contact, through a real local SMTP server: in
Chinese and English, to the right address, only where a contact is set, and retried through the
outbox when the server refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon_helpers import Site, certify, make_site, wait_until
from smtp_receiver import smtp_server
from sqlalchemy import text

from starcert.notify import EmailChannel
from workflows.fake_clock import FakeClock
from workflows.ports import Notification

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
WINDOW_OPEN = T0 + timedelta(days=300)  # the surveillance window opened at 9 months
CONTACT = "售后@闽江.中国"


def _with_smtp(site: Site, port: int) -> None:
    with site.config.open("a", encoding="utf-8") as config:
        config.write(
            f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\ntls = "none"\n'
            'from_address = "certification@cb.example.cn"\ntimeout_seconds = 5\n'
        )


def _outbox(site: Site) -> list[tuple[str, str, int, bool]]:
    engine = site.engine()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT channel, kind, attempts, delivered_at IS NOT NULL FROM notifications "
                "ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [(str(c), str(k), int(a), bool(d)) for c, k, a, d in rows]


def _organisation_of(site: Site, case_id: int) -> int:
    engine = site.engine()
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT organisation_id FROM cases WHERE id = :c"), {"c": case_id}
        )
        org = int(found.scalar_one())
    engine.dispose()
    return org


def test_the_surveillance_reminder_reaches_the_contact_after_one_refusal(tmp_path: Path) -> None:
    with smtp_server(refuse_first=1) as box:
        site = make_site(tmp_path / "site", notify_backoff=0.3)
        _with_smtp(site, box.port)
        with_contact, without = certify(site, FakeClock(T0), 2)
        org = _organisation_of(site, with_contact)
        site.cli("org", "update", str(org), "--contact-email", CONTACT)
        daemon = site.serve("d", "--clock-start", WINDOW_OPEN.isoformat())
        try:
            wait_until("an e-mail", lambda: box.received, timeout=30)
            wait_until("marked delivered", lambda: ("email", "surveillance_window_opens", 1,
                       True) in _outbox(site), timeout=30)  # fmt: skip
            assert daemon.term() == 0
        finally:
            site.stop_all()
    assert box.refused == 1
    [mail] = box.received  # one e-mail: the organisation without a contact gets none
    assert mail.recipients == [CONTACT] and mail.message["To"] == CONTACT
    assert mail.sender == "certification@cb.example.cn"
    assert "监督审核" in mail.message["Subject"] and "Surveillance" in mail.message["Subject"]
    body = mail.text
    assert "年度监督审核" in body and "must be completed by" in body
    # The window opened 3 months (the rule file's surveillance_window_months) before the due day.
    assert "2024-10-10" in body and "2025-01-10" in body
    assert mail.message["Message-ID"].startswith("<starcert-notification-")
    webhook_rows = [r for r in _outbox(site) if r[0] == "webhook"]
    assert len(webhook_rows) == 2 and not any(r[3] for r in webhook_rows)  # no webhook set
    failed = daemon.events("notification_failed")
    assert [(f["channel"], f["attempts"]) for f in failed] == [("email", 1)]
    assert "SMTP 451" in failed[0]["error"]
    assert [e["channel"] for e in daemon.events("notification_delivered")] == ["email"]
    assert without != with_contact


def test_the_expiry_reminder_is_written_in_both_languages(tmp_path: Path) -> None:
    payload = {
        "to": "service@minjiang.example.cn",
        "holder": "闽江家电有限公司",
        "certificate": "ASC-2024-000042",
        "expires_on": "2027-01-09",
        "due_on": "2026-07-09",
        "state": "active",
    }
    at = datetime(2026, 7, 10, tzinfo=UTC)
    with smtp_server() as box:
        channel = EmailChannel(
            host=box.host, port=box.port, sender="certification@cb.example.cn", tls="none"
        )
        channel.send(Notification(42, 1, "recert_reminder", "email", payload, at, at))
    [mail] = box.received
    assert mail.recipients == ["service@minjiang.example.cn"]
    assert mail.message["Subject"] == (
        "证书到期及再认证提醒 / Certificate ASC-2024-000042 expires on 2027-01-09"
    )
    body = mail.text
    assert "闽江家电有限公司：" in body and "将于 2027-01-09 到期" in body
    assert "Dear 闽江家电有限公司," in body and "expires on 2027-01-09" in body
    assert mail.message["Message-ID"] == "<starcert-notification-42@cb.example.cn>"


def test_an_smtp_host_without_a_sender_is_refused_naming_the_section(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    with site.config.open("a", encoding="utf-8") as config:
        config.write('[email]\nsmtp_host = "127.0.0.1"\n')
    refused = site.cli("status", check=False)
    assert refused.returncode != 0
    assert "config.toml: email" in refused.stderr and "from_address" in refused.stderr
