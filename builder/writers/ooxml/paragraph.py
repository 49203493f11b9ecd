"""Paragraphs: paragraph properties (w:pPr), styles, body paragraphs, and runs as python-docx
makes them.

The second half builds the same elements as python-docx's Document.add_paragraph,
Paragraph.style, Paragraph.add_run and Run.text, without its per-call style lookups and
successor scans: the writers make thousands of them.
"""

from __future__ import annotations

import re

from lxml import etree

from .elements import OxmlElement, get_or_add_child, make_element, place_in_order, qn, successors

# The children of w:pPr in schema order (ECMA-376 Part 1, CT_PPr; python-docx's CT_PPr).
PPR_ORDER = (
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)

# The children of w:pBdr in schema order (CT_PBdr).
PARAGRAPH_BORDER_ORDER = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")


def get_or_add_ppr_child(pPr, tag: str):
    """The `tag` child of a w:pPr, created in its schema place if missing."""
    return get_or_add_child(pPr, tag, before=successors(PPR_ORDER, tag))


def set_numbering(paragraph, num_id: int, ilvl: int) -> None:
    """Attach a paragraph to list `num_id` at level `ilvl` (w:numPr)."""
    pPr = paragraph._p.get_or_add_pPr()
    numPr = get_or_add_ppr_child(pPr, "w:numPr")
    for child in list(numPr):
        numPr.remove(child)
    level = OxmlElement("w:ilvl")
    level.set(qn("w:val"), str(ilvl))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    numPr.append(level)
    numPr.append(num)


def set_paragraph_border(
    pPr, side: str, size_eighths: int = 6, color: str = "808080", space: int = 4
) -> None:
    """A rule along one side of a paragraph (w:pBdr/w:top|left|bottom|right)."""
    tag = f"w:{side}"
    borders = get_or_add_ppr_child(pPr, "w:pBdr")
    border = get_or_add_child(borders, tag, before=successors(PARAGRAPH_BORDER_ORDER, tag))
    border.set(qn("w:val"), "single")
    border.set(qn("w:sz"), str(size_eighths))
    border.set(qn("w:space"), str(space))
    border.set(qn("w:color"), color)


def set_bottom_border(pPr, size_eighths: int = 6, color: str = "808080", space: int = 4) -> None:
    """A rule under a paragraph (running header)."""
    set_paragraph_border(pPr, "bottom", size_eighths, color, space)


def set_outline_level(pPr, level: int) -> None:
    """w:outlineLvl (0-based; 9 = body text, kept out of the TOC)."""
    get_or_add_ppr_child(pPr, "w:outlineLvl").set(qn("w:val"), str(level))


# -- paragraphs and runs, as python-docx makes them --------------------------------------------

_W_P, _W_PPR, _W_PSTYLE, _W_SECTPR = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:sectPr")
_W_R, _W_RPR, _W_RSTYLE, _W_T = qn("w:r"), qn("w:rPr"), qn("w:rStyle"), qn("w:t")
_W_TAB, _W_BR, _W_VAL, _XML_SPACE = qn("w:tab"), qn("w:br"), qn("w:val"), qn("xml:space")
_AFTER_PARAGRAPH_STYLE = successors(PPR_ORDER, "w:pStyle")
_RUN_BREAKS = re.compile(r"([\t\r\n])")


def body_paragraph(body):
    """A new, empty w:p at the end of a w:body (before its final w:sectPr)."""
    try:
        last = body[-1]  # (len(body) would count every child)
    except IndexError:
        last = None
    sectPr = last if last is not None and last.tag == _W_SECTPR else body.find(_W_SECTPR)
    if sectPr is None:
        return etree.SubElement(body, _W_P)
    paragraph_element = body.makeelement(_W_P)
    sectPr.addprevious(paragraph_element)
    return paragraph_element


def set_paragraph_style(paragraph_element, style_id: str | None) -> None:
    """Paragraph.style = a style whose id is `style_id` (None: the default paragraph style,
    which leaves an empty w:pPr, as python-docx does)."""
    pPr = paragraph_element.find(_W_PPR)
    if pPr is None:
        if len(paragraph_element):
            pPr = paragraph_element.makeelement(_W_PPR)
            paragraph_element.insert(0, pPr)
        else:
            pPr = etree.SubElement(paragraph_element, _W_PPR)
    elif len(pPr):
        for old in pPr.findall(_W_PSTYLE):
            pPr.remove(old)
    if style_id is None:
        return
    if len(pPr):
        style = pPr.makeelement(_W_PSTYLE)
        place_in_order(pPr, style, _AFTER_PARAGRAPH_STYLE)
    else:
        style = etree.SubElement(pPr, _W_PSTYLE)
    style.set(_W_VAL, style_id)


def run_text(run, text: str) -> None:
    """Run.text = text on a run without content: w:t pieces, a w:tab per tab and a w:br per
    line break; xml:space="preserve" where a piece has white space at either end."""
    pieces = _RUN_BREAKS.split(text) if ("\t" in text or "\r" in text or "\n" in text) else (text,)
    for piece in pieces:
        if piece == "\t":
            etree.SubElement(run, _W_TAB)
        elif piece == "\r" or piece == "\n":
            etree.SubElement(run, _W_BR)
        elif piece:
            text_element = etree.SubElement(run, _W_T)
            text_element.text = piece
            if len(piece.strip()) < len(piece):
                text_element.set(_XML_SPACE, "preserve")


def append_run(parent, text: str | None = None, style_id: str | None = None, *, rpr: bool = False):
    """Paragraph.add_run(text, style) on a w:p (or w:hyperlink): a w:r with w:rPr/w:rStyle when
    `style_id`, an empty w:rPr when only `rpr` (a style whose id is None, or a property that was
    set to None), and `text` as Run.text writes it."""
    run = etree.SubElement(parent, _W_R)
    if style_id is not None or rpr:
        rPr = etree.SubElement(run, _W_RPR)
        if style_id is not None:
            etree.SubElement(rPr, _W_RSTYLE).set(_W_VAL, style_id)
    if text:
        run_text(run, text)
    return run


def make_run(*children, rPr=None):
    """A loose w:r holding `rPr` (if any), then `children`."""
    run = OxmlElement("w:r")
    if rPr is not None:
        run.append(rPr)
    for child in children:
        run.append(child)
    return run


def preserved_text(value: str):
    """A loose w:t holding `value`, white space kept (xml:space="preserve")."""
    text_element = OxmlElement("w:t")
    text_element.text = value
    text_element.set(qn("xml:space"), "preserve")
    return text_element


def new_run(parent, text: str = "", style_id: str | None = None):
    """A w:r appended to `parent` (w:p or w:hyperlink); wrap it in docx.text.run.Run to style it."""
    rPr = None
    if style_id:
        rPr = OxmlElement("w:rPr")
        rPr.append(make_element("w:rStyle", val=style_id))
    run = make_run(rPr=rPr)
    parent.append(run)
    if text:
        run.append(preserved_text(text))
    return run


def tab_run():
    """A loose w:r holding one w:tab."""
    return make_run(OxmlElement("w:tab"))


def clear_body(body) -> None:
    """Remove every block from a w:body, keeping its final section properties."""
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
