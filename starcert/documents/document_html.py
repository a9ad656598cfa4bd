"""The certificate as one self-contained HTML page: its stylesheet (A4, for print), the body's
logo and the QR code are inline, so a saved file shows and prints the same anywhere.

The page is served under a content policy admitting exactly its own stylesheet (`style_policy`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from starcert.config import BodyConfig
from starcert.documents.document_catalogue import wording
from starcert.documents.document_versions import SCHEME, DocumentVersion
from workflows.errors import StarcertError
from workflows.model import StarLevel

TEMPLATES = Path(__file__).resolve().parent / "templates"

LEVELS = {
    StarLevel.FIVE: ("Five star", "★★★★★"),
    StarLevel.FOUR: ("Four star", "★★★★"),
    StarLevel.THREE: ("Three star", "★★★"),
    StarLevel.QUALIFIED: ("Qualified", ""),
}
"""Each star level by the catalogue's message for it, and its stars."""

Bounds = tuple[Decimal, Decimal | None]
"""A band's inclusive lower and exclusive upper score (None: open above), from its rule version."""


class DocumentsNotConfigured(StarcertError):
    """The config lacks what every certificate prints: the body ([body]) and its public address."""


@dataclass(frozen=True)
class CertificatePage:
    html: str
    style_policy: str  # the Content-Security-Policy the page is served under


def verify_url(public_url: str, version: DocumentVersion) -> str:
    """The public verification of this version: its number and its content hash."""
    query = urlencode({"number": version.number, "hash": version.content_hash})
    return f"{public_url}/verify?{query}"


def required_body(body: BodyConfig | None) -> BodyConfig:
    if body is None:
        raise DocumentsNotConfigured(
            "certificate documents name the certification body: set [body] name in config.toml"
        )
    if not body.public_url:
        raise DocumentsNotConfigured(
            "certificate documents carry a QR code to the public verification: set [body] "
            "public_url in config.toml (e.g. https://cert.example.cn)"
        )
    return body


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


@functools.cache
def _style() -> str:
    return (TEMPLATES / "certificate.css").read_text(encoding="utf-8")


def _days(day: date) -> tuple[str, str]:
    return format_date(day, "long", locale="zh_CN"), format_date(day, "d MMMM y", locale="en")


def _band(bounds: Bounds | None, language: str) -> str | None:
    if bounds is None:
        return None
    lower, upper = (None if b is None else f"{b.normalize():f}" for b in bounds)
    if upper is None:
        return wording(language, "Score of at least %(lower)s") % {"lower": lower}
    message = "Score of at least %(lower)s and below %(upper)s"
    return wording(language, message) % {"lower": lower, "upper": upper}


def _qr(url: str) -> str:
    import segno

    code = segno.make(url, error="m", micro=False)
    return str(code.svg_data_uri(scale=4, border=2))


def _logo(body: BodyConfig) -> str | None:
    if body.logo_file is None or body.logo_type is None:
        return None
    data = base64.b64encode(body.logo_file.read_bytes()).decode("ascii")
    return f"data:{body.logo_type};base64,{data}"


def certificate_page(
    version: DocumentVersion, body: BodyConfig | None, bounds: Bounds | None
) -> CertificatePage:
    """Version `version` of a certificate as issued by `body`, its band worded by `bounds`."""
    body = required_body(body)
    c = version.content
    message, stars = LEVELS.get(c.star_level, ("", "")) if c.star_level else ("", "")
    style = _style()
    url = verify_url(body.public_url, version)
    html = (
        _environment()
        .get_template("certificate.html")
        .render(
            c=c,
            content_hash=version.content_hash,
            body=body,
            logo=_logo(body),
            qr=_qr(url),
            verify_url=url,
            style=Markup(style),
            stars=stars,
            level_zh=wording("zh_CN", message) if message else "—",
            level_en=wording("en", message) if message else "—",
            band_zh=_band(bounds, "zh_CN"),
            band_en=_band(bounds, "en"),
            dates={
                "issued_on": _days(c.issued_on),
                "expires_on": _days(c.expires_on),
                "effective_on": _days(c.effective_on),
            },
            scheme=SCHEME,
            zh=functools.partial(wording, "zh_CN"),
            en=functools.partial(wording, "en"),
        )
    )
    return CertificatePage(html, page_policy())


@functools.cache
def page_policy() -> str:
    """The Content-Security-Policy a certificate page is served under: its own inline
    stylesheet (by hash) and inline images, nothing else."""
    digest = base64.b64encode(hashlib.sha256(_style().encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
