"""DocxWriter: the base of every Word writer (handbook, fillable forms, tracked changes).

It opens templates/reference.docx, clears its body and offers the building blocks: styled
paragraphs and runs without python-docx's per-call style lookups, links and bookmarks, real
list numbering, fields, fixed-layout tables, the page setup from the manual's metadata, running
header and footer, and the document properties."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.shared import Emu, Length, Mm, Pt, Twips
from docx.styles import BabelFish
from docx.styles.style import StyleFactory
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from builder.document import numbering
from builder.document.model import (
    Document,
    Number,
    Paragraph,
    Span,
)
from builder.document.properties import Properties
from builder.writers import ooxml
from builder.writers.docx.styles import (
    StyleNames,
    add_clause_numbering,
    numbering_name,
    open_reference,
)
from builder.writers.docx.tables import GridTable, fixed_table

log = logging.getLogger("handbook")


_PAGE_SIZES_MM = {
    "A4": (210, 297),
    "A5": (148, 210),
    "A3": (297, 420),
    "B5": (176, 250),
    "LETTER": (215.9, 279.4),
}


class DocxWriter:
    def __init__(self, document: Document, reference: Path):
        self.document = document
        self.meta = document.meta
        self.doc = open_reference(reference)
        ooxml.remove_update_fields(self.doc.settings.element)  # no prompt on opening
        self._body_element = self.doc.element.body
        self._body_blocks = self.doc._body  # python-docx's container of the body's paragraphs
        self._bookmark_ids = 0
        self._bookmarks = self._bookmark_names()
        self.scheme = numbering.scheme(document.meta.numbering, document.branch.script)
        lists = self.scheme.word_lists()
        self._counters = [[0] * len(levels) for levels in lists]  # per Word list, per ilvl
        # per Word list: (numId, ilvl) of a restarted run, if one is going on
        self._restart: list[tuple[int, int] | None] = [None] * len(lists)
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
        return bookmark_names(self.document)

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

    def _written_style_id(
        self, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH
    ) -> str | None:
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
        style_id = self._style_ids[key] = (
            None if style == self._default_styles[kind] else style.style_id
        )
        return style_id

    def set_style(self, paragraph: DocxParagraph, name: str) -> None:
        """paragraph.style = name, without python-docx's per-call style lookup."""
        ooxml.set_paragraph_style(paragraph._p, self._written_style_id(name))

    def add_run(
        self, paragraph: DocxParagraph, text: str | None = None, style: str | None = None
    ) -> Run:
        """paragraph.add_run(text, style=name), without python-docx's per-call style lookup."""
        style_id = self._written_style_id(style, WD_STYLE_TYPE.CHARACTER) if style else None
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
        body_font = self._east_asian_font(self._named_style(StyleNames.NORMAL)) or meta.body_font
        heading_font = (
            self._east_asian_font(self._named_style(StyleNames.HEADINGS[0])) or meta.heading_font
        )
        swap = {body_font: meta.body_font, heading_font: meta.heading_font}
        for style in styles:
            current = self._east_asian_font(style)
            if current in swap and swap[current] != current:
                ooxml.set_fonts(style.element.get_or_add_rPr(), swap[current])
        styles_root = styles.element
        defaults = ooxml.doc_defaults_rpr(styles_root)
        ooxml.set_fonts(defaults, meta.body_font)
        ooxml.strip_theme_fonts(styles_root)
        for rPr in (defaults, self._named_style(StyleNames.NORMAL).element.get_or_add_rPr()):
            ooxml.set_lang(rPr, self.document.lang)
        self._named_style(StyleNames.NORMAL).font.size = Pt(meta.font_size_pt)

        # The TOC's right-aligned page numbers sit at the right margin of this page setup.
        for name in StyleNames.TOC:
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
        """One Word list per list of the manual's numbering scheme (outline and decimal: one;
        law: 章/节 and 条/项/目), from reference.docx when it defines it by name."""
        numbering_element = self.doc.part.numbering_part.element
        self._numbering = numbering_element
        self._lists: list[tuple[int, int]] = []  # (abstractNumId, numId) per Word list
        for which in range(len(self.scheme.word_lists())):
            abstract = ooxml.find_abstract_num(
                numbering_element, numbering_name(self.scheme, which)
            )
            if abstract is None:
                abstract = add_clause_numbering(numbering_element, self.body_pt, self.scheme, which)
            self._lists.append((abstract, ooxml.add_num(numbering_element, abstract)))
        self._abstract_id, self.num_id = self._lists[0]

    # -- building blocks -----------------------------------------------------------------------

    def paragraph(self, style: str | None = None, text: str = "") -> DocxParagraph:
        """doc.add_paragraph(text, style)."""
        p = ooxml.body_paragraph(self._body_element)
        if text:
            ooxml.append_run(p, text)
        if style is not None:
            ooxml.set_paragraph_style(p, self._written_style_id(style))
        return DocxParagraph(p, self._body_blocks)

    def spans(self, paragraph: DocxParagraph, spans: Paragraph) -> None:
        """Inline text; a span with a `ref` links to the bookmark of what it refers to."""
        for span in spans:
            self.span(paragraph, span)

    def span(self, paragraph: DocxParagraph, span: Span) -> None:
        target = self._bookmarks.get(span.ref) if span.ref else None
        if target is None:
            run = ooxml.append_run(paragraph._p, span.text, rpr=span.review)
            if span.review:  # a value marked 待确认, in a draft
                ooxml.set_highlight(run.find(ooxml.qn("w:rPr")))
            return
        self.link(paragraph, target, span.text, self._style_id(StyleNames.HYPERLINK))

    def link(
        self, paragraph: DocxParagraph, bookmark: str, text: str, style_id: str | None = None
    ) -> Run:
        hyperlink = ooxml.add_internal_hyperlink(paragraph, bookmark)
        return Run(ooxml.append_run(hyperlink, text, style_id or None), paragraph)

    def bookmark(self, paragraph: DocxParagraph, identifier: str) -> None:
        name = self._bookmarks.get(identifier) or identifier
        self._bookmark_ids += 1
        ooxml.add_bookmark(paragraph, name, self._bookmark_ids)

    def number(self, paragraph: DocxParagraph, number: Number) -> None:
        """Attach real list numbering to a heading, clause or item, at the Word list and ilvl
        of its level (`Scheme.word_place`; outline: one list, ilvl = level - 1).

        Each list runs through the whole body, so Word counts exactly as the model numbers
        (numbering.Counter counts the same way). The one exception: a run of paragraphs whose
        ordinal is not the next count (a clause's sub-clauses after its items, both one level
        down) gets a list instance starting at the model's ordinal, and the main list resumes at
        the next shallower paragraph of that list.
        """
        which, index = self.scheme.word_place(number.level)
        abstract, main = self._lists[which]
        counters = self._counters[which]
        restart = self._restart[which]
        if restart and index < restart[1]:
            restart = None
        if number.ordinal != counters[index] + 1:
            restart = (ooxml.add_num(self._numbering, abstract, {index: number.ordinal}), index)
        self._restart[which] = restart
        counters[index] = number.ordinal
        for deeper in range(index + 1, len(counters)):
            counters[deeper] = 0
        ooxml.set_numbering(paragraph, restart[0] if restart else main, index)

    def level_indent(self, level: int) -> tuple[int, int]:
        """(left, hanging) twips of a numbered paragraph at this level, as its Word list level
        defines them (a negative hanging: a first-line indent)."""
        which, index = self.scheme.word_place(level)
        return ooxml.level_indent(self._numbering, self._lists[which][0], index)

    def text_indent(self, level: int) -> int:
        """Left edge (twips) of the text of a numbered body paragraph at this level."""
        try:
            return self._text_indents[level]
        except KeyError:
            left, _ = self.level_indent(level)
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
        style: str | None = StyleNames.TABLE,
    ):
        """A fixed-layout table of the given column widths (twips), header row repeated."""
        if self._block_width is None:
            self._block_width = self.doc._block_width  # the page setup is done by now
        return GridTable(
            fixed_table(
                self.doc,
                rows,
                widths,
                style=style,
                header=header,
                indent=indent,
                style_id=self._written_style_id(style, WD_STYLE_TYPE.TABLE) if style else None,
                block_width=self._block_width,
            )
        )

    def cell_text(
        self,
        cell,
        text: str | Paragraph,
        style: str = StyleNames.TABLE_TEXT,
        *,
        bold: bool = False,
        align=None,
    ) -> DocxParagraph:
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

    def continuation(
        self, style: str, indent: int, spans: Paragraph, first_line: int = 0
    ) -> DocxParagraph:
        """An unnumbered paragraph aligned with the text of the numbered one above (first_line:
        its first-line indent in twips, as a law-style 条's 款 has)."""
        paragraph = self.paragraph(style)
        paragraph.paragraph_format.left_indent = Twips(indent)
        paragraph.paragraph_format.first_line_indent = Twips(first_line)
        self.spans(paragraph, spans)
        return paragraph

    def header_row(self, table, labels: Sequence[str]) -> None:
        for cell, label in zip(table.rows[0].cells, labels):
            self.cell_text(cell, label, StyleNames.TABLE_HEADING)

    # -- the document --------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The package, uncompressed (ooxml.package_bytes): normalized_zip_bytes compresses it."""
        return ooxml.package_bytes(self.doc)

    # -- page furniture and properties ---------------------------------------------------------

    def _header_footer(self, header_text: str, footer_lead: str, *, bare_first_page: bool) -> None:
        """Running header `header_text`; footer `footer_lead` + 第 X 页 / 共 Y 页."""
        section = self.doc.sections[0]
        if bare_first_page:
            section.different_first_page_header_footer = True  # w:titlePg: a bare cover
            for part in (section.first_page_header, section.first_page_footer):
                part.is_linked_to_previous = False
                for paragraph in part.paragraphs:
                    self.set_style(paragraph, StyleNames.FOOTER)

        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        self.set_style(paragraph, StyleNames.HEADER)
        paragraph.text = header_text

        footer = section.footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        self.set_style(paragraph, StyleNames.FOOTER)
        paragraph.add_run(f"{footer_lead}第 ")
        self.field(paragraph, "PAGE", "1")
        paragraph.add_run(" 页 / 共 ")
        self.field(paragraph, "NUMPAGES", "1")
        paragraph.add_run(" 页")

    def _properties(self, props: Properties) -> None:
        """Core properties and docProps/custom.xml from `props` (builder.document.properties), dated
        by the manual's effective date, so the bytes are reproducible."""
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


def bookmark_names(document) -> dict[str, str]:
    """id → Word bookmark name of every chapter, section, clause and form of `document`, unique
    case-insensitively (as Word compares them). `handbook apply` reads the names back."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for node, _ in document.walk():
        name = ooxml.bookmark_name(node.id)
        while name.lower() in taken:
            name = ooxml.bookmark_name(name + "_")
        taken.add(name.lower())
        names[node.id] = name
    return names
