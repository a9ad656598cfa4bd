"""Whether Chinese text was drawn with glyphs, asked of the browser over the DevTools protocol:
which installed fonts rendered an element's text, and how many glyphs each drew."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

CJK = range(0x2E80, 0xA000)


def need_cjk_font() -> None:
    """Skip, saying why, where no CJK font is installed; under CI=true that is a failure."""
    listed = ""
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout
    if listed.strip():
        return
    reason = "no CJK font is installed (apt-get install -y fonts-noto-cjk)"
    if os.environ.get("CI"):
        pytest.fail(f"CI=true but {reason}: the glyph checks must run")
    print(f"glyph checks skipped: {reason}")
    pytest.skip(f"glyph checks skipped: {reason}")


def cjk_drawn(page: Any, selector: str) -> tuple[int, int, list[str]]:
    """(CJK characters in the first `selector`'s text, glyphs drawn by CJK fonts, every font
    used). Chinese shown as empty boxes is drawn by some other font's missing-glyph box."""
    text: str = page.locator(selector).first.text_content() or ""
    wanted = sum(1 for ch in text if ord(ch) in CJK)
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    finally:
        session.detach()
    families = [f["familyName"] for f in fonts]
    drawn = sum(f["glyphCount"] for f in fonts if "CJK" in f["familyName"])
    return wanted, drawn, families


def assert_glyphs(page: Any, *selectors: str) -> None:
    """Every CJK character of each element was drawn by a CJK font."""
    for selector in selectors:
        wanted, drawn, families = cjk_drawn(page, selector)
        assert wanted > 0, f"{selector} holds no Chinese to check"
        assert drawn >= wanted, f"{selector}: {wanted} CJK characters, {drawn} drawn by {families}"
