"""Render a branch's forms as fillable Excel workbooks (.xlsx).

`render_form_xlsx(document, form, path)` writes one form as a one-sheet workbook;
`render_forms_xlsx(document, path)` writes every form of the document, one sheet each, behind a
first sheet 目录 that links to them. Each form sheet reads top to bottom like the printed form:

    title block     company · branch, form title, 表单编号 / 手册版本 / 生效日期
    用途, 填写说明   the purpose, the instructions (and the clause the form belongs to)
    fields          one row per field: label | input (| hint: options, help, "自动计算")
    rows fields     a table: title, header row, N blank input rows
    审批            for forms with an approval chain: one row per step, 意见/签字/日期 to fill
    填写示例         the examples from the YAML, locked and grey, below the form

Layout: a grid of 24 equal columns spanning the A4 width at 100 %; every block is a row of merged
spans sized to its text (CJK characters count double). Row heights are computed (neither Excel
nor LibreOffice fits merged cells), and page breaks keep tables, the approval block and the
examples from splitting over pages where they fit on one.

Only the input cells are unlocked; the sheets are protected (with `password` when given, else
without), so a user can tab through the fields and change nothing else. Every input cell has a
data validation with a Chinese prompt and error message; choice lists too long for Excel's
inline limit (255 characters, or holding a comma or quote) come from a hidden, protected 选项
sheet, and then the workbook structure is locked so it stays hidden. A multichoice field is one
text cell whose prompt and printed hint list the options (answers separated by 、). Computed fields (`compute`) are locked
cells holding formulas: SUM, AVERAGE, a per-row days_between with a red highlight when late, and
the amount in Chinese capitals (大写金额) built from TEXT(…, "[DBNum2][$-804]0"), which Excel and
LibreOffice both format as 壹贰叁 whatever the user's locale.

Finding a field's cell — `cell_map(form)` and the workbook's defined names:

    key                          cell map value      defined name
    "topic"  (a field)           "G9"  (input cell)  f_topic
    "meeting-time"               "G10"               f_meeting_time        ('-' → '_')
    "tasks"  (a rows field)      "A27:X31"           f_tasks               (its whole input block)
    "tasks.due"  (a column)      "Q27:Q31"           f_tasks.due           (first column of its span)
    "approval:opinion"           "I27:I28"           approval.opinion      (also :signature, :date)

Inputs span several merged grid columns; the map names the top-left cell of each (for a column,
the top-left cells of its rows). Computed fields are in the map too (locked, holding formulas).

Field ids are lower-case ASCII with '-', so the `f_` names never clash with each other, with
cell references or with the `approval.*` names. In a single-form workbook the names are
workbook-scoped; in forms.xlsx each form sheet carries its own (sheet-scoped) names, so every
sheet has its own `f_topic`. The map depends on the form only, never on the branch.

Properties come from builder.document.properties: document properties (creator = company, status 受控文件,
identifier, version, …) and custom properties (DocNumber, Version, EffectiveDate, ControlStatus,
SourceRevision, Branch, FormCode, …). Every sheet's footer prints 文件编号, version, effective date
and 受控文件.

Reproducible: created = modified = the manual's effective date, never "now", and the zip is normalised by `builder.writers.ooxml.package`, so the same input gives the same
bytes. Text from the YAML is always written as a string, never as a formula, even when it starts
with "=".
"""
from __future__ import annotations

import io
import math
import unicodedata
import weakref
import zipfile
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import absolute_coordinate
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.packaging.custom import StringProperty
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from builder.document import fieldnames

from builder.document import fonts

from builder.writers.ooxml import package as ziputil
from builder.document.model import Document, Form, FormField, plain
from builder.document.properties import CONTROLLED, Properties, properties

INDEX_SHEET = "目录"
OPTIONS_SHEET = "选项"
_RESERVED_SHEETS = {INDEX_SHEET, OPTIONS_SHEET, "history"}

# The printable width of A4 portrait with 15 mm side margins (509 pt), in Excel column-width
# units: one unit is the width of a digit in the workbook's default font, which is set to the
# CJK font at 10 pt (≈ 5.55 pt a unit), so a Chinese character at 10 pt is ≈ 1.8 units.
PAGE_WIDTH = 90.0
LONG_TABLE_ROWS = 20  # a table this long gets its header repeated on each printed page
PAGE_HEIGHT_PT = 710.0  # A4 (842 pt) less the top and bottom margins below, and a little slack
GRID = 24  # columns of the form's grid (3.75 units each); blocks span whole grid columns
FONT = fonts.SANS_SC
SIZE = 10
LINE_PT = 14.5  # one line of 10 pt Noto Sans CJK, in points

HINT_OPTIONS_MAX = 40  # longer option lists are not printed in full beside the input
TEXT_MAX = 500
TEXTAREA_MAX = 2000
EARLIEST_DATE = 36526  # the serial number of 2000-01-01, the earliest date a form accepts
CAPITALS_FORMAT = "[DBNum2][$-804]0"  # Chinese financial numerals, forced zh-CN

NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "money": "#,##0.00",
    "score": "0",
}
_HORIZONTAL = {"money": "right", "number": "right", "date": "center", "datetime": "center", "score": "center"}
_TABLE_WIDTH = {  # the width (units) a table column of each type wants at least: no "#####"
    "date": 12, "datetime": 17, "money": 14, "number": 9, "score": 6, "person": 9, "signature": 10,
    "text": 14, "textarea": 24, "choice": 10, "multichoice": 16,
}

# --- looks --------------------------------------------------------------------------------
_SIDE = Side(style="thin", color="808080")
_BOX = Border(left=_SIDE, right=_SIDE, top=_SIDE, bottom=_SIDE)
_NO_BORDER = Border()
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_FILL = PatternFill("solid", fgColor="DCE3EC")
_COMPUTED_FILL = PatternFill("solid", fgColor="FFF4D6")
_LATE = dict(font=Font(color="C00000", bold=True), fill=PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid"))


# One object per distinct font and alignment (never modified once made), so that `_style_ids`
# finds a look's styles by the identity of its parts.
@lru_cache(maxsize=None)
def _font(size: float = SIZE, bold: bool = False, color: str | None = None, italic: bool = False) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color)


