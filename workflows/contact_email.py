"""An organisation's contact e-mail: where reminders before the surveillance window and before
expiry are written. Checked for syntax only (email-validator, no DNS: the domain is pure)."""

from __future__ import annotations

from workflows.errors import InvalidInput
from workflows.why import why

MAX_LENGTH = 254  # RFC 5321's limit on a forward path


def checked_contact_email(value: str | None, field: str = "contact_email") -> str | None:
    """The address normalised (domain lower-cased, IDNA kept readable), or None for none/empty."""
    if value is None or not value.strip():
        return None
    from email_validator import EmailNotValidError, validate_email  # its tables: ~15 ms to load

    text = value.strip()
    if len(text) > MAX_LENGTH:
        raise InvalidInput(field, why("longer than {most} characters", most=MAX_LENGTH))
    try:
        found = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        said = why("{text!r} is not an e-mail address: {error}", text=text, error=str(exc))
        raise InvalidInput(field, said) from None
    return str(found.normalized)
