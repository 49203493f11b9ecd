"""Where everything of a form's sheet goes, from the form alone (never the branch).

The sheet is a grid of GRID equal columns spanning the A4 width at 100 %; every block is a row of
spans of whole grid columns, sized to its text. `Layout(form)` gives the rows and column spans of
every block and the cell map (field key → input cell or range, see builder.writers.xlsx.workbook);
`page_breaks` chooses where the printed pages break once the row heights are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from builder.document import fieldnames
from builder.document.model import Form, FormField
from builder.writers.xlsx.text import text_width

# The printable width of A4 portrait with 15 mm side margins (509 pt), in Excel column-width
# units: one unit is the width of a digit in the workbook's default font, which is set to the
# CJK font at 10 pt (≈ 5.55 pt a unit), so a Chinese character at 10 pt is ≈ 1.8 units.
PAGE_WIDTH = 90.0
PAGE_HEIGHT_PT = 710.0  # A4 (842 pt) less the top and bottom margins, and a little slack
GRID = 24  # columns of the form's grid (3.75 units each); blocks span whole grid columns
HINT_OPTIONS_MAX = 40  # longer option lists are not printed in full beside the input

_TABLE_WIDTH = {  # the width (units) a table column of each type wants at least: no "#####"
    "date": 12,
    "datetime": 17,
    "money": 14,
    "number": 9,
    "score": 6,
    "person": 9,
    "signature": 10,
    "text": 14,
    "textarea": 24,
    "choice": 10,
    "multichoice": 16,
}

APPROVAL_HEADERS = ("审批人", "办理时限", "审批意见", "签字", "日期")
# The input columns of the approval block: column index → (name, field type)
APPROVAL_INPUTS = {2: ("opinion", "textarea"), 3: ("signature", "signature"), 4: ("date", "date")}


def allocate_columns(wanted: Sequence[float], total: int) -> list[int]:
    """Split `total` grid columns in proportion to `wanted` widths, each at least one column."""
    if len(wanted) > total:
        raise ValueError(f"{len(wanted)} columns do not fit in a grid of {total}")
    raw = [w * total / sum(wanted) for w in wanted]
    spans = [max(1, int(r)) for r in raw]
    while sum(spans) > total:
        i = max((i for i, s in enumerate(spans) if s > 1), key=lambda i: (spans[i] - raw[i], -i))
        spans[i] -= 1
    while sum(spans) < total:
        i = max(range(len(spans)), key=lambda i: (raw[i] - spans[i], -i))
        spans[i] += 1
    return spans


def column_places(spans: Sequence[int]) -> list[tuple[int, int]]:
    """(first column, number of columns) of consecutive spans, from column A."""
    out, col = [], 1
    for span in spans:
        out.append((col, span))
        col += span
    return out


def field_hint(f: FormField) -> str | None:
    """The printed hint beside an input: what to choose, help, or that it is computed."""
    parts = []
    options = "／".join(f.options)
    if len(options) > HINT_OPTIONS_MAX:
        if f.type == "choice":
            options = f"见下拉列表（共 {len(f.options)} 项）"
        else:
            options = f"共 {len(f.options)} 项，见输入提示"
    if f.compute:
        parts.append("自动计算，无需填写")
    elif f.type == "choice":
        parts.append("选择：" + options)
    elif f.type == "multichoice":
        parts.append("可多选：" + options)
    elif f.type == "score":
        parts.append("1—5 分，5 分最高")
    if f.help:
        parts.append(f.help)
    return "；".join(parts) or None


@dataclass(frozen=True)
class ScalarBlock:
    """A field on one row: label, input and, when the field has one, its hint."""

    field: FormField
    row: int
    places: list[tuple[int, int]]  # label, input[, hint]


@dataclass(frozen=True)
class TableBlock:
    """A rows field: a title row, a header row and `field.rows` input rows."""

    field: FormField
    title_row: int
    header_row: int
    first_row: int
    places: list[tuple[int, int]]  # one per column

    @property
    def last_row(self) -> int:
        return self.first_row + max(self.field.rows, 1) - 1


@dataclass(frozen=True)
class ApprovalBlock:
    """The 审批 block: a title row, a header row and one row per approval step."""

    title_row: int
    header_row: int
    first_row: int
    places: list[tuple[int, int]]  # role, time limit, opinion, signature, date


class Layout:
    """The rows and columns of one form's sheet; depends on the form only."""

    COMPANY_ROW, TITLE_ROW, META_ROW = 1, 2, 3

    def __init__(self, form: Form):
        self.form = form
        tables = [f for f in form.fields if f.type == "rows"]
        self.grid = max([GRID, *(len(f.columns) for f in tables)])
        self.col_width = PAGE_WIDTH / self.grid
        self.meta_places = column_places(allocate_columns([8, 12, 8, 8, 8, 12], self.grid))
        self.text_places = column_places(allocate_columns([15, 75], self.grid))
        self.blocks: list[ScalarBlock | TableBlock] = []
        self.cells: dict[str, str] = {}

        row = self.META_ROW + 2
        self.purpose_row = row
        self.instructions_row = row + 1
        self.clause_row = row + 2 if form.clause_label else None
        row += 3 if form.clause_label else 2
        for f in form.fields:
            row += 1  # a gap before the first field and around tables
            if f.type == "rows":
                places = column_places(allocate_columns(self._column_widths(f), self.grid))
                table = TableBlock(f, row, row + 1, row + 2, places)
                self.blocks.append(table)
                self._map_table(table)
                row = table.last_row + 1
            else:
                if self.blocks and isinstance(self.blocks[-1], ScalarBlock):
                    row -= 1  # consecutive fields sit in consecutive rows
                wanted = [22, 40, 28] if field_hint(f) else [22, 68]
                scalar = ScalarBlock(f, row, column_places(allocate_columns(wanted, self.grid)))
                self.blocks.append(scalar)
                self.cells[f.id] = self._address(row, scalar.places[1][0])
                row += 1

        self.approval = None
        if form.approval_chain:
            row += 1
            places = column_places(allocate_columns([16, 14, 28, 14, 14], self.grid))
            self.approval = ApprovalBlock(row, row + 1, row + 2, places)
            last = row + 1 + len(form.approval_chain)
            for index, (name, _) in APPROVAL_INPUTS.items():
                column = get_column_letter(places[index][0])
                self.cells[f"approval:{name}"] = f"{column}{row + 2}:{column}{last}"
            row = last + 1

        self.examples_row = row + 1 if self.has_examples else None
        self.last_row = row - 1 + (self.example_row_count + 1 if self.has_examples else 0)

    @property
    def last_column(self) -> str:
        return get_column_letter(self.grid)

    @property
    def has_examples(self) -> bool:
        fields = self.form.fields
        return any(f.example for f in fields) or any(f.row_examples for f in fields)

    @property
    def example_row_count(self) -> int:
        """The rows of the 填写示例 block, its title included."""
        count = 1 + sum(1 for f in self.form.fields if f.example and f.type != "rows")
        return count + sum(2 + len(f.row_examples) for f in self.form.fields if f.row_examples)

    def _column_widths(self, f: FormField) -> list[float]:
        widths = []
        for index, column in enumerate(f.columns):
            examples = [row[index] for row in f.row_examples if index < len(row)]
            wanted = max(
                [text_width(column.label) + 2, _TABLE_WIDTH.get(column.type, 12)]
                + [min(text_width(e) + 2, 30) for e in examples]
                + [text_width(o) + 4 for o in column.options if column.type == "choice"]
            )
            widths.append(wanted)
        return widths

    def _map_table(self, table: TableBlock) -> None:
        first, last = table.places[0][0], table.places[-1][0] + table.places[-1][1] - 1
        self.cells[table.field.id] = (
            f"{get_column_letter(first)}{table.first_row}:{get_column_letter(last)}{table.last_row}"
        )
        for column, (col, _) in zip(table.field.columns, table.places, strict=False):
            letter = get_column_letter(col)
            key = f"{table.field.id}.{column.id}"
            self.cells[key] = f"{letter}{table.first_row}:{letter}{table.last_row}"

    @staticmethod
    def _address(row: int, col: int) -> str:
        return f"{get_column_letter(col)}{row}"

    def keep_together(self) -> list[tuple[int, int, int]]:
        """Blocks not to split over pages: (first row, last row, last row kept with the first
        when the whole block is taller than a page). Each starts at the gap above it."""
        units = [(t.title_row - 1, t.last_row, t.first_row + 1) for t in self.tables()]
        if self.approval:
            a = self.approval
            last = a.first_row + len(self.form.approval_chain) - 1
            units.append((a.title_row - 1, last, a.first_row))
        if self.examples_row:
            units.append((self.examples_row - 1, self.last_row, self.examples_row + 2))
        return units

    def tables(self) -> list[TableBlock]:
        return [b for b in self.blocks if isinstance(b, TableBlock)]


