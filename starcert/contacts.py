"""Setting an organisation's contact e-mail (CLI `org update`, API PATCH /api/organisations/ID).

Not a lifecycle command: no case changes state, so no event is written. The address is checked
(workflows.contact_email) before anything is; a refused one changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.contact_email import checked_contact_email
from workflows.model import Organisation

if TYPE_CHECKING:
    from starcert.app import App


def set_contact_email(application: App, organisation_id: int, email: str | None) -> Organisation:
    """Store `email` (None or empty: no contact) and return the organisation as written."""
    address = checked_contact_email(email)
    with application.uow() as uow:
        organisation = uow.organisations.set_contact_email(organisation_id, address)
        uow.commit()
    return organisation
