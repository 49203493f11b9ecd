"""Workarounds for openpyxl: speed, and what it has no public way to do.

- `style_ids`: a look's style ids resolved once per workbook (openpyxl hashes a Font, Border, …
  recursively, in Python, on every assignment to a cell, which was most of this writer's time);
- `merge_row`: cells of one row merged and their range added directly (Worksheet.merge_cells
  builds a new Border per cell and compares the range with every range of the sheet);
- `set_default_font`: the CJK font as the workbook's default (Normal) font;
- `InMemoryExcelWriter`: each worksheet's XML written in memory, not through a temporary file.

Each does what the openpyxl call it replaces does, byte for byte in the saved file.
"""

from __future__ import annotations

import io
import weakref
from copy import copy

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Border, Font, Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from builder.writers.xlsx.looks import FONT, NO_BORDER, SIZE, CellLook

_LOCKED, _UNLOCKED = Protection(locked=True), Protection(locked=False)


class WorkbookStyleCache:
    """What a workbook's cells have been styled with so far, by the identity of the style
    objects. Each value also holds the objects of its key, so no id is reused while the workbook
    lives."""

    def __init__(self) -> None:
        self.looks: dict[tuple, tuple] = {}
        self.edges: dict[int, tuple] = {}  # id(border) → (border, middle, right)
        self.borders: dict[int, tuple] = {}  # id(border) → (border, StyleArray)
        # per sheet (weakly: a sheet refers to its workbook): how many merged ranges it had,
        # and their column spans by row (`_add_merged_range`)
        self.merged: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_WORKBOOK_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def style_cache(wb: Workbook) -> WorkbookStyleCache:
    """The style cache of `wb` (made on first use, gone with the workbook)."""
    styles = _WORKBOOK_STYLES.get(wb)
    if styles is None:
        styles = _WORKBOOK_STYLES[wb] = WorkbookStyleCache()
    return styles


def style_ids(wb: Workbook, look: CellLook) -> tuple[int, int | None, int, int, int, int]:
    """(fontId, fillId or None, borderId, numFmtId, protectionId, alignmentId) of `look` in `wb`:
    what cell.font = …, cell.alignment = …, cell.border = …, cell.fill = … (when the look has
    one), cell.protection = … and cell.number_format = … set, registering each style with the
    workbook in that order the first time."""
    key = (
        id(look.font),
        id(look.alignment),
        id(look.border),
        id(look.fill),
        look.locked,
        look.number_format,
    )
    cache = style_cache(wb).looks
    found = cache.get(key)
    if found is None:
        font = wb._fonts.add(look.font)
        alignment = wb._alignments.add(look.alignment)
        border = wb._borders.add(look.border)
        fill = wb._fills.add(look.fill) if look.fill is not None else None
        protection = wb._protections.add(_LOCKED if look.locked else _UNLOCKED)
        fmt = look.number_format
        if fmt in BUILTIN_FORMATS_REVERSE:
            number_format = BUILTIN_FORMATS_REVERSE[fmt]
        else:
            number_format = wb._number_formats.add(fmt) + BUILTIN_FORMATS_MAX_SIZE
        found = cache[key] = ((font, fill, border, number_format, protection, alignment), look)
    return found[0]


def merge_row(ws: Worksheet, row: int, col: int, span: int, border: Border) -> None:
    """Merge a row's cells from `col`, drawing the anchor's border around the whole area.

    Worksheet.merge_cells does the same but builds a new Border per cell, which is slow."""
    last = col + span - 1
    ref = f"{get_column_letter(col)}{row}:{get_column_letter(last)}{row}"
    _add_merged_range(ws, MergedCellRange(ws, ref))
    styles = style_cache(ws.parent)
    middle, right = _edge_borders(styles, border)
    cells = ws._cells
    for column in range(col + 1, last + 1):
        cell = MergedCell(ws, row=row, column=column)
        cells[(row, column)] = cell
        edge = right if column == last else middle
        if edge is not None:
            cell._style = copy(_border_style(styles, ws.parent, edge))


def _add_merged_range(ws: Worksheet, merged: MergedCellRange) -> None:
    """ws.merged_cells.add(merged) for a range within one row, which `merge_row` adds: the same
    test (is it within a range already there?) against an index of the ranges by row, where
    openpyxl compares it with every range of the sheet."""
    ranges = ws.merged_cells.ranges
    known = style_cache(ws.parent).merged
    count, by_row = known.get(ws, (-1, {}))
    if count != len(ranges):  # ranges not added here: index them all
        by_row = {}
        for other in ranges:
            for r in range(other.min_row, other.max_row + 1):
                by_row.setdefault(r, []).append((other.min_col, other.max_col))
    row = merged.min_row
    spans = by_row.setdefault(row, [])
    if not any(first <= merged.min_col and merged.max_col <= last for first, last in spans):
        ranges.add(merged)
        spans.append((merged.min_col, merged.max_col))
    known[ws] = (len(ranges), by_row)


def _edge_borders(
    styles: WorkbookStyleCache, border: Border
) -> tuple[Border | None, Border | None]:
    """The borders of a merged area's middle cells and of its last cell."""
    found = styles.edges.get(id(border))
    if found is None:
        if border == NO_BORDER:
            middle = right = None
        else:
            middle = Border(top=border.top, bottom=border.bottom)
            right = Border(top=border.top, bottom=border.bottom, right=border.right)
        found = styles.edges[id(border)] = (border, middle, right)
    return found[1], found[2]


def _border_style(styles: WorkbookStyleCache, wb: Workbook, border: Border) -> StyleArray:
    """The style of a new cell after cell.border = border."""
    found = styles.borders.get(id(border))
    if found is None:
        style = StyleArray()
        style.borderId = wb._borders.add(border)
        found = styles.borders[id(border)] = (border, style)
    return found[1]


def set_default_font(wb: Workbook) -> None:
    """Make the CJK font the workbook's default (Normal) font.

    The default font's digit width is Excel's and LibreOffice's column-width unit; with Calibri
    the two disagree by a third, with the CJK font they agree, so the page width holds in both.
    openpyxl has no public setter for it.
    """
    # charset 134: GB2312, a hint for Excel's font mapping
    font = Font(name=FONT, sz=SIZE, family=2, charset=134)
    wb._fonts = IndexedList([font])
    wb._named_styles["Normal"].font = font


class InMemoryExcelWriter(ExcelWriter):
    """openpyxl's ExcelWriter, but each worksheet's XML is written in memory: openpyxl writes it
    to a temporary file, copies that into the zip and deletes it. (The same bytes; as
    ExcelWriter.write_worksheet otherwise.)"""

    def write_worksheet(self, ws):
        if self.workbook.write_only:
            return super().write_worksheet(ws)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        out = io.BytesIO()
        writer = WorksheetWriter(ws, out=out)
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], out.getvalue())
        self.manifest.append(ws)
