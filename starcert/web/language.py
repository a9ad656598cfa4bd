"""The language of the page being answered, chosen once per request.

`PageLanguage` (ASGI middleware) picks it with starcert.i18n.negotiate: a `?lang=` in the
address (which the language switch on every page links to, and which is kept in a cookie for the
next pages), else that cookie, else, on the public pages only, the browser's Accept-Language,
else the body's configured language ([web] language). The console follows the body's choice
rather than the browser's: its staff share one working language unless they switch.
The choice lives in a context variable for the request, so pages and the texts Python builds for
them (`gettext`) need no request passed around. The JSON API is not translated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from babel.support import NullTranslations
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starcert.i18n import DEFAULT_LANGUAGE, LANGUAGES, negotiate, translations

COOKIE = "starcert_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
CONSOLE_PREFIX = "/console"
UNTRANSLATED_PREFIXES = (
    "/api",
    "/public/",
    "/verify/",
    "/checkpoints",
    "/health",
    "/metrics",
    "/static",
    "/body/",
    "/docs",
    "/redoc",
    "/openapi.json",
)
"""Not pages: answered in English (machine-readable codes) whatever the visitor chose."""


@dataclass(frozen=True)
class Chosen:
    """The request's language and, per language, the address the switch links to."""

    lang: str
    switch: dict[str, str]

    @property
    def translations(self) -> NullTranslations:
        return translations(self.lang, "messages")


_current: ContextVar[Chosen | None] = ContextVar("starcert_page_language", default=None)


def current() -> Chosen:
    """The language of the request being answered (the default outside one)."""
    found = _current.get()
    return found if found is not None else Chosen(DEFAULT_LANGUAGE, {})


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Texts made in this block are in `lang` (outside a request: documents, tests)."""
    token = _current.set(Chosen(lang, {}))
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """`message` in the request's language."""
    return current().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().translations.ngettext(singular, plural, n)


def N_(message: str) -> str:  # the name pybabel looks for
    """Marks `message` for the catalogue where it is defined; translated where it is shown."""
    return message


def _switch(scope: Scope, query: list[tuple[str, str]]) -> dict[str, str]:
    """Per language, this page in it: the same address with lang= set. A page answering a form
    post cannot be fetched again, so its switch leads to the start of its part of the site."""
    path: str = scope["path"]
    if scope["method"] not in ("GET", "HEAD"):
        path = CONSOLE_PREFIX if path.startswith(CONSOLE_PREFIX) else "/"
        query = []
    kept = [(k, v) for k, v in query if k != "lang"]
    return {lang: f"{path}?{urlencode([*kept, ('lang', lang)])}" for lang in LANGUAGES}


class PageLanguage:
    """ASGI middleware: chooses each request's language, and keeps a `?lang=` choice in a
    cookie (its answer also says it varies with the cookie and Accept-Language)."""

    def __init__(self, app: ASGIApp, default: Callable[[], str]) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(UNTRANSLATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        asked = next((v for k, v in reversed(query) if k == "lang"), None)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header: as if none
            cookie = SimpleCookie()
        kept = cookie[COOKIE].value if COOKIE in cookie else None
        public = not path.startswith(CONSOLE_PREFIX)
        lang = negotiate(
            headers.get("accept-language") if public else None, asked or kept, self.default()
        )
        remember = asked is not None and lang == negotiate(None, asked, "") and lang != kept

        async def with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                if remember:
                    out.append(
                        "Set-Cookie",
                        f"{COOKIE}={lang}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax",
                    )
                out.append("Vary", "Accept-Language, Cookie")
                out.setdefault("Content-Language", lang)
            await send(message)

        token = _current.set(Chosen(lang, _switch(scope, query)))
        try:
            await self.app(scope, receive, with_language)
        finally:
            _current.reset(token)
