"""The schema: one SQLModel table class per stored thing, with explicit names and indexes.

Instants use UtcDateTime (aware UTC in and out, on SQLite too). Enumerations are stored as their
text values; decimals as exact text; the score sheet as a JSON document with a `format` number.
Alembic migrations (storage/migrations) create exactly this; a test compares the two. The
partial indexes name their condition for SQLite only: naming it for PostgreSQL would import that
dialect (and its drivers) into every SQLite command; the migrations create them partial on both.
Long because the whole schema is kept in one place, one class per table, to be read together.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that refuses naive values and always returns aware UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; pass aware UTC")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time, read back below as UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SQLITE_INSTANT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
"""SQLAlchemy's SQLite DATETIME text: fixed width, so text order is time order in SQL."""


def utc_to_sqlite(value: datetime | None) -> str | None:
    """UtcDateTime's bind on SQLite in one step: the text SQLAlchemy would store."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; pass aware UTC")
    v = value.astimezone(UTC)
    return SQLITE_INSTANT % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)


def utc_from_sqlite(text: str | None) -> datetime | None:
    """UtcDateTime's result on SQLite in one step: aware UTC."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Row(SQLModel):
    """A table's row class. Pydantic builds its validator on first use, not on import: rows are
    made from columns, not validated, and a CLI command would otherwise pay for every table."""

    model_config = {"from_attributes": True, "defer_build": True}  # SQLModel's, deferred


OPEN_DEADLINE = sa.text("done_at IS NULL")
LEASED_OPEN_DEADLINE = sa.text("done_at IS NULL AND claimed_until IS NOT NULL")


