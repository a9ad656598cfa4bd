"""Keeping the catalogues in step with the code: which messages the sources use, which of them a
language's catalogue lacks, and the catalogue updated with new messages.

The sources of each domain are scanned with Babel's extractors (Python: `_`, `gettext`,
`ngettext`, `N_` ...; Jinja templates: jinja2.ext.i18n's `_()` and `{% trans %}`), as
`pybabel extract` does. `starcert translations check|update` runs these (docs/translations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from starcert.i18n import LANGUAGES, SOURCE_LANGUAGE, catalogue_path, locale_id

PACKAGE = Path(__file__).resolve().parent

SOURCES: dict[str, list[tuple[str, str]]] = {
    "messages": [("web/**.py", "python"), ("web/templates/**.html", "jinja2")],
    "documents": [("documents/**.py", "python"), ("documents/templates/**.html", "jinja2")],
}
"""Per domain, the package's files whose texts it holds, and how each is read."""
REASONS = {"../workflows": PACKAGE.parent / "workflows", "": PACKAGE}
"""Where the reasons (`why(...)`, workflows.why) pages show are made: the domain's, and the
refusals of this package's own input checks; they go in the `messages` domain."""
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


@dataclass(frozen=True)
class Missing:
    """A message the sources use that the catalogue does not translate, and where it is used."""

    msgid: str
    places: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.msgid!r} (used at {', '.join(self.places)})"


def extract(domain: str = "messages") -> Catalog:
    """Every message the domain's sources use, with where each is used (package-relative)."""
    if domain not in SOURCES:
        raise LookupError(f"no domain {domain!r}; domains: {', '.join(SOURCES)}")
    method_map = SOURCES[domain]
    options = {pattern: JINJA_OPTIONS for pattern, method in method_map if method == "jinja2"}
    catalog = Catalog(domain=domain, project="starcert", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, options, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    if domain == "messages":
        for prefix, folder in REASONS.items():
            for filename, lineno, message, comments, context in extract_from_dir(
                str(folder), [("**.py", "python")], keywords={"why": None},
                strip_comment_tags=True,
            ):  # fmt: skip
                place = (f"{prefix}/{filename}" if prefix else filename, lineno)
                catalog.add(message, None, [place], auto_comments=comments, context=context)
    return catalog


def read(lang: str, domain: str = "messages") -> Catalog:
    """`lang`'s catalogue of `domain` as it is in the repository."""
    if lang not in LANGUAGES or lang == SOURCE_LANGUAGE:
        others = [x for x in LANGUAGES if x != SOURCE_LANGUAGE]
        raise LookupError(f"no catalogue for {lang!r}; catalogues: {', '.join(others)}")
    with catalogue_path(lang, domain).open("rb") as handle:
        return read_po(handle, locale=locale_id(lang), domain=domain)


def missing(lang: str, domain: str = "messages") -> list[Missing]:
    """The messages of the domain's sources that `lang`'s catalogue lacks, leaves empty (in any
    plural form) or marks fuzzy, in the order the sources use them."""
    if lang == SOURCE_LANGUAGE:
        return []
    have = read(lang, domain)
    found = []
    for message in extract(domain):
        if not message.id:
            continue
        known = have.get(message.id, message.context)
        strings = () if known is None else known.string
        texts = strings if isinstance(strings, tuple) else (strings,)
        if known is None or known.fuzzy or not texts or not all(texts):
            places = tuple(f"{Path(f).as_posix()}:{n}" for f, n in message.locations)
            key = message.id if isinstance(message.id, str) else message.id[0]
            found.append(Missing(key, places))
    return found


def update(lang: str, domain: str = "messages", output: Path | None = None) -> tuple[int, int]:
    """`lang`'s catalogue with the sources' new messages added (untranslated) and the ones no
    source uses any more kept as obsolete, written to `output` (default: the catalogue itself).
    Returns (messages added, messages made obsolete)."""
    template = extract(domain)
    catalog = read(lang, domain)
    before = {m.id for m in catalog if m.id}
    catalog.update(template, no_fuzzy_matching=True)
    added = sum(1 for m in catalog if m.id and m.id not in before)
    target = output or catalogue_path(lang, domain)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=100, include_lineno=False)
    return added, len(catalog.obsolete)
