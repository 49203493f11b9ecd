"""Raw WordprocessingML: the one module that builds OOXML elements by hand.

python-docx covers paragraphs, runs, tables and sections; what it lacks (East Asian fonts,
multilevel numbering, complex fields, bookmarks, internal hyperlinks, table-style conditional
formatting, …) lives here, so the writers above never assemble XML themselves.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from functools import lru_cache

from docx.oxml.ns import NamespacePrefixedTag
from docx.oxml.ns import qn as _qn
from docx.oxml.parser import oxml_parser
from docx.shared import Twips
from lxml import etree

# The writers build thousands of elements: python-docx's qn() and OxmlElement() parse the
# prefixed tag on every call, so both are memoised here (same results, pure functions).
qn = lru_cache(maxsize=None)(_qn)


@lru_cache(maxsize=None)
def _clark_and_nsmap(nsptag: str) -> tuple[str, dict[str, str]]:
    tag = NamespacePrefixedTag(nsptag)
    return tag.clark_name, tag.nsmap


def OxmlElement(nsptag: str):  # noqa: N802 (python-docx's name)
    """docx.oxml.OxmlElement(nsptag): a loose element of python-docx's custom class for the tag."""
    clark, nsmap = _clark_and_nsmap(nsptag)
    return oxml_parser.makeelement(clark, nsmap=nsmap)

# -- fonts and language ------------------------------------------------------------------------

_THEME_FONT_ATTRS = ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")


@lru_cache(maxsize=None)
def _ranks(successors: tuple[str, ...]) -> dict[str, int]:
    return {qn(tag): rank for rank, tag in reversed(list(enumerate(successors)))}


def _place(parent, element, successors: Sequence[str]) -> None:
    """Insert `element` before the first existing child named in `successors` (schema order):
    before the first child of the earliest-listed tag present, else at the end. (One pass over
    the children rather than a find() per successor.)"""
    ranks = _ranks(tuple(successors))
    anchor, best = None, len(successors)
    for child in parent:
        rank = ranks.get(child.tag)
        if rank is not None and rank < best:
            anchor, best = child, rank
            if rank == 0:
                break
    if anchor is not None:
        anchor.addprevious(element)
    else:
        parent.append(element)


def _child(parent, tag: str, *, before: Sequence[str] = ()):
    """The first `tag` child of `parent`, created (before any of `before`) if missing."""
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        _place(parent, found, before)
    return found


