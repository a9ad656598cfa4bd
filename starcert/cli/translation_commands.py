"""`starcert translations check|update`: the message catalogues against the code's texts
(starcert.i18n_catalogue; docs/translations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starcert.cli.command_kit import fail

translations_app = typer.Typer(
    help="The pages' message catalogues: what lacks a translation, and new texts merged in.",
    no_args_is_help=True,
)

Lang = Annotated[str, typer.Option("--lang", help="the catalogue's language: zh-CN")]
Domain = Annotated[
    str, typer.Option("--domain", help="messages (web pages) or documents (certificates)")
]


@translations_app.command("check")
def check(lang: Lang = "zh-CN", domain: Domain = "messages") -> None:
    """List each text of the code the catalogue does not translate; exit 1 if there is one."""
    from starcert.i18n_catalogue import missing

    try:
        lacking = missing(lang, domain)
    except (LookupError, OSError) as exc:
        raise fail(2, str(exc)) from None
    for message in lacking:
        typer.echo(f"untranslated: {message}")
    if lacking:
        raise fail(1, f"{len(lacking)} text(s) without a {lang} translation in {domain}")
    typer.echo(f"{domain} ({lang}): every text is translated")


@translations_app.command("update")
def update(
    lang: Lang = "zh-CN",
    domain: Domain = "messages",
    output: Annotated[
        Path | None,
        typer.Option("--output", help="write the result here instead of over the catalogue"),
    ] = None,
) -> None:
    """Add the code's new texts to the catalogue (untranslated, to fill in) and keep the ones
    no code uses any more as obsolete entries."""
    from starcert.i18n_catalogue import update as merge

    try:
        added, obsolete = merge(lang, domain, output)
    except (LookupError, OSError) as exc:
        raise fail(2, str(exc)) from None
    typer.echo(f"{added} new text(s) to translate, {obsolete} obsolete")
