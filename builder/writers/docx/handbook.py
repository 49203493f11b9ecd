"""Render a resolved `Document` as a Word file (.docx).

The look comes from `templates/reference.docx` (styles only, like Pandoc's --reference-doc):
the writer opens it, clears its body and writes the handbook with named styles, so a company
restyles the handbook by editing the styles of that file in Word. Page size and margins, and
the body/heading typefaces, come from the manual's metadata.

Numbers are never typed: chapters, sections, clauses and items carry Word list numbering in the
manual's numbering scheme (builder.document.numbering: outline one list for the whole body,
ilvl = level - 1; law 章/节 in one list and 条/项/目 in another, so 条 count through the whole
manual; decimal %1.%2.%3). The table of contents
is a real TOC field, pre-filled, so it reads correctly without Word refreshing anything (no
w:updateFields: no prompt on opening); its page numbers are PAGEREF fields whose results are
filled from a LibreOffice layout of the file (builder.writers.docx.pagination), by the build's
pagination stage or `render_docx(paginate=True)`.

The forms appendix lays each form out as bordered tables (`_form_body`); the fillable form files
(builder.writers.docx.forms) reuse that layout and put content controls in the input cells.

Reproducible: core and custom properties come from builder.document.properties (dated by the
manual's effective date, never "now") and the zip is normalised by builder.writers.ooxml.package.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph as DocxParagraph

from builder.document.dates import chinese_date
from builder.document.model import (
    Clause,
    Document,
    Section,
    Table,
    plain,
)
from builder.document.properties import CONTROLLED, DRAFT_NOTICE, properties
from builder.document.script import document_converter
from builder.writers import ooxml
from builder.writers.docx.base import DocxWriter
from builder.writers.docx.form_layout import FormLayout
from builder.writers.docx.pagination import paginate
from builder.writers.docx.styles import DEFAULT_REFERENCE, StyleNames
from builder.writers.docx.tables import column_widths, text_weight, widths_with_rest
from builder.writers.ooxml.package import normalized_zip_bytes

log = logging.getLogger("handbook")


def render_docx(
    document: Document,
    path: Path,
    reference: Path | None = None,
    *,
    paginate: bool = False,
) -> bool:
    """Write `document` to `path` as .docx, styled by `reference` (default:
    templates/reference.docx).

    The contents is a TOC field, pre-filled: entries linked to their headings, each ending in a
    PAGEREF field. paginate: fill those page numbers from LibreOffice's layout of the file
    (builder.writers.docx.pagination; needs `soffice`, a few seconds). Without it they are
    empty. Word is never asked to refresh the fields on opening. Returns False when the
    numbers were asked for and could not all be filled.
    """
    writer = HandbookWriter(document, Path(reference) if reference else DEFAULT_REFERENCE)
    writer.build()
    Path(path).write_bytes(
        normalized_zip_bytes(writer.to_bytes(), convert=document_converter(document))
    )
    return not paginate or fill_page_numbers(Path(path), document.branch.name)


def fill_page_numbers(path: Path, name: str) -> bool:
    """Paginate one written .docx (its contents' page numbers); False, with a warning naming
    `name`, when LibreOffice could not give them all."""
    failed = paginate([path])
    for reason in failed.values():
        log.warning("%s 的 Word 目录未能填入页码（%s）", name, reason)
    return not failed


@dataclass
class _TocEntry:
    level: int  # 1 or 2
    label: str  # number as printed, "" if none
    title: str
    bookmark: str


class HandbookWriter(FormLayout, DocxWriter):
    """The handbook: cover, 更新记录表, contents, chapters, and the forms appendix."""

    def build(self) -> None:
        self._clear_body()
        self._apply_meta()
        self._setup_numbering()
        self._cover()
        self._revisions()
        self._toc()
        for chapter in self.document.chapters:
            self._section(chapter)
        if self.document.forms:
            self._forms()
        meta = self.meta
        self._header_footer(
            f"{meta.title} — {self.document.branch.name}",
            f"版本 {meta.version} · {meta.doc_number} · ",
            bare_first_page=True,
        )
        self._properties(properties(self.document))

    def _cover(self) -> None:
        meta, branch = self.meta, self.document.branch
        self.paragraph(StyleNames.CONFIDENTIALITY).add_run(f"{meta.confidentiality} · {CONTROLLED}")
        if self.document.draft:  # a plain paragraph, the notice highlighted as the values are
            notice = self.paragraph()
            notice.paragraph_format.space_before = Pt(12)
            run = notice.add_run(DRAFT_NOTICE)
            run.font.bold = True
            ooxml.set_highlight(run._r.get_or_add_rPr())
        company = self.paragraph(StyleNames.COVER_COMPANY, meta.company)
        company.paragraph_format.space_before = Pt(72)
        if meta.company_en:
            self.paragraph(StyleNames.SUBTITLE, meta.company_en)
        title = self.paragraph(StyleNames.TITLE, meta.title)
        title.paragraph_format.space_before = Pt(36)
        if meta.title_en:
            self.paragraph(StyleNames.SUBTITLE, meta.title_en)
        self.paragraph(StyleNames.COVER_BRANCH, branch.name)

        rows = [
            ("文件编号", meta.doc_number),
            ("版　　本", meta.version),
            ("生效日期", chinese_date(meta.effective_date)),
            ("发布部门", meta.issuer),
            ("批　　准", meta.approver),
        ]
        spacer = self.paragraph(StyleNames.COVER_INFO)
        spacer.paragraph_format.space_before = Pt(40)
        info_pt = self._style_pt(StyleNames.COVER_INFO)
        widths = [round(6 * info_pt * 20) + 240, round(15 * info_pt * 20)]
        table = self.table(len(rows), widths, header=False, style=None)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        ooxml.set_table_no_borders(table._tbl.tblPr)
        for row, (label, value) in zip(table.rows, rows):
            self.cell_text(row.cells[0], label + "：", StyleNames.COVER_INFO)
            value_paragraph = self.cell_text(row.cells[1], value, StyleNames.COVER_INFO)
            ooxml.set_bottom_border(value_paragraph._p.get_or_add_pPr(), 4, "000000", 1)
        gap = 110  # points above the issuer line, less what the source-revision line takes
        if (
            self.document.source_revision
        ):  # small print under the table: which sources made this copy
            source = self.paragraph(
                StyleNames.COVER_INFO, f"源修订 {self.document.source_revision}"
            )
            source.alignment = WD_ALIGN_PARAGRAPH.CENTER
            small = round(info_pt * 0.75, 1)
            fmt = source.paragraph_format
            fmt.space_before, fmt.line_spacing = Pt(8), Pt(small * 1.5)  # exact line height
            for run in source.runs:
                run.font.size = Pt(small)
                run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
            gap -= 8 + small * 1.5

        issued = self.paragraph(StyleNames.COVER_COMPANY, f"{meta.company}　{meta.issuer}　发布")
        issued.paragraph_format.space_before = Pt(gap)
        self.paragraph(
            StyleNames.COVER_INFO, f"{chinese_date(meta.effective_date)}　实施"
        ).alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _revisions(self) -> None:
        self.paragraph(StyleNames.FRONT_HEADING, "更新记录表")
        labels = ("版本", "日期", "修订内容", "编写", "批准")
        revisions = self.document.revisions
        em = self._style_pt(StyleNames.TABLE_TEXT) * 20
        margin = 240  # cell margins, twips

        def fit(values: Iterable[str], least: float, most: float) -> int:
            longest = max((text_weight(v) for v in values), default=0)
            return int(min(max(longest, least), most) * em) + margin

        fixed = [
            fit((r.version for r in revisions), 3, 6),
            fit((r.date.isoformat() for r in revisions), 5.5, 6),
            0,
            fit((r.author for r in revisions), 3, 8),
            fit((r.approver for r in revisions), 3, 8),
        ]
        fixed = widths_with_rest(fixed, 2, self.text_width, int(6 * em) + margin)
        table = self.table(1 + len(self.document.revisions), fixed)
        self.header_row(table, labels)
        for row, revision in zip(table.rows[1:], self.document.revisions):
            values = (
                revision.version,
                revision.date.isoformat(),
                revision.summary,
                revision.author,
                revision.approver,
            )
            for index, (cell, value) in enumerate(zip(row.cells, values)):
                self.cell_text(cell, value, align=None if index == 2 else WD_ALIGN_PARAGRAPH.CENTER)
        if self.document.change_marks:
            legend = self.paragraph(
                StyleNames.NOTE,
                f"本版（{self.document.meta.version}）新增或修改的章节和条款，在页边以竖线标示，并注明",
            )
            self.change_tag(legend)
            legend.add_run("。")
            legend.paragraph_format.space_before = Pt(6)
            self.change_bar(legend)

    # -- table of contents ---------------------------------------------------------------------

    APPENDIX_BOOKMARK = "_Appendix_Forms"  # a leading "_" cannot clash with a manual id
    APPENDIX_TITLE = "附录　表单"

    def _toc_entries(self) -> list[_TocEntry]:
        entries = []
        for chapter in self.document.chapters:
            entries.append(
                _TocEntry(
                    1,
                    chapter.number.label + chapter.number.sep,
                    chapter.title,
                    self._bookmarks[chapter.id],
                )
            )
            for section in chapter.sections:
                entries.append(
                    _TocEntry(
                        2,
                        section.number.label + section.number.sep,
                        section.title,
                        self._bookmarks[section.id],
                    )
                )
        if self.document.forms:
            entries.append(_TocEntry(1, "", self.APPENDIX_TITLE, self.APPENDIX_BOOKMARK))
            for form in self.document.forms:
                entries.append(_TocEntry(2, "", self._form_heading(form), self._bookmarks[form.id]))
        return entries

    def _toc(self) -> None:
        self.paragraph(StyleNames.FRONT_HEADING, "目录")
        entries = self._toc_entries()
        instr = 'TOC \\o "1-2" \\h \\z \\u'
        if not entries:
            paragraph = self.paragraph(StyleNames.TOC[0])
            self.field(paragraph, instr, "（更新域以生成目录）")
            return
        for index, entry in enumerate(entries):
            paragraph = self.paragraph(StyleNames.TOC[entry.level - 1])
            if index == 0:
                for run in ooxml.field_begin(instr):
                    paragraph._p.append(run)
            hyperlink = ooxml.add_internal_hyperlink(paragraph, entry.bookmark)
            ooxml.append_run(hyperlink, entry.label + entry.title)
            hyperlink.append(ooxml.tab_run())
            ooxml.append_field(hyperlink, f"PAGEREF {entry.bookmark} \\h", "")  # pagination.py
            if index == len(entries) - 1:
                paragraph._p.append(ooxml.field_end())

    # -- chapters ------------------------------------------------------------------------------

    def _heading(self, level: int, title: str) -> DocxParagraph:
        return self.paragraph(StyleNames.HEADINGS[min(level, 4) - 1], title)

    def _section(self, section: Section) -> None:
        heading = self._heading(section.level, section.title)
        self.number(heading, section.number)
        self._heading_indent(heading, section.level)
        self.bookmark(heading, section.id)
        if section.title_en:
            self._translation(heading, section.title_en)
        if section.changed:  # not in the heading itself, which Word copies into the TOC
            tag = self.paragraph(StyleNames.NOTE)
            tag.paragraph_format.keep_with_next = True
            self.change_tag(tag)
            self.change_bar(heading)
            self.change_bar(tag)
        for intro in section.intro:
            self.spans(self.paragraph(StyleNames.BODY), intro)
        for child in section.sections:
            self._section(child)
        for clause in section.clauses:
            self._clause(clause)

    def _translation(self, heading: DocxParagraph, title_en: str) -> None:
        """The English title right under its heading (which gives up its space below)."""
        heading.paragraph_format.space_after = Pt(0)
        self.paragraph(StyleNames.HEADING_EN, title_en)

    def _heading_indent(self, heading: DocxParagraph, level: int) -> None:
        """Headings sit at the margin; a tab-separated number gets a hanging indent of its own
        size."""
        spec = self.scheme.levels[level - 1]
        fmt = heading.paragraph_format
        if spec.suffix == "tab":
            size = self._style_pt(self._style_name(heading))
            hang = Twips(round(spec.hang_em * size * 20))
            fmt.left_indent, fmt.first_line_indent = hang, -hang
        else:
            fmt.left_indent, fmt.first_line_indent = Twips(0), Twips(0)

    # 本次修订: a bar in the left margin beside what changed, and a small tag
    REV_COLOR = "A61B1B"
    REV_TAG = "本次修订"

    def change_bar(self, paragraph: DocxParagraph) -> None:
        ooxml.set_paragraph_border(paragraph._p.get_or_add_pPr(), "left", 18, self.REV_COLOR, 6)

    def change_tag(self, paragraph: DocxParagraph) -> None:
        paragraph.add_run(" ")
        run = paragraph.add_run(self.REV_TAG)
        run.font.size = Pt(round(self._style_pt(StyleNames.CLAUSE) * 0.7, 1))
        run.font.bold = False
        run.font.color.rgb = RGBColor.from_string(self.REV_COLOR)
        ooxml.set_run_border(run._r.get_or_add_rPr(), 4, self.REV_COLOR, 0)

    def _clause(self, clause: Clause) -> None:
        level = clause.number.level
        paragraph = self.paragraph(StyleNames.CLAUSE)
        own = [paragraph]  # the clause's own paragraphs (its sub-clauses have their own)
        self.number(paragraph, clause.number)
        self.bookmark(paragraph, clause.id)
        if clause.title:
            self.add_run(paragraph, clause.title, StyleNames.STRONG)
        if clause.changed:
            self.change_tag(paragraph)
        if clause.title and clause.text:
            self.add_run(paragraph, "：", StyleNames.STRONG)
        if clause.text:
            self.spans(paragraph, clause.text[0])
        indent = self.text_indent(level)
        first_line = max(0, -self.level_indent(level)[1])  # law: a 条's 款 indented as the 条
        for more in clause.text[1:]:
            own.append(self.continuation(StyleNames.CLAUSE, indent, more, first_line))
        for item in clause.items:
            item_paragraph = self.paragraph(StyleNames.CLAUSE)
            self.number(item_paragraph, item.number)
            self.spans(item_paragraph, item.text)
            own.append(item_paragraph)
        for child in clause.clauses:
            self._clause(child)
        if clause.table is not None:
            self._data_table(clause.table, indent)
        if clause.note is not None:
            note = self.continuation(StyleNames.NOTE, indent, ())
            self.add_run(note, "注：", StyleNames.STRONG)
            self.spans(note, clause.note)
            own.append(note)
        if clause.changed:
            for mine in own:
                self.change_bar(mine)

    def _data_table(self, data: Table, indent: int) -> None:
        columns = [
            [name, *(plain(row[i]) if i < len(row) else "" for row in data.rows)]
            for i, name in enumerate(data.columns)
        ]
        widths = column_widths(
            columns, self.text_width - indent, self._style_pt(StyleNames.TABLE_TEXT) * 20
        )
        table = self.table(1 + len(data.rows), widths, indent=indent)
        self.header_row(table, data.columns)
        for row, values in zip(table.rows[1:], data.rows):
            for cell, value in zip(row.cells, values):
                self.cell_text(cell, value)
        self.paragraph(StyleNames.TABLE_TEXT)  # keeps the next paragraph (or table) apart


def write(document: Document, target: Path, options) -> bool:
    """The registered entry point (builder.writers): the handbook as .docx. False when the
    contents' page numbers were asked for and LibreOffice could not give them all. (The build
    asks for none here: it paginates all the handbooks it wrote at the end, see
    builder.release.build.)"""
    return render_docx(document, target, paginate=options.paginate)