def defined_name(key: str) -> str:
    """The workbook name of a cell-map key (see builder.writers.xlsx.workbook)."""
    if key.startswith("approval:"):
        return "approval." + key.split(":", 1)[1]
    return "f_" + key.replace("-", "_")


def cell_map(form: Form) -> dict[str, str]:
    """Field key → input cell (scalar fields) or range (rows fields and their columns)."""
    return dict(Layout(form).cells)


def input_cells(form: Form) -> dict[str, str]:
    """Every input by its builder.document.fieldnames name (the DOCX tag and PDF field name) → its
    cell. A multichoice is one cell here, named by its field id (the other formats have a box per
    option)."""
    layout = Layout(form)
    out: dict[str, str] = {}
    for f in form.fields:
        if f.type != "rows":
            out[f.id] = layout.cells[f.id]
            continue
        for column in f.columns:
            first, last = layout.cells[f"{f.id}.{column.id}"].split(":")
            letter = first.rstrip("0123456789")
            top = int(first[len(letter) :])
            for row in range(1, int(last[len(letter) :]) - top + 2):
                out[fieldnames.cell_name(f, row, column)] = f"{letter}{top + row - 1}"
    for name, _ in APPROVAL_INPUTS.values():
        if f"approval:{name}" in layout.cells:
            first, _ = layout.cells[f"approval:{name}"].split(":")
            letter = first.rstrip("0123456789")
            top = int(first[len(letter) :])
            for step in range(1, len(form.approval_chain) + 1):
                out[fieldnames.approval_name(step, name)] = f"{letter}{top + step - 1}"
    return out


def page_breaks(
    heights: Sequence[float], units: Sequence[tuple[int, int, int]], page: float
) -> list[int]:
    """The rows after which to break pages so no unit is split (see `Layout.keep_together`);
    `heights[i]` is the height of row i + 1 in points. Other rows break where the page is full."""
    starts = {first: (last, short) for first, last, short in units}
    breaks, y = [], 0.0
    for row, height in enumerate(heights, 1):
        if row in starts and y > 0:
            last, short = starts[row]
            whole = sum(heights[row - 1 : last])
            kept = whole if whole <= page else sum(heights[row - 1 : short])
            if y + kept > page:
                breaks.append(row - 1)
                y = 0.0
        if y + height > page:
            y = 0.0
        y += height
    return breaks
