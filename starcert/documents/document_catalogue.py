"""The certificate's wording in Chinese and English: the `documents` message catalogues
(starcert/locale/<lang>/LC_MESSAGES/documents.po), read once per process with Babel.

A certificate prints both languages side by side, so a page asks both catalogues at once.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "documents"
LANGUAGES = ("zh_CN", "en")


@functools.cache
def translations(language: str) -> Translations:
    """The `documents` catalogue of `language` (one of LANGUAGES), compiled in memory."""
    if language not in LANGUAGES:
        raise ValueError(f"no {DOMAIN} catalogue for {language!r}; there are {LANGUAGES}")
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def wording(language: str, message: str) -> str:
    """`message` (the catalogue's msgid) in `language`."""
    return translations(language).gettext(message)
