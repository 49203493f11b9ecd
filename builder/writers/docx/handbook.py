"""Render a resolved `Document` as a Word file (.docx).

The look comes from `templates/reference.docx` (styles only, like Pandoc's --reference-doc):
the writer opens it, clears its body and writes the handbook with named styles, so a company
restyles the handbook by editing the styles of that file in Word. Page size and margins, and
the body/heading typefaces, come from the manual's metadata.

Numbers are never typed: chapters, sections, clauses and items carry Word list numbering (one
list for the whole body, ilvl = level - 1) from `numbering.WORD_LEVELS`. The table of contents
is a real TOC field, pre-filled so it reads correctly before Word refreshes it; its page numbers
are PAGEREF fields whose cached results are taken from a LibreOffice layout pass when
LibreOffice is installed (LibreOffice shows a TOC's cached text as is).

The forms appendix lays each form out as bordered tables (`_form_body`); the fillable form files
(builder.writers.docx.forms) reuse that layout and put content controls in the input cells.

Reproducible: core and custom properties come from builder.document.properties (dated by the manual's
effective date, never "now") and the zip is normalised by builder.writers.ooxml.package.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.shared import Emu, Length, Mm, Pt, RGBColor, Twips
from docx.styles import BabelFish
from docx.styles.style import StyleFactory
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from builder.document import numbering
from builder.document.model import (
    Clause,
    Document,
    Form,
    FormField,
    Number,
    Paragraph,
    Section,
    Span,
    Table,
    plain,
)
from builder.document.fieldnames import printed_rows
from builder.document.properties import CONTROLLED, Properties, properties
from builder.writers.ooxml import core as ooxml
from builder.writers.ooxml.package import normalized_zip_bytes

log = logging.getLogger("handbook")
DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "templates" / "reference.docx"


class S:
    """Style names: the contract between this writer and reference.docx."""

    NORMAL = "Normal"
    BODY = "Body Text"
    TITLE = "Title"
    SUBTITLE = "Subtitle"
    HEADINGS = ("Heading 1", "Heading 2", "Heading 3", "Heading 4")
    HEADING_EN = "Heading Translation"
    FRONT_HEADING = "TOC Heading"  # 更新记录表, 目录: styled like a chapter, kept out of the TOC
    TOC = ("TOC 1", "TOC 2", "TOC 3")
    CLAUSE = "Clause"
    NOTE = "Note"
    CAPTION = "Caption"
    HEADER = "Header"
    FOOTER = "Footer"
    TABLE = "Handbook Table"
    TABLE_TEXT = "Table Text"
    TABLE_HEADING = "Table Heading"
    COVER_COMPANY = "Cover Company"
    COVER_BRANCH = "Cover Branch"
    COVER_INFO = "Cover Info"
    CONFIDENTIALITY = "Confidentiality"
    FORM_INFO = "Form Info"
    HYPERLINK = "Hyperlink"
    STRONG = "Strong"
    FIELD_HELP = "Field Help"
    REQUIRED = "Required Mark"


# -- the multilevel list ----------------------------------------------------------------------

NUMBERING_NAME = "Handbook Clauses"
# Per level (em of the body size): where the number starts, and the gap from there to the text.
# Each level's number starts where the text of the level above starts (Word's outline look).
# Levels 1–2 end in full-width punctuation (、 ）) and need no separator; 3–5 are followed by a
# tab to the hanging indent, so wrapped lines align with the text.
_LABEL_START_EM = (0, 0, 3, 4.5, 7.5)
_HANG_EM = (0, 3, 1.5, 3, 1.5)
_SUFFIX = ("nothing", "nothing", "tab", "tab", "tab")


def add_clause_numbering(numbering_element, body_pt: float = 10.5) -> int:
    """Add the 一、（一）1.（1）① definition to a numbering part; returns its abstractNumId."""
    em = body_pt * 20
    indents = [
        (round((start + hang) * em), round(hang * em)) for start, hang in zip(_LABEL_START_EM, _HANG_EM)
    ]
    return ooxml.add_abstract_num(numbering_element, NUMBERING_NAME, numbering.WORD_LEVELS, indents, _SUFFIX)


# -- public API -------------------------------------------------------------------------------

def render_docx(
    document: Document,
    path: Path,
    reference: Path | None = None,
    *,
    paginate: bool = False,
) -> bool:
    """Write `document` to `path` as .docx, styled by `reference` (default: templates/reference.docx).

    The TOC is pre-filled (entries linked to their headings) and flagged for Word to refresh on
    open. paginate: also fill its page numbers from a LibreOffice layout pass (needs `soffice`
    and `pdfinfo`; adds seconds per document, and the numbers are LibreOffice's pagination).
    Returns False when that pass was asked for but failed (the file is then written without).
    """
    writer = _DocxWriter(document, Path(reference) if reference else DEFAULT_REFERENCE)
    writer.build()
    data = writer.to_bytes()
    complete = True
    if paginate and writer.pagerefs:
        pages = layout_pages(data)
        if pages:
            writer.fill_page_numbers(pages)
            data = writer.to_bytes()
        else:
            complete = False
            log.warning("LibreOffice 排版失败，%s 的 Word 目录未填入页码（Word 打开时会更新）", document.branch.name)
    Path(path).write_bytes(normalized_zip_bytes(data))
    return complete


def layout_pages(docx_bytes: bytes, timeout: float = 300) -> dict[str, int]:
    """The page of every bookmark as LibreOffice lays the document out ({} if that fails)."""
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    if not (soffice and pdfinfo):
        return {}
    with tempfile.TemporaryDirectory(prefix="handbook-docx-") as tmp:
        work = Path(tmp)
        (work / "layout.docx").write_bytes(docx_bytes)
        options = {"ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"}}
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",  # private: runs in parallel
            "--headless",
            "--convert-to",
            "pdf:writer_pdf_Export:" + json.dumps(options),
            "--outdir",
            str(work),
            str(work / "layout.docx"),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=True)
            listing = subprocess.run(
                [pdfinfo, "-dests", str(work / "layout.pdf")],
                capture_output=True, timeout=60, check=True, text=True,
            ).stdout
        except (subprocess.SubprocessError, OSError):
            return {}
    pages: dict[str, int] = {}
    for line in listing.splitlines():
        match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
        if match:
            pages.setdefault(match.group(2), int(match.group(1)))
    return pages


def _pdf_destination_name(bookmark: str) -> str:
    """LibreOffice writes bookmark "a_b" as PDF destination "a5Fb" (hex for non-alphanumerics)."""
    return re.sub(r"[^A-Za-z0-9]", lambda m: f"{ord(m.group()):02X}", bookmark)


# -- helpers ----------------------------------------------------------------------------------

def _date_zh(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


_PAGE_SIZES_MM = {"A4": (210, 297), "A5": (148, 210), "A3": (297, 420), "B5": (176, 250),
                  "LETTER": (215.9, 279.4)}


def _text_weight(text: str) -> float:
    """Printed width of text in ems: CJK and full-width characters 1, others ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _with_rest(widths: Sequence[int], rest: int, total: int, least: int) -> list[int]:
    """`widths` with column `rest` taking what the others leave of `total`; where that is under
    `least` (wide margins, large type), every column shrinks in proportion instead, so no width
    is ever negative and the table still spans `total`."""
    widths = list(widths)
    others = sum(w for i, w in enumerate(widths) if i != rest)
    if total - others >= least:
        widths[rest] = total - others
        return widths
    widths[rest] = least
    scale = total / (others + least)
    widths = [int(w * scale) for w in widths]
    widths[rest] += total - sum(widths)
    return widths


def fixed_table(doc, rows: int, widths: Sequence[int], *, style: str | None = S.TABLE, header: bool = True,
                indent: int = 0, split_rows: bool = False, style_id: str | None = None,
                block_width: Length | None = None):
    """A fixed-layout table of the given column widths (twips), the header row repeated on each
    page; rows are kept whole on a page unless `split_rows`.

    style_id: the id of `style` when the caller has it, and block_width: doc's text width (what
    doc.add_table gives a new table) when the caller knows it; python-docx works both out again
    for every table, scanning every style and the whole document for its sections."""
    if block_width is None:
        table = doc.add_table(rows=rows, cols=len(widths))
    else:
        table = doc._body.add_table(rows, len(widths), block_width)
    tbl = table._tbl
    if style:
        tbl.tblStyle_val = style_id if style_id is not None else doc.styles.get_style_id(
            doc.styles[style], WD_STYLE_TYPE.TABLE)
    ooxml.set_fixed_layout(table)
    ooxml.set_table_width(table, sum(widths))
    if indent:
        ooxml.set_table_indent(table, indent)
    ooxml.set_table_look(table, first_row=header)
    # The new table has one w:tc per grid column in each row: set the widths on the elements
    # (python-docx's row.cells works out spans and merges on every call).
    for grid_col, width in zip(tbl.tblGrid.gridCol_lst, widths):
        grid_col.w = Twips(width)
    trs = tbl.tr_lst
    for tr in trs:
        for tc, width in zip(tr.tc_lst, widths):
            ooxml.set_cell_width(tc, width)
        if not split_rows:
            ooxml.set_cant_split(_Row(tr, table))
    if header and rows:
        ooxml.set_repeat_header(_Row(trs[0], table))
    return table


class _GridRow(_Row):
    """A row of a `_Grid`: its cells listed once."""

    def __init__(self, tr, table: DocxTable):
        super().__init__(tr, table)
        self._cells = tuple(_Cell(tc, table) for tc in tr.tc_lst)

    @property
    def cells(self) -> tuple[_Cell, ...]:
        return self._cells


class _Grid(DocxTable):
    """A table of `fixed_table`, its rows and their cells listed once: python-docx works out
    spans and merges on every row.cells. Only for tables that keep their shape (no merged
    cells, no rows added), as the handbook's and the form files' do."""

    def __init__(self, table: DocxTable):
        super().__init__(table._tbl, table._parent)
        self._grid_rows = [_GridRow(tr, self) for tr in self._tbl.tr_lst]

    @property
    def rows(self) -> list[_GridRow]:  # type: ignore[override]
        return self._grid_rows


def _column_widths(columns: Sequence[Sequence[str]], total: int, em: float = 190,
                   minimum_em: float = 2) -> list[int]:
    """Share `total` twips among columns the way an auto-fitting table would.

    columns: the texts of each column (header included); em: twips per character of the table
    text. Columns whose longest text fits a fair share get exactly that; the rest share what is
    left in proportion to their length (so short codes and names never wrap, prose does).
    """
    pad = 260  # cell margins plus a little air
    natural = [max(max((_text_weight(c) for c in cells), default=0), minimum_em) * em + pad for cells in columns]
    if sum(natural) <= total:
        scale = total / sum(natural)
        widths = [int(w * scale) for w in natural]
    else:
        fixed: dict[int, float] = {}
        while len(fixed) < len(natural):
            rest = [i for i in range(len(natural)) if i not in fixed]
            fair = (total - sum(fixed.values())) / len(rest)
            fits = [i for i in rest if natural[i] <= fair]
            if not fits:
                break
            fixed.update((i, natural[i]) for i in fits)
        rest = [i for i in range(len(natural)) if i not in fixed]
        remaining = total - sum(fixed.values())
        flexible = sum(natural[i] for i in rest)
        widths = [int(fixed[i] if i in fixed else remaining * natural[i] / flexible) for i in range(len(natural))]
    widths[-1] += total - sum(widths)
    return widths


@dataclass
class _TocEntry:
    level: int  # 1 or 2
    label: str  # number as printed, "" if none
    title: str
    bookmark: str


class _DocxWriter:
    def __init__(self, document: Document, reference: Path):
        if not reference.exists():
            raise FileNotFoundError(f"{reference}: run tools/make_reference_docx.py to create it")
        self.document = document
        self.meta = document.meta
        self.doc = docx.Document(str(reference))
        self._body_element = self.doc.element.body
        self._body_blocks = self.doc._body  # python-docx's container of the body's paragraphs
        self._check_styles(reference)
        self.pagerefs: list[tuple[str, object]] = []  # (bookmark, cached-result w:t)
        self._bookmark_ids = 0
        self._bookmarks = self._bookmark_names()
        self._counters = [0] * numbering.MAX_LEVEL
        self._restart: tuple[int, int] | None = None  # (numId, ilvl) of a restarted run
        # (name, type) → the id python-docx writes for that style (None for the default style of
        # its type): python-docx looks a style up by scanning them all, twice, on every use.
        self._style_ids: dict[tuple[str, WD_STYLE_TYPE], str | None] = {}
        self._style_pts: dict[str, float] = {}
        self._default_styles: dict[WD_STYLE_TYPE, object] = {}
        self._found_ids: dict[str, str] = {}  # `_style_id`
        self._styles_by_name: dict[str, object] | None = None  # `_named_style`
        self._names_by_id: dict[str | None, str] = {}  # `_style_name`
        self._block_width: Length | None = None  # of a new table: the text width (`table`)
        self._text_indents: dict[int, int] = {}  # level → `text_indent`

    # -- setup ---------------------------------------------------------------------------------

    def _bookmark_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        taken: set[str] = set()

        def claim(identifier: str) -> None:
            name = ooxml.bookmark_name(identifier)
            while name.lower() in taken:  # Word compares bookmark names case-insensitively
                name = ooxml.bookmark_name(name + "_")
            taken.add(name.lower())
            names[identifier] = name

        def walk_clauses(clauses: Iterable[Clause]) -> None:
            for clause in clauses:
                claim(clause.id)
                walk_clauses(clause.clauses)

        for section in self.document.walk_sections():
            claim(section.id)
            walk_clauses(section.clauses)
        for form in self.document.forms:
            claim(form.id)
        return names

    def _check_styles(self, reference: Path) -> None:
        present = {style.name for style in self.doc.styles}
        needed = [value for key, value in vars(S).items() if key.isupper()]
        names = [n for value in needed for n in (value if isinstance(value, tuple) else (value,))]
        missing = [n for n in names if n not in present]
        if missing:
            raise ValueError(f"{reference} lacks the styles {', '.join(missing)}; "
                             "start from templates/reference.docx (tools/make_reference_docx.py)")

    def _style_id(self, name: str) -> str | None:
        try:
            return self._found_ids[name]
        except KeyError:
            pass
        try:
            style_id = self._found_ids[name] = self._named_style(name).style_id
            return style_id
        except KeyError:
            return None

    def _named_style(self, name: str):
        """self.doc.styles[name], from a map of the styles by name: python-docx searches them
        all with an XPath query on every lookup. (Names it lacks, e.g. a style added since,
        go to python-docx, which also raises its KeyError.)"""
        if self._styles_by_name is None:
            self._styles_by_name = {}
            for element in self.doc.styles.element.style_lst:
                self._styles_by_name.setdefault(element.name_val, element)
        element = self._styles_by_name.get(BabelFish.ui2internal(name))
        if element is None:
            return self.doc.styles[name]
        return StyleFactory(element)

    def _style_name(self, paragraph: DocxParagraph) -> str:
        """paragraph.style.name, remembered by style id."""
        style_id = paragraph._p.style
        try:
            return self._names_by_id[style_id]
        except KeyError:
            name = self._names_by_id[style_id] = paragraph.style.name
            return name

    def _sid(self, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        """What python-docx writes for style `name` of type `kind` (cached; raises KeyError
        for a missing style as doc.styles[name] does)."""
        key = (name, kind)
        try:
            return self._style_ids[key]
        except KeyError:
            pass
        styles = self.doc.styles
        style = self._named_style(name)
        if style.type != kind:
            styles.get_style_id(style, kind)  # raises python-docx's ValueError
        if kind not in self._default_styles:  # python-docx finds it again on every lookup
            self._default_styles[kind] = styles.default(kind)
        style_id = self._style_ids[key] = None if style == self._default_styles[kind] else style.style_id
        return style_id

    def set_style(self, paragraph: DocxParagraph, name: str) -> None:
        """paragraph.style = name, without python-docx's per-call style lookup."""
        ooxml.set_paragraph_style(paragraph._p, self._sid(name))

    def add_run(self, paragraph: DocxParagraph, text: str | None = None, style: str | None = None) -> Run:
        """paragraph.add_run(text, style=name), without python-docx's per-call style lookup."""
        style_id = self._sid(style, WD_STYLE_TYPE.CHARACTER) if style else None
        return Run(ooxml.append_run(paragraph._p, text, style_id, rpr=bool(style)), paragraph)

    def _clear_body(self) -> None:
        ooxml.clear_body(self.doc.element.body)

    def _apply_meta(self) -> None:
        meta = self.meta
        section = self.doc.sections[0]
        width, height = _PAGE_SIZES_MM.get(meta.page_size.upper(), _PAGE_SIZES_MM["A4"])
        section.page_width, section.page_height = Mm(width), Mm(height)
        top, right, bottom, left = meta.margins_mm
        section.top_margin, section.right_margin = Mm(top), Mm(right)
        section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
        section.header_distance = Mm(min(12, top * 0.5))
        section.footer_distance = Mm(min(10, bottom * 0.5))
        self.text_width = Emu(section.page_width - section.left_margin - section.right_margin).twips
        self.body_pt = meta.font_size_pt

        styles = self.doc.styles
        body_font = self._east_asian_font(self._named_style(S.NORMAL)) or meta.body_font
        heading_font = self._east_asian_font(self._named_style(S.HEADINGS[0])) or meta.heading_font
        swap = {body_font: meta.body_font, heading_font: meta.heading_font}
        for style in styles:
            current = self._east_asian_font(style)
            if current in swap and swap[current] != current:
                ooxml.set_fonts(style.element.get_or_add_rPr(), swap[current])
        styles_root = styles.element
        defaults = ooxml.doc_defaults_rpr(styles_root)
        ooxml.set_fonts(defaults, meta.body_font)
        ooxml.strip_theme_fonts(styles_root)
        for rPr in (defaults, self._named_style(S.NORMAL).element.get_or_add_rPr()):
            ooxml.set_lang(rPr, self.document.lang)
        self._named_style(S.NORMAL).font.size = Pt(meta.font_size_pt)

        # The TOC's right-aligned page numbers sit at the right margin of this page setup.
        for name in S.TOC:
            stops = self._named_style(name).paragraph_format.tab_stops
            stops.clear_all()
            stops.add_tab_stop(Twips(self.text_width), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)

        ooxml.set_theme_font_lang(self.doc.settings.element, self.document.lang)
        self._style_pts.clear()  # sizes are final from here on

    def _style_pt(self, name: str) -> float:
        """The font size a paragraph style resolves to (following basedOn); cached once the
        page setup (`_apply_meta`, which sets the body size) is done."""
        try:
            return self._style_pts[name]
        except KeyError:
            pass
        style = self._named_style(name)
        size = self.body_pt
        while style is not None:
            if style.font.size is not None:
                size = style.font.size.pt
                break
            style = style.base_style
        self._style_pts[name] = size
        return size

    @staticmethod
    def _east_asian_font(style) -> str | None:
        return ooxml.east_asian_font(style.element.rPr)

    def _setup_numbering(self) -> None:
        numbering_element = self.doc.part.numbering_part.element
        abstract = ooxml.find_abstract_num(numbering_element, NUMBERING_NAME)
        if abstract is None:
            abstract = add_clause_numbering(numbering_element, self.body_pt)
        self._numbering = numbering_element
        self._abstract_id = abstract
        self.num_id = ooxml.add_num(numbering_element, abstract)

    # -- building blocks -----------------------------------------------------------------------

    def paragraph(self, style: str | None = None, text: str = "") -> DocxParagraph:
        """doc.add_paragraph(text, style)."""
        p = ooxml.body_paragraph(self._body_element)
        if text:
            ooxml.append_run(p, text)
        if style is not None:
            ooxml.set_paragraph_style(p, self._sid(style))
        return DocxParagraph(p, self._body_blocks)

    def spans(self, paragraph: DocxParagraph, spans: Paragraph) -> None:
        """Inline text; a span with a `ref` links to the bookmark of what it refers to."""
        for span in spans:
            self.span(paragraph, span)

    def span(self, paragraph: DocxParagraph, span: Span) -> None:
        target = self._bookmarks.get(span.ref) if span.ref else None
        if target is None:
            ooxml.append_run(paragraph._p, span.text)
            return
        self.link(paragraph, target, span.text, self._style_id(S.HYPERLINK))

    def link(self, paragraph: DocxParagraph, bookmark: str, text: str, style_id: str | None = None) -> Run:
        hyperlink = ooxml.add_internal_hyperlink(paragraph, bookmark)
        return Run(ooxml.append_run(hyperlink, text, style_id or None), paragraph)

    def bookmark(self, paragraph: DocxParagraph, identifier: str) -> None:
        name = self._bookmarks.get(identifier) or identifier
        self._bookmark_ids += 1
        ooxml.add_bookmark(paragraph, name, self._bookmark_ids)

    def number(self, paragraph: DocxParagraph, number: Number) -> None:
        """Attach real list numbering (ilvl = level - 1) to a heading, clause or item.

        The body is one list, so Word counts exactly as the model numbers. The one exception:
        a clause's sub-clauses restart after its items (both sit one level down); that run of
        paragraphs gets a list instance starting at the model's ordinal, and the main list
        resumes at the next shallower paragraph.
        """
        index = number.level - 1
        if self._restart and index < self._restart[1]:
            self._restart = None
        if number.ordinal != self._counters[index] + 1:
            self._restart = (ooxml.add_num(self._numbering, self._abstract_id, {index: number.ordinal}), index)
        self._counters[index] = number.ordinal
        for deeper in range(index + 1, len(self._counters)):
            self._counters[deeper] = 0
        ooxml.set_numbering(paragraph, self._restart[0] if self._restart else self.num_id, index)

    def text_indent(self, level: int) -> int:
        """Left edge (twips) of the text of a numbered body paragraph at this level."""
        try:
            return self._text_indents[level]
        except KeyError:
            left, _ = ooxml.level_indent(self._numbering, self._abstract_id, level - 1)
            self._text_indents[level] = left
            return left

    def field(self, paragraph: DocxParagraph, instr: str, cached: str = "") -> None:
        ooxml.append_field(paragraph._p, instr, cached)

    def table(
        self,
        rows: int,
        widths: Sequence[int],
        *,
        indent: int = 0,
        header: bool = True,
        style: str | None = S.TABLE,
    ):
        """A fixed-layout table of the given column widths (twips), header row repeated."""
        if self._block_width is None:
            self._block_width = self.doc._block_width  # the page setup is done by now
        return _Grid(fixed_table(self.doc, rows, widths, style=style, header=header, indent=indent,
                                 style_id=self._sid(style, WD_STYLE_TYPE.TABLE) if style else None,
                                 block_width=self._block_width))

    def cell_text(self, cell, text: str | Paragraph, style: str = S.TABLE_TEXT, *, bold: bool = False,
                  align=None) -> DocxParagraph:
        paragraph = cell.paragraphs[0]
        self.set_style(paragraph, style)
        if align is not None:
            paragraph.alignment = align
        if isinstance(text, str):
            if text and bold:
                paragraph.add_run(text).bold = True
            elif text:
                ooxml.append_run(paragraph._p, text, rpr=True)  # .bold = None leaves an empty w:rPr
        else:
            self.spans(paragraph, text)
        return paragraph

    def header_row(self, table, labels: Sequence[str]) -> None:
        for cell, label in zip(table.rows[0].cells, labels):
            self.cell_text(cell, label, S.TABLE_HEADING)

    # -- the document --------------------------------------------------------------------------

    def build(self) -> None:
        self._clear_body()
        self._apply_meta()
        ooxml.set_update_fields(self.doc.settings.element)  # the TOC and its PAGEREFs
        self._setup_numbering()
        self._cover()
        self._revisions()
        self._toc()
        for chapter in self.document.chapters:
            self._section(chapter)
        if self.document.forms:
            self._forms()
        meta = self.meta
        self._header_footer(f"{meta.title} — {self.document.branch.name}",
                            f"版本 {meta.version} · {meta.doc_number} · ", bare_first_page=True)
        self._properties(properties(self.document))

    def to_bytes(self) -> bytes:
        """The package, uncompressed (ooxml.package_bytes): normalized_zip_bytes compresses it."""
        return ooxml.package_bytes(self.doc)

    def fill_page_numbers(self, pages: dict[str, int]) -> None:
        for bookmark, cached in self.pagerefs:
            page = pages.get(bookmark, pages.get(_pdf_destination_name(bookmark)))
            if page is not None:
                cached.text = str(page)

    def _cover(self) -> None:
        meta, branch = self.meta, self.document.branch
        self.paragraph(S.CONFIDENTIALITY).add_run(f"{meta.confidentiality} · {CONTROLLED}")
        company = self.paragraph(S.COVER_COMPANY, meta.company)
        company.paragraph_format.space_before = Pt(72)
        if meta.company_en:
            self.paragraph(S.SUBTITLE, meta.company_en)
        title = self.paragraph(S.TITLE, meta.title)
        title.paragraph_format.space_before = Pt(36)
        if meta.title_en:
            self.paragraph(S.SUBTITLE, meta.title_en)
        self.paragraph(S.COVER_BRANCH, branch.name)

        rows = [
            ("文件编号", meta.doc_number),
            ("版　　本", meta.version),
            ("生效日期", _date_zh(meta.effective_date)),
            ("发布部门", meta.issuer),
            ("批　　准", meta.approver),
        ]
        spacer = self.paragraph(S.COVER_INFO)
        spacer.paragraph_format.space_before = Pt(40)
        info_pt = self._style_pt(S.COVER_INFO)
        widths = [round(6 * info_pt * 20) + 240, round(15 * info_pt * 20)]
        table = self.table(len(rows), widths, header=False, style=None)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        ooxml.set_table_no_borders(table._tbl.tblPr)
        for row, (label, value) in zip(table.rows, rows):
            self.cell_text(row.cells[0], label + "：", S.COVER_INFO)
            value_paragraph = self.cell_text(row.cells[1], value, S.COVER_INFO)
            ooxml.set_bottom_border(value_paragraph._p.get_or_add_pPr(), 4, "000000", 1)
        gap = 110  # points above the issuer line, less what the source-revision line takes
        if self.document.source_revision:  # small print under the table: which sources made this copy
            source = self.paragraph(S.COVER_INFO, f"源修订 {self.document.source_revision}")
            source.alignment = WD_ALIGN_PARAGRAPH.CENTER
            small = round(info_pt * 0.75, 1)
            fmt = source.paragraph_format
            fmt.space_before, fmt.line_spacing = Pt(8), Pt(small * 1.5)  # exact line height
            for run in source.runs:
                run.font.size = Pt(small)
                run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
            gap -= 8 + small * 1.5

        issued = self.paragraph(S.COVER_COMPANY, f"{meta.company}　{meta.issuer}　发布")
        issued.paragraph_format.space_before = Pt(gap)
        self.paragraph(S.COVER_INFO, f"{_date_zh(meta.effective_date)}　实施").alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _revisions(self) -> None:
        self.paragraph(S.FRONT_HEADING, "更新记录表")
        labels = ("版本", "日期", "修订内容", "编写", "批准")
        revisions = self.document.revisions
        em = self._style_pt(S.TABLE_TEXT) * 20
        margin = 240  # cell margins, twips

        def fit(values: Iterable[str], least: float, most: float) -> int:
            longest = max((_text_weight(v) for v in values), default=0)
            return int(min(max(longest, least), most) * em) + margin

        fixed = [
            fit((r.version for r in revisions), 3, 6),
            fit((r.date.isoformat() for r in revisions), 5.5, 6),
            0,
            fit((r.author for r in revisions), 3, 8),
            fit((r.approver for r in revisions), 3, 8),
        ]
        fixed = _with_rest(fixed, 2, self.text_width, int(6 * em) + margin)
        table = self.table(1 + len(self.document.revisions), fixed)
        self.header_row(table, labels)
        for row, revision in zip(table.rows[1:], self.document.revisions):
            values = (revision.version, revision.date.isoformat(), revision.summary, revision.author, revision.approver)
            for index, (cell, value) in enumerate(zip(row.cells, values)):
                self.cell_text(cell, value, align=None if index == 2 else WD_ALIGN_PARAGRAPH.CENTER)
        if self.document.change_marks:
            legend = self.paragraph(S.NOTE, f"本版（{self.document.meta.version}）新增或修改的章节和条款，在页边以竖线标示，并注明")
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
            entries.append(_TocEntry(1, chapter.number.label, chapter.title, self._bookmarks[chapter.id]))
            for section in chapter.sections:
                entries.append(_TocEntry(2, section.number.label, section.title, self._bookmarks[section.id]))
        if self.document.forms:
            entries.append(_TocEntry(1, "", self.APPENDIX_TITLE, self.APPENDIX_BOOKMARK))
            for form in self.document.forms:
                entries.append(_TocEntry(2, "", self._form_heading(form), self._bookmarks[form.id]))
        return entries

    def _toc(self) -> None:
        self.paragraph(S.FRONT_HEADING, "目录")
        entries = self._toc_entries()
        instr = 'TOC \\o "1-2" \\h \\z \\u'
        if not entries:
            paragraph = self.paragraph(S.TOC[0])
            self.field(paragraph, instr, "（更新域以生成目录）")
            return
        for index, entry in enumerate(entries):
            paragraph = self.paragraph(S.TOC[entry.level - 1])
            if index == 0:
                for run in ooxml.field_begin(instr):
                    paragraph._p.append(run)
            hyperlink = ooxml.add_internal_hyperlink(paragraph, entry.bookmark)
            ooxml.append_run(hyperlink, entry.label + entry.title)
            hyperlink.append(ooxml.tab_run())
            cached = ooxml.append_field(hyperlink, f"PAGEREF {entry.bookmark} \\h", "")
            self.pagerefs.append((entry.bookmark, cached))
            if index == len(entries) - 1:
                paragraph._p.append(ooxml.field_end())

    # -- chapters ------------------------------------------------------------------------------

    def _heading(self, level: int, title: str) -> DocxParagraph:
        return self.paragraph(S.HEADINGS[min(level, 4) - 1], title)

    def _section(self, section: Section) -> None:
        heading = self._heading(section.level, section.title)
        self.number(heading, section.number)
        self._heading_indent(heading, section.level)
        self.bookmark(heading, section.id)
        if section.title_en:
            self._translation(heading, section.title_en)
        if section.changed:  # not in the heading itself, which Word copies into the TOC
            tag = self.paragraph(S.NOTE)
            tag.paragraph_format.keep_with_next = True
            self.change_tag(tag)
            self.change_bar(heading)
            self.change_bar(tag)
        for intro in section.intro:
            self.spans(self.paragraph(S.BODY), intro)
        for child in section.sections:
            self._section(child)
        for clause in section.clauses:
            self._clause(clause)

    def _translation(self, heading: DocxParagraph, title_en: str) -> None:
        """The English title right under its heading (which gives up its space below)."""
        heading.paragraph_format.space_after = Pt(0)
        self.paragraph(S.HEADING_EN, title_en)

    def _heading_indent(self, heading: DocxParagraph, level: int) -> None:
        """Headings sit at the margin; a tab-separated number gets a hanging indent of its own size."""
        index = min(level, numbering.MAX_LEVEL) - 1
        fmt = heading.paragraph_format
        if _SUFFIX[index] == "tab":
            size = self._style_pt(self._style_name(heading))
            hang = Twips(round(_HANG_EM[index] * size * 20))
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
        run.font.size = Pt(round(self._style_pt(S.CLAUSE) * 0.7, 1))
        run.font.bold = False
        run.font.color.rgb = RGBColor.from_string(self.REV_COLOR)
        ooxml.set_run_border(run._r.get_or_add_rPr(), 4, self.REV_COLOR, 0)

    def _clause(self, clause: Clause) -> None:
        level = clause.number.level
        paragraph = self.paragraph(S.CLAUSE)
        own = [paragraph]  # the clause's own paragraphs (its sub-clauses have their own)
        self.number(paragraph, clause.number)
        self.bookmark(paragraph, clause.id)
        if clause.title:
            self.add_run(paragraph, clause.title, S.STRONG)
        if clause.changed:
            self.change_tag(paragraph)
        if clause.title and clause.text:
            self.add_run(paragraph, "：", S.STRONG)
        if clause.text:
            self.spans(paragraph, clause.text[0])
        indent = self.text_indent(level)
        for more in clause.text[1:]:
            own.append(self._continuation(S.CLAUSE, indent, more))
        for item in clause.items:
            item_paragraph = self.paragraph(S.CLAUSE)
            self.number(item_paragraph, item.number)
            self.spans(item_paragraph, item.text)
            own.append(item_paragraph)
        for child in clause.clauses:
            self._clause(child)
        if clause.table is not None:
            self._data_table(clause.table, indent)
        if clause.note is not None:
            note = self._continuation(S.NOTE, indent, ())
            self.add_run(note, "注：", S.STRONG)
            self.spans(note, clause.note)
            own.append(note)
        if clause.changed:
            for mine in own:
                self.change_bar(mine)

    def _continuation(self, style: str, indent: int, spans: Paragraph) -> DocxParagraph:
        """An unnumbered paragraph aligned with the text of the numbered one above."""
        paragraph = self.paragraph(style)
        paragraph.paragraph_format.left_indent = Twips(indent)
        paragraph.paragraph_format.first_line_indent = Twips(0)
        self.spans(paragraph, spans)
        return paragraph

    def _data_table(self, data: Table, indent: int) -> None:
        columns = [[name, *(plain(row[i]) if i < len(row) else "" for row in data.rows)]
                   for i, name in enumerate(data.columns)]
        widths = _column_widths(columns, self.text_width - indent, self._style_pt(S.TABLE_TEXT) * 20)
        table = self.table(1 + len(data.rows), widths, indent=indent)
        self.header_row(table, data.columns)
        for row, values in zip(table.rows[1:], data.rows):
            for cell, value in zip(row.cells, values):
                self.cell_text(cell, value)
        self.paragraph(S.TABLE_TEXT)  # keeps the next paragraph (or table) apart

    # -- forms ---------------------------------------------------------------------------------

    @staticmethod
    def _form_heading(form: Form) -> str:
        return f"{form.title}（{form.code}）"

    def _forms(self) -> None:
        appendix = self.paragraph(S.HEADINGS[0], self.APPENDIX_TITLE)
        self._bookmark_ids += 1
        ooxml.add_bookmark(appendix, self.APPENDIX_BOOKMARK, self._bookmark_ids)
        for index, form in enumerate(self.document.forms):
            self._form(form, new_page=index > 0)

    def _form(self, form: Form, *, new_page: bool) -> None:
        heading = self.paragraph(S.HEADINGS[1], self._form_heading(form))
        heading.paragraph_format.page_break_before = new_page
        self.bookmark(heading, form.id)
        if form.title_en:
            self._translation(heading, form.title_en)
        self._form_info(form)
        self._form_notes(form)
        self._form_body(form)
        if any(f.example or f.row_examples for f in form.fields):
            self._example_block(form)

    def _form_body(self, form: Form) -> None:
        """The form proper: field grid, `rows` grids, approval block. Shared with the fillable
        form files (builder.writers.docx.forms), which override the `_…_input` methods below."""
        self._form_labels = self._label_widths(self._label_text(f) + "*" for f in form.fields if f.type != "rows")
        self._form_fields(form.fields)
        if form.approval_chain:
            self._approval_block(form)

    def _form_info(self, form: Form) -> None:
        """表单编号 and 依据条款 (linked to the clause), on one line."""
        line = self.paragraph(S.FORM_INFO)
        self.add_run(line, "表单编号：", S.STRONG)
        line.add_run(form.code)
        if form.clause_label:
            self.add_run(line, "　　依据条款：", S.STRONG)
            target = self._bookmarks.get(form.clause_id) if form.clause_id else None
            if target:
                self.link(line, target, form.clause_label, self._style_id(S.HYPERLINK))
            else:
                line.add_run(form.clause_label)

    def _form_notes(self, form: Form) -> None:
        """用途 and 填写说明."""
        purpose = self.paragraph(S.FORM_INFO)
        self.add_run(purpose, "用途：", S.STRONG)
        self.spans(purpose, form.purpose)
        notes = list(form.instructions)
        if any(f.required for f in form.fields):
            notes.append((Span("标“*”的为必填项。"),))
        if notes:
            self.add_run(self.paragraph(S.FORM_INFO), "填写说明：", S.STRONG)
            for note in notes:
                item = self._continuation(S.FORM_INFO, int(self.body_pt * 20), ())
                item.paragraph_format.first_line_indent = Twips(-int(self.body_pt * 10))
                item.add_run("· ")
                self.spans(item, note)

    def _form_fields(self, fields: Sequence[FormField]) -> None:
        """Scalar fields as label | input rows; each `rows` field as its own grid."""
        run: list[FormField] = []
        for field in fields:
            if field.type == "rows":
                if run:
                    self._field_table(run)
                    run = []
                self._rows_table(field)
            else:
                run.append(field)
        if run:
            self._field_table(run)

    def _label_widths(self, labels: Iterable[str] = ()) -> list[int]:
        """Label | input columns: the label column fits the longest label (within reason)."""
        em = self._style_pt(S.TABLE_HEADING) * 20
        longest = max((_text_weight(label) for label in labels), default=6)
        label = int(min(max(longest + 1.5, 6) * em + 200, self.text_width * 0.35))
        return [label, self.text_width - label]

    def _field_table(self, fields: Sequence[FormField]) -> None:
        table = self.table(len(fields), self._form_labels, header=False)
        for row, field in zip(table.rows, fields):
            self._field_label(row.cells[0], field)
            self._field_input(row.cells[1], field)
            row.height = Mm(_FIELD_HEIGHT_MM.get(field.type, 9))
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            ooxml.set_cell_valign(row.cells[0], "center")
            ooxml.set_cell_valign(row.cells[1], "center" if field.type != "textarea" else "top")
        self.paragraph(S.TABLE_TEXT)

    def _field_label(self, cell, field: FormField) -> None:
        ooxml.shade_cell(cell, LABEL_FILL)
        paragraph = self.cell_text(cell, self._label_text(field), S.TABLE_HEADING)
        if field.required:
            self.add_run(paragraph, "*", S.REQUIRED)
        if field.help:
            paragraph.add_run().add_break()
            self.add_run(paragraph, field.help, S.FIELD_HELP)

    @staticmethod
    def _label_text(field: FormField) -> str:
        suffix = {"money": "（元）"}.get(field.type, "")
        return field.label + suffix

    # What goes into an input cell. The handbook prints guidance for the hand (boxes to tick,
    # date blanks); the fillable form files override these three with content controls.

    def _field_input(self, cell, field: FormField) -> None:
        self.cell_text(cell, _input_text(field))

    def _cell_input(self, cell, field: FormField, row: int, column: FormField) -> None:
        """The cell of `column` in row `row` (1-based) of the `rows` field `field`."""
        text = _input_text(column, compact=True) if column.type in _PRINTED_INPUTS else ""
        self.cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.RIGHT if column.type in ("date", "datetime") else None)

    def _approval_input(self, cells, step_number: int) -> None:
        """The 审批意见, 签字 and 日期 cells of approval step `step_number` (1-based)."""
        opinion, sign, day = cells
        self.cell_text(opinion, "")
        self.cell_text(sign, "")
        self.cell_text(day, "　年　月　日", align=WD_ALIGN_PARAGRAPH.RIGHT)

    def _rows_table(self, field: FormField) -> None:
        caption = self.paragraph(S.CAPTION, self._label_text(field))
        if field.required:
            self.add_run(caption, "*", S.REQUIRED)
        widths = _column_widths([["序号"], *([c.label, "汉" * _COLUMN_EM.get(c.type, 8)] for c in field.columns)],
                                self.text_width, self._style_pt(S.TABLE_TEXT) * 20)
        table = self.table(1 + printed_rows(field), widths)
        self.header_row(table, ["序号", *(self._label_text(c) for c in field.columns)])
        for index, row in enumerate(table.rows[1:], start=1):
            row.height = Mm(8)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            self.cell_text(row.cells[0], str(index), align=WD_ALIGN_PARAGRAPH.CENTER)
            for cell, column in zip(row.cells[1:], field.columns):
                self._cell_input(cell, field, index, column)
            for cell in row.cells:
                ooxml.set_cell_valign(cell, "center")
        self.paragraph(S.TABLE_TEXT)

    def _approval_block(self, form: Form) -> None:
        self.paragraph(S.CAPTION, "审批流程")
        em = int(self.body_pt * 20)
        widths = _with_rest([8 * em, 6 * em, 0, 6 * em, 7 * em], 2, self.text_width, 6 * em)
        table = self.table(1 + len(form.approval_chain), widths)
        self.header_row(table, ("审批环节", "办理时限", "审批意见", "签字", "日期"))
        for number, (row, step) in enumerate(zip(table.rows[1:], form.approval_chain), start=1):
            row.height = Mm(14)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            self.cell_text(row.cells[0], step.role, align=WD_ALIGN_PARAGRAPH.CENTER)
            self.cell_text(row.cells[1], f"{step.days} 个工作日", align=WD_ALIGN_PARAGRAPH.CENTER)
            self._approval_input(row.cells[2:5], number)
            for cell in row.cells:
                ooxml.set_cell_valign(cell, "center")
        self.paragraph(S.TABLE_TEXT)

    def _example_block(self, form: Form) -> None:
        self.paragraph(S.CAPTION, "填写示例")
        scalar = [f for f in form.fields if f.type != "rows" and f.example]
        if scalar:
            table = self.table(1 + len(scalar), self._form_labels)
            self.header_row(table, ("项目", "示例"))
            for row, field in zip(table.rows[1:], scalar):
                ooxml.shade_cell(row.cells[0], LABEL_FILL)
                self.cell_text(row.cells[0], field.label, S.TABLE_HEADING)
                self.cell_text(row.cells[1], field.example)
            self.paragraph(S.TABLE_TEXT)
        for field in form.fields:
            if field.type != "rows" or not (field.row_examples or field.example):
                continue
            examples = field.row_examples or ((field.example,),)
            self.paragraph(S.CAPTION, f"{field.label}（示例）")
            labels = [c.label for c in field.columns] or [field.label]
            columns = [[label, *(r[i] if i < len(r) else "" for r in examples)] for i, label in enumerate(labels)]
            table = self.table(1 + len(examples),
                               _column_widths(columns, self.text_width, self._style_pt(S.TABLE_TEXT) * 20))
            self.header_row(table, labels)
            for row, values in zip(table.rows[1:], examples):
                for cell, value in zip(row.cells, values):
                    self.cell_text(cell, value)
            self.paragraph(S.TABLE_TEXT)

    # -- page furniture and properties ---------------------------------------------------------

    def _header_footer(self, header_text: str, footer_lead: str, *, bare_first_page: bool) -> None:
        """Running header `header_text`; footer `footer_lead` + 第 X 页 / 共 Y 页."""
        section = self.doc.sections[0]
        if bare_first_page:
            section.different_first_page_header_footer = True  # w:titlePg: a bare cover
            for part in (section.first_page_header, section.first_page_footer):
                part.is_linked_to_previous = False
                for paragraph in part.paragraphs:
                    self.set_style(paragraph, S.FOOTER)

        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        self.set_style(paragraph, S.HEADER)
        paragraph.text = header_text

        footer = section.footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        self.set_style(paragraph, S.FOOTER)
        paragraph.add_run(f"{footer_lead}第 ")
        self.field(paragraph, "PAGE", "1")
        paragraph.add_run(" 页 / 共 ")
        self.field(paragraph, "NUMPAGES", "1")
        paragraph.add_run(" 页")

    def _properties(self, props: Properties) -> None:
        """Core properties and docProps/custom.xml from `props` (builder.document.properties), dated by
        the manual's effective date, so the bytes are reproducible."""
        core = self.doc.core_properties
        text = ooxml.core_text
        core.title = text(props.title)
        core.subject = text(props.subject)
        core.author = text(props.author)
        core.last_modified_by = text(props.issuer)
        core.keywords = text(props.keyword_text())
        core.category = text(props.category)
        core.comments = text(props.description)
        core.identifier = text(props.identifier)
        core.version = text(props.version)
        core.content_status = text(props.status)
        core.language = props.language
        core.revision = props.revision
        core.created = core.modified = core.last_printed = props.stamp
        ooxml.set_custom_properties(self.doc, props.custom.items())


LABEL_FILL = "F2F2F2"

# Typical width (em) of a hand-filled column of a `rows` field, by field type.
_COLUMN_EM = {"textarea": 18, "text": 10, "date": 8, "datetime": 11, "number": 5, "money": 6,
              "person": 5, "signature": 6, "choice": 8, "multichoice": 10, "score": 9}

_FIELD_HEIGHT_MM = {"textarea": 28, "signature": 14}

# Input cells that print guidance for the hand (other types are left blank).
_PRINTED_INPUTS = {"choice", "multichoice", "score", "date", "datetime", "signature"}

_BOX = "☐"


def _input_text(field: FormField, compact: bool = False) -> str:
    """What an empty input cell shows: boxes to tick, date blanks, signature lines.

    compact: for a narrow column of a `rows` grid.
    """
    if compact and field.type in ("date", "datetime", "signature"):
        return {"date": "　年　月　日", "datetime": "　月　日　时", "signature": ""}[field.type]
    if field.type in ("choice", "multichoice"):
        boxes = "　".join(f"{_BOX}{option}" for option in field.options)
        return boxes + ("　（可多选）" if field.type == "multichoice" else "")
    if field.type == "score":
        return "　".join(f"{_BOX}{n}" for n in range(1, 6))
    if field.type == "date":
        return "　　　　年　　月　　日"
    if field.type == "datetime":
        return "　　　　年　　月　　日　　时　　分"
    if field.type == "signature":
        return "签字：　　　　　　　　　　　　日期：　　　　年　　月　　日"
    return ""
