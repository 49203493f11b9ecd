"""The look contract with templates/reference.docx: the style names every Word writer uses,
and the multilevel list that numbers chapters, sections, clauses and items (一、（一）1.（1）①)."""

from __future__ import annotations

import logging
from pathlib import Path

from builder.document import numbering
from builder.errors import WriterError
from builder.writers import ooxml

log = logging.getLogger("handbook")
DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "templates" / "reference.docx"


class StyleNames:
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
LABEL_START_EM = (0, 0, 3, 4.5, 7.5)
HANG_EM = (0, 3, 1.5, 3, 1.5)
LEVEL_SUFFIX = ("nothing", "nothing", "tab", "tab", "tab")


def add_clause_numbering(numbering_element, body_pt: float = 10.5) -> int:
    """Add the 一、（一）1.（1）① definition to a numbering part; returns its abstractNumId."""
    em = body_pt * 20
    indents = [
        (round((start + hang) * em), round(hang * em))
        for start, hang in zip(LABEL_START_EM, HANG_EM)
    ]
    return ooxml.add_abstract_num(
        numbering_element, NUMBERING_NAME, numbering.WORD_LEVELS, indents, LEVEL_SUFFIX
    )


def open_reference(reference: Path):
    """templates/reference.docx (or the given one) as a python-docx Document, checked to have
    every style the writers use. WriterError (in Chinese) when it is missing or lacks styles."""
    import docx

    if not reference.is_file():
        raise WriterError(
            f"找不到 Word 样式模板 {reference}：请运行 tools/make_reference_docx.py 生成"
        )
    document = docx.Document(str(reference))
    present = {style.name for style in document.styles}
    needed = [value for key, value in vars(StyleNames).items() if key.isupper()]
    names = [n for value in needed for n in (value if isinstance(value, tuple) else (value,))]
    missing = [n for n in names if n not in present]
    if missing:
        raise WriterError(
            f"Word 样式模板 {reference} 缺少样式 {'、'.join(missing)}；"
            "请以 templates/reference.docx 为基础修改（tools/make_reference_docx.py）"
        )
    return document
