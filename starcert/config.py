"""Configuration: parsed once, at start-up, into a frozen typed object."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflows.errors import InvalidInput

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseConfig(_Section):
    url: str = ""


class PathsConfig(_Section):
    data_dir: Path = Path("var")
    rules_dir: Path = Path("rules")


class CertificatesConfig(_Section):
    number_prefix: str = Field(default="ASC", pattern=r"^[A-Z0-9]{1,8}$")
    new_number_on_recertification: bool = True
    time_zone: str = "Asia/Shanghai"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class DaemonConfig(_Section):
    tick_seconds: float = Field(default=30, gt=0)
    lease_seconds: float = Field(default=120, gt=0)
    batch_size: int = Field(default=200, gt=0)
    incident_backoff_seconds: float = Field(default=30, gt=0)  # doubles per failed attempt
    health_max_age_seconds: float | None = Field(default=None, gt=0)  # default 3 ticks + 60 s


class NotificationsConfig(_Section):
    webhook_url: str = ""  # empty: reminders stay in the outbox, undelivered
    webhook_secret: str = ""  # HMAC-SHA256 key the X-Starcert-Signature header is made with
    timeout_seconds: float = Field(default=10, gt=0)
    max_attempts: int = Field(default=8, gt=0)
    backoff_seconds: float = Field(default=30, gt=0)  # doubles per failed attempt
    poll_seconds: float = Field(default=5, gt=0)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"webhook_url must start with http:// or https://, got {value!r}")
        return value


class EmailConfig(_Section):
    """SMTP for reminders to each organisation's contact; retried like the webhook's."""

    smtp_host: str = ""  # empty: e-mails stay in the outbox, undelivered
    smtp_port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password: str = ""
    from_address: str = ""
    timeout_seconds: float = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _sender_named(self) -> EmailConfig:
        if self.smtp_host and "@" not in self.from_address:
            raise ValueError("from_address must be an e-mail address when smtp_host is set")
        return self


class ApiConfig(_Section):
    serve_with_daemon: bool = False  # `starcert serve` also answers HTTP (config.toml says yes)
    host: str = "127.0.0.1"
    port: int = Field(default=8427, ge=0, le=65535)
    # Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed; none
    # by default, so a client cannot name its own address (and escape the /verify limit).
    trusted_proxies: tuple[str, ...] = ()
    # Empty: the /verify buckets live in the database. redis://host:6379/0: in Redis instead, so
    # servers on several databases share them, and lookups write nothing to the database.
    redis_url: str = ""
    redis_key_prefix: str = "starcert:"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Each entry an address or a network, written as the standard library writes it."""
        written = []
        for item in value:
            try:
                net = ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
            written.append(str(net.network_address) if "/" not in item else str(net))
        return tuple(written)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"redis_url must start with redis://, rediss:// or unix://, got {value!r}"
            )
        return value


class ConsoleConfig(_Section):
    session_idle_minutes: float = Field(default=30, gt=0)  # unused this long: log in again
    session_max_hours: float = Field(default=12, gt=0)  # however busy: log in again after this


class WebConfig(_Section):
    """The pages' language when the visitor has chosen none (the public's browser may)."""

    language: Literal["zh-CN", "en"] = "zh-CN"


class RulesConfig(_Section):
    max_file_bytes: int = Field(default=1_000_000, gt=0)  # a larger rule file is refused


class AuditConfig(_Section):
    key_file: Path = Path("keys/checkpoint.key")  # Ed25519 private key; never in the database
    checkpoint_seconds: float = Field(default=86400, gt=0)  # the daemon signs one this often


AREAS = (
    "household_appliances",
    "consumer_electronics",
    "automobiles",
    "furniture",
    "building_materials",
    "e_commerce",
    "logistics",
    "catering",
)


class AuditorsConfig(_Section):
    """The body's own list of professional areas (it changes rarely, and no rule version or
    effective date governs it), and when a qualification counts as expiring."""

    areas: tuple[str, ...] = Field(default=AREAS, min_length=1)
    expiring_days: int = Field(default=90, ge=0, le=3650)
    require_assignment: bool = False  # refuse an audit recorded without an accepted team
    assignment_lead_days: int = Field(default=30, ge=0, le=3650)  # warn: due, and no team yet
    qualification_warning_days: int = Field(default=90, ge=0, le=3650)  # warn: it ends soon

    @field_validator("areas")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for area in value:
            if not area or not area.replace("_", "").isalnum() or not area.islower():
                raise ValueError(f"area {area!r} must be lower-case letters, digits and _")
        if len(set(value)) != len(value):
            raise ValueError("areas must not repeat")
        return value


LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
"""Raster logos only: an SVG may carry script, and the public pages serve the file as it is."""
_LOGO_MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/webp": b"RIFF",
}
LOGO_MAX_BYTES = 512 * 1024


