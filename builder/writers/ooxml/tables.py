"""Tables: table properties (w:tblPr) of a table or a table style, row properties (w:trPr),
cell properties (w:tcPr), and a table style's header-row formatting."""

from __future__ import annotations

from collections.abc import Iterable

from docx.shared import Twips

from .elements import OxmlElement, get_or_add_child, make_element, place_in_order, qn, successors

# The children of w:tblPr in schema order (ECMA-376 Part 1, CT_TblPr). The schema goes on
# with w:tblCaption, w:tblDescription and w:tblPrChange, which the writers never make.
TBLPR_ORDER = (
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
    "w:tblBorders",
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
)

# The children of w:tcPr in schema order (CT_TcPr). The schema goes on with w:headers,
# w:cellIns, w:cellDel, w:cellMerge and w:tcPrChange, which the writers never make.
TCPR_ORDER = (
    "w:cnfStyle",
    "w:tcW",
    "w:gridSpan",
    "w:hMerge",
    "w:vMerge",
    "w:tcBorders",
    "w:shd",
    "w:noWrap",
    "w:tcMar",
    "w:textDirection",
    "w:tcFitText",
    "w:vAlign",
    "w:hideMark",
)

# The children of w:trPr (CT_TrPr): the row properties are a choice group that the schema
# lets come in any order (listed here in the schema's order, which Word writes), then the
# revision marks and w:trPrChange in this order.
TRPR_PROPERTIES = (
    "w:cnfStyle",
    "w:divId",
    "w:gridBefore",
    "w:gridAfter",
    "w:wBefore",
    "w:wAfter",
    "w:cantSplit",
    "w:trHeight",
    "w:tblHeader",
    "w:tblCellSpacing",
    "w:jc",
    "w:hidden",
)
TRPR_ORDER = TRPR_PROPERTIES + ("w:ins", "w:del", "w:trPrChange")

# The children of w:tr up to its cells (CT_Row: w:tblPrEx, w:trPr, then the cells and the
# run-level elements that may stand between them, of which the writers meet these).
ROW_ORDER = ("w:tblPrEx", "w:trPr", "w:tc", "w:customXml", "w:sdt", "w:ins", "w:del")

# The children of w:style in schema order (CT_Style; python-docx's CT_Style).
STYLE_ORDER = (
    "w:name",
    "w:aliases",
    "w:basedOn",
    "w:next",
    "w:link",
    "w:autoRedefine",
    "w:hidden",
    "w:uiPriority",
    "w:semiHidden",
    "w:unhideWhenUsed",
    "w:qFormat",
    "w:locked",
    "w:personal",
    "w:personalCompose",
    "w:personalReply",
    "w:rsid",
    "w:pPr",
    "w:rPr",
    "w:tblPr",
    "w:trPr",
    "w:tcPr",
    "w:tblStylePr",
)

_TABLE_BORDER_SIDES = ("top", "left", "bottom", "right", "insideH", "insideV")
_W_TCPR, _W_TCW, _W_W, _W_TYPE = qn("w:tcPr"), qn("w:tcW"), qn("w:w"), qn("w:type")


def _get_or_add_tblpr_child(tblPr, tag: str):
    return get_or_add_child(tblPr, tag, before=successors(TBLPR_ORDER, tag))


def _replace_tblpr_child(tblPr, tag: str, element) -> None:
    """Put `element` (a `tag`) in its schema place in a w:tblPr, instead of the `tag` it had."""
    old = tblPr.find(qn(tag))
    if old is not None:
        tblPr.remove(old)
    place_in_order(tblPr, element, successors(TBLPR_ORDER, tag))


def shading(fill: str):
    """A loose w:shd filling with the colour `fill` (hex RGB), no pattern."""
    return make_element("w:shd", val="clear", color="auto", fill=fill)


def _border_set(tag: str, sides: Iterable[str], size: int, color: str):
    borders = OxmlElement(tag)
    for side in sides:
        borders.append(make_element(f"w:{side}", val="single", sz=size, space=0, color=color))
    return borders


# -- rows -------------------------------------------------------------------------------------


def set_repeat_header(row) -> None:
    """Repeat this row at the top of each page the table runs onto (w:tblHeader).
    Appended to w:trPr: the writers set it before any revision mark."""
    trPr = row._tr.get_or_add_trPr()
    get_or_add_child(trPr, "w:tblHeader")


def set_cant_split(row) -> None:
    """Keep a row on one page (w:cantSplit)."""
    trPr = row._tr.get_or_add_trPr()
    get_or_add_child(trPr, "w:cantSplit", before=successors(TRPR_PROPERTIES, "w:cantSplit"))


# -- cells ------------------------------------------------------------------------------------


