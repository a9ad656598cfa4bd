"""Jinja2 templates of the console and public pages, autoescaped, in the request's language.

One environment per language, each with that language's catalogue installed (jinja2.ext.i18n,
new-style gettext: `_("... %(name)s", name=x)`), so concurrent requests in different languages
never share a translation. Times are shown in the body's time zone ([certificates] time_zone).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from starcert.i18n import LANGUAGES, translations
from starcert.web.language import current
from starcert.web.terms import audit_kind, term
from workflows.deadlines import due_day

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
"""Each language named in itself, as the switch shows it."""


def _due_day(moment: datetime, zone: ZoneInfo) -> str:
    """The day a deadline is due on in the body's zone (it fires when that day has passed)."""
    return due_day(moment, zone).isoformat()


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@cache
def environment(lang: str) -> Environment:
    """The templates with `lang`'s catalogue installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang, "messages"), newstyle=True)  # type: ignore[attr-defined]
    env.filters["due_day"] = _due_day
    env.filters["local"] = _local
    env.filters["term"] = term
    env.filters["audit_kind"] = audit_kind
    env.globals["lang"] = lang
    env.globals["language_names"] = LANGUAGE_NAMES
    env.globals["languages"] = LANGUAGES
    return env


def render(name: str, **context: Any) -> str:
    """Template `name` in the request's language, with its language switch."""
    chosen = current()
    return environment(chosen.lang).get_template(name).render(switch=chosen.switch, **context)


def page(
    name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=headers)
