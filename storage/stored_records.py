"""What both backends check before they store an account, a notification or a published rule
version, and the lookups both fail alike: bad input fails the same on SQL and in memory.

A name is never reused, even after its account is revoked: the event log records actors by name,
so one name must always mean one account. Published versions come in order: `check_follows`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from storage import checks
from storage.formats import plain_json, utc, utc_or_none
from workflows.errors import InvalidInput, NotFound
from workflows.ports import ROLES, Account, Notification, PublishedRules


class AccountNotFound(NotFound):
    pass


class RuleVersionNotFound(NotFound):
    pass


def checked_account(account: Account) -> Account:
    checks.new_row(account.id, "account")
    checks.text(account.name, "name")
    checks.text(account.created_by, "created_by")
    if account.created_by_os_user is not None:
        checks.text(account.created_by_os_user, "created_by_os_user")
    if account.role not in ROLES:
        raise InvalidInput("role", f"{account.role!r} is not one of {', '.join(ROLES)}")
    if len(account.token_hash) != 64:
        raise InvalidInput("token_hash", "expected a sha256 hex digest")
    return replace(
        account,
        created_at=utc(account.created_at, "created_at"),
        revoked_at=utc_or_none(account.revoked_at, "revoked_at"),
    )


def name_taken(name: str) -> InvalidInput:
    return InvalidInput("name", f"account name {name!r} is taken (names are never reused)")


def checked_notification(message: Notification) -> Notification:
    checks.new_row(message.id, "notification")
    checks.text(message.kind, "kind")
    checks.text(message.channel, "channel")
    return replace(
        message,
        payload=plain_json(message.payload, "payload"),
        created_at=utc(message.created_at, "created_at"),
        deliver_after=utc(message.deliver_after, "deliver_after"),
        claimed_until=utc_or_none(message.claimed_until, "claimed_until"),
        delivered_at=utc_or_none(message.delivered_at, "delivered_at"),
    )


def version_order(version: str) -> tuple[int, ...]:
    """ "1.10" after "1.9": whole numbers joined by dots, compared as numbers."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise InvalidInput("version", f"{version!r} is not whole numbers joined by dots") from None


def checked_published(published: PublishedRules) -> PublishedRules:
    checks.new_row(published.id, "rule version")
    checks.text(published.ruleset, "ruleset")
    checks.text(published.published_by, "published_by")
    checks.text(published.source_name, "source_name")
    version_order(published.version)
    digest = hashlib.sha256(published.content.encode("utf-8")).hexdigest()
    if digest != published.content_hash:
        raise InvalidInput("content_hash", "is not the sha256 of the content")
    if published.backdate_reason is not None:
        checks.text(published.backdate_reason, "backdate_reason")
    if published.published_by_os_user is not None:
        checks.text(published.published_by_os_user, "published_by_os_user")
    return replace(published, published_at=utc(published.published_at, "published_at"))


def check_follows(
    new: PublishedRules, latest: PublishedRules | None, same_version: PublishedRules | None
) -> None:
    """Refuse a version that exists or that does not come after the latest one stored."""
    if same_version is not None:
        raise InvalidInput(
            "version",
            f"{new.ruleset} {new.version} is already published (on "
            f"{same_version.published_at:%Y-%m-%d %H:%M} by {same_version.published_by}); "
            "a published version never changes: give the file a new version",
        )
    if latest is None:
        return
    if version_order(new.version) <= version_order(latest.version):
        raise InvalidInput(
            "version",
            f"{new.ruleset} {new.version} does not come after the latest published version "
            f"{latest.version}",
        )
    if new.effective_from <= latest.effective_from:
        raise InvalidInput(
            "effective_from",
            f"{new.ruleset} {new.version} would take effect on {new.effective_from}, not after "
            f"version {latest.version} ({latest.effective_from}): effective dates never go "
            "backwards",
        )
