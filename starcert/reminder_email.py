"""The reminder e-mails a client receives, in Chinese and then English in one message.

Two reminders are e-mailed: when the surveillance window opens (the audit is due within the
window: `surveillance_window_months` before it in the rule file), and when the re-certification
window opens (`recert_reminder_months` before expiry). Written from the outbox message's payload,
so a retry sends the same text.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

_SUBJECTS = {
    "surveillance_window_opens": "监督审核提醒 / Surveillance audit due: {certificate}",
    "recert_reminder": "证书到期及再认证提醒 / Certificate {certificate} expires on {expires_on}",
}

_BODIES = {
    "surveillance_window_opens": (
        "{holder}：\n\n"
        "贵单位的售后服务认证证书（证书编号 {certificate}）的年度监督审核期已于 {due_on} 开始，"
        "监督审核须在 {surveillance_due_on} 前完成。逾期未完成监督审核的，证书将被暂停。"
        "请尽快与我们联系，安排监督审核。\n\n"
        "Dear {holder},\n\n"
        "The annual surveillance audit of your after-sales service certificate {certificate} "
        "became due on {due_on} and must be completed by {surveillance_due_on}. A certificate "
        "whose surveillance is overdue is suspended. Please contact us to schedule the audit.\n"
    ),
    "recert_reminder": (
        "{holder}：\n\n"
        "贵单位的售后服务认证证书（证书编号 {certificate}）将于 {expires_on} 到期。"
        "如需保持认证，请在到期前完成再认证审核和认证决定。请尽快与我们联系，安排再认证。\n\n"
        "Dear {holder},\n\n"
        "Your after-sales service certificate {certificate} expires on {expires_on}. To stay "
        "certified, the re-certification audit and decision must be completed before then. "
        "Please contact us to arrange the re-certification.\n"
    ),
}

_FOOTER = (
    "\n--\n"
    "此邮件由认证机构系统自动发送，参考编号 {reference}。\n"
    "Sent automatically by the certification body's system, reference {reference}.\n"
)

EMAILED = frozenset(_BODIES)


def reminder_email(
    kind: str, payload: Mapping[str, Any], *, sender: str, reference: str
) -> EmailMessage:
    """The message for one outbox e-mail. Its Message-ID is made of `reference` (the outbox
    idempotency key) and the sender's domain, the same on every attempt, so a receiving server
    or mail client can recognise a repeat."""
    if kind not in _BODIES:
        raise ValueError(f"no e-mail is written for a {kind} reminder")
    fields = {k: ("-" if v is None else v) for k, v in payload.items()}
    fields["reference"] = reference
    message = EmailMessage()
    message["Subject"] = _SUBJECTS[kind].format_map(fields)
    message["From"] = sender
    message["To"] = str(payload["to"])
    message["Message-ID"] = f"<{reference}@{sender.rpartition('@')[2] or 'starcert'}>"
    message["Content-Language"] = "zh-CN, en"
    message.set_content(_BODIES[kind].format_map(fields) + _FOOTER.format_map(fields))
    return message
