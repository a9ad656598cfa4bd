"""Whether a form post came from one of our own pages: its Origin (or, when a browser sent none,
its Referer) names this server's own scheme, host and port.

Another site can make a visitor's browser post to us, but cannot make it claim our origin; so a
post that names another origin, or none, is refused. Behind a proxy, our origin is the one the
visitor sees: the proxy passes the Host header on and says https in X-Forwarded-Proto.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def from_own_page(request: Request) -> bool:
    own = _origin(str(request.base_url))
    claimed = request.headers.get("origin") or request.headers.get("referer")
    return own is not None and claimed is not None and _origin(claimed) == own
