"""Painting one form's sheet from its `Layout`: cells, row heights, validations, print set-up.

`FormSheet(workbook, form).paint()` writes the title block, 用途/填写说明, the fields, tables,
the 审批 block and the 填写示例 block; then the defined names, the page breaks, the print set-up
(A4 portrait, fitted to the width; header and footer) and the sheet protection. Row heights are
computed here: neither Excel nor LibreOffice fits merged cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from builder.document.model import Form, FormField, plain
from builder.document.properties import CONTROLLED
from builder.writers.xlsx.formulas import Formulas
from builder.writers.xlsx.layout import (
    APPROVAL_HEADERS,
    APPROVAL_INPUTS,
    PAGE_HEIGHT_PT,
    PAGE_WIDTH,
    ApprovalBlock,
    Layout,
    ScalarBlock,
    TableBlock,
    allocate_columns,
    column_places,
    defined_name,
    field_hint,
    page_breaks,
)
from builder.writers.xlsx.looks import (
    FONT,
    HORIZONTAL,
    LATE_HIGHLIGHT,
    NO_BORDER,
    NUMBER_FORMATS,
    CellLook,
    Looks,
    align,
    cjk_font,
)
from builder.writers.xlsx.shims import merge_row, style_ids
from builder.writers.xlsx.text import (
    CELL_MAX,
    LINE_PT,
    clean,
    header_footer_text,
    shorten,
    text_height,
)
from builder.writers.xlsx.validations import data_validation

if TYPE_CHECKING:
    from builder.writers.xlsx.workbook import FormWorkbook

LONG_TABLE_ROWS = 20  # a table this long gets its header repeated on each printed page


def put(
    ws: Worksheet, row: int, col: int, span: int, value, look: CellLook, *, formula: bool = False
):
    """Write `value` (a string is always text, unless formula=True) over `span` columns."""
    cell = ws.cell(row=row, column=col)
    if value is not None:
        if formula:
            cell.value = value
        elif isinstance(value, str):
            cell.value = shorten(clean(value), CELL_MAX)
            cell.data_type = "s"  # never a formula, whatever the text starts with
        else:
            cell.value = value
    font, fill, border, number_format, protection, alignment = style_ids(ws.parent, look)
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
        merge_row(ws, row, col, span, look.border)
    return cell


def row_height_at_least(ws: Worksheet, row: int, height: float) -> None:
    """Make `row` at least `height` points tall (rounded to 0.1 pt)."""
    current = ws.row_dimensions[row].height or 0
    ws.row_dimensions[row].height = round(max(current, height), 1)


def print_setup(ws: Worksheet, area: str) -> None:
    """A4 portrait, fitted to the page width (as many pages down as needed), centred."""
    ws.print_area = area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(
        left=0.6, right=0.6, top=0.8, bottom=0.8, header=0.35, footer=0.35
    )


def header_footer(ws: Worksheet, left: str, right: str, meta) -> None:
    """Header: form and company; footer: 文件编号, version and date, 第 N 页，共 M 页, 受控文件
    (texts are escaped)."""
    footer_left = f"文件编号 {meta.doc_number}　手册版本 {meta.version}"
    footer_right = f"生效日期 {meta.effective_date.isoformat()}　{CONTROLLED}"
    items = (
        (ws.oddHeader.left, header_footer_text(left)),
        (ws.oddHeader.right, header_footer_text(right)),
        (ws.oddFooter.left, header_footer_text(footer_left)),
        (ws.oddFooter.center, "第 &P 页，共 &N 页"),
        (ws.oddFooter.right, header_footer_text(footer_right)),
    )
    for item, text in items:
        item.text = text
        item.font = f"{FONT},Regular"
        item.size = 8


class FormSheet:
    """Paints one form on one worksheet from its `Layout`."""

    def __init__(self, book: FormWorkbook, form: Form, index_link: str | None = None):
        self.book = book
        self.document = book.document
        self.form = form
        self.layout = Layout(form)
        self.formulas = Formulas(self.layout)
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
            if isinstance(block, TableBlock):
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
                row_height_at_least(self.ws, row, 10)  # the gaps between blocks
        heights = [self.ws.row_dimensions[row].height for row in range(1, lay.last_row + 1)]
        for row in page_breaks(heights, lay.keep_together(), PAGE_HEIGHT_PT):
            self.ws.row_breaks.append(Break(id=row))
        self.page_setup()
        self.book.protect(self.ws)
        return self.ws

    # -- blocks --
    def title_block(self) -> None:
        lay, meta, ws = self.layout, self.document.meta, self.ws
        company = f"{meta.company}　{self.document.branch.name}"
        put(ws, lay.COMPANY_ROW, 1, lay.grid, company, Looks.COMPANY)
        row_height_at_least(ws, lay.COMPANY_ROW, 20)
        put(ws, lay.TITLE_ROW, 1, lay.grid, self.form.title, Looks.TITLE)
        row_height_at_least(ws, lay.TITLE_ROW, text_height(self.form.title, PAGE_WIDTH, 16, 32))
        values = (
            "表单编号",
            self.form.code,
            "手册版本",
            meta.version,
            "生效日期",
            meta.effective_date.isoformat(),
        )
        for (col, span), value, index in zip(lay.meta_places, values, range(6), strict=False):
            look = Looks.META_LABEL if index % 2 == 0 else Looks.META
            put(ws, lay.META_ROW, col, span, value, look)
        row_height_at_least(ws, lay.META_ROW, 18)
        if self.index_link:
            link = put(ws, lay.COMPANY_ROW, lay.grid + 2, 1, "← 返回目录", Looks.LINK)
            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=self.index_link, display="返回目录"
            )
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
        rows = [
            (lay.purpose_row, "用途", plain(form.purpose)),
            (lay.instructions_row, "填写说明", "\n".join(lines)),
        ]
        if lay.clause_row:
            rows.append((lay.clause_row, "依据条款", form.clause_label))
        for row, label, text in rows:
            put(ws, row, label_col, label_span, label, Looks.LABEL)
            put(ws, row, text_col, text_span, text, Looks.TEXT)
            row_height_at_least(ws, row, text_height(text, self.width(text_span)))

    def scalar(self, block: ScalarBlock) -> None:
        ws, f, row = self.ws, block.field, block.row
        (label_col, label_span), (input_col, input_span) = block.places[:2]
        label = ("* " if f.required and not f.compute else "") + f.label
        put(ws, row, label_col, label_span, label, Looks.LABEL)
        cell = self.input(f, row, input_col, input_span)
        if f.compute:
            self.mark_late(f, cell.coordinate)
        else:
            self.validate(f, cell.coordinate)
        height = text_height(label, self.width(label_span))
        hint = field_hint(f)
        if len(block.places) > 2:
            hint_col, hint_span = block.places[2]
            put(ws, row, hint_col, hint_span, hint, Looks.HINT)
            height = max(height, text_height(hint, self.width(hint_span), 9))
        if f.type == "textarea":
            height = max(height, 3 * LINE_PT + 8)
        row_height_at_least(ws, row, max(height, 22))

    def input(self, f: FormField, row: int, col: int, span: int, table: TableBlock | None = None):
        """The input cell of `f` (unlocked), or its formula when computed (locked)."""
        fmt = NUMBER_FORMATS.get(f.type, "General")
        horizontal = HORIZONTAL.get(f.type, "left")
        if f.compute:
            op = f.compute[0]
            fmt = {"days_between": "0", "average": "0.00", "capitals": "General"}.get(op, fmt)
            horizontal = (
                "left" if op == "capitals" else ("center" if op == "days_between" else "right")
            )
            look = CellLook(
                Looks.COMPUTED.font, align(horizontal), fill=Looks.COMPUTED.fill, number_format=fmt
            )
            formula = self.formulas.formula(f, table, row)
            return put(self.ws, row, col, span, formula, look, formula=True)
        vertical = "top" if f.type == "textarea" else "center"
        look = CellLook(
            Looks.INPUT.font, align(horizontal, vertical), locked=False, number_format=fmt
        )
        return put(self.ws, row, col, span, None, look)

    def validate(self, f: FormField, sqref: str) -> None:
        source = None
        if f.type == "choice":
            source = self.book.option_list(f"{self.ws.title}·{f.label}", f.options)
        dv = data_validation(f, source)
        dv.add(sqref)
        self.ws.add_data_validation(dv)

    def mark_late(self, f: FormField, sqref: str) -> None:
        """A days_between result above 0 (late) turns red."""
        if not f.compute or f.compute[0] != "days_between":
            return
        top = sqref.split(":")[0]
        rule = FormulaRule(formula=[f"AND(ISNUMBER({top}),{top}>0)"], **LATE_HIGHLIGHT)
        self.ws.conditional_formatting.add(sqref, rule)

    def section_title(self, row: int, text: str) -> None:
        put(self.ws, row, 1, self.layout.grid, text, Looks.SECTION)
        row_height_at_least(self.ws, row, text_height(text, PAGE_WIDTH, 11, 22))

    def table(self, block: TableBlock) -> None:
        ws, f = self.ws, block.field
        title = f.label + (f"（{f.help}）" if f.help else "")
        self.section_title(block.title_row, ("* " if f.required else "") + title)
        self.header_row(block.header_row, [c.label for c in f.columns], block.places, Looks.HEADER)
        tall = any(c.type == "textarea" for c in f.columns)
        for row in range(block.first_row, block.last_row + 1):
            for column, (col, span) in zip(f.columns, block.places, strict=False):
                self.input(column, row, col, span, table=block)
            row_height_at_least(ws, row, 34 if tall else 22)
        for column, (col, _) in zip(f.columns, block.places, strict=False):
            letter = get_column_letter(col)
            sqref = f"{letter}{block.first_row}:{letter}{block.last_row}"
            if column.compute:
                self.mark_late(column, sqref)
            else:
                self.validate(column, sqref)

    def header_row(self, row: int, labels: Sequence[str], places, look: CellLook) -> None:
        height = 22
        for label, (col, span) in zip(labels, places, strict=False):
            put(self.ws, row, col, span, label, look)
            height = max(height, text_height(label, self.width(span), look.font.sz))
        row_height_at_least(self.ws, row, height)

    def approval(self, block: ApprovalBlock) -> None:
        ws, steps = self.ws, self.form.approval_chain
        self.section_title(block.title_row, "审批（按本机构审批链逐级签署）")
        self.header_row(block.header_row, APPROVAL_HEADERS, block.places, Looks.HEADER)
        rows = range(block.first_row, block.first_row + len(steps))
        for row, step in zip(rows, steps, strict=False):
            role_place, days_place = block.places[0], block.places[1]
            put(ws, row, *role_place, step.role, Looks.LABEL)
            put(ws, row, *days_place, f"{step.days}个工作日内", Looks.CELL)
            for index, (name, kind) in APPROVAL_INPUTS.items():
                col, span = block.places[index]
                field = FormField(id=name, label=APPROVAL_HEADERS[index], type=kind)
                self.input(field, row, col, span)
            row_height_at_least(ws, row, max(36, text_height(step.role, self.width(role_place[1]))))
        for index, (name, kind) in APPROVAL_INPUTS.items():
            field = FormField(id=name, label=APPROVAL_HEADERS[index], type=kind)
            self.validate(field, self.layout.cells[f"approval:{name}"])

    def examples(self, row: int) -> None:
        ws, lay = self.ws, self.layout
        self.section_title(row, "填写示例（仅供参考，请勿在此填写）")
        row += 1
        label_place, text_place = column_places(allocate_columns([22, 68], lay.grid))
        for f in self.form.fields:
            if f.type == "rows" or not f.example:
                continue
            put(ws, row, *label_place, f.label, Looks.EXAMPLE_LABEL)
            put(ws, row, *text_place, f.example, Looks.EXAMPLE)
            row_height_at_least(
                ws,
                row,
                max(
                    text_height(f.example, self.width(text_place[1]), 9),
                    text_height(f.label, self.width(label_place[1]), 9),
                ),
            )
            row += 1
        for block in lay.tables():
            f = block.field
            if not f.row_examples:
                continue
            caption = CellLook(
                cjk_font(9, bold=True, color="595959"), align("left", "bottom"), NO_BORDER
            )
            put(ws, row, 1, lay.grid, f.label, caption)
            row_height_at_least(ws, row, 20)
            labels = [c.label for c in f.columns]
            self.header_row(row + 1, labels, block.places, Looks.EXAMPLE_HEADER)
            row += 2
            for values in f.row_examples:
                height = 20
                for value, (col, span) in zip(values, block.places, strict=False):
                    put(ws, row, col, span, value, Looks.EXAMPLE)
                    height = max(height, text_height(value, self.width(span), 9))
                row_height_at_least(ws, row, height)
                row += 1

    def page_setup(self) -> None:
        ws, lay, form, meta = self.ws, self.layout, self.form, self.document.meta
        ws.sheet_view.showGridLines = False
        print_setup(ws, f"A1:{lay.last_column}{lay.last_row}")
        last = lay.blocks[-1] if lay.blocks else None
        if isinstance(last, TableBlock) and last.field.rows >= LONG_TABLE_ROWS and not lay.approval:
            # A long table that ends the form runs over pages: repeat its header row on each.
            # (Excel and LibreOffice repeat title rows on every later page, so only when nothing
            # but the examples follows the table.)
            ws.print_title_rows = f"{last.header_row}:{last.header_row}"
        header_footer(
            ws,
            left=f"{form.code}　{form.title}",
            right=f"{meta.company}　{self.document.branch.name}",
            meta=meta,
        )
