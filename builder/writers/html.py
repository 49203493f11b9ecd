"""HTML writer: the handbook as one self-contained page (handbook.html), and the HTML that the
PDF writer lays out.

The page's `<meta>` tags carry builder.document.properties (author, description, keywords, dates,
and the custom DocNumber, Version, EffectiveDate, ControlStatus, SourceRevision, Branch, …).
Nothing in it depends on the time or the folder it is built in.
"""

from __future__ import annotations

from pathlib import Path

from builder import __version__
from builder.document import fonts
from builder.document import script as scripts
from builder.document.model import Document
from builder.document.properties import CONTROLLED, DRAFT_NOTICE, properties
from builder.writers.templates import environment, templates_dir


def page_variables(doc: Document) -> str:
    """CSS custom properties from the manual's page and font settings."""
    top, right, bottom, left = doc.meta.margins_mm
    return (
        ":root {"
        f" --body-font: {fonts.css_stack(doc.meta.body_font)};"
        f" --heading-font: {fonts.css_stack(doc.meta.heading_font)};"
        f" --font-size: {doc.meta.font_size_pt}pt;"
        f" --page-size: {doc.meta.page_size};"
        f" --margin-top: {top}mm; --margin-right: {right}mm;"
        f" --margin-bottom: {bottom}mm; --margin-left: {left}mm;"
        " }\n"
    )


NUMBERING_CSS = "handbook-numbering.css"


def numbering_css(folder: Path) -> str:
    """The styles of the law and decimal numbering schemes (builder.document.numbering), from the
    templates folder, or the built-in ones when a folder made before them lacks the file."""
    path = folder / NUMBERING_CSS
    if not path.is_file():
        path = templates_dir() / NUMBERING_CSS
    return path.read_text(encoding="utf-8")


def render_html_string(
    doc: Document, folder: Path | None = None, *, for_print: bool = False
) -> str:
    """The handbook page. `for_print` leaves out the screen-only styles WeasyPrint need not
    parse."""
    folder = Path(folder or templates_dir())
    env = environment(str(folder), scripts.document_converter(doc))
    css = page_variables(doc) + (folder / "handbook.css").read_text(encoding="utf-8")
    if doc.meta.numbering != "outline":
        css += numbering_css(folder)
    phone_css = "" if for_print else (folder / "handbook-phone.css").read_text(encoding="utf-8")
    css = scripts.regional_css(css, doc.branch.script)
    phone_css = scripts.regional_css(phone_css, doc.branch.script)
    return env.get_template("handbook.html.j2").render(
        doc=doc,
        props=properties(doc),
        controlled=CONTROLLED,
        draft_notice=DRAFT_NOTICE,
        css=css,
        phone_css=phone_css,
        generator_version=__version__,
    )


def render_html(doc: Document, path: Path, folder: Path | None = None) -> None:
    Path(path).write_text(render_html_string(doc, folder), encoding="utf-8")


def write(doc: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): the handbook as one HTML page."""
    render_html(doc, target, options.templates)
