"""The 修订对照表 (revision comparison table) as a Word file, on A4 landscape.

Styled by templates/reference.docx like the handbook (Title, Table Text, Table Heading, Handbook
Table, Header, Footer, …); the rows come from builder.document.changes.comparison, so the DOCX and
the PDF show the same table. Deleted words are struck through (red), inserted words underlined
(blue): the strike and the underline survive black-and-white printing. The header row repeats on
every page; long rows may split across pages. The file's bytes depend on its content only.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_UNDERLINE
from docx.shared import Mm, Pt, RGBColor, Twips

from builder.document.changes import (
    DELETE,
    IDENTICAL,
    INSERT,
    NOTE,
    ChangeSet,
    Comparison,
    MarkedParagraph,
    Row,
    comparison,
)
from builder.document.script import document_converter
from builder.writers import ooxml
from builder.writers.docx.base import DocxWriter
from builder.writers.docx.styles import DEFAULT_REFERENCE, StyleNames
from builder.writers.docx.tables import fixed_table
from builder.writers.ooxml.package import normalized_zip_bytes

PAGE_MM = (297, 210)  # A4 landscape
MARGINS_MM = (20, 14, 16, 14)  # top, right, bottom, left
# 序号 | 条款 | 变更 (mm); 原条文 and 修订后条文 share the rest equally.
FIXED_COLUMNS_MM = (11, 58, 22)

DELETED = RGBColor(0xB3, 0x26, 0x1E)
INSERTED = RGBColor(0x0B, 0x4F, 0xA8)
MUTED = RGBColor(0x66, 0x66, 0x66)
CONTROL = RGBColor(0x8A, 0x1C, 0x1C)
ACTION_COLOURS = {
    "added": RGBColor(0x1D, 0x6B, 0x2F),
    "removed": DELETED,
    "moved": RGBColor(0x8A, 0x5A, 0x00),
    "changed": INSERTED,
}
LABEL_FILL = "EEF2F6"


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def render_comparison_docx(changeset: ChangeSet, path: Path, reference: Path | None = None) -> None:
    """Write the 修订对照表 of `changeset` to `path`, styled by `reference` (default:
    templates/reference.docx)."""
    writer = ComparisonWriter(changeset, Path(reference) if reference else DEFAULT_REFERENCE)
    writer.build()
    Path(path).write_bytes(
        normalized_zip_bytes(
            ooxml.package_bytes(writer.doc), convert=document_converter(changeset.new)
        )
    )


class ComparisonWriter(DocxWriter):
    """The 修订对照表 on A4 landscape. Its tables are its own (a row per change, long rows may
    split across pages), so it lays out paragraphs, tables and cells with python-docx directly."""

    def __init__(self, changeset: ChangeSet, reference: Path):
        super().__init__(changeset.new, reference)
        self.changeset = changeset
        self.cmp: Comparison = comparison(changeset)

    # -- set-up --------------------------------------------------------------------------------

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        top, right, bottom, left = MARGINS_MM
        section.top_margin, section.right_margin = Mm(top), Mm(right)
        section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
        section.header_distance, section.footer_distance = Mm(9), Mm(8)
        self.text_width = _twips(PAGE_MM[0] - left - right)

    def _fonts(self) -> None:
        """The manual's body/heading typefaces in place of the reference's, East Asian slot
        included, and the zh-CN language tag (else Word may pick Japanese glyph shapes)."""
        styles = self.doc.styles
        body = ooxml.east_asian_font(styles[StyleNames.NORMAL].element.rPr) or self.meta.body_font
        heading = (
            ooxml.east_asian_font(styles[StyleNames.HEADINGS[0]].element.rPr)
            or self.meta.heading_font
        )
        swap = {body: self.meta.body_font, heading: self.meta.heading_font}
        for style in styles:
            current = ooxml.east_asian_font(getattr(style.element, "rPr", None))
            if current in swap and swap[current] != current:
                ooxml.set_fonts(style.element.get_or_add_rPr(), swap[current])
        defaults = ooxml.doc_defaults_rpr(styles.element)
        ooxml.set_fonts(defaults, self.meta.body_font)
        ooxml.strip_theme_fonts(styles.element)
        lang = self.changeset.new.lang
        for rPr in (defaults, styles[StyleNames.NORMAL].element.get_or_add_rPr()):
            ooxml.set_lang(rPr, lang)
        ooxml.set_theme_font_lang(self.doc.settings.element, lang)

    # -- building blocks -----------------------------------------------------------------------

    def paragraph(self, style: str, text: str = ""):
        return self.doc.add_paragraph(text, style=self.doc.styles[style])

    def table(self, rows: int, widths: list[int], *, header: bool):
        table = fixed_table(
            self.doc, rows, widths, header=header, split_rows=True
        )  # long rows may split
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        return table

    def cell(
        self,
        cell,
        text: str = "",
        style: str = StyleNames.TABLE_TEXT,
        *,
        align=None,
        fill: str | None = None,
    ):
        paragraph = cell.paragraphs[0]
        paragraph.style = self.doc.styles[style]
        if align is not None:
            paragraph.alignment = align
        if text:
            paragraph.add_run(text)
        if fill:
            ooxml.shade_cell(cell, fill)
        return paragraph

    def marked(self, cell, paragraphs: tuple[MarkedParagraph, ...]) -> None:
        """原条文 / 修订后条文: deleted runs struck out, inserted runs underlined, notes muted."""
        for index, pieces in enumerate(paragraphs):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.style = self.doc.styles[StyleNames.TABLE_TEXT]
            if index:
                paragraph.paragraph_format.space_before = Pt(3)
            for op, span in pieces:
                run = paragraph.add_run(span.text)
                if op == DELETE:
                    run.font.strike = True
                    run.font.color.rgb = DELETED
                elif op == INSERT:
                    run.font.underline = WD_UNDERLINE.SINGLE
                    run.font.color.rgb = INSERTED
                elif op == NOTE:
                    run.font.color.rgb = MUTED

    # -- the document --------------------------------------------------------------------------

    def build(self) -> None:
        ooxml.clear_body(self.doc.element.body)
        self._page()
        self._fonts()
        self._head()
        self._changes()
        self._signoff()
        self._header_footer()
        self._properties()

    def _head(self) -> None:
        cmp = self.cmp
        company = self.paragraph(StyleNames.COVER_COMPANY, cmp.company)
        company.runs[0].font.size = Pt(11)
        company.runs[0].bold = False
        company.paragraph_format.space_after = Pt(0)
        title = self.paragraph(StyleNames.TITLE, cmp.title)
        title.runs[0].font.size = Pt(18)
        title.paragraph_format.space_after = Pt(6)

        label = _twips(24)
        value = self.text_width // 2 - label
        pairs = [cmp.info[i : i + 2] for i in range(0, len(cmp.info), 2)]
        table = self.table(
            len(pairs), [label, value, label, self.text_width - 2 * label - value], header=False
        )
        for row, pair in zip(table.rows, pairs):
            cells = row.cells
            if len(pair) == 1:
                cells = [cells[0], cells[1].merge(cells[3])]
            for (name, text), index in zip(pair, range(0, len(cells), 2)):
                self.cell(
                    cells[index],
                    name,
                    StyleNames.TABLE_HEADING,
                    align=WD_ALIGN_PARAGRAPH.LEFT,
                    fill=LABEL_FILL,
                )
                self.cell(cells[index + 1], text)

        summary = self.paragraph(StyleNames.CAPTION, cmp.summary)
        summary.paragraph_format.space_before = Pt(5)
        summary.paragraph_format.space_after = Pt(1)
        legend = self.paragraph(StyleNames.NOTE, f"说明：{cmp.legend}示例：")
        deleted = legend.add_run("删除的文字")
        deleted.font.strike, deleted.font.color.rgb = True, DELETED
        legend.add_run("　")
        inserted = legend.add_run("新增的文字")
        inserted.font.underline, inserted.font.color.rgb = WD_UNDERLINE.SINGLE, INSERTED
        legend.paragraph_format.space_after = Pt(3)

    def _changes(self) -> None:
        fixed = [_twips(mm) for mm in FIXED_COLUMNS_MM]
        text = (self.text_width - sum(fixed)) // 2
        widths = [*fixed, text, self.text_width - sum(fixed) - text]
        rows = self.cmp.rows
        table = self.table(1 + max(len(rows), 1), widths, header=True)
        for cell, name in zip(
            table.rows[0].cells, ("序号", "条款", "变更", "原条文", "修订后条文")
        ):
            self.cell(cell, name, StyleNames.TABLE_HEADING)
            ooxml.set_cell_valign(cell, "center")
        if not rows:
            cells = table.rows[1].cells
            merged = cells[0].merge(cells[-1])
            paragraph = self.cell(merged, IDENTICAL, StyleNames.TABLE_HEADING)
            paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(8)
            return
        for table_row, row in zip(table.rows[1:], rows):
            self._row(table_row.cells, row)
        # The last row goes with the sign-off block, so that never stands alone on a page.
        for cell in table.rows[-1].cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True

    def _row(self, cells, row: Row) -> None:
        self.cell(cells[0], str(row.number), align=WD_ALIGN_PARAGRAPH.CENTER)
        label = self.cell(cells[1], "", StyleNames.TABLE_HEADING, align=WD_ALIGN_PARAGRAPH.LEFT)
        for index, line in enumerate(row.label_lines):
            run = label.add_run(line)
            run.bold = False
            if index < len(row.label_lines) - 1:
                run.add_break()
        if row.label_note:
            note = cells[1].add_paragraph(
                row.label_note, style=self.doc.styles[StyleNames.TABLE_TEXT]
            )
            note.runs[0].font.size = Pt(8)
            note.runs[0].font.color.rgb = MUTED
        change = self.cell(cells[2], "", StyleNames.TABLE_HEADING)
        words = row.change.split(" ")  # 「修改」over「条款」
        for index, word in enumerate(words):
            run = change.add_run(word)
            run.bold = False
            run.font.color.rgb = ACTION_COLOURS.get(row.action, MUTED)
            if index < len(words) - 1:
                run.add_break()
        self.marked(cells[3], row.old)
        self.marked(cells[4], row.new)

    def _signoff(self) -> None:
        spacer = self.paragraph(StyleNames.TABLE_TEXT)  # keeps the two tables apart
        spacer.paragraph_format.space_before = Pt(4)
        spacer.paragraph_format.line_spacing = Pt(6)
        spacer.paragraph_format.keep_with_next = True
        label, date = _twips(16), _twips(44)
        blank = (self.text_width - 4 * label - date) // 3
        widths = [label, blank, label, blank, label, blank, label]
        widths.append(self.text_width - sum(widths))
        table = self.table(1, widths, header=False)
        row = table.rows[0]
        row.height = Mm(9)
        for index, name in ((0, "编制"), (2, "审核"), (4, "批准"), (6, "日期")):
            self.cell(row.cells[index], name, StyleNames.TABLE_HEADING, fill=LABEL_FILL)
        date_paragraph = self.cell(row.cells[7], "年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
        date_paragraph.runs[0].font.color.rgb = MUTED
        for cell in row.cells:
            ooxml.set_cell_valign(cell, "center")

    def _header_footer(self) -> None:
        cmp = self.cmp
        section = self.doc.sections[0]
        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.style = self.doc.styles[StyleNames.HEADER]
        self._tabbed(paragraph)
        paragraph.add_run(f"{cmp.company}　{cmp.title}\t\t{cmp.branch}")
        ooxml.set_bottom_border(paragraph._p.get_or_add_pPr())

        footer = section.footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = self.doc.styles[StyleNames.FOOTER]
        self._tabbed(paragraph)
        paragraph.add_run(f"{cmp.doc_number} · 版本 {cmp.old_version} → {cmp.new_version}\t")
        paragraph.add_run(f"{cmp.confidentiality} · 受控文件").font.color.rgb = CONTROL
        paragraph.add_run("\t第 ")
        ooxml.append_field(paragraph._p, "PAGE", "1")
        paragraph.add_run(" 页 / 共 ")
        ooxml.append_field(paragraph._p, "NUMPAGES", "1")
        paragraph.add_run(" 页")

    def _tabbed(self, paragraph) -> None:
        """Left | centre | right parts of a running header or footer line."""
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        stops = paragraph.paragraph_format.tab_stops
        stops.add_tab_stop(Twips(self.text_width // 2), WD_TAB_ALIGNMENT.CENTER)
        stops.add_tab_stop(Twips(self.text_width), WD_TAB_ALIGNMENT.RIGHT)

    def _properties(self) -> None:
        """Core properties, dated by the new version's effective date (never "now")."""
        cmp, meta = self.cmp, self.meta
        props = self.doc.core_properties
        stamp = datetime.combine(cmp.effective_date, time(0, 0))
        text = ooxml.core_text
        props.title = text(cmp.title)
        props.subject = text(f"{cmp.branch} 版本 {cmp.old_version} → {cmp.new_version}")
        props.author = text(meta.company)
        props.last_modified_by = text(meta.issuer)
        props.keywords = text(
            "; ".join(
                k for k in (cmp.title, cmp.branch, meta.doc_number, f"版本 {cmp.new_version}") if k
            )
        )
        props.category = text(meta.confidentiality)
        props.comments = text(
            f"{cmp.summary}。原版本：{self.changeset.old_name or cmp.old_version}；"
            f"修订后：{self.changeset.new_name or cmp.new_version}。"
        )
        props.identifier = text(meta.doc_number)
        props.version = text(cmp.new_version)
        props.language = self.changeset.new.lang
        props.revision = max(1, len(self.changeset.new.revisions))
        props.created = props.modified = props.last_printed = stamp


def write(changeset: ChangeSet, target: Path, options) -> None:
    """The registered entry point (builder.writers): the 修订对照表 as Word."""
    render_comparison_docx(changeset, target)