# Children of w:rPr that must follow w:rFonts / w:lang in schema order.
_AFTER_RFONTS = (
    "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike", "w:dstrike",
    "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish",
    "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
    "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl",
    "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def set_fonts(rPr, font: str, east_asia: str | None = None) -> None:
    """Name the typeface of every script slot on a w:rPr (of a style, run or docDefaults).

    Theme-font attributes are removed: Word lets them override the explicit names.
    """
    fonts = _child(rPr, "w:rFonts", before=_AFTER_RFONTS)
    for attr in _THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), font)
    fonts.set(qn("w:hAnsi"), font)
    fonts.set(qn("w:eastAsia"), east_asia or font)
    fonts.set(qn("w:cs"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def set_lang(rPr, east_asia: str, latin: str = "en-US") -> None:
    """`w:lang`: the East Asian tag decides Chinese vs Japanese glyph shapes for shared Han."""
    lang = _child(rPr, "w:lang", before=_AFTER_LANG)
    lang.set(qn("w:val"), latin)
    lang.set(qn("w:eastAsia"), east_asia)
    lang.set(qn("w:bidi"), "ar-SA")


def strip_theme_fonts(root) -> int:
    """Remove theme-font attributes from every w:rFonts below `root`; how many were touched."""
    touched = 0
    for fonts in root.iter(qn("w:rFonts")):
        for attr in _THEME_FONT_ATTRS:
            if fonts.attrib.pop(qn(attr), None) is not None:
                touched += 1
    return touched


def east_asian_font(rPr) -> str | None:
    """The w:eastAsia typeface named on a w:rPr, if any."""
    fonts = None if rPr is None else rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def doc_defaults_rpr(styles_element):
    """The w:rPr of w:docDefaults/w:rPrDefault, created if missing."""
    defaults = styles_element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles_element.insert(0, defaults)
    rpr_default = _child(defaults, "w:rPrDefault", before=("w:pPrDefault",))
    return _child(rpr_default, "w:rPr")


def doc_defaults_ppr(styles_element):
    defaults = styles_element.find(qn("w:docDefaults"))
    ppr_default = _child(defaults, "w:pPrDefault")
    return _child(ppr_default, "w:pPr")


def set_run_border(rPr, size_eighths: int = 8, color: str = "000000", space: int = 2) -> None:
    """A box around text (w:bdr), e.g. the confidentiality mark on the cover."""
    border = _child(rPr, "w:bdr", before=_AFTER_RFONTS[_AFTER_RFONTS.index("w:bdr") + 1:])
    border.set(qn("w:val"), "single")
    border.set(qn("w:sz"), str(size_eighths))
    border.set(qn("w:space"), str(space))
    border.set(qn("w:color"), color)


# -- paragraph properties ---------------------------------------------------------------------

_PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
    "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)


def _ppr_child(pPr, tag: str):
    return _child(pPr, tag, before=_PPR_ORDER[_PPR_ORDER.index(tag) + 1:])


def set_numbering(paragraph, num_id: int, ilvl: int) -> None:
    """Attach a paragraph to list `num_id` at level `ilvl` (w:numPr)."""
    pPr = paragraph._p.get_or_add_pPr()
    numPr = _ppr_child(pPr, "w:numPr")
    for child in list(numPr):
        numPr.remove(child)
    lvl = OxmlElement("w:ilvl")
    lvl.set(qn("w:val"), str(ilvl))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    numPr.append(lvl)
    numPr.append(num)


def set_paragraph_border(pPr, side: str, size_eighths: int = 6, color: str = "808080", space: int = 4) -> None:
    """A rule along one side of a paragraph (w:pBdr/w:top|left|bottom|right)."""
    order = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")
    tag = f"w:{side}"
    border = _child(_ppr_child(pPr, "w:pBdr"), tag, before=order[order.index(tag) + 1:])
    border.set(qn("w:val"), "single")
    border.set(qn("w:sz"), str(size_eighths))
    border.set(qn("w:space"), str(space))
    border.set(qn("w:color"), color)


def set_bottom_border(pPr, size_eighths: int = 6, color: str = "808080", space: int = 4) -> None:
    """A rule under a paragraph (running header)."""
    set_paragraph_border(pPr, "bottom", size_eighths, color, space)


def set_outline_level(pPr, level: int) -> None:
    """w:outlineLvl (0-based; 9 = body text, kept out of the TOC)."""
    _ppr_child(pPr, "w:outlineLvl").set(qn("w:val"), str(level))


# -- multilevel numbering ---------------------------------------------------------------------

def _el(tag: str, **attrs):
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))
    return element


def find_abstract_num(numbering_element, name: str) -> int | None:
    """The w:abstractNumId of the definition called `name` (w:name), if the template has it."""
    for abstract in numbering_element.findall(qn("w:abstractNum")):
        named = abstract.find(qn("w:name"))
        if named is not None and named.get(qn("w:val")) == name:
            return int(abstract.get(qn("w:abstractNumId")))
    return None


def add_abstract_num(
    numbering_element,
    name: str,
    levels: Sequence[tuple[str, str]],
    indents: Sequence[tuple[int, int]],
    suffixes: Sequence[str],
) -> int:
    """Add a multilevel list definition; returns its w:abstractNumId.

    levels: (numFmt, lvlText) per level; indents: (left, hanging) twips per level;
    suffixes: w:suff per level ("tab", "space" or "nothing"). Each level restarts after any
    higher level (Word's default when w:lvlRestart is absent).
    """
    existing = [int(a.get(qn("w:abstractNumId"))) for a in numbering_element.findall(qn("w:abstractNum"))]
    abstract_id = max(existing, default=-1) + 1
    abstract = _el("w:abstractNum", abstractNumId=abstract_id)
    abstract.append(_el("w:nsid", val=f"{0x48420000 + abstract_id:08X}"))
    abstract.append(_el("w:multiLevelType", val="multilevel"))
    abstract.append(_el("w:name", val=name))
    for ilvl, ((fmt, text), (left, hanging), suffix) in enumerate(zip(levels, indents, suffixes)):
        lvl = _el("w:lvl", ilvl=ilvl)
        lvl.append(_el("w:start", val=1))
        lvl.append(_el("w:numFmt", val=fmt))
        lvl.append(_el("w:suff", val=suffix))
        lvl.append(_el("w:lvlText", val=text))
        lvl.append(_el("w:lvlJc", val="left"))
        pPr = OxmlElement("w:pPr")
        pPr.append(_el("w:ind", left=left, hanging=hanging))
        lvl.append(pPr)
        abstract.append(lvl)
    # Schema order: every w:abstractNum precedes every w:num.
    first_num = numbering_element.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering_element.append(abstract)
    return abstract_id


