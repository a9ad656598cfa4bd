"""Every text the pages show comes from the catalogue, and the Chinese catalogue translates all
of it; the language a visitor gets is the one they chose, else (public pages) their browser's,
else the body's."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir
from jinja2 import Environment

from starcert.config import DEFAULT_CONFIG, Config, load_config
from starcert.i18n import LANGUAGES, negotiate, translations
from starcert.i18n_catalogue import REASONS, extract, missing
from starcert.web.render import TEMPLATES
from starcert.web.terms import TERMS, term
from workflows.errors import InvalidInput

TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&\w+;|&#\d+;")
WORDS = re.compile(r"(?<![/\w])[^\W\d_]{2,}")  # a run of letters (not in a path): read by someone
SHOWN_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|alt|aria-label)="([^"{]*)"')
NOT_WORDS = {"starcert", "API", "ASC"}  # names and codes, the same in every language


def test_the_chinese_catalogue_translates_every_message_of_the_pages() -> None:
    used = [m.id for m in extract("messages") if m.id]
    assert len(used) > 150  # the extractor found the templates and the Python texts
    lacking = missing("zh-CN", "messages")
    assert not lacking, "messages without a Chinese translation (see docs/translations.md):\n" + (
        "\n".join(str(m) for m in lacking)
    )


REFUSALS = (
    "must not be empty",  # workflows.handlers.handler_kit.text, the console's own forms, incidents
    "contains the control character U+{code}",
    "must be {length} characters, got {got} ({text!r})",  # workflows.credit_code
    "check character should be {expected}, not {got} ({code})",
    "longer than {most} characters",  # workflows.contact_email
    "{value!r} is not one of {allowed}",  # transfer in
    "given, but no surveillance is counted",
    "cannot {what}: {finding} {state}",  # a finding's step
    "{given!r} {said}; an operator suspends for {allowed}",  # suspension
    "expected a date YYYY-MM-DD, got {value!r}",  # starcert.inputs.parse_date
    "deadline {id} is already done",  # starcert.incidents
    "{count!r} is not a count of 0 to 10",  # starcert.web.change_forms
    "choose major, minor or observation",  # starcert.web.console_findings
)
"""Some of the refusals of input that console forms can meet, from each module that makes them."""


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conversion in Formatter().parse(template) if name}


def test_every_reason_has_a_chinese_translation_that_says_each_of_its_values() -> None:
    reasons = {
        message
        for folder in REASONS.values()
        for _file, _line, message, *_ in extract_from_dir(
            str(folder), [("**.py", "python")], keywords={"why": None}
        )
    }
    assert set(REFUSALS) <= reasons  # found wherever they are made, in workflows or starcert
    chinese = translations("zh-CN", "messages")
    for template in sorted(reasons):
        said = chinese.gettext(template)
        assert said and said != template, f"{template!r} has no Chinese translation"
        assert _fields(said) == _fields(template), (template, said)


def test_every_word_for_a_code_is_in_the_catalogue() -> None:
    chinese = translations("zh-CN", "messages")
    for code, word in TERMS.items():
        assert chinese.gettext(word) != word, code
    assert [chinese.gettext(TERMS[s]) for s in ("five_star", "four_star", "three_star")] == [
        "五星级",
        "四星级",
        "三星级",
    ]
    assert chinese.gettext(TERMS["qualified"]) == "达标"
    assert term("no_such_code") == "no_such_code"  # shown as it is rather than hidden


def _shown_words(source: str) -> list[str]:
    """Words of a template shown to a reader but written outside `_()`: its literal text between
    tags, and the shown attributes (placeholder, title, alt, aria-label) of its tags. Every
    Jinja construct counts as a blank (what it prints is checked where it is made)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    literal = "".join(value if kind == "data" else " " for _line, kind, value in env.lex(source))
    found = []
    for attribute in SHOWN_ATTRIBUTES.findall(literal):
        found += WORDS.findall(attribute)
    found += WORDS.findall(ENTITY.sub(" ", TAG.sub(" ", literal)))
    return [w for w in found if w not in NOT_WORDS]


@pytest.mark.parametrize("name", sorted(p.name for p in Path(TEMPLATES).glob("*.html")))
def test_no_template_shows_text_outside_the_catalogue(name: str) -> None:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert _shown_words(source) == [], (
        f"{name} shows words that are not wrapped in _() and so have no translation"
    )


def test_the_check_catches_a_bare_word() -> None:
    source = (
        '<p class="x">{{ _("Fine") }} Forgotten <input value="{{ v }}" '
        'placeholder="also forgotten"> {{ x }} {% if y %}Lost{% endif %}</p>'
    )
    assert _shown_words(source) == ["also", "forgotten", "Forgotten", "Lost"]


@pytest.mark.parametrize(
    ("accept", "chosen", "default", "expected"),
    [
        (None, None, "zh-CN", "zh-CN"),  # nothing said: the body's language
        (None, None, "en", "en"),
        ("en-US,en;q=0.9", None, "zh-CN", "en"),
        ("fr-FR,de;q=0.8", None, "zh-CN", "zh-CN"),  # none spoken here: the body's
        ("fr-FR,zh;q=0.5,en;q=0.7", None, "zh-CN", "en"),  # by weight, not by order
        ("zh-TW;q=0.9, en;q=0", None, "en", "zh-CN"),  # q=0 means not English
        ("en;q=bogus,zh-Hans-CN", None, "en", "zh-CN"),  # a malformed weight counts for nothing
        ("en", "zh-CN", "en", "zh-CN"),  # the visitor's own choice first
        ("en", "ZH-cn", "en", "zh-CN"),
        ("zh-CN", "klingon", "zh-CN", "zh-CN"),  # a choice not spoken here is ignored
    ],
)
def test_negotiation(accept: str | None, chosen: str | None, default: str, expected: str) -> None:
    assert negotiate(accept, chosen, default) == expected


def test_an_unknown_language_or_catalogue_is_an_error() -> None:
    assert LANGUAGES == ("zh-CN", "en")
    with pytest.raises(LookupError, match="klingon"):
        translations("klingon", "messages")
    with pytest.raises(FileNotFoundError):
        translations("zh-CN", "no_such_domain")
    assert translations("en", "messages").gettext("Four-star") == "Four-star"


def test_the_shipped_config_speaks_chinese_and_refuses_a_language_it_lacks(
    tmp_path: Path,
) -> None:
    assert load_config(DEFAULT_CONFIG, env={}).web.language == "zh-CN"
    assert Config().web.language == "zh-CN"  # and so does a config file without [web]
    bad = tmp_path / "config.toml"
    bad.write_text('[web]\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_config(bad, env={})
    assert refused.value.field == f"{bad}: web.language" and "zh-CN" in refused.value.message
