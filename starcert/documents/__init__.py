"""Certificate documents: the printable certificate, in Chinese and English on one page, as HTML
with a print stylesheet and as PDF, each version regenerated from its case's event trail.

document_versions  which events make a new version, its certified content and content hash (pure)
document_reads     a certificate's versions read from the database, the band wording from the rules
document_html      the certificate as a self-contained HTML page (QR code, logo and style inline)
document_pdf       that page as PDF (WeasyPrint, imported only here: the CLI starts without it)
document_catalogue the Chinese and English wording (locale/*/LC_MESSAGES/documents.po)
"""