def add_num(numbering_element, abstract_id: int, start_overrides: dict[int, int] | None = None) -> int:
    """A list instance (w:num) of an abstract definition; returns its w:numId."""
    existing = [int(n.get(qn("w:numId"))) for n in numbering_element.findall(qn("w:num"))]
    num_id = max(existing, default=0) + 1
    num = _el("w:num", numId=num_id)
    num.append(_el("w:abstractNumId", val=abstract_id))
    for ilvl, start in sorted((start_overrides or {}).items()):
        override = _el("w:lvlOverride", ilvl=ilvl)
        override.append(_el("w:startOverride", val=start))
        num.append(override)
    numbering_element.append(num)
    return num_id


def level_indent(numbering_element, abstract_id: int, ilvl: int) -> tuple[int, int]:
    """(left, hanging) twips of one level of an abstract definition."""
    for abstract in numbering_element.findall(qn("w:abstractNum")):
        if int(abstract.get(qn("w:abstractNumId"))) != abstract_id:
            continue
        for lvl in abstract.findall(qn("w:lvl")):
            if int(lvl.get(qn("w:ilvl"))) == ilvl:
                ind = lvl.find(f"{qn('w:pPr')}/{qn('w:ind')}")
                if ind is None:
                    return 0, 0
                left = ind.get(qn("w:left")) or ind.get(qn("w:start")) or "0"
                return int(left), int(ind.get(qn("w:hanging")) or 0)
    raise KeyError((abstract_id, ilvl))


# -- fields -----------------------------------------------------------------------------------

def _run(*children, rPr=None):
    run = OxmlElement("w:r")
    if rPr is not None:
        run.append(rPr)
    for child in children:
        run.append(child)
    return run


def _text(value: str):
    t = OxmlElement("w:t")
    t.text = value
    t.set(qn("xml:space"), "preserve")
    return t


def field_begin(instr: str) -> list:
    """The runs that open a complex field up to its result: begin, instruction, separate."""
    instr_text = OxmlElement("w:instrText")
    instr_text.set(qn("xml:space"), "preserve")
    instr_text.text = f" {instr} "
    return [
        _run(_el("w:fldChar", fldCharType="begin")),
        _run(instr_text),
        _run(_el("w:fldChar", fldCharType="separate")),
    ]


def field_end():
    return _run(_el("w:fldChar", fldCharType="end"))


def append_field(parent, instr: str, cached: str = ""):
    """Append a complete complex field to a w:p or w:hyperlink; returns the cached-result w:t."""
    for run in field_begin(instr):
        parent.append(run)
    result = _text(cached)
    parent.append(_run(result))
    parent.append(field_end())
    return result


# -- bookmarks and internal hyperlinks --------------------------------------------------------

_BOOKMARK_MAX = 40