def set_cell_width(tc, twips: int) -> None:
    """python-docx's tc.width = Twips(twips): w:tcPr/w:tcW of type dxa."""
    tcPr = tc.find(_W_TCPR)
    width = tcPr.find(_W_TCW) if tcPr is not None else None
    if width is None:
        tc.width = Twips(twips)  # python-docx adds what is missing
        return
    width.set(_W_TYPE, "dxa")
    width.set(_W_W, str(Twips(twips).twips))


def shade_cell(cell, fill: str) -> None:
    """Fill a cell's background with the colour `fill` (w:tcPr/w:shd), replacing any fill."""
    tcPr = cell._tc.get_or_add_tcPr()
    old = tcPr.find(qn("w:shd"))
    if old is not None:
        tcPr.remove(old)
    place_in_order(tcPr, shading(fill), successors(TCPR_ORDER, "w:shd"))


def set_cell_valign(cell, value: str) -> None:
    """The vertical alignment of a cell's content (w:tcPr/w:vAlign: top, center, bottom)."""
    tcPr = cell._tc.get_or_add_tcPr()
    get_or_add_child(tcPr, "w:vAlign", before=successors(TCPR_ORDER, "w:vAlign")).set(
        qn("w:val"), value
    )


# -- table properties -------------------------------------------------------------------------


def set_table_borders(tblPr, size_eighths: int = 4, color: str = "000000") -> None:
    """All borders (outer and inner) on a w:tblPr of a table or a table style."""
    borders = _border_set("w:tblBorders", _TABLE_BORDER_SIDES, size_eighths, color)
    _replace_tblpr_child(tblPr, "w:tblBorders", borders)


def set_table_no_borders(tblPr) -> None:
    """No border at all (every side "nil") on a w:tblPr of a table or a table style."""
    borders = OxmlElement("w:tblBorders")
    for side in _TABLE_BORDER_SIDES:
        borders.append(make_element(f"w:{side}", val="nil"))
    _replace_tblpr_child(tblPr, "w:tblBorders", borders)


def set_table_cell_margins(tblPr, top: int, left: int, bottom: int, right: int) -> None:
    """Default cell margins (twips) of a table or table style."""
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", top), ("left", left), ("bottom", bottom), ("right", right)):
        margins.append(make_element(f"w:{side}", w=value, type="dxa"))
    _replace_tblpr_child(tblPr, "w:tblCellMar", margins)


def set_table_indent(table, twips: int) -> None:
    """Indent a table from the margin (w:tblInd, twips)."""
    indent = _get_or_add_tblpr_child(table._tbl.tblPr, "w:tblInd")
    indent.set(qn("w:w"), str(twips))
    indent.set(qn("w:type"), "dxa")


def set_table_width(table, twips: int) -> None:
    """A table's preferred width (w:tblW, twips)."""
    width = _get_or_add_tblpr_child(table._tbl.tblPr, "w:tblW")
    width.set(qn("w:w"), str(twips))
    width.set(qn("w:type"), "dxa")


def set_fixed_layout(table) -> None:
    """Column widths as given, not fitted to the content (w:tblLayout fixed)."""
    _get_or_add_tblpr_child(table._tbl.tblPr, "w:tblLayout").set(qn("w:type"), "fixed")


def set_table_look(table, first_row: bool) -> None:
    """w:tblLook: whether the table style's header-row formatting applies."""
    look = _get_or_add_tblpr_child(table._tbl.tblPr, "w:tblLook")
    look.attrib.clear()
    look.set(qn("w:val"), "04A0" if first_row else "0400")
    look.set(qn("w:firstRow"), "1" if first_row else "0")
    look.set(qn("w:lastRow"), "0")
    look.set(qn("w:firstColumn"), "0")
    look.set(qn("w:lastColumn"), "0")
    look.set(qn("w:noHBand"), "1")
    look.set(qn("w:noVBand"), "1")


# -- table styles -----------------------------------------------------------------------------


def style_tblpr(style_element):
    """The w:tblPr of a table style (after pPr/rPr, before trPr/tcPr/tblStylePr)."""
    return get_or_add_child(style_element, "w:tblPr", before=successors(STYLE_ORDER, "w:tblPr"))


def set_table_style_header(style_element, fill: str, bold: bool = True) -> None:
    """The header-row (w:tblStylePr type="firstRow") formatting of a table style."""
    for old in style_element.findall(qn("w:tblStylePr")):
        if old.get(qn("w:type")) == "firstRow":
            style_element.remove(old)
    conditional = make_element("w:tblStylePr", type="firstRow")
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
    tcPr.append(shading(fill))
    conditional.append(tcPr)
    style_element.append(conditional)  # w:tblStylePr is the last child of w:style