class OrganisationRow(Row, table=True):
    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("credit_code", name="uq_organisations_credit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    credit_code: str  # GB 32100 unified social credit code, validated before it gets here
    contact_email: str | None = None  # reminders are e-mailed here


class ApplicationRow(Row, table=True):
    __tablename__ = "applications"
    __table_args__ = (sa.Index("ix_applications_organisation", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id")
    submitted_on: date
    service_system_since: date
    scope: str
    has_service_documents: bool
    has_dedicated_manager: bool
    has_dedicated_funds: bool
    last_major_failure: date | None = None
    has_trained_staff: bool
    is_prc_legal_entity: bool
    area: str | None = None  # None on applications made before revision 0012
    personnel: int | None = None
    sites: int | None = None


class CaseRow(Row, table=True):
    """A case and, once issued, its certificate; `version` is the optimistic lock."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_cases_number"),
        sa.Index("ix_cases_state", "state"),
        sa.Index("ix_cases_star_level", "star_level"),
        sa.Index("ix_cases_organisation", "organisation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id")
    application_id: int = Field(foreign_key="applications.id")
    state: str
    holder: str
    scope: str
    number: str | None = None
    star_level: str | None = None
    final_score: str | None = None  # exact Decimal text
    decided_on: date | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    last_surveillance_on: date | None = None
    suspended_on: date | None = None
    suspension_cause: str | None = None
    rule_version: str | None = None
    version: int = 0
    surveillances: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    amendments: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The newest event's seq and hash, moved by a trigger on events (migration 0002).
    head_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    head_hash: str = Field(default="", sa_column_kwargs={"server_default": ""})


class AuditRow(Row, table=True):
    __tablename__ = "audits"
    __table_args__ = (sa.Index("ix_audits_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    kind: str
    audit_date: date
    auditor: str
    sheet: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)  # formats.SHEET_FORMAT


class DeadlineRow(Row, table=True):
    """A due time of a case; open while done_at is NULL, leased while claimed_until is ahead."""

    __tablename__ = "deadlines"
    __table_args__ = (
        # Serves "open and due, in due order" without touching done rows (claim_due, due).
        sa.Index(
            "ix_deadlines_open_due",
            "due_at",
            "id",
            sqlite_where=OPEN_DEADLINE,
        ),
        # The few leased open rows, for next_due_at.
        sa.Index(
            "ix_deadlines_open_leased",
            "claimed_until",
            sqlite_where=LEASED_OPEN_DEADLINE,
        ),
        sa.Index("ix_deadlines_case", "case_id"),
        # A case's open rows in due order: its open deadlines, and whether an earlier open row
        # holds a later one back (next_due_at), each a range of this index.
        sa.Index(
            "ix_deadlines_open_case",
            "case_id",
            "due_at",
            "id",
            sqlite_where=OPEN_DEADLINE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    kind: str
    due_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    attempts: int = 0
    last_error: str | None = None


class EventRow(Row, table=True):
    """One audit-trail entry; the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    seq: int
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    actor: str
    trigger: str
    from_state: str | None = None
    to_state: str
    reason: str | None = None
    rule_version: str | None = None
    rule_hash: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    prev_hash: str
    hash: str


class RuleVersionRow(Row, table=True):
    """A published rule set version: immutable; the database copy is the truth, not the file."""

    __tablename__ = "rule_versions"
    __table_args__ = (
        sa.UniqueConstraint("ruleset", "version", name="uq_rule_versions_ruleset_version"),
        sa.Index("ix_rule_versions_effective", "ruleset", "effective_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ruleset: str
    version: str
    content_hash: str  # sha256 of `content`
    content: str  # the rule file exactly as published
    source_name: str  # the file it was published from
    effective_from: date
    published_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    published_by: str
    backdate_reason: str | None = None  # set when published with an effective date in the past
    published_by_os_user: str | None = None  # the host account behind a CLI publication


class NotificationRow(Row, table=True):
    """Outbox: a message to deliver once (reminders), written in the transaction that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index(
            "ix_notifications_pending",
            "deliver_after",
            "id",
            sqlite_where=sa.text("delivered_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    kind: str
    channel: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    deliver_after: datetime = Field(sa_type=UtcDateTime, nullable=False)
    attempts: int = 0
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)


class AccountRow(Row, table=True):
    """An API account: a role and a token stored only as its hash."""

    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("name", name="uq_accounts_name"),
        sa.UniqueConstraint("token_hash", name="uq_accounts_token_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str  # operator, auditor, rule_author, viewer, admin
    token_hash: str
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    created_by: str
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    revoked_by: str | None = None
    created_by_os_user: str | None = None  # the host account behind a CLI `users add`
    revoked_by_os_user: str | None = None


class DaemonStatusRow(Row, table=True):
    """One row per daemon worker: its heartbeat, for `starcert status` and `starcert health`."""

    __tablename__ = "daemon_status"

    worker: str = Field(primary_key=True)
    pid: int
    host: str
    state: str  # starting, running, firing (mid-tick), stopped
    started_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    beat_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    last_tick_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    clock_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)
    fired_total: int = 0
    failed_total: int = 0
    last_error: str | None = None


class CheckpointKeyRow(Row, table=True):
    """A checkpoint signing key's public half, kept as long as any checkpoint it signed."""

    __tablename__ = "checkpoint_keys"

    key_id: str = Field(primary_key=True)  # first 16 hex of SHA-256 of the raw public key
    public_key: str  # raw Ed25519 public key, hex
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


class CheckpointRow(Row, table=True):
    """A signed checkpoint: the Merkle root over every chain head, and the heads themselves."""

    __tablename__ = "checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(foreign_key="checkpoint_keys.key_id")
    tree_size: int
    root: str
    signed_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    signature: str
    heads: list[Any] = Field(
        default_factory=list, sa_type=sa.JSON, nullable=False
    )  # [[id, seq, hash]]


class ConsoleSessionRow(Row, table=True):
    """A console log-in: the sha256 of the cookie's random id, whose it is, and when it ends."""

    __tablename__ = "console_sessions"
    __table_args__ = (sa.Index("ix_console_sessions_account", "account_id"),)

    id_hash: str = Field(primary_key=True)
    account_id: int = Field(foreign_key="accounts.id")
    token_hash: str  # the token logged in with: revoking it (or the account) ends the session
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    idle_until: datetime = Field(sa_type=UtcDateTime, nullable=False)  # moved on each use
    expires_at: datetime = Field(sa_type=UtcDateTime, nullable=False)  # absolute end
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime, nullable=True)


class RateLimitBucketRow(Row, table=True):
    """A client's token bucket (e.g. `verify:203.0.113.9`), shared by every server process."""

    __tablename__ = "rate_limit_buckets"

    key: str = Field(primary_key=True)
    tokens: float  # left after the last take
    at: float  # when they were counted, in seconds since the epoch (the App's clock)
    granted: bool  # whether the last take got a token (read back from the one upsert)


class AuditorRow(Row, table=True):
    """An auditor and their qualification; `version` is the optimistic lock of every update."""

    __tablename__ = "auditors"
    __table_args__ = (
        sa.UniqueConstraint("registration", name="uq_auditors_registration"),
        sa.Index("ix_auditors_valid_until", "valid_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    registration: str  # the qualification's registration number
    grade: str  # workflows.auditors.Grade
    registered_on: date
    valid_until: date
    version: int = 0


class AuditorAreaRow(Row, table=True):
    """A professional area (from the body's list in config) an auditor is qualified in."""

    __tablename__ = "auditor_areas"
    __table_args__ = (sa.Index("ix_auditor_areas_area", "area"),)

    auditor_id: int = Field(foreign_key="auditors.id", primary_key=True)
    area: str = Field(primary_key=True)


class AuditorLanguageRow(Row, table=True):
    __tablename__ = "auditor_languages"

    auditor_id: int = Field(foreign_key="auditors.id", primary_key=True)
    language: str = Field(primary_key=True)


class AuditorUnavailabilityRow(Row, table=True):
    """Days an auditor cannot audit, both ends included."""

    __tablename__ = "auditor_unavailability"
    __table_args__ = (sa.Index("ix_auditor_unavailability_auditor", "auditor_id", "starts_on"),)

    id: int | None = Field(default=None, primary_key=True)
    auditor_id: int = Field(foreign_key="auditors.id")
    starts_on: date
    ends_on: date


class AuditorRelationRow(Row, table=True):
    """A declared relation with a client (consultancy or employment); ends_on NULL while it lasts."""

    __tablename__ = "auditor_relations"
    __table_args__ = (
        sa.Index("ix_auditor_relations_auditor", "auditor_id"),
        sa.Index("ix_auditor_relations_organisation", "organisation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    auditor_id: int = Field(foreign_key="auditors.id")
    organisation_id: int = Field(foreign_key="organisations.id")
    kind: str  # workflows.auditors.RelationKind
    starts_on: date
    ends_on: date | None = None


class AuditorChangeRow(Row, table=True):
    """An auditor's history: who changed what and when, appended with every change."""

    __tablename__ = "auditor_changes"
    __table_args__ = (sa.Index("ix_auditor_changes_auditor", "auditor_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    auditor_id: int = Field(foreign_key="auditors.id")
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    by: str
    action: str  # added or updated
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


class AuditAssignmentRow(Row, table=True):
    """The team accepted for one audit of a case; a replaced one keeps its row, `replaced_by`
    naming the assignment that replaced it (workflows.assignments)."""

    __tablename__ = "audit_assignments"
    __table_args__ = (
        sa.Index("ix_audit_assignments_case", "case_id", "kind"),
        sa.Index("ix_audit_assignments_current", "replaced_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    kind: str  # workflows.model.AuditKind
    starts_on: date
    ends_on: date
    leader_id: int = Field(foreign_key="auditors.id")
    member_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    accepted_by: str
    accepted_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    rules_version: str
    replaces: int | None = Field(default=None, foreign_key="audit_assignments.id")
    replaced_by: int | None = Field(default=None, foreign_key="audit_assignments.id")


class PlanningWarningRow(Row, table=True):
    """A warning the daemon sent (workflows.planning_warnings): its key makes it sent once."""

    __tablename__ = "planning_warnings"

    key: str = Field(primary_key=True)
    text: str
    warned_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


metadata = SQLModel.metadata


class FindingRow(Row, table=True):
    """An audit finding as it now stands (workflows.findings); its steps are on the case trail."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "number", name="uq_findings_case_number"),
        sa.Index("ix_findings_case", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    number: int
    audit_id: int = Field(foreign_key="audits.id")
    audit_date: date
    severity: str  # workflows.findings.Severity
    indicator: str
    evidence: str
    recorded_by: str
    recorded_on: date
    due_on: date | None = None
    status: str  # workflows.findings.FindingStatus
    cause: str | None = None
    correction: str | None = None
    corrective_action: str | None = None
    responded_on: date | None = None
    responded_by: str | None = None
    rejected_reason: str | None = None
    rejected_on: date | None = None
    rejected_by: str | None = None
    closed_on: date | None = None
    closed_by: str | None = None