def bookmark_name(identifier: str) -> str:
    """A valid Word bookmark name for a manual id: letters, digits, _; starts with a letter; ≤ 40."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", identifier)
    if not name or not name[0].isalpha():
        name = "b_" + name
    if len(name) > _BOOKMARK_MAX:
        digest = hashlib.sha1(identifier.encode()).hexdigest()[:8]
        name = name[: _BOOKMARK_MAX - 9] + "_" + digest
    return name


def add_bookmark(paragraph, name: str, bookmark_id: int) -> None:
    """Bookmark the whole content of a paragraph."""
    p = paragraph._p
    start = _el("w:bookmarkStart", id=bookmark_id, name=name)
    end = _el("w:bookmarkEnd", id=bookmark_id)
    pPr = p.pPr
    if pPr is not None:
        pPr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


def add_internal_hyperlink(paragraph, anchor: str):
    """An empty w:hyperlink to a bookmark, appended to a paragraph; fill it with runs."""
    link = _el("w:hyperlink", anchor=anchor, history=1)
    paragraph._p.append(link)
    return link


# -- paragraphs and runs, as python-docx makes them --------------------------------------------
# The same elements as python-docx's Document.add_paragraph, Paragraph.style, Paragraph.add_run
# and Run.text, without its per-call style lookups and successor scans: the writers make
# thousands of them.

_W_P, _W_PPR, _W_PSTYLE, _W_SECTPR = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:sectPr")
_W_R, _W_RPR, _W_RSTYLE, _W_T = qn("w:r"), qn("w:rPr"), qn("w:rStyle"), qn("w:t")
_W_TAB, _W_BR, _W_VAL, _XML_SPACE = qn("w:tab"), qn("w:br"), qn("w:val"), qn("xml:space")
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
    p = body.makeelement(_W_P)
    sectPr.addprevious(p)
    return p


def set_paragraph_style(p, style_id: str | None) -> None:
    """Paragraph.style = a style whose id is `style_id` (None: the default paragraph style,
    which leaves an empty w:pPr, as python-docx does)."""
    pPr = p.find(_W_PPR)
    if pPr is None:
        if len(p):
            pPr = p.makeelement(_W_PPR)
            p.insert(0, pPr)
        else:
            pPr = etree.SubElement(p, _W_PPR)
    elif len(pPr):
        for old in pPr.findall(_W_PSTYLE):
            pPr.remove(old)
    if style_id is None:
        return
    if len(pPr):
        style = pPr.makeelement(_W_PSTYLE)
        _place(pPr, style, _PPR_ORDER[1:])
    else:
        style = etree.SubElement(pPr, _W_PSTYLE)
    style.set(_W_VAL, style_id)


_W_TCPR, _W_TCW, _W_W, _W_TYPE = qn("w:tcPr"), qn("w:tcW"), qn("w:w"), qn("w:type")


def set_cell_width(tc, twips: int) -> None:
    """python-docx's tc.width = Twips(twips): w:tcPr/w:tcW of type dxa."""
    tcPr = tc.find(_W_TCPR)
    tcW = tcPr.find(_W_TCW) if tcPr is not None else None
    if tcW is None:
        tc.width = Twips(twips)  # python-docx adds what is missing
        return
    tcW.set(_W_TYPE, "dxa")
    tcW.set(_W_W, str(Twips(twips).twips))


def run_text(r, text: str) -> None:
    """Run.text = text on a run without content: w:t pieces, a w:tab per tab and a w:br per
    line break; xml:space="preserve" where a piece has white space at either end."""
    pieces = _RUN_BREAKS.split(text) if ("\t" in text or "\r" in text or "\n" in text) else (text,)
    for piece in pieces:
        if piece == "\t":
            etree.SubElement(r, _W_TAB)
        elif piece == "\r" or piece == "\n":
            etree.SubElement(r, _W_BR)
        elif piece:
            t = etree.SubElement(r, _W_T)
            t.text = piece
            if len(piece.strip()) < len(piece):
                t.set(_XML_SPACE, "preserve")


def append_run(parent, text: str | None = None, style_id: str | None = None, *, rpr: bool = False):
    """Paragraph.add_run(text, style) on a w:p (or w:hyperlink): a w:r with w:rPr/w:rStyle when
    `style_id`, an empty w:rPr when only `rpr` (a style whose id is None, or a property that was
    set to None), and `text` as Run.text writes it."""
    r = etree.SubElement(parent, _W_R)
    if style_id is not None or rpr:
        rPr = etree.SubElement(r, _W_RPR)
        if style_id is not None:
            etree.SubElement(rPr, _W_RSTYLE).set(_W_VAL, style_id)
    if text:
        run_text(r, text)
    return r


def new_run(parent, text: str = "", style_id: str | None = None):
    """A w:r appended to `parent` (w:p or w:hyperlink); wrap it in docx.text.run.Run to style it."""
    rPr = None
    if style_id:
        rPr = OxmlElement("w:rPr")
        rPr.append(_el("w:rStyle", val=style_id))
    run = _run(rPr=rPr)
    parent.append(run)
    if text:
        run.append(_text(text))
    return run


def tab_run():
    return _run(OxmlElement("w:tab"))


def clear_body(body) -> None:
    """Remove every block from a w:body, keeping its final section properties."""
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


# -- settings --------------------------------------------------------------------------------

_SETTINGS_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)


def set_update_fields(settings_element) -> None:
    """Ask Word to refresh every field (TOC, PAGEREF) when the document is opened."""
    update = _child(settings_element, "w:updateFields", before=_SETTINGS_AFTER_UPDATE_FIELDS)
    update.set(qn("w:val"), "true")


def set_theme_font_lang(settings_element, east_asia: str) -> None:
    """w:themeFontLang: which language Word resolves theme fonts for."""
    lang = settings_element.find(qn("w:themeFontLang"))
    if lang is None:
        return
    lang.set(qn("w:eastAsia"), east_asia)


