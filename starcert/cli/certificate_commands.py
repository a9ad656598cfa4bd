"""`starcert certificate ...`: a certificate's printable documents, one per version of what it
certifies, each regenerated from the case's event trail (starcert.documents)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Annotated, Literal, TextIO, cast

import typer

from starcert.cli.command_kit import CaseRef, Json, emit, open_app, run
from workflows.errors import InvalidInput

certificate_app = typer.Typer(
    help="A certificate's printable documents (PDF or HTML), each version of it.",
    no_args_is_help=True,
)

Format = Literal["pdf", "html"]


@certificate_app.command("document")
def document(
    ref: CaseRef,
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="the file to write")],
    form: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="pdf or html (one A4 page)")
    ] = "pdf",
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="the document version (default: the newest)"),
    ] = None,
) -> None:
    """Write a version of the certificate's document: bilingual, with the body's identity, a QR
    code opening its public verification and the content hash that page shows."""

    def go() -> None:
        from starcert.documents.document_reads import documents_of, rendered
        from starcert.export import check_writable, write_file

        if form not in ("pdf", "html"):
            raise InvalidInput("--format", f"must be pdf or html, got {form!r}")
        chosen: Format = "pdf" if form == "pdf" else "html"
        check_writable(out, "--out")
        with open_app() as application:
            made, data = rendered(application, documents_of(application, ref), version, chosen)

        def write(stream: IO[str]) -> None:
            cast(TextIO, stream).buffer.write(data)  # the file's bytes as made, PDF or HTML

        write_file(out, write, "--out")
        typer.echo(f"{out}: {made.content.label}, sha256 {made.content_hash}")

    run(go)


@certificate_app.command("documents")
def documents(ref: CaseRef, as_json: Json = False) -> None:
    """List the versions of the certificate's document, oldest first, with their hashes."""

    def go() -> None:
        from starcert.documents.document_reads import documents_of
        from starcert.documents.document_versions import summary

        with open_app() as application:
            found = documents_of(application, ref)
        rows = [dict(summary(v)) for v in found.versions]
        emit(
            rows,
            as_json,
            lambda: (
                "\n".join(
                    f"{r['label']:<28} {r['effective_on']}  {r['made_by']:<20} {r['content_hash']}"
                    for r in rows
                )
                or f"certificate {found.number} has no document"
            ),
        )

    run(go)
