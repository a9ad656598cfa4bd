"""The certificate page as PDF, made by WeasyPrint with the CJK font the install brings
(Debian: fonts-noto-cjk; WeasyPrint embeds the glyphs used).

WeasyPrint and its dependencies take most of a second to import: only this module imports them,
when a PDF is asked for, so no other command pays for it.
"""

from __future__ import annotations

from starcert.documents.document_html import CertificatePage


def certificate_pdf(page: CertificatePage) -> bytes:
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=page.html, base_url=None).write_pdf()
    return pdf