# -- tables -----------------------------------------------------------------------------------

def set_repeat_header(row) -> None:
    """Repeat this row at the top of each page the table runs onto (w:tblHeader)."""
    trPr = row._tr.get_or_add_trPr()
    _child(trPr, "w:tblHeader")


def set_cant_split(row) -> None:
    """Keep a row on one page (w:cantSplit)."""
    trPr = row._tr.get_or_add_trPr()
    _child(trPr, "w:cantSplit", before=("w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden"))


def _shd(fill: str):
    return _el("w:shd", val="clear", color="auto", fill=fill)


_TCPR_ORDER = ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders",
               "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
               "w:hideMark")


def shade_cell(cell, fill: str) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    old = tcPr.find(qn("w:shd"))
    if old is not None:
        tcPr.remove(old)
    _place(tcPr, _shd(fill), _TCPR_ORDER[_TCPR_ORDER.index("w:shd") + 1:])


def _borders(tag: str, sides: Iterable[str], size: int, color: str):
    borders = OxmlElement(tag)
    for side in sides:
        borders.append(_el(f"w:{side}", val="single", sz=size, space=0, color=color))
    return borders


_TBLPR_ORDER = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
                "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")


def _tblpr_child(tblPr, tag: str):
    return _child(tblPr, tag, before=_TBLPR_ORDER[_TBLPR_ORDER.index(tag) + 1:])


def set_table_borders(tblPr, size_eighths: int = 4, color: str = "000000") -> None:
    """All borders (outer and inner) on a w:tblPr of a table or a table style."""
    old = tblPr.find(qn("w:tblBorders"))
    if old is not None:
        tblPr.remove(old)
    borders = _borders("w:tblBorders", ("top", "left", "bottom", "right", "insideH", "insideV"),
                       size_eighths, color)
    _place(tblPr, borders, _TBLPR_ORDER[_TBLPR_ORDER.index("w:tblBorders") + 1:])


def set_table_no_borders(tblPr) -> None:
    old = tblPr.find(qn("w:tblBorders"))
    if old is not None:
        tblPr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="nil"))
    _place(tblPr, borders, _TBLPR_ORDER[_TBLPR_ORDER.index("w:tblBorders") + 1:])


def set_table_cell_margins(tblPr, top: int, left: int, bottom: int, right: int) -> None:
    """Default cell margins (twips) of a table or table style."""
    old = tblPr.find(qn("w:tblCellMar"))
    if old is not None:
        tblPr.remove(old)
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", top), ("left", left), ("bottom", bottom), ("right", right)):
        margins.append(_el(f"w:{side}", w=value, type="dxa"))
    _place(tblPr, margins, _TBLPR_ORDER[_TBLPR_ORDER.index("w:tblCellMar") + 1:])


def set_table_indent(table, twips: int) -> None:
    ind = _tblpr_child(table._tbl.tblPr, "w:tblInd")
    ind.set(qn("w:w"), str(twips))
    ind.set(qn("w:type"), "dxa")


def set_table_width(table, twips: int) -> None:
    width = _tblpr_child(table._tbl.tblPr, "w:tblW")
    width.set(qn("w:w"), str(twips))
    width.set(qn("w:type"), "dxa")


def set_fixed_layout(table) -> None:
    _tblpr_child(table._tbl.tblPr, "w:tblLayout").set(qn("w:type"), "fixed")


def set_table_look(table, first_row: bool) -> None:
    """w:tblLook: whether the table style's header-row formatting applies."""
    look = _tblpr_child(table._tbl.tblPr, "w:tblLook")
    look.attrib.clear()
    look.set(qn("w:val"), "04A0" if first_row else "0400")
    look.set(qn("w:firstRow"), "1" if first_row else "0")
    look.set(qn("w:lastRow"), "0")
    look.set(qn("w:firstColumn"), "0")
    look.set(qn("w:lastColumn"), "0")
    look.set(qn("w:noHBand"), "1")
    look.set(qn("w:noVBand"), "1")


