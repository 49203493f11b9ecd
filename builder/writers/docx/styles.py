"""The look contract with templates/reference.docx: the style names every Word writer uses,
and the multilevel lists that number chapters, sections, clauses and items in the manual's
numbering scheme (builder.document.numbering)."""

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


def numbering_name(scheme: numbering.Scheme, which: int) -> str:
    """The w:name of Word list `which` of a scheme: the outline list keeps the name the
    reference.docx definition has; the others are found by their own name if a company's
    reference.docx defines them, and added otherwise."""
    if scheme.name == "outline":
        return NUMBERING_NAME
    return f"{NUMBERING_NAME} ({scheme.name} {which + 1})"


def add_clause_numbering(
    numbering_element,
    body_pt: float = 10.5,
    scheme: numbering.Scheme = numbering.OUTLINE,
    which: int = 0,
) -> int:
    """Add Word list `which` of a numbering scheme (default: the outline 一、（一）1.（1）①) to a
    numbering part; returns its abstractNumId. Indents and separators come from the scheme's
    levels (builder.document.numbering): where each label starts, the hanging indent to the
    text (negative: a first-line indent), and w:suff ("nothing" when the label ends in
    full-width punctuation or a full-width space, "tab" to the hanging indent otherwise)."""
    em = body_pt * 20
    levels = scheme.word_lists()[which]
    specs = [scheme.levels[level - 1] for level in levels]
    indents = [
        (round((spec.start_em + spec.hang_em) * em), round(spec.hang_em * em)) for spec in specs
    ]
    return ooxml.add_abstract_num(
        numbering_element,
        numbering_name(scheme, which),
        scheme.word_levels(levels),
        indents,
        [spec.suffix for spec in specs],
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