class BodyConfig(_Section):
    """The certification body the public pages name (its CNCA approval and accreditation)."""

    name: str = Field(min_length=1, max_length=100)  # in Chinese, as on the CNCA approval
    name_en: str = Field(default="", max_length=200)
    cnca_approval: str = Field(default="", max_length=40)  # e.g. CNCA-R-2002-001
    accreditation: str = Field(default="", max_length=200)  # e.g. CNAS C001-S
    address: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=200)  # telephone, e-mail
    logo_file: Path | None = None
    # Where the public reaches /verify (printed as the QR code of each certificate document).
    public_url: str = Field(default="", max_length=200)

    @field_validator("name", "name_en", "accreditation", "address", "contact")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n\t"):
            raise ValueError("must be one line of text")
        return value.strip()

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("must name the body (it is blank)")
        return value

    @field_validator("cnca_approval")
    @classmethod
    def _approval(cls, value: str) -> str:
        if value and not re.fullmatch(r"CNCA-R[A-Z]?-\d{4}-\d{1,4}", value):
            raise ValueError(f"{value!r} is not a CNCA approval number (like CNCA-R-2002-001)")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value)):
            raise ValueError(
                f"{value!r} is not an http:// or https:// address without query or fragment "
                "(like https://cert.example.cn)"
            )
        return value

    @property
    def logo_type(self) -> str | None:
        return None if self.logo_file is None else LOGO_TYPES.get(self.logo_file.suffix.lower())


def _checked_logo(path: Path) -> None:
    """A logo the pages can serve as it is: an existing PNG, JPEG or WebP, not too large."""
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path} must be a .png, .jpg or .webp file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror}") from None
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"{path} is {len(data)} bytes; at most {LOGO_MAX_BYTES}")
    if not data.startswith(_LOGO_MAGIC[kind]):
        raise ValueError(
            f"{path} is not a {kind.split('/')[1].upper()} file (its first bytes say otherwise)"
        )


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    paths: PathsConfig = PathsConfig()
    certificates: CertificatesConfig = CertificatesConfig()
    daemon: DaemonConfig = DaemonConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    email: EmailConfig = EmailConfig()
    api: ApiConfig = ApiConfig()
    rules: RulesConfig = RulesConfig()
    audit: AuditConfig = AuditConfig()
    console: ConsoleConfig = ConsoleConfig()
    web: WebConfig = WebConfig()
    auditors: AuditorsConfig = AuditorsConfig()
    body: BodyConfig | None = None  # None: the public pages name no body
    source: Path | None = None
    clock_start: datetime | None = None  # $STARCERT_CLOCK_START: run as of then (rehearsals)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        db = (self.paths.data_dir / "starcert.db").resolve()
        return f"sqlite:///{db}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.certificates.time_zone)


def load_config(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read config.toml (or `path`, or $STARCERT_CONFIG) and the environment overrides.

    Relative paths in the file are resolved against the file's folder, so the daemon and the CLI
    find the same database whatever their working directory.
    """
    env = dict(os.environ) if env is None else env
    if path is None:
        path = Path(env["STARCERT_CONFIG"]) if env.get("STARCERT_CONFIG") else DEFAULT_CONFIG
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(str(path), f"not valid TOML: {exc}") from exc
    elif path != DEFAULT_CONFIG:
        raise InvalidInput("config", f"{path} does not exist")
    if env.get("STARCERT_DATABASE_URL"):
        raw.setdefault("database", {})["url"] = env["STARCERT_DATABASE_URL"]
    clock_start = _clock_start(env.get(CLOCK_START_VARIABLE))
    try:
        config = Config.model_validate({**raw, "source": path})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{path}: {where}", first["msg"]) from exc
    base = path.resolve().parent
    paths = PathsConfig(
        data_dir=_anchor(config.paths.data_dir, base),
        rules_dir=_anchor(config.paths.rules_dir, base),
    )
    audit = config.audit.model_copy(update={"key_file": _anchor(config.audit.key_file, base)})
    body = config.body
    if body is not None and body.logo_file is not None:
        logo = _anchor(body.logo_file, base)
        try:
            _checked_logo(logo)
        except ValueError as exc:
            raise InvalidInput(f"{path}: body.logo_file", str(exc)) from None
        body = body.model_copy(update={"logo_file": logo})
    return config.model_copy(
        update={"paths": paths, "audit": audit, "body": body, "clock_start": clock_start}
    )


CLOCK_START_VARIABLE = "STARCERT_CLOCK_START"
"""An ISO instant: every command (and the daemon) runs on a clock that reads it at start-up and
advances at real speed. For rehearsals, training databases and the dated walkthroughs of the
docs; never set on a production register."""


def _clock_start(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(CLOCK_START_VARIABLE, f"{text!r} is not an ISO instant") from None
    if moment.tzinfo is None:
        raise InvalidInput(CLOCK_START_VARIABLE, f"{text!r} has no time zone (add +08:00 or Z)")
    return moment


def _anchor(p: Path, base: Path) -> Path:
    return p if p.is_absolute() else base / p
