"""Generate templates/reference.docx: the styles the DOCX writer uses.

    python tools/make_reference_docx.py [OUTPUT]

The file holds styles only (plus the clause numbering definition); the writer opens it, clears
its body, sets page size and margins from the manual and writes. Edit the styles in Word to
restyle the handbook, or change this script and rerun it: the output depends only on this
script (same bytes every run).
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER  # noqa: E402
from docx.shared import Mm, Pt, RGBColor, Twips  # noqa: E402

from builder.document import fonts  # noqa: E402
from builder.writers import ooxml  # noqa: E402
from builder.writers.docx.styles import StyleNames, add_clause_numbering  # noqa: E402
from builder.writers.ooxml.package import normalized_zip_bytes  # noqa: E402

OUTPUT = ROOT / "templates" / "reference.docx"

BODY_PT = 10.5
EM = int(BODY_PT * 20)  # one character of body text, in twips
INK = RGBColor(0x00, 0x00, 0x00)
ACCENT = RGBColor(0x1F, 0x38, 0x64)  # headings: dark navy, prints as near-black
GREY = RGBColor(0x59, 0x59, 0x59)
HEADER_FILL = "D9E2F3"
# A4 with the manual's default margins (25 + 22 mm); the writer resets the TOC tab per page setup.
TEXT_WIDTH = Mm(210 - 25 - 22)

# Built-in styles Word knows by these names (kept as built-ins so Word's UI recognises them).
BUILTIN = {
    "Normal",
    "Body Text",
    "Title",
    "Subtitle",
    *StyleNames.HEADINGS,
    *StyleNames.TOC,
    "TOC Heading",
    "Caption",
    "Header",
    "Footer",
    "Hyperlink",
    "Strong",
}
KEEP = {"Default Paragraph Font", "Normal Table", "No List"}


def _fresh(styles, name: str, kind: WD_STYLE_TYPE, base: str | None = None):
    """A style with no properties of its own (recreated if the template had one)."""
    if name in styles and name != "Normal":
        styles[name].delete()
    if name == "Normal":
        style = styles[name]
        ooxml.remove_children(style.element, "w:pPr", "w:rPr")
    else:
        style = styles.add_style(name, kind, builtin=name in BUILTIN)
    if base:
        style.base_style = styles[base]
    style.hidden = False
    style.quick_style = name in {
        "Normal",
        "Body Text",
        "Title",
        "Subtitle",
        *StyleNames.HEADINGS,
        StyleNames.CLAUSE,
        StyleNames.NOTE,
    }
    return style


def _paragraph_style(
    styles,
    name,
    base="Normal",
    *,
    font=None,
    size=None,
    bold=None,
    color=None,
    align=None,
    before=None,
    after=None,
    line=None,
    keep_next=None,
    page_break=None,
    left=None,
    first_line=None,
    next_style=None,
):
    style = _fresh(styles, name, WD_STYLE_TYPE.PARAGRAPH, base)
    if font:
        ooxml.set_fonts(style.element.get_or_add_rPr(), font)
    f, p = style.font, style.paragraph_format
    if size is not None:
        f.size = Pt(size)
    if bold is not None:
        f.bold = bold
    if color is not None:
        f.color.rgb = color
    if align is not None:
        p.alignment = align
    if before is not None:
        p.space_before = Pt(before)
    if after is not None:
        p.space_after = Pt(after)
    if line is not None:
        p.line_spacing = line
    if keep_next is not None:
        p.keep_with_next = keep_next
    if page_break is not None:
        p.page_break_before = page_break
    if left is not None:
        p.left_indent = left
    if first_line is not None:
        p.first_line_indent = first_line
    if next_style:
        style.next_paragraph_style = styles[next_style]
    return style


def _character_style(styles, name, *, bold=None, size=None, color=None, underline=None):
    style = _fresh(styles, name, WD_STYLE_TYPE.CHARACTER, None)
    style.base_style = styles["Default Paragraph Font"]
    if bold is not None:
        style.font.bold = bold
    if size is not None:
        style.font.size = Pt(size)
    if color is not None:
        style.font.color.rgb = color
    if underline is not None:
        style.font.underline = underline
    return style


def build_reference() -> docx.Document:
    doc = docx.Document()  # python-docx's blank template: a complete, Word-valid package
    _drop_extras(doc)
    styles = doc.styles

    for style in list(styles):
        if style.name not in KEEP and style.name != "Normal":
            style.delete()

    root = styles.element
    defaults = ooxml.doc_defaults_rpr(root)
    ooxml.remove_children(defaults, "w:rFonts", "w:lang", "w:sz", "w:szCs")
    ooxml.set_fonts(defaults, fonts.SERIF_SC)
    ooxml.set_lang(defaults, fonts.lang_tag("zh-Hans"))
    ppr_defaults = ooxml.doc_defaults_ppr(root)
    ooxml.remove_children(ppr_defaults, "w:spacing")

    normal = _paragraph_style(
        styles,
        "Normal",
        None,
        font=fonts.SERIF_SC,
        size=BODY_PT,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        before=0,
        after=4,
        line=1.5,
    )
    ooxml.set_lang(normal.element.get_or_add_rPr(), fonts.lang_tag("zh-Hans"))
    normal.paragraph_format.widow_control = True

    sans = fonts.SANS_SC
    _paragraph_style(styles, "Body Text", first_line=Twips(2 * EM))
    _paragraph_style(
        styles,
        "Title",
        font=sans,
        size=28,
        bold=True,
        color=INK,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=0,
        after=12,
        line=1.2,
    )
    _paragraph_style(
        styles,
        "Subtitle",
        font=sans,
        size=13,
        color=GREY,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=0,
        after=6,
        line=1.2,
    )

    heading_specs = (
        (16, 0, 18, True),
        (14, 18, 8, False),
        (12, 12, 6, False),
        (BODY_PT, 8, 4, False),
    )
    for level, (name, (size, before, after, new_page)) in enumerate(
        zip(StyleNames.HEADINGS, heading_specs)
    ):
        style = _paragraph_style(
            styles,
            name,
            font=sans,
            size=size,
            bold=True,
            color=ACCENT,
            align=WD_ALIGN_PARAGRAPH.LEFT,
            before=before,
            after=after,
            line=1.25,
            keep_next=True,
            page_break=new_page or None,
            next_style="Body Text",
        )
        style.paragraph_format.keep_together = True
        ooxml.set_outline_level(style.element.get_or_add_pPr(), level)
    _paragraph_style(
        styles,
        StyleNames.HEADING_EN,
        font=sans,
        size=9,
        color=GREY,
        before=0,
        after=8,
        line=1.0,
        keep_next=True,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    toc_heading = _paragraph_style(
        styles,
        "TOC Heading",
        font=sans,
        size=16,
        bold=True,
        color=ACCENT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=0,
        after=18,
        line=1.25,
        keep_next=True,
        page_break=True,
    )
    ooxml.set_outline_level(toc_heading.element.get_or_add_pPr(), 9)  # never in the TOC itself

    for level, name in enumerate(StyleNames.TOC):
        style = _paragraph_style(
            styles,
            name,
            font=sans if level == 0 else None,
            bold=level == 0 or None,
            before=6 if level == 0 else 0,
            after=2,
            line=1.3,
            left=Twips(2 * EM * level),
            align=WD_ALIGN_PARAGRAPH.LEFT,
        )
        style.paragraph_format.tab_stops.add_tab_stop(
            TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )

    _paragraph_style(styles, StyleNames.CLAUSE)
    _paragraph_style(styles, StyleNames.NOTE, size=9, color=GREY, line=1.3, after=6)
    _paragraph_style(
        styles,
        "Caption",
        font=sans,
        size=9.5,
        bold=True,
        color=INK,
        before=8,
        after=4,
        line=1.2,
        keep_next=True,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    header = _paragraph_style(
        styles,
        "Header",
        font=sans,
        size=9,
        color=GREY,
        line=1.0,
        after=0,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    ooxml.set_bottom_border(header.element.get_or_add_pPr())
    _paragraph_style(
        styles,
        "Footer",
        font=sans,
        size=9,
        color=GREY,
        line=1.0,
        after=0,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph_style(
        styles,
        StyleNames.TABLE_TEXT,
        size=9.5,
        line=1.2,
        before=0,
        after=0,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _paragraph_style(
        styles,
        StyleNames.TABLE_HEADING,
        StyleNames.TABLE_TEXT,
        font=sans,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph_style(styles, StyleNames.FORM_INFO, line=1.4, after=2, align=WD_ALIGN_PARAGRAPH.LEFT)

    _paragraph_style(
        styles,
        StyleNames.COVER_COMPANY,
        font=sans,
        size=16,
        bold=True,
        color=INK,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=0,
        after=6,
        line=1.2,
    )
    _paragraph_style(
        styles,
        StyleNames.COVER_BRANCH,
        font=sans,
        size=18,
        color=ACCENT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=18,
        after=0,
        line=1.2,
    )
    _paragraph_style(
        styles,
        StyleNames.COVER_INFO,
        font=None,
        size=12,
        line=1.6,
        before=0,
        after=0,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    confidentiality = _paragraph_style(
        styles,
        StyleNames.CONFIDENTIALITY,
        font=sans,
        size=10.5,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        after=0,
        line=1.2,
    )
    ooxml.set_run_border(confidentiality.element.get_or_add_rPr())

    _character_style(styles, "Hyperlink", color=ACCENT)
    _character_style(styles, "Strong", bold=True)
    _character_style(styles, StyleNames.FIELD_HELP, size=8, color=GREY, bold=False)
    _character_style(styles, StyleNames.REQUIRED, color=RGBColor(0xC0, 0x00, 0x00), bold=True)

    table = _fresh(styles, StyleNames.TABLE, WD_STYLE_TYPE.TABLE, None)
    table.base_style = styles["Normal Table"]
    tblPr = ooxml.style_tblpr(table.element)
    ooxml.set_table_borders(tblPr, 4, "000000")
    ooxml.set_table_cell_margins(tblPr, 40, 100, 40, 100)
    ooxml.set_table_style_header(table.element, HEADER_FILL)

    ooxml.strip_theme_fonts(root)

    numbering = doc.part.numbering_part.element
    ooxml.remove_children(numbering, "w:abstractNum", "w:num", "w:numIdMacAtCleanup")
    add_clause_numbering(numbering, BODY_PT)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(25), Mm(22)
    ooxml.clear_body(doc.element.body)
    sample = doc.add_paragraph(
        "运营管理手册 样式模板：修改本文件中的样式即可改变生成的 Word 手册外观。"
    )
    sample.style = styles["Normal"]

    props = doc.core_properties
    props.title = "运营管理手册 样式模板"
    props.author = "the handbook builder"
    props.last_modified_by = "tools/make_reference_docx.py"
    props.language = "zh-CN"
    props.revision = 1
    props.created = props.modified = props.last_printed = datetime(2024, 1, 1)
    props.keywords = props.subject = props.comments = props.category = ""
    return doc


def _drop_extras(doc) -> None:
    """Leave out the blank template's Word 2010 style copy, bibliography and page thumbnail."""
    part = doc.part
    for rId, rel in list(part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            part.drop_rel(rId)
    package_rels = part.package.rels
    for rId, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package_rels[rId]


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    buffer = io.BytesIO()
    build_reference().save(buffer)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(normalized_zip_bytes(buffer.getvalue()))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
