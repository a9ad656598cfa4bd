"""Message catalogues: which languages starcert speaks, their translations, and which one a
request gets.

Catalogues are gettext .po files kept in the repository
(starcert/locale/<locale>/LC_MESSAGES/<domain>.po) and read as they are at run time, so changing
a translation needs no build step. The message ids are English: English needs no catalogue.
Each domain is one family of texts: `messages` for the web pages, `documents` for certificate
documents. docs/translations.md says how to add or change a translation.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh-CN", "en")
"""The languages pages are offered in, as HTML and Accept-Language name them."""
SOURCE_LANGUAGE = "en"  # the message ids themselves
DEFAULT_LANGUAGE = "zh-CN"


def available() -> tuple[str, ...]:
    return LANGUAGES


def locale_id(lang: str) -> str:
    """The gettext/Babel name of a language tag: zh-CN -> zh_CN (the catalogue's folder)."""
    return lang.replace("-", "_")


def catalogue_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / locale_id(lang) / "LC_MESSAGES" / f"{domain}.po"


@cache
def translations(lang: str, domain: str = "messages") -> NullTranslations:
    """The translations of `domain` into `lang` (one of LANGUAGES), read once per process.

    English, the language of the message ids, is the ids themselves. A missing catalogue for
    another language is an error, not a silent fallback to English.
    """
    if lang not in LANGUAGES:
        raise LookupError(f"no language {lang!r}; starcert speaks {', '.join(LANGUAGES)}")
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalogue_path(lang, domain)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale_id(lang), domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # in memory: no compiled file is kept or shipped
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def _known(tag: str) -> str | None:
    """`tag` as one of LANGUAGES, matching case-insensitively and by primary language
    (zh, zh-Hans, zh-SG all read Simplified Chinese; en-GB reads English)."""
    tag = tag.strip().lower().replace("_", "-")
    for lang in LANGUAGES:
        if tag == lang.lower():
            return lang
    primary = tag.split("-")[0]
    for lang in LANGUAGES:
        if primary and primary == lang.lower().split("-")[0]:
            return lang
    return None


def _accepted(header: str) -> Iterable[str]:
    """Accept-Language's tags, most wanted first (q=0 excluded; malformed weights ignored)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(
    accept_language: str | None, chosen: str | None, default: str = DEFAULT_LANGUAGE
) -> str:
    """The language to answer in: the visitor's own choice (a ?lang= or its cookie) if starcert
    speaks it, else the first Accept-Language starcert speaks (pass None where that header is
    not to be honoured), else `default`."""
    if chosen:
        picked = _known(chosen)
        if picked is not None:
            return picked
    for tag in _accepted((accept_language or "")[:500]):
        picked = _known(tag)
        if picked is not None:
            return picked
    return default
