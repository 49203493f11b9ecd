"""The looks of the form sheets' cells: fonts, fills, borders, number formats.

Every font and alignment is made once (`cjk_font`, `align` are cached) and never modified, so that
builder.writers.xlsx.shims can find a look's workbook styles by the identity of its parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from builder.document import fonts

FONT = fonts.SANS_SC
SIZE = 10

NUMBER_FORMATS = {  # the number format of an input by field type ("General" otherwise)
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "money": "#,##0.00",
    "score": "0",
}
HORIZONTAL = {  # the horizontal alignment of an input by field type ("left" otherwise)
    "money": "right",
    "number": "right",
    "date": "center",
    "datetime": "center",
    "score": "center",
}

_SIDE = Side(style="thin", color="808080")
BOX = Border(left=_SIDE, right=_SIDE, top=_SIDE, bottom=_SIDE)
NO_BORDER = Border()
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_FILL = PatternFill("solid", fgColor="DCE3EC")
_COMPUTED_FILL = PatternFill("solid", fgColor="FFF4D6")
# The conditional format of a late days_between result (keyword arguments of a FormulaRule).
LATE_HIGHLIGHT = dict(
    font=Font(color="C00000", bold=True),
    fill=PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid"),
)


@cache
def cjk_font(
    size: float = SIZE, bold: bool = False, color: str | None = None, italic: bool = False
) -> Font:
    """The sheet font (the CJK sans) in this size and style; one object per distinct font."""
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color)


@cache
def align(horizontal: str = "left", vertical: str = "center", wrap: bool = True) -> Alignment:
    """A wrapping alignment, indented unless centred; one object per distinct alignment."""
    indent = 0 if horizontal == "center" else 1
    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap, indent=indent)


@dataclass(frozen=True)
class CellLook:
    """Everything a cell is styled with: font, alignment, border, fill, lock, number format."""

    font: Font
    alignment: Alignment
    border: Border = BOX
    fill: PatternFill | None = None
    locked: bool = True
    number_format: str = "General"


class Looks:
    """The cell looks of a form sheet."""

    COMPANY = CellLook(cjk_font(11), align("center"), NO_BORDER)
    TITLE = CellLook(cjk_font(16, bold=True), align("center"), NO_BORDER)
    META_LABEL = CellLook(cjk_font(9, color="595959"), align("right"), NO_BORDER)
    META = CellLook(cjk_font(9), align("left"), NO_BORDER)
    LABEL = CellLook(cjk_font(), align("left"), fill=_LABEL_FILL)
    TEXT = CellLook(cjk_font(), align("left", "top"))
    CELL = CellLook(cjk_font(), align("left"))
    SECTION = CellLook(cjk_font(11, bold=True), align("left", "bottom"), NO_BORDER)
    HEADER = CellLook(cjk_font(bold=True), align("center"), fill=_HEADER_FILL)
    HINT = CellLook(cjk_font(9, color="595959"), align("left"))
    INPUT = CellLook(cjk_font(), align("left"), locked=False)
    COMPUTED = CellLook(cjk_font(), align("left"), fill=_COMPUTED_FILL)
    EXAMPLE = CellLook(cjk_font(9, color="7F7F7F", italic=True), align("left"))
    EXAMPLE_LABEL = CellLook(cjk_font(9, color="7F7F7F"), align("left"), fill=_LABEL_FILL)
    EXAMPLE_HEADER = CellLook(
        cjk_font(9, color="595959", bold=True), align("center"), fill=_LABEL_FILL
    )
    LINK = CellLook(cjk_font(color="0563C1"), align("left"), NO_BORDER)
