"""The 修订对照表 (revision comparison table) as PDF: templates/comparison.html.j2 laid out by
WeasyPrint on A4 landscape through the one WeasyPrint entry point (builder.writers.pdf.handbook)."""

from __future__ import annotations

from pathlib import Path

from builder import __version__
from builder.document import fonts
from builder.document import script as scripts
from builder.document.changes import DELETE, EQUAL, IDENTICAL, INSERT, NOTE, ChangeSet, comparison
from builder.writers.pdf.handbook import weasyprint_html
from builder.writers.pdf.tags import ARCHIVAL, tagged_finisher
from builder.writers.templates import environment, templates_dir


def render_comparison_html(changeset: ChangeSet, folder: Path | None = None) -> str:
    folder = Path(folder or templates_dir())
    meta = changeset.new.meta
    css = (
        # names validated by builder.sources.schema.FontFamily
        (
            ":root {"
            f" --body-font: {fonts.css_stack(meta.body_font)};"
            f" --heading-font: {fonts.css_stack(meta.heading_font)};"
            " }\n"
        )
        + scripts.regional_css(
            (folder / "comparison.css").read_text(encoding="utf-8"), changeset.new.branch.script
        )
    )
    return (
        environment(str(folder), scripts.document_converter(changeset.new))
        .get_template("comparison.html.j2")
        .render(
            cmp=comparison(changeset),
            css=css,
            lang=changeset.new.lang,
            generator_version=__version__,
            EQUAL=EQUAL,
            DELETE=DELETE,
            INSERT=INSERT,
            NOTE=NOTE,
            IDENTICAL=IDENTICAL,
        )
    )


def render_comparison_pdf(changeset: ChangeSet, path: Path, folder: Path | None = None) -> None:
    folder = Path(folder or templates_dir())
    old, new = changeset.old.meta, changeset.new.meta
    identifier = (
        f"{new.doc_number}-{changeset.new.branch.id}-{old.version}-{new.version}-comparison"
    )
    weasyprint_html(render_comparison_html(changeset, folder), folder).write_pdf(
        str(path),
        pdf_identifier=identifier.encode(),
        uncompressed_pdf=False,
        custom_metadata=True,
        finisher=tagged_finisher,
        **ARCHIVAL,
    )


def write(changeset: ChangeSet, target: Path, options) -> None:
    """The registered entry point (builder.writers): the 修订对照表 as PDF."""
    render_comparison_pdf(changeset, target, options.templates)
