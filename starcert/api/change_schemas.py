"""Request and response bodies of certificate changes (starcert.api.routes_changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictInt

from starcert.api.schemas import Day, Reason, Text, Version, _In, _Out
from workflows.model import StarLevel

Credit = Annotated[str, Field(min_length=1, max_length=64)]


class ScopeIn(_In):
    scope: Text
    expected_version: Version = None


class ReducedScopeIn(_In):
    scope: Text
    reason: Reason
    expected_version: Version = None


class HolderIn(_In):
    holder: Text = Field(description="the holder's new name (or its name as it stands)")
    credit_code: Credit = Field(description="the holder's credit code: it must not change")
    address: Text | None = Field(default=None, description="the holder's new address")
    expected_version: Version = None


class TransferIn(_In):
    previous_body: Text
    previous_number: Text
    previous_status: Text = Field(
        default="active", description="at the previous body; only an active certificate transfers"
    )
    decided_on: Day = Field(description="the certification decision of the cycle transferred")
    expires_on: Day = Field(description="its expiry, which stays")
    star_level: StarLevel
    surveillances: Annotated[StrictInt, Field(ge=0, le=10)] = Field(
        default=0, description="surveillances done in that cycle"
    )
    last_surveillance_on: Day | None = None
    expected_version: Version = None


class VersionOut(_Out):
    number: str = Field(description="the certificate number as this version showed it")
    amendment: int
    seq: int = Field(description="the event on the case's trail that made this version")
    at: datetime
    trigger: str
    changed: str
