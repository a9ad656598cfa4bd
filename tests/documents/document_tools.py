"""The real tools certificate tests read a PDF with: poppler's pdftoppm (a page to an image),
zbar's zbarimg (QR codes off the image), fontconfig's CJK fonts (what WeasyPrint embeds).

Missing, a test is skipped with the reason printed; under CI (CI set) it fails, since CI installs
them (.ci/run).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

INSTALL = "apt-get install -y fonts-noto-cjk zbar-tools poppler-utils"


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}: certificate document tests must run")
    pytest.skip(f"certificate document test skipped: {reason} ({INSTALL})")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed")
    assert found is not None
    return found


def require_cjk_font() -> None:
    listed = subprocess.run(
        [tool("fc-list"), ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    if "CJK" not in listed:
        missing("no CJK font is installed (fontconfig lists none for :lang=zh)")


def qr_codes(pdf: bytes, folder: Path) -> list[str]:
    """Every QR code on the PDF's first page, decoded by zbar from a 200 dpi image of it."""
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            tool("pdftoppm"),
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(folder / "page"),
        ],
        check=True,
        timeout=60,
    )
    (image,) = folder.glob("page*.png")
    done = subprocess.run(
        [tool("zbarimg"), "--quiet", "--raw", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"zbarimg found no code: {done.stderr}"
    return done.stdout.split()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font the pages use, by its PostScript name, and whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts: Any = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            parts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            embedded = False
            for part in parts:
                descriptor = part.get("/FontDescriptor")
                if descriptor is not None:
                    d = descriptor.get_object()
                    embedded |= any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = embedded
    return found
