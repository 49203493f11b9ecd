"""Text in cells: how wide and how tall it prints, and how it is kept within Excel's limits.

Widths are in Excel column-width units (the digit width of the workbook's default font, the CJK
font at 10 pt); a CJK or full-width character counts ≈ 1.85 units. Excel's length limits count
UTF-16 units: an emoji or a rare CJK character outside the BMP counts two; over them Excel calls
the file damaged.
"""

from __future__ import annotations

import math
import unicodedata

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from builder.writers.xlsx.looks import SIZE

LINE_PT = 14.5  # one line of 10 pt Noto Sans CJK, in points

# A cell holds 32,767 UTF-16 units; a header or footer 255 in all, so each of its parts is kept
# to HEADER_PART_MAX (with the font codes, under 255).
CELL_MAX = 32767
HEADER_PART_MAX = 60


def text_width(text: str, size: float = SIZE) -> float:
    """The width of one line of `text` in column-width units (a CJK or full-width character
    ≈ 1.85)."""
    units = sum(1.85 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)
    return units * size / SIZE


def line_count(text: str, width: float, size: float = SIZE) -> int:
    """The lines `text` wraps to in a cell `width` units wide."""
    usable = max(width - 2.5, 1.0)  # cell padding and indent
    return sum(max(1, math.ceil(text_width(line, size) / usable)) for line in text.split("\n"))


def text_height(text: str, width: float, size: float = SIZE, minimum: float = 20) -> float:
    """The row height (points) that shows all of `text` in a cell `width` units wide."""
    return max(minimum, line_count(text, width, size) * LINE_PT * size / SIZE + 6)


def clean(text: str) -> str:
    """`text` without the control characters a worksheet cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def utf16_units(text: str) -> int:
    """The length of `text` as Excel counts it, in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fit_utf16(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` UTF-16 units."""
    if len(text) * 2 <= limit or utf16_units(text) <= limit:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def shorten(text: str, limit: int) -> str:
    """`text`, or when longer than `limit` UTF-16 units its start and "…", `limit` units in all."""
    return text if utf16_units(text) <= limit else fit_utf16(text, limit - 1) + "…"


def header_footer_text(text: str) -> str:
    """Header/footer text: shortened to HEADER_PART_MAX, '&' (a control code there) escaped."""
    text = shorten(text, HEADER_PART_MAX)
    while utf16_units(text.replace("&", "&&")) > HEADER_PART_MAX:
        text = fit_utf16(text, utf16_units(text) - 2) + "…"
    return text.replace("&", "&&")