def set_table_style_header(style_element, fill: str, bold: bool = True) -> None:
    """The header-row (w:tblStylePr type="firstRow") formatting of a table style."""
    for old in style_element.findall(qn("w:tblStylePr")):
        if old.get(qn("w:type")) == "firstRow":
            style_element.remove(old)
    conditional = _el("w:tblStylePr", type="firstRow")
    rPr = OxmlElement("w:rPr")
    if bold:
        rPr.append(OxmlElement("w:b"))
        rPr.append(OxmlElement("w:bCs"))
    conditional.append(rPr)
    conditional.append(OxmlElement("w:tblPr"))
    trPr = OxmlElement("w:trPr")
    trPr.append(OxmlElement("w:tblHeader"))
    conditional.append(trPr)
    tcPr = OxmlElement("w:tcPr")
    tcPr.append(_shd(fill))
    conditional.append(tcPr)
    style_element.append(conditional)


def style_tblpr(style_element):
    """The w:tblPr of a table style (after pPr/rPr, before trPr/tcPr/tblStylePr)."""
    return _child(style_element, "w:tblPr", before=("w:trPr", "w:tcPr", "w:tblStylePr"))


def set_cell_valign(cell, value: str) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    _child(tcPr, "w:vAlign", before=("w:hideMark",)).set(qn("w:val"), value)


def remove_children(parent, *tags: str) -> None:
    for tag in tags:
        for child in parent.findall(qn(tag)):
            parent.remove(child)


# -- content controls (structured document tags) ----------------------------------------------
# A fillable form's input is an inline w:sdt in a paragraph: w:sdtPr says what kind of control it
# is (plain text, date picker, drop-down list, w14 check box), names it (w:tag, the machine name;
# w:alias, the title Word shows) and locks the control itself against deletion (its content stays
# editable). Until something is entered, w:sdtContent holds the placeholder text, drawn in the
# Placeholder Text character style; w:showingPlcHdr tells Word to select and replace it whole.

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CHECKBOX_UNCHECKED, CHECKBOX_CHECKED = "\u2610", "\u2612"  # ☐ ☒


def declare_w14(document_element) -> None:
    """Declare the w14 namespace on the w:document root and list it in mc:Ignorable, so that
    w14:checkbox is valid and older readers skip it. Call once the body is written. (Templates
    saved by Word or python-docx already declare it; lxml can only hoist a namespace in use.)"""
    if document_element.nsmap.get("w14") != W14:
        prefixes = [prefix for prefix in document_element.nsmap if prefix]
        etree.cleanup_namespaces(document_element, top_nsmap={"w14": W14}, keep_ns_prefixes=prefixes)
        if document_element.nsmap.get("w14") != W14:
            return  # no w14 element anywhere: nothing to declare
    ignorable = f"{{{_MC}}}Ignorable"
    listed = (document_element.get(ignorable) or "").split()
    if "w14" not in listed:
        document_element.set(ignorable, " ".join([*listed, "w14"]))


def _sdt_properties(sdt_id: int, tag: str, alias: str, *, placeholder: bool):
    sdtPr = OxmlElement("w:sdtPr")
    sdtPr.append(_el("w:alias", val=alias))
    sdtPr.append(_el("w:tag", val=tag))
    sdtPr.append(_el("w:id", val=sdt_id))
    sdtPr.append(_el("w:lock", val="sdtLocked"))
    if placeholder:
        sdtPr.append(OxmlElement("w:showingPlcHdr"))
    return sdtPr


def _styled_run(text: str, style_id: str | None = None, font: str | None = None):
    rPr = None
    if style_id or font:
        rPr = OxmlElement("w:rPr")
        if style_id:
            rPr.append(_el("w:rStyle", val=style_id))
        if font:
            set_fonts(rPr, font)
    return _run(_text(text), rPr=rPr)


def _append_sdt(paragraph, sdtPr, run):
    sdt = OxmlElement("w:sdt")
    sdt.append(sdtPr)
    content = OxmlElement("w:sdtContent")
    content.append(run)
    sdt.append(content)
    paragraph._p.append(sdt)
    return sdt


def add_text_control(paragraph, sdt_id: int, tag: str, alias: str, placeholder: str, *,
                     multiline: bool = False, placeholder_style: str | None = None):
    """A plain-text content control (w:text; multiLine lets Enter start a new line)."""
    sdtPr = _sdt_properties(sdt_id, tag, alias, placeholder=True)
    text = OxmlElement("w:text")
    if multiline:
        text.set(qn("w:multiLine"), "1")
    sdtPr.append(text)
    return _append_sdt(paragraph, sdtPr, _styled_run(placeholder, placeholder_style))


