"""Fixed-layout Word tables: column widths from the content, shared by every Word writer."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Length, Twips
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row

from builder.writers import ooxml
from builder.writers.docx.styles import StyleNames

log = logging.getLogger("handbook")


def text_weight(text: str) -> float:
    """Printed width of text in ems: CJK and full-width characters 1, others ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def widths_with_rest(widths: Sequence[int], rest: int, total: int, least: int) -> list[int]:
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


def fixed_table(
    doc,
    rows: int,
    widths: Sequence[int],
    *,
    style: str | None = StyleNames.TABLE,
    header: bool = True,
    indent: int = 0,
    split_rows: bool = False,
    style_id: str | None = None,
    block_width: Length | None = None,
):
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
        tbl.tblStyle_val = (
            style_id
            if style_id is not None
            else doc.styles.get_style_id(doc.styles[style], WD_STYLE_TYPE.TABLE)
        )
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


class GridRow(_Row):
    """A row of a `GridTable`: its cells listed once."""

    def __init__(self, tr, table: DocxTable):
        super().__init__(tr, table)
        self._cells = tuple(_Cell(tc, table) for tc in tr.tc_lst)

    @property
    def cells(self) -> tuple[_Cell, ...]:
        return self._cells


class GridTable(DocxTable):
    """A table of `fixed_table`, its rows and their cells listed once: python-docx works out
    spans and merges on every row.cells. Only for tables that keep their shape (no merged
    cells, no rows added), as the handbook's and the form files' do."""

    def __init__(self, table: DocxTable):
        super().__init__(table._tbl, table._parent)
        self._grid_rows = [GridRow(tr, self) for tr in self._tbl.tr_lst]

    @property
    def rows(self) -> list[GridRow]:  # type: ignore[override]
        return self._grid_rows


def column_widths(
    columns: Sequence[Sequence[str]], total: int, em: float = 190, minimum_em: float = 2
) -> list[int]:
    """Share `total` twips among columns the way an auto-fitting table would.

    columns: the texts of each column (header included); em: twips per character of the table
    text. Columns whose longest text fits a fair share get exactly that; the rest share what is
    left in proportion to their length (so short codes and names never wrap, prose does).
    """
    pad = 260  # cell margins plus a little air
    natural = [
        max(max((text_weight(c) for c in cells), default=0), minimum_em) * em + pad
        for cells in columns
    ]
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
        widths = [
            int(fixed[i] if i in fixed else remaining * natural[i] / flexible)
            for i in range(len(natural))
        ]
    widths[-1] += total - sum(widths)
    return widths