@lru_cache(maxsize=None)
def _align(horizontal: str = "left", vertical: str = "center", wrap: bool = True) -> Alignment:
    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap, indent=0 if horizontal == "center" else 1)


@dataclass(frozen=True)
class _Look:
    font: Font
    alignment: Alignment
    border: Border = _BOX
    fill: PatternFill | None = None
    locked: bool = True
    number_format: str = "General"


class L:
    """The cell looks of a form sheet."""

    COMPANY = _Look(_font(11), _align("center"), _NO_BORDER)
    TITLE = _Look(_font(16, bold=True), _align("center"), _NO_BORDER)
    META_LABEL = _Look(_font(9, color="595959"), _align("right"), _NO_BORDER)
    META = _Look(_font(9), _align("left"), _NO_BORDER)
    LABEL = _Look(_font(), _align("left"), fill=_LABEL_FILL)
    TEXT = _Look(_font(), _align("left", "top"))
    CELL = _Look(_font(), _align("left"))
    SECTION = _Look(_font(11, bold=True), _align("left", "bottom"), _NO_BORDER)
    HEADER = _Look(_font(bold=True), _align("center"), fill=_HEADER_FILL)
    HINT = _Look(_font(9, color="595959"), _align("left"))
    INPUT = _Look(_font(), _align("left"), locked=False)
    COMPUTED = _Look(_font(), _align("left"), fill=_COMPUTED_FILL)
    EXAMPLE = _Look(_font(9, color="7F7F7F", italic=True), _align("left"))
    EXAMPLE_LABEL = _Look(_font(9, color="7F7F7F"), _align("left"), fill=_LABEL_FILL)
    EXAMPLE_HEADER = _Look(_font(9, color="595959", bold=True), _align("center"), fill=_LABEL_FILL)
    LINK = _Look(_font(color="0563C1"), _align("left"), _NO_BORDER)


# --- text -----------------------------------------------------------------------------------
def text_width(text: str, size: float = SIZE) -> float:
    """The width of one line of `text` in column-width units (a CJK or full-width character ≈ 1.85)."""
    units = sum(1.85 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)
    return units * size / SIZE


def _line_count(text: str, width: float, size: float = SIZE) -> int:
    usable = max(width - 2.5, 1.0)  # cell padding and indent
    return sum(max(1, math.ceil(text_width(line, size) / usable)) for line in text.split("\n"))


def _height(text: str, width: float, size: float = SIZE, minimum: float = 20) -> float:
    return max(minimum, _line_count(text, width, size) * LINE_PT * size / SIZE + 6)


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


# Excel's limits count UTF-16 units (an emoji or a rare CJK character outside the BMP counts
# two); over them Excel calls the file damaged. A cell holds 32,767; a header or footer 255 in
# all, so each of its parts is kept to HEADER_PART_MAX (with the font codes, under 255).
CELL_MAX = 32767
HEADER_PART_MAX = 60