def add_date_control(paragraph, sdt_id: int, tag: str, alias: str, placeholder: str, *,
                     date_format: str, lid: str, placeholder_style: str | None = None):
    """A date-picker content control; the picked date is written as `date_format` (Word's
    pattern syntax, e.g. yyyy'年'M'月'd'日') in the Gregorian calendar of locale `lid`."""
    sdtPr = _sdt_properties(sdt_id, tag, alias, placeholder=True)
    picker = OxmlElement("w:date")
    picker.append(_el("w:dateFormat", val=date_format))
    picker.append(_el("w:lid", val=lid))
    picker.append(_el("w:storeMappedDataAs", val="dateTime"))
    picker.append(_el("w:calendar", val="gregorian"))
    sdtPr.append(picker)
    return _append_sdt(paragraph, sdtPr, _styled_run(placeholder, placeholder_style))


def add_dropdown_control(paragraph, sdt_id: int, tag: str, alias: str, placeholder: str,
                         items: Sequence[str], *, placeholder_style: str | None = None):
    """A drop-down list content control; each item is shown and stored as its own text."""
    sdtPr = _sdt_properties(sdt_id, tag, alias, placeholder=True)
    listing = OxmlElement("w:dropDownList")
    for item in items:
        listing.append(_el("w:listItem", displayText=item, value=item))
    sdtPr.append(listing)
    return _append_sdt(paragraph, sdtPr, _styled_run(placeholder, placeholder_style))


def add_checkbox_control(paragraph, sdt_id: int, tag: str, alias: str, *, font: str, checked: bool = False):
    """A Word 2010 check box content control (w14:checkbox), showing ☐ or ☒ in `font`."""
    sdtPr = _sdt_properties(sdt_id, tag, alias, placeholder=False)
    box = OxmlElement("w14:checkbox")
    state = OxmlElement("w14:checked")
    state.set(qn("w14:val"), "1" if checked else "0")
    box.append(state)
    for name, char in (("w14:checkedState", CHECKBOX_CHECKED), ("w14:uncheckedState", CHECKBOX_UNCHECKED)):
        symbol = OxmlElement(name)
        symbol.set(qn("w14:val"), f"{ord(char):04X}")
        symbol.set(qn("w14:font"), font)
        box.append(symbol)
    sdtPr.append(box)
    glyph = CHECKBOX_CHECKED if checked else CHECKBOX_UNCHECKED
    return _append_sdt(paragraph, sdtPr, _styled_run(glyph, font=font))


# -- package ----------------------------------------------------------------------------------

class _StoredParts:
    """python-docx's physical package writer interface, into an uncompressed zip."""

    def __init__(self, zip_file: zipfile.ZipFile):
        self.zip_file = zip_file

    def write(self, pack_uri, blob: bytes) -> None:
        self.zip_file.writestr(pack_uri.membername, blob)


def package_bytes(document) -> bytes:
    """The bytes of document.save(), the same members in the same order, but stored rather
    than deflated: the writers hand them to builder.writers.ooxml.package.normalized_zip_bytes, which
    compresses every member itself. (Falls back on document.save() should python-docx's
    package writer change.)"""
    from docx.opc.pkgwriter import PackageWriter

    steps = [getattr(PackageWriter, name, None)
             for name in ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")]
    buffer = io.BytesIO()
    if None in steps:
        document.save(buffer)
        return buffer.getvalue()
    package = document.part.package
    parts = package.parts
    for part in parts:  # as OpcPackage.save
        part.before_marshal()
    write_types, write_rels, write_parts = steps
    try:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zip_file:
            target = _StoredParts(zip_file)
            write_types(target, parts)
            write_rels(target, package.rels)
            write_parts(target, parts)
    except (TypeError, AttributeError):  # those private steps changed their signatures
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


CUSTOM_PROPERTIES_PART = "/docProps/custom.xml"
CUSTOM_PROPERTIES_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # user-defined properties


CORE_TEXT_MAX = 255  # python-docx (like Word) refuses a longer core property


def core_text(value: str | None) -> str | None:
    """A core property's text, cut (with …) to the 255 characters python-docx accepts."""
    if value is None or len(value) <= CORE_TEXT_MAX:
        return value
    return value[: CORE_TEXT_MAX - 1] + "…"


def custom_properties_xml(values: Iterable[tuple[str, str]]) -> bytes:
    """docProps/custom.xml: one text property (vt:lpwstr) per (name, value), pids from 2."""
    root = etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, value) in enumerate(values, start=2):
        prop = etree.SubElement(root, f"{{{_CUSTOM_NS}}}property", fmtid=_CUSTOM_FMTID, pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def set_custom_properties(document, values: Iterable[tuple[str, str]]) -> None:
    """Give a python-docx Document a custom-properties part (python-docx has no API for one),
    replacing any the template brought along."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    blob = custom_properties_xml(values)
    for rel in package.rels.values():
        if rel.reltype == CUSTOM_PROPERTIES_RT and not rel.is_external:
            rel.target_part._blob = blob
            return
    part = Part(PackURI(CUSTOM_PROPERTIES_PART), CUSTOM_PROPERTIES_CT, blob, package)
    package.relate_to(part, CUSTOM_PROPERTIES_RT)


# -- tracked changes (revision marks) ----------------------------------------------------------
# A tracked insertion or deletion is a w:ins / w:del around runs (deleted text is w:delText), on a
# paragraph mark (w:pPr/w:rPr/w:ins|del) or on a table row (w:trPr/w:ins|del). Every mark has
# w:id, w:author and w:date; `number_revisions` gives the ids once the body is complete.

_TRACKED = (qn("w:ins"), qn("w:del"))
_RUN_HOLDERS = (qn("w:hyperlink"), qn("w:smartTag"), qn("w:customXml"), qn("w:fldSimple"))


def revision_mark(kind: str, author: str, date: str):
    """An empty w:ins (kind "ins") or w:del ("del"); its w:id is set by `number_revisions`."""
    return _el(f"w:{kind}", id=0, author=author, date=date)


def deleted_run(run) -> None:
    """Turn a run's text into deleted text (w:t → w:delText, w:instrText → w:delInstrText)."""
    for old, new in (("w:t", "w:delText"), ("w:instrText", "w:delInstrText")):
        for element in run.findall(qn(old)):
            element.tag = qn(new)
            element.set(qn("xml:space"), "preserve")


def track_runs(container, kind: str, author: str, date: str) -> None:
    """Wrap every run of a paragraph (also inside its hyperlinks) in w:ins / w:del, a group of
    adjacent runs in one mark. Runs already inside a mark are left alone."""
    group = None
    for child in list(container):
        if child.tag == qn("w:r"):
            if kind == "del":
                deleted_run(child)
            if group is None:
                group = revision_mark(kind, author, date)
                child.addprevious(group)
            group.append(child)
            continue
        group = None
        if child.tag in _RUN_HOLDERS:
            track_runs(child, kind, author, date)


def mark_paragraph_mark(p, kind: str, author: str, date: str) -> None:
    """Mark a paragraph's mark inserted or deleted (w:pPr/w:rPr/w:ins|del)."""
    pPr = p.find(qn("w:pPr"))
    if pPr is None:
        pPr = OxmlElement("w:pPr")
        p.insert(0, pPr)
    rPr = _ppr_child(pPr, "w:rPr")
    remove_children(rPr, "w:ins", "w:del")
    rPr.insert(0, revision_mark(kind, author, date))


def mark_row(tr, kind: str, author: str, date: str) -> None:
    """Mark a table row inserted or deleted (w:trPr/w:ins|del)."""
    trPr = tr.find(qn("w:trPr"))
    if trPr is None:
        trPr = OxmlElement("w:trPr")
        _place(tr, trPr, ("w:tc", "w:customXml", "w:sdt", "w:ins", "w:del"))
    remove_children(trPr, "w:ins", "w:del")
    _place(trPr, revision_mark(kind, author, date), ("w:trPrChange",))


def number_revisions(root, start: int = 1) -> int:
    """Give every w:ins / w:del below `root` a unique w:id, increasing in document order;
    returns the next free id."""
    next_id = start
    for element in root.iter(*_TRACKED):
        element.set(qn("w:id"), str(next_id))
        next_id += 1
    return next_id


def text_run(text: str = "", rPr=None, *, deleted: bool = False):
    """A detached w:r with run properties `rPr` (used as is) and `text` (w:delText if deleted)."""
    run = _run(rPr=rPr)
    if text:
        append_text(run, text, deleted=deleted)
    return run


def append_text(run, text: str, *, deleted: bool = False) -> None:
    """Add text to a run, extending its last w:t (w:delText if deleted) when that ends the run."""
    tag = qn("w:delText" if deleted else "w:t")
    if len(run) and run[-1].tag == tag:
        run[-1].text = (run[-1].text or "") + text
        return
    element = OxmlElement("w:delText" if deleted else "w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run.append(element)