def _units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` UTF-16 units."""
    if len(text) * 2 <= limit or _units(text) <= limit:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def _shorten(text: str, limit: int) -> str:
    return text if _units(text) <= limit else _fit(text, limit - 1) + "…"


def _header_text(text: str) -> str:
    """Header/footer text: '&' starts a control code there."""
    text = _shorten(text, HEADER_PART_MAX)
    while _units(text.replace("&", "&&")) > HEADER_PART_MAX:
        text = _fit(text, _units(text) - 2) + "…"
    return text.replace("&", "&&")


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def defined_name(key: str) -> str:
    """The workbook name of a cell-map key (see the module docstring)."""
    if key.startswith("approval:"):
        return "approval." + key.split(":", 1)[1]
    return "f_" + key.replace("-", "_")


# --- layout: where everything goes, from the form alone ---------------------------------------
def _allocate(wanted: Sequence[float], total: int) -> list[int]:
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


def _places(spans: Sequence[int]) -> list[tuple[int, int]]:
    """(first column, number of columns) of consecutive spans, from column A."""
    out, col = [], 1
    for span in spans:
        out.append((col, span))
        col += span
    return out


def _hint(f: FormField) -> str | None:
    """The printed hint beside an input: what to choose, help, or that it is computed."""
    parts = []
    options = "／".join(f.options)
    if len(options) > HINT_OPTIONS_MAX:
        options = f"见下拉列表（共 {len(f.options)} 项）" if f.type == "choice" else f"共 {len(f.options)} 项，见输入提示"
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
class _Scalar:
    field: FormField
    row: int
    places: list[tuple[int, int]]  # label, input[, hint]


@dataclass(frozen=True)
class _Table:
    field: FormField
    title_row: int
    header_row: int
    first_row: int
    places: list[tuple[int, int]]  # one per column

    @property
    def last_row(self) -> int:
        return self.first_row + max(self.field.rows, 1) - 1


@dataclass(frozen=True)
class _Approval:
    title_row: int
    header_row: int
    first_row: int
    places: list[tuple[int, int]]  # role, time limit, opinion, signature, date


APPROVAL_HEADERS = ("审批人", "办理时限", "审批意见", "签字", "日期")
APPROVAL_INPUTS = {2: ("opinion", "textarea"), 3: ("signature", "signature"), 4: ("date", "date")}


class Layout:
    """The rows and columns of one form's sheet; depends on the form only."""

    COMPANY_ROW, TITLE_ROW, META_ROW = 1, 2, 3

    def __init__(self, form: Form):
        self.form = form
        tables = [f for f in form.fields if f.type == "rows"]
        self.grid = max([GRID, *(len(f.columns) for f in tables)])
        self.col_width = PAGE_WIDTH / self.grid
        self.meta_places = _places(_allocate([8, 12, 8, 8, 8, 12], self.grid))
        self.text_places = _places(_allocate([15, 75], self.grid))
        self.blocks: list[_Scalar | _Table] = []
        self.cells: dict[str, str] = {}

        row = self.META_ROW + 2
        self.purpose_row = row
        self.instructions_row = row + 1
        self.clause_row = row + 2 if form.clause_label else None
        row += 3 if form.clause_label else 2
        for f in form.fields:
            row += 1  # a gap before the first field and around tables
            if f.type == "rows":
                table = _Table(f, row, row + 1, row + 2, _places(_allocate(self._column_widths(f), self.grid)))
                self.blocks.append(table)
                self._map_table(table)
                row = table.last_row + 1
            else:
                if self.blocks and isinstance(self.blocks[-1], _Scalar):
                    row -= 1  # consecutive fields sit in consecutive rows
                wanted = [22, 40, 28] if _hint(f) else [22, 68]
                scalar = _Scalar(f, row, _places(_allocate(wanted, self.grid)))
                self.blocks.append(scalar)
                self.cells[f.id] = self._address(row, scalar.places[1][0])
                row += 1

        self.approval = None
        if form.approval_chain:
            row += 1
            places = _places(_allocate([16, 14, 28, 14, 14], self.grid))
            self.approval = _Approval(row, row + 1, row + 2, places)
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
        return any(f.example for f in self.form.fields) or any(f.row_examples for f in self.form.fields)

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

    def _map_table(self, table: _Table) -> None:
        first, last = table.places[0][0], table.places[-1][0] + table.places[-1][1] - 1
        self.cells[table.field.id] = (
            f"{get_column_letter(first)}{table.first_row}:{get_column_letter(last)}{table.last_row}"
        )
        for column, (col, _) in zip(table.field.columns, table.places):
            letter = get_column_letter(col)
            self.cells[f"{table.field.id}.{column.id}"] = f"{letter}{table.first_row}:{letter}{table.last_row}"

    @staticmethod
    def _address(row: int, col: int) -> str:
        return f"{get_column_letter(col)}{row}"

    def keep_together(self) -> list[tuple[int, int, int]]:
        """Blocks not to split over pages: (first row, last row, last row kept with the first
        when the whole block is taller than a page). Each starts at the gap above it."""
        units = [(t.title_row - 1, t.last_row, t.first_row + 1) for t in self.tables()]
        if self.approval:
            a = self.approval
            units.append((a.title_row - 1, a.first_row + len(self.form.approval_chain) - 1, a.first_row))
        if self.examples_row:
            units.append((self.examples_row - 1, self.last_row, self.examples_row + 2))
        return units

    def tables(self) -> list[_Table]:
        return [b for b in self.blocks if isinstance(b, _Table)]


def cell_map(form: Form) -> dict[str, str]:
    """Field key → input cell (scalar fields) or range (rows fields and their columns)."""
    return dict(Layout(form).cells)


def input_cells(form: Form) -> dict[str, str]:
    """Every input by its builder.document.fieldnames name (the DOCX tag and PDF field name) → its cell.
    A multichoice is one cell here, named by its field id (the other formats have a box per option)."""
    layout = Layout(form)
    out: dict[str, str] = {}
    for f in form.fields:
        if f.type != "rows":
            out[f.id] = layout.cells[f.id]
            continue
        for column in f.columns:
            first, last = layout.cells[f"{f.id}.{column.id}"].split(":")
            letter = first.rstrip("0123456789")
            top = int(first[len(letter):])
            for row in range(1, int(last[len(letter):]) - top + 2):
                out[fieldnames.cell_name(f, row, column)] = f"{letter}{top + row - 1}"
    for name, _ in APPROVAL_INPUTS.values():
        if f"approval:{name}" in layout.cells:
            first, _ = layout.cells[f"approval:{name}"].split(":")
            letter = first.rstrip("0123456789")
            top = int(first[len(letter):])
            for step in range(1, len(form.approval_chain) + 1):
                out[fieldnames.approval_name(step, name)] = f"{letter}{top + step - 1}"
    return out


def page_breaks(heights: Sequence[float], units: Sequence[tuple[int, int, int]], page: float) -> list[int]:
    """The rows after which to break pages so no unit is split (see `Layout.keep_together`);
    `heights[i]` is the height of row i + 1 in points. Other rows break where the page is full."""
    starts = {first: (last, short) for first, last, short in units}
    breaks, y = [], 0.0
    for row, height in enumerate(heights, 1):
        if row in starts and y > 0:
            last, short = starts[row]
            whole = sum(heights[row - 1:last])
            kept = whole if whole <= page else sum(heights[row - 1:short])
            if y + kept > page:
                breaks.append(row - 1)
                y = 0.0
        if y + height > page:
            y = 0.0
        y += height
    return breaks


# --- formulas ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Ref:
    expr: str
    is_range: bool


class _Formulas:
    """The formula of a computed field, from its (operation, ids)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.scalars = {b.field.id: b for b in layout.blocks if isinstance(b, _Scalar)}

    def ref(self, ident: str, table: _Table | None, row: int | None) -> _Ref:
        # A column of the computed field's own table means that row; then the form's fields;
        # then the whole column of any table.
        if table is not None:
            for column, (col, _) in zip(table.field.columns, table.places):
                if column.id == ident:
                    return _Ref(f"{get_column_letter(col)}{row}", False)
        if ident in self.scalars:
            block = self.scalars[ident]
            return _Ref(f"${get_column_letter(block.places[1][0])}${block.row}", False)
        for other in self.layout.tables():
            for column, (col, _) in zip(other.field.columns, other.places):
                if column.id == ident:
                    letter = get_column_letter(col)
                    return _Ref(f"${letter}${other.first_row}:${letter}${other.last_row}", True)
        raise ValueError(f"表单 {self.layout.form.id}: 计算引用了不存在的字段“{ident}”")

    def formula(self, f: FormField, table: _Table | None = None, row: int | None = None) -> str:
        op, ids = f.compute
        refs = [self.ref(i, table, row) for i in ids]
        args = ",".join(r.expr for r in refs)
        if op == "sum":
            return f'=IF(COUNT({args})=0,"",SUM({args}))'
        if op == "average":
            return f'=IFERROR(AVERAGE({args}),"")'
        if op == "days_between":
            start, end = refs
            if not start.is_range and not end.is_range:
                return f'=IF(AND(ISNUMBER({start.expr}),ISNUMBER({end.expr})),{end.expr}-{start.expr},"")'
            return (f'=IF(AND(COUNT({start.expr})>0,COUNT({end.expr})>0),'
                    f'MAX({end.expr})-MIN({start.expr}),"")')
        if op == "capitals":
            (amount,) = refs
            if amount.is_range:
                return "=" + capitals_formula(f"SUM({amount.expr})", f"COUNT({amount.expr})=0")
            return "=" + capitals_formula(amount.expr, f'{amount.expr}=""')
        raise ValueError(f"表单 {self.layout.form.id}: 未知的计算 {op}")


def capitals_formula(value: str, blank: str) -> str:
    """An Excel/LibreOffice expression: `value` in Chinese capitals, e.g. 壹仟贰佰叁拾肆元伍角陆分,
    壹拾元零陆分, 伍角整, 零元整; "" when `blank` holds. Rounded to fen; negative amounts get 负."""
    x = f"ROUND(ABS({value}),2)"
    yuan = f"INT({x})"
    tenths = f"INT(ROUND({x}*10,4))"  # ROUND first: 8.2*10 may be 81.999…
    jiao = f"({tenths}-{yuan}*10)"
    fen = f"(ROUND({x}*100,0)-{tenths}*10)"
    fmt = f'"{CAPITALS_FORMAT}"'
    return (
        f'IFERROR(IF({blank},"",IF({x}=0,"零元整",IF({value}<0,"负","")'
        f'&IF({yuan}>0,TEXT({yuan},{fmt})&"元","")'
        f'&IF({jiao}>0,TEXT({jiao},{fmt})&"角",IF(AND({yuan}>0,{fen}>0),"零",""))'
        f'&IF({fen}>0,TEXT({fen},{fmt})&"分","整"))),"")'
    )


# --- validations ------------------------------------------------------------------------------
def _validation(f: FormField, list_source: str | None) -> DataValidation:
    """The data validation of an input cell of type f.type, with its Chinese prompt and error."""
    label = f.label
    need = "（必填）" if f.required else ""
    kind = f.type
    if kind == "date":
        dv = DataValidation("date", operator="greaterThanOrEqual", formula1=str(EARLIEST_DATE))
        prompt, error = "请输入日期，格式如 2024-01-31（不早于 2000-01-01）。", "请输入 2000-01-01 以后的有效日期，格式如 2024-01-31。"
    elif kind == "datetime":
        dv = DataValidation("decimal", operator="greaterThanOrEqual", formula1=str(EARLIEST_DATE))
        prompt, error = "请输入日期和时间，格式如 2024-01-31 14:30。", "请输入 2000-01-01 以后的日期和时间，格式如 2024-01-31 14:30。"
    elif kind == "number":
        dv = DataValidation("decimal", operator="between", formula1="-1000000000000", formula2="1000000000000")
        prompt, error = "请输入数字。", "此处只能填写数字。"
    elif kind == "money":
        dv = DataValidation("decimal", operator="greaterThanOrEqual", formula1="0")
        prompt, error = "请输入金额（元），保留两位小数。", "金额应为不小于 0 的数字。"
    elif kind == "score":
        dv = DataValidation("whole", operator="between", formula1="1", formula2="5")
        prompt, error = "请输入 1—5 的整数评分，5 分最高。", "评分应为 1 到 5 的整数。"
    elif kind == "choice":
        dv = DataValidation("list", formula1=list_source)
        prompt, error = "请从下拉列表中选择：" + "／".join(f.options), "请从下拉列表中选择一项。"
    elif kind == "multichoice":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt = "可多选，多项之间用“、”分隔。选项：" + "、".join(f.options)
        error = f"不超过 {TEXT_MAX} 字。"
    elif kind == "signature":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "签字：填写签字人姓名，打印后由本人亲笔签名。", f"不超过 {TEXT_MAX} 字。"
    elif kind == "person":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "请填写姓名。", f"不超过 {TEXT_MAX} 字。"
    elif kind == "textarea":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXTAREA_MAX))
        prompt, error = "可填写多行文字（Alt+Enter 换行）。", f"不超过 {TEXTAREA_MAX} 字。"
    else:  # text, and any type added later
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "请填写文字。", f"不超过 {TEXT_MAX} 字。"
    if f.help:
        prompt = f"{prompt}{f.help}"
    # Excel refuses a file whose prompt or title is over its limits: 32/255 and 32/225 characters.
    dv.allow_blank = True
    dv.showInputMessage = dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.promptTitle = _shorten(_clean("签字" if kind == "signature" else label + need), 32)
    dv.prompt = _shorten(_clean(prompt + need), 255)
    dv.errorTitle = _shorten(_clean(f"{label}填写有误"), 32)
    dv.error = _shorten(_clean(error), 225)
    return dv


def _inline_list(options: Sequence[str]) -> str | None:
    """An inline list formula, or None when Excel cannot take the options inline."""
    if any("," in o or '"' in o for o in options):
        return None
    formula = '"' + ",".join(options) + '"'
    return formula if _units(formula) <= 255 else None


# --- the workbook -----------------------------------------------------------------------------
def _put(ws: Worksheet, row: int, col: int, span: int, value, look: _Look, *, formula: bool = False):
    """Write `value` (a string is always text, unless formula=True) over `span` columns."""
    cell = ws.cell(row=row, column=col)
    if value is not None:
        if formula:
            cell.value = value
        elif isinstance(value, str):
            cell.value = _shorten(_clean(value), CELL_MAX)
            cell.data_type = "s"  # never a formula, whatever the text starts with
        else:
            cell.value = value
    font, fill, border, number_format, protection, alignment = _style_ids(ws.parent, look)
    style = cell._style
    if style is None:
        style = cell._style = StyleArray()
    style.fontId = font
    style.alignmentId = alignment
    style.borderId = border
    if fill is not None:
        style.fillId = fill
    style.protectionId = protection
    style.numFmtId = number_format
    if span > 1:
        _merge(ws, row, col, span, look.border)
    return cell


_LOCKED, _UNLOCKED = Protection(locked=True), Protection(locked=False)


class _Styles:
    """What a workbook's cells have been styled with so far, by the identity of the style
    objects: openpyxl hashes a Font, Border, … (recursively, in Python) on every assignment to
    a cell, which was most of this writer's time. Each value also holds the objects of its key,
    so no id is reused while the workbook lives."""

    def __init__(self) -> None:
        self.looks: dict[tuple, tuple] = {}
        self.edges: dict[int, tuple] = {}  # id(border) → (border, middle, right)
        self.borders: dict[int, tuple] = {}  # id(border) → (border, StyleArray)
        # per sheet (weakly: a sheet refers to its workbook): how many merged ranges it had,
        # and their column spans by row (`_add_merged_range`)
        self.merged: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_WORKBOOK_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _styles(wb: Workbook) -> _Styles:
    styles = _WORKBOOK_STYLES.get(wb)
    if styles is None:
        styles = _WORKBOOK_STYLES[wb] = _Styles()
    return styles


def _style_ids(wb: Workbook, look: _Look) -> tuple[int, int | None, int, int, int, int]:
    """(fontId, fillId or None, borderId, numFmtId, protectionId, alignmentId) of `look` in `wb`:
    what cell.font = …, cell.alignment = …, cell.border = …, cell.fill = … (when the look has
    one), cell.protection = … and cell.number_format = … set, registering each style with the
    workbook in that order the first time."""
    key = (id(look.font), id(look.alignment), id(look.border), id(look.fill), look.locked, look.number_format)
    cache = _styles(wb).looks
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


def _merge(ws: Worksheet, row: int, col: int, span: int, border: Border) -> None:
    """Merge a row's cells from `col`, drawing the anchor's border around the whole area.

    Worksheet.merge_cells does the same but builds a new Border per cell, which is slow."""
    last = col + span - 1
    _add_merged_range(ws, MergedCellRange(ws, f"{get_column_letter(col)}{row}:{get_column_letter(last)}{row}"))
    styles = _styles(ws.parent)
    middle, right = _edge_borders(styles, border)
    cells = ws._cells
    for column in range(col + 1, last + 1):
        cell = MergedCell(ws, row=row, column=column)
        cells[(row, column)] = cell
        edge = right if column == last else middle
        if edge is not None:
            cell._style = copy(_border_style(styles, ws.parent, edge))


def _add_merged_range(ws: Worksheet, merged: MergedCellRange) -> None:
    """ws.merged_cells.add(merged) for a range within one row, which `_merge` adds: the same
    test (is it within a range already there?) against an index of the ranges by row, where
    openpyxl compares it with every range of the sheet."""
    ranges = ws.merged_cells.ranges
    known = _styles(ws.parent).merged
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


def _edge_borders(styles: _Styles, border: Border) -> tuple[Border | None, Border | None]:
    """The borders of a merged area's middle cells and of its last cell."""
    found = styles.edges.get(id(border))
    if found is None:
        if border == _NO_BORDER:
            middle = right = None
        else:
            middle = Border(top=border.top, bottom=border.bottom)
            right = Border(top=border.top, bottom=border.bottom, right=border.right)
        found = styles.edges[id(border)] = (border, middle, right)
    return found[1], found[2]


def _border_style(styles: _Styles, wb: Workbook, border: Border) -> StyleArray:
    """The style of a new cell after cell.border = border."""
    found = styles.borders.get(id(border))
    if found is None:
        style = StyleArray()
        style.borderId = wb._borders.add(border)
        found = styles.borders[id(border)] = (border, style)
    return found[1]


def _row_height(ws: Worksheet, row: int, height: float) -> None:
    current = ws.row_dimensions[row].height or 0
    ws.row_dimensions[row].height = round(max(current, height), 1)


def _default_font(wb: Workbook) -> None:
    """Make the CJK font the workbook's default (Normal) font.

    The default font's digit width is Excel's and LibreOffice's column-width unit; with Calibri
    the two disagree by a third, with the CJK font they agree, so the page width holds in both.
    openpyxl has no public setter for it.
    """
    font = Font(name=FONT, sz=SIZE, family=2, charset=134)  # 134: GB2312, a hint for Excel's font mapping
    wb._fonts = IndexedList([font])
    wb._named_styles["Normal"].font = font


class _Book:
    """A workbook being written: sheet names, the shared hidden 选项 sheet, protection."""

    def __init__(self, document: Document, password: str | None, sheet_scoped_names: bool):
        self.document = document
        self.password = password
        self.sheet_scoped_names = sheet_scoped_names
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        _default_font(self.wb)
        self.sheet_names: set[str] = set()
        self.options: Worksheet | None = None
        self.option_columns = 0

    def sheet_name(self, title: str, fallback: str) -> str:
        """A safe, unique sheet name (≤31 chars, none of []:*?/\\, no edge apostrophes)."""
        name = "".join("_" if ch in "[]:*?/\\" else ch for ch in _clean(title)).strip().strip("'")
        name = _fit(name, 31).strip().strip("'") or fallback[:31]
        base, n = name, 2
        while name.lower() in self.sheet_names or name.lower() in _RESERVED_SHEETS:
            suffix = f"({n})"
            name, n = _fit(base, 31 - len(suffix)) + suffix, n + 1
        self.sheet_names.add(name.lower())
        return name

    def protect(self, ws: Worksheet) -> None:
        ws.protection.sheet = True
        ws.protection.formatRows = False  # let users make a row taller for a long answer
        ws.protection.formatColumns = False
        if self.password:
            ws.protection.password = self.password

    def option_list(self, caption: str, options: Sequence[str]) -> str:
        """A list source for the dropdown: inline, or a column of the hidden 选项 sheet."""
        inline = _inline_list(options)
        if inline is not None:
            return inline
        if self.options is None:
            self.options = self.wb.create_sheet(OPTIONS_SHEET)
            self.options.sheet_state = "hidden"
            self.protect(self.options)
        self.option_columns += 1
        col = self.option_columns
        _put(self.options, 1, col, 1, caption, L.HEADER)
        for row, option in enumerate(options, 2):
            _put(self.options, row, col, 1, option, L.TEXT)
        self.options.column_dimensions[get_column_letter(col)].width = 24
        letter = get_column_letter(col)
        return f"{_quote_sheet(OPTIONS_SHEET)}!${letter}$2:${letter}${len(options) + 1}"

    def add_name(self, ws: Worksheet, name: str, ref: str) -> None:
        absolute = ":".join(absolute_coordinate(part) for part in ref.split(":"))
        defined = DefinedName(name, attr_text=f"{_quote_sheet(ws.title)}!{absolute}")
        if self.sheet_scoped_names:
            ws.defined_names[name] = defined
        else:
            self.wb.defined_names[name] = defined

    def finish(self, path: str | Path, props: Properties) -> None:
        if self.options is not None:
            self.wb.move_sheet(self.options, len(self.wb.sheetnames) - 1 - self.wb.sheetnames.index(OPTIONS_SHEET))
            # The hidden option lists stay hidden only while the structure is locked.
            self.wb.security = WorkbookProtection(lockStructure=True)
            if self.password:
                self.wb.security.workbookPassword = self.password
        self.wb.active = 0
        core = self.wb.properties
        core.creator = props.author
        core.lastModifiedBy = props.issuer
        core.title = props.title
        core.subject = props.subject
        core.description = props.description
        core.keywords = props.keyword_text()
        core.category = props.category
        core.identifier = props.identifier
        core.version = props.version
        core.contentStatus = props.status
        core.language = props.language
        core.revision = str(props.revision)
        core.created = core.modified = props.stamp
        for name, value in props.custom.items():
            self.wb.custom_doc_props.append(StringProperty(name=name, value=value))
        buffer = io.BytesIO()
        # ExcelWriter, not Workbook.save: save() stamps `modified` with the current time. The
        # zip is stored uncompressed: normalized_zip_bytes compresses every member anyway.
        _ExcelWriter(self.wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED)).save()
        Path(path).write_bytes(ziputil.normalized_zip_bytes(buffer.getvalue()))


class _ExcelWriter(ExcelWriter):
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


class _FormSheet:
    """Paints one form on one worksheet from its `Layout`."""

    def __init__(self, book: _Book, form: Form, index_link: str | None = None):
        self.book = book
        self.document = book.document
        self.form = form
        self.layout = Layout(form)
        self.formulas = _Formulas(self.layout)
        self.ws = book.wb.create_sheet(book.sheet_name(form.title, form.code or form.id))
        self.index_link = index_link

    def width(self, span: int) -> float:
        return span * self.layout.col_width

    def paint(self) -> Worksheet:
        lay = self.layout
        for col in range(1, lay.grid + 1):
            self.ws.column_dimensions[get_column_letter(col)].width = round(lay.col_width, 2)
        self.title_block()
        self.purpose()
        for block in lay.blocks:
            if isinstance(block, _Table):
                self.table(block)
            else:
                self.scalar(block)
        if lay.approval:
            self.approval(lay.approval)
        if lay.examples_row:
            self.examples(lay.examples_row)
        for key, ref in lay.cells.items():
            self.book.add_name(self.ws, defined_name(key), ref)
        for row in range(1, lay.last_row + 1):
            if self.ws.row_dimensions[row].height is None:
                _row_height(self.ws, row, 10)  # the gaps between blocks
        heights = [self.ws.row_dimensions[row].height for row in range(1, lay.last_row + 1)]
        for row in page_breaks(heights, lay.keep_together(), PAGE_HEIGHT_PT):
            self.ws.row_breaks.append(Break(id=row))
        self.page_setup()
        self.book.protect(self.ws)
        return self.ws

    # -- blocks --
    def title_block(self) -> None:
        lay, meta, ws = self.layout, self.document.meta, self.ws
        _put(ws, lay.COMPANY_ROW, 1, lay.grid, f"{meta.company}　{self.document.branch.name}", L.COMPANY)
        _row_height(ws, lay.COMPANY_ROW, 20)
        _put(ws, lay.TITLE_ROW, 1, lay.grid, self.form.title, L.TITLE)
        _row_height(ws, lay.TITLE_ROW, _height(self.form.title, PAGE_WIDTH, 16, 32))
        values = ("表单编号", self.form.code, "手册版本", meta.version, "生效日期", meta.effective_date.isoformat())
        for (col, span), value, index in zip(lay.meta_places, values, range(6)):
            _put(ws, lay.META_ROW, col, span, value, L.META_LABEL if index % 2 == 0 else L.META)
        _row_height(ws, lay.META_ROW, 18)
        if self.index_link:
            link = _put(ws, lay.COMPANY_ROW, lay.grid + 2, 1, "← 返回目录", L.LINK)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=self.index_link, display="返回目录")
            ws.column_dimensions[get_column_letter(lay.grid + 2)].width = 12

    def purpose(self) -> None:
        lay, ws, form = self.layout, self.ws, self.form
        (label_col, label_span), (text_col, text_span) = lay.text_places
        notes = []
        fields = [f for f in form.fields] + [c for f in form.fields for c in f.columns]
        if any(f.required and not f.compute for f in fields):
            notes.append("带 * 的栏目为必填项")
        if any(f.compute for f in fields):
            notes.append("底色栏目自动计算，无需填写")
        lines = [f"{i}. {plain(p)}" for i, p in enumerate(form.instructions, 1)]
        if notes:
            lines.append("注：" + "；".join(notes) + "。")
        rows = [(lay.purpose_row, "用途", plain(form.purpose)), (lay.instructions_row, "填写说明", "\n".join(lines))]
        if lay.clause_row:
            rows.append((lay.clause_row, "依据条款", form.clause_label))
        for row, label, text in rows:
            _put(ws, row, label_col, label_span, label, L.LABEL)
            _put(ws, row, text_col, text_span, text, L.TEXT)
            _row_height(ws, row, _height(text, self.width(text_span)))

    def scalar(self, block: _Scalar) -> None:
        ws, f, row = self.ws, block.field, block.row
        (label_col, label_span), (input_col, input_span) = block.places[:2]
        label = ("* " if f.required and not f.compute else "") + f.label
        _put(ws, row, label_col, label_span, label, L.LABEL)
        cell = self.input(f, row, input_col, input_span)
        if f.compute:
            self.mark_late(f, cell.coordinate)
        else:
            self.validate(f, cell.coordinate)
        height = _height(label, self.width(label_span))
        hint = _hint(f)
        if len(block.places) > 2:
            hint_col, hint_span = block.places[2]
            _put(ws, row, hint_col, hint_span, hint, L.HINT)
            height = max(height, _height(hint, self.width(hint_span), 9))
        if f.type == "textarea":
            height = max(height, 3 * LINE_PT + 8)
        _row_height(ws, row, max(height, 22))

    def input(self, f: FormField, row: int, col: int, span: int, table: _Table | None = None):
        """The input cell of `f` (unlocked), or its formula when computed (locked)."""
        fmt = NUMBER_FORMATS.get(f.type, "General")
        horizontal = _HORIZONTAL.get(f.type, "left")
        if f.compute:
            op = f.compute[0]
            fmt = {"days_between": "0", "average": "0.00", "capitals": "General"}.get(op, fmt)
            horizontal = "left" if op == "capitals" else ("center" if op == "days_between" else "right")
            look = _Look(L.COMPUTED.font, _align(horizontal), fill=L.COMPUTED.fill, number_format=fmt)
            return _put(self.ws, row, col, span, self.formulas.formula(f, table, row), look, formula=True)
        vertical = "top" if f.type == "textarea" else "center"
        look = _Look(L.INPUT.font, _align(horizontal, vertical), locked=False, number_format=fmt)
        return _put(self.ws, row, col, span, None, look)

    def validate(self, f: FormField, sqref: str) -> None:
        source = None
        if f.type == "choice":
            source = self.book.option_list(f"{self.ws.title}·{f.label}", f.options)
        dv = _validation(f, source)
        dv.add(sqref)
        self.ws.add_data_validation(dv)

    def mark_late(self, f: FormField, sqref: str) -> None:
        """A days_between result above 0 (late) turns red."""
        if not f.compute or f.compute[0] != "days_between":
            return
        top = sqref.split(":")[0]
        self.ws.conditional_formatting.add(sqref, FormulaRule(formula=[f"AND(ISNUMBER({top}),{top}>0)"], **_LATE))

    def section_title(self, row: int, text: str) -> None:
        _put(self.ws, row, 1, self.layout.grid, text, L.SECTION)
        _row_height(self.ws, row, _height(text, PAGE_WIDTH, 11, 22))

    def table(self, block: _Table) -> None:
        ws, f = self.ws, block.field
        title = f.label + (f"（{f.help}）" if f.help else "")
        self.section_title(block.title_row, ("* " if f.required else "") + title)
        self.header_row(block.header_row, [c.label for c in f.columns], block.places, L.HEADER)
        tall = any(c.type == "textarea" for c in f.columns)
        for row in range(block.first_row, block.last_row + 1):
            for column, (col, span) in zip(f.columns, block.places):
                self.input(column, row, col, span, table=block)
            _row_height(ws, row, 34 if tall else 22)
        for column, (col, _) in zip(f.columns, block.places):
            letter = get_column_letter(col)
            sqref = f"{letter}{block.first_row}:{letter}{block.last_row}"
            if column.compute:
                self.mark_late(column, sqref)
            else:
                self.validate(column, sqref)

    def header_row(self, row: int, labels: Sequence[str], places, look: _Look) -> None:
        height = 22
        for label, (col, span) in zip(labels, places):
            _put(self.ws, row, col, span, label, look)
            height = max(height, _height(label, self.width(span), look.font.sz))
        _row_height(self.ws, row, height)

    def approval(self, block: _Approval) -> None:
        ws, steps = self.ws, self.form.approval_chain
        self.section_title(block.title_row, "审批（按本机构审批链逐级签署）")
        self.header_row(block.header_row, APPROVAL_HEADERS, block.places, L.HEADER)
        for row, step in zip(range(block.first_row, block.first_row + len(steps)), steps):
            role_place, days_place = block.places[0], block.places[1]
            _put(ws, row, *role_place, step.role, L.LABEL)
            _put(ws, row, *days_place, f"{step.days}个工作日内", L.CELL)
            for index, (name, kind) in APPROVAL_INPUTS.items():
                col, span = block.places[index]
                self.input(FormField(id=name, label=APPROVAL_HEADERS[index], type=kind), row, col, span)
            _row_height(ws, row, max(36, _height(step.role, self.width(role_place[1]))))
        for index, (name, kind) in APPROVAL_INPUTS.items():
            field = FormField(id=name, label=APPROVAL_HEADERS[index], type=kind)
            self.validate(field, self.layout.cells[f"approval:{name}"])

    def examples(self, row: int) -> None:
        ws, lay = self.ws, self.layout
        self.section_title(row, "填写示例（仅供参考，请勿在此填写）")
        row += 1
        label_place, text_place = _places(_allocate([22, 68], lay.grid))
        for f in self.form.fields:
            if f.type == "rows" or not f.example:
                continue
            _put(ws, row, *label_place, f.label, L.EXAMPLE_LABEL)
            _put(ws, row, *text_place, f.example, L.EXAMPLE)
            _row_height(ws, row, max(_height(f.example, self.width(text_place[1]), 9),
                                     _height(f.label, self.width(label_place[1]), 9)))
            row += 1
        for block in lay.tables():
            f = block.field
            if not f.row_examples:
                continue
            _put(ws, row, 1, lay.grid, f.label, _Look(_font(9, bold=True, color="595959"), _align("left", "bottom"), _NO_BORDER))
            _row_height(ws, row, 20)
            self.header_row(row + 1, [c.label for c in f.columns], block.places, L.EXAMPLE_HEADER)
            row += 2
            for values in f.row_examples:
                height = 20
                for value, (col, span) in zip(values, block.places):
                    _put(ws, row, col, span, value, L.EXAMPLE)
                    height = max(height, _height(value, self.width(span), 9))
                _row_height(ws, row, height)
                row += 1

    def page_setup(self) -> None:
        ws, lay, form, meta = self.ws, self.layout, self.form, self.document.meta
        ws.sheet_view.showGridLines = False
        _print_setup(ws, f"A1:{lay.last_column}{lay.last_row}")
        last = lay.blocks[-1] if lay.blocks else None
        if isinstance(last, _Table) and last.field.rows >= LONG_TABLE_ROWS and not lay.approval:
            # A long table that ends the form runs over pages: repeat its header row on each.
            # (Excel and LibreOffice repeat title rows on every later page, so only when nothing
            # but the examples follows the table.)
            ws.print_title_rows = f"{last.header_row}:{last.header_row}"
        _header_footer(ws, left=f"{form.code}　{form.title}", right=f"{meta.company}　{self.document.branch.name}",
                       meta=meta)


def _print_setup(ws: Worksheet, area: str) -> None:
    """A4 portrait, fitted to the page width (as many pages down as needed), centred."""
    ws.print_area = area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.8, bottom=0.8, header=0.35, footer=0.35)


def _header_footer(ws: Worksheet, left: str, right: str, meta) -> None:
    """Header: form and company; footer: 文件编号, version and date, 第 N 页，共 M 页, 受控文件
    (texts are escaped)."""
    footer_left = f"文件编号 {meta.doc_number}　手册版本 {meta.version}"
    footer_right = f"生效日期 {meta.effective_date.isoformat()}　{CONTROLLED}"
    items = ((ws.oddHeader.left, _header_text(left)), (ws.oddHeader.right, _header_text(right)),
             (ws.oddFooter.left, _header_text(footer_left)), (ws.oddFooter.center, "第 &P 页，共 &N 页"),
             (ws.oddFooter.right, _header_text(footer_right)))
    for item, text in items:
        item.text = text
        item.font = f"{FONT},Regular"
        item.size = 8


def render_form_xlsx(document: Document, form: Form, path: str | Path, password: str | None = None) -> None:
    """One form as a workbook of one sheet (plus the hidden 选项 sheet for long option lists)."""
    book = _Book(document, password, sheet_scoped_names=False)
    _FormSheet(book, form).paint()
    book.finish(path, properties(document, form))


def render_forms_xlsx(document: Document, path: str | Path, password: str | None = None) -> None:
    """Every form of the document, one sheet each, after a 目录 sheet linking to them."""
    book = _Book(document, password, sheet_scoped_names=True)
    index = book.wb.create_sheet(INDEX_SHEET)
    book.sheet_names.add(INDEX_SHEET.lower())
    back = f"{_quote_sheet(INDEX_SHEET)}!A1"
    sheets = [(form, _FormSheet(book, form, index_link=back).paint().title) for form in document.forms]
    _index(book, index, sheets)
    book.finish(path, properties(document, all_forms=True))


def _index(book: _Book, ws: Worksheet, sheets: Sequence[tuple[Form, str]]) -> None:
    document = book.document
    meta = document.meta
    widths = (6, 13, 23, 48)
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    _put(ws, 1, 1, 4, f"{meta.company}　{document.branch.name}", L.COMPANY)
    _row_height(ws, 1, 20)
    _put(ws, 2, 1, 4, "表单目录", L.TITLE)
    _row_height(ws, 2, 32)
    _put(ws, 3, 1, 4, f"{meta.title}　文件编号 {meta.doc_number}　手册版本 {meta.version}　"
                      f"生效日期 {meta.effective_date.isoformat()}", _Look(_font(9), _align("center"), _NO_BORDER))
    _row_height(ws, 3, 18)
    for col, label in enumerate(("序号", "表单编号", "表单名称", "用途"), 1):
        _put(ws, 5, col, 1, label, L.HEADER)
    _row_height(ws, 5, 22)
    link_look = _Look(_font(color="0563C1"), _align("left"))
    for row, (n, (form, sheet)) in zip(range(6, 6 + len(sheets)), enumerate(sheets, 1)):
        _put(ws, row, 1, 1, n, _Look(_font(), _align("center")))
        _put(ws, row, 2, 1, form.code, L.CELL)
        cell = _put(ws, row, 3, 1, form.title, link_look)
        cell.font = Font(name=FONT, size=SIZE, color="0563C1", underline="single")
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{_quote_sheet(sheet)}!A1", display=form.title)
        purpose = plain(form.purpose)
        _put(ws, row, 4, 1, purpose, L.CELL)
        _row_height(ws, row, max(_height(purpose, widths[3]), _height(form.title, widths[2])))
    last = 5 + len(sheets)
    ws.sheet_view.showGridLines = False
    _print_setup(ws, f"A1:D{last}")
    ws.print_title_rows = "5:5"
    _header_footer(ws, left="表单目录", right=f"{meta.company}　{document.branch.name}", meta=meta)
    book.protect(ws)
