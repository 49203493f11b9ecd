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
text cell whose prompt and printed hint list the options (answers separated by 、). Computed
fields (`compute`) are locked cells holding formulas: SUM, AVERAGE, a per-row days_between with a
red highlight when late, and the amount in Chinese capitals (大写金额) built from
TEXT(…, "[DBNum2][$-804]0"), which Excel and LibreOffice both format as 壹贰叁 whatever the user's
locale.

Finding a field's cell — `cell_map(form)` and the workbook's defined names:

    key                       cell map value      defined name
    "topic"  (a field)        "G9"  (input cell)  f_topic
    "meeting-time"            "G10"               f_meeting_time     ('-' → '_')
    "tasks"  (a rows field)   "A27:X31"           f_tasks            (its whole input block)
    "tasks.due"  (a column)   "Q27:Q31"           f_tasks.due        (first column of its span)
    "approval:opinion"        "I27:I28"           approval.opinion   (also :signature, :date)

Inputs span several merged grid columns; the map names the top-left cell of each (for a column,
the top-left cells of its rows). Computed fields are in the map too (locked, holding formulas).

Field ids are lower-case ASCII with '-', so the `f_` names never clash with each other, with
cell references or with the `approval.*` names. In a single-form workbook the names are
workbook-scoped; in forms.xlsx each form sheet carries its own (sheet-scoped) names, so every
sheet has its own `f_topic`. The map depends on the form only, never on the branch.

Properties come from builder.document.properties: document properties (creator = company,
status 受控文件, identifier, version, …) and custom properties (DocNumber, Version, EffectiveDate,
ControlStatus, SourceRevision, Branch, FormCode, …). Every sheet's footer prints 文件编号, version,
effective date and 受控文件.

Reproducible: created = modified = the manual's effective date, never "now", and the zip is
normalised by `builder.writers.ooxml.package`, so the same input gives the same bytes. Text from
the YAML is always written as a string, never as a formula, even when it starts with "=".

The modules of builder.writers.xlsx, by concern:

    layout       where everything goes, from the form alone: Layout, cell_map, input_cells,
                 defined_name, page_breaks, the column allocation
    text         text widths and line counts; text cleaned and fitted to Excel's limits
    looks        fonts, fills, borders and the cell looks (CellLook, Looks)
    formulas     references, computed fields, the Chinese capitals formula
    validations  the data validations of the inputs, inline choice lists
    shims        openpyxl workarounds: style ids per workbook, merged ranges, default font,
                 the in-memory ExcelWriter
    sheet        painting one form's sheet (FormSheet), print set-up, header and footer
    workbook     this module: FormWorkbook, the entry points and the 目录 sheet
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import absolute_coordinate
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from builder.document import script as scripts
from builder.document.model import Document, Form, plain
from builder.document.properties import Properties, properties
from builder.writers.ooxml import package as ziputil
from builder.writers.xlsx.formulas import quote_sheet
from builder.writers.xlsx.looks import FONT, NO_BORDER, SIZE, CellLook, Looks, align, cjk_font
from builder.writers.xlsx.sheet import (
    FormSheet,
    header_footer,
    print_setup,
    put,
    row_height_at_least,
)
from builder.writers.xlsx.shims import InMemoryExcelWriter, set_default_font
from builder.writers.xlsx.text import clean, fit_utf16, text_height
from builder.writers.xlsx.validations import inline_list

INDEX_SHEET = "目录"
OPTIONS_SHEET = "选项"
_RESERVED_SHEETS = {INDEX_SHEET, OPTIONS_SHEET, "history"}


class FormWorkbook:
    """A workbook of form sheets being written: sheet names, the shared hidden 选项 sheet,
    defined names, protection, and finally the properties and the file."""

    def __init__(self, document: Document, password: str | None, sheet_scoped_names: bool):
        self.document = document
        self.password = password
        self.sheet_scoped_names = sheet_scoped_names
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        set_default_font(self.wb)
        self.sheet_names: set[str] = set()
        self.options: Worksheet | None = None
        self.option_columns = 0

    def sheet_name(self, title: str, fallback: str) -> str:
        """A safe, unique sheet name (≤31 chars, none of []:*?/\\, no edge apostrophes)."""
        name = "".join("_" if ch in "[]:*?/\\" else ch for ch in clean(title)).strip().strip("'")
        name = fit_utf16(name, 31).strip().strip("'") or fallback[:31]
        base, n = name, 2
        while name.lower() in self.sheet_names or name.lower() in _RESERVED_SHEETS:
            suffix = f"({n})"
            name, n = fit_utf16(base, 31 - len(suffix)) + suffix, n + 1
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
        inline = inline_list(options)
        if inline is not None:
            return inline
        if self.options is None:
            self.options = self.wb.create_sheet(OPTIONS_SHEET)
            self.options.sheet_state = "hidden"
            self.protect(self.options)
        self.option_columns += 1
        col = self.option_columns
        put(self.options, 1, col, 1, caption, Looks.HEADER)
        for row, option in enumerate(options, 2):
            put(self.options, row, col, 1, option, Looks.TEXT)
        self.options.column_dimensions[get_column_letter(col)].width = 24
        letter = get_column_letter(col)
        return f"{quote_sheet(OPTIONS_SHEET)}!${letter}$2:${letter}${len(options) + 1}"

    def add_name(self, ws: Worksheet, name: str, ref: str) -> None:
        absolute = ":".join(absolute_coordinate(part) for part in ref.split(":"))
        defined = DefinedName(name, attr_text=f"{quote_sheet(ws.title)}!{absolute}")
        if self.sheet_scoped_names:
            ws.defined_names[name] = defined
        else:
            self.wb.defined_names[name] = defined

    def finish(self, path: str | Path, props: Properties) -> None:
        if self.options is not None:
            offset = len(self.wb.sheetnames) - 1 - self.wb.sheetnames.index(OPTIONS_SHEET)
            self.wb.move_sheet(self.options, offset)
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
        InMemoryExcelWriter(self.wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED)).save()
        Path(path).write_bytes(
            ziputil.normalized_zip_bytes(
                buffer.getvalue(), convert=scripts.document_converter(self.document)
            )
        )


def render_form_xlsx(
    document: Document, form: Form, path: str | Path, password: str | None = None
) -> None:
    """One form as a workbook of one sheet (plus the hidden 选项 sheet for long option lists)."""
    book = FormWorkbook(document, password, sheet_scoped_names=False)
    FormSheet(book, form).paint()
    book.finish(path, properties(document, form))


def render_forms_xlsx(document: Document, path: str | Path, password: str | None = None) -> None:
    """Every form of the document, one sheet each, after a 目录 sheet linking to them."""
    book = FormWorkbook(document, password, sheet_scoped_names=True)
    index = book.wb.create_sheet(INDEX_SHEET)
    book.sheet_names.add(INDEX_SHEET.lower())
    back = f"{quote_sheet(INDEX_SHEET)}!A1"
    sheets = [
        (form, FormSheet(book, form, index_link=back).paint().title) for form in document.forms
    ]
    _index_sheet(book, index, sheets)
    book.finish(path, properties(document, all_forms=True))


def write_form(document: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): the view's one form as a fillable workbook."""
    render_form_xlsx(document, document.forms[0], target, password=document.meta.xlsx_password)


def write_workbook(document: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): every form of the view, forms.xlsx."""
    render_forms_xlsx(document, target, password=document.meta.xlsx_password)


def _index_sheet(book: FormWorkbook, ws: Worksheet, sheets: Sequence[tuple[Form, str]]) -> None:
    """The 目录 sheet: one row per form, its title linking to the form's sheet."""
    document = book.document
    meta = document.meta
    widths = (6, 13, 23, 48)
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    put(ws, 1, 1, 4, f"{meta.company}　{document.branch.name}", Looks.COMPANY)
    row_height_at_least(ws, 1, 20)
    put(ws, 2, 1, 4, "表单目录", Looks.TITLE)
    row_height_at_least(ws, 2, 32)
    put(
        ws,
        3,
        1,
        4,
        f"{meta.title}　文件编号 {meta.doc_number}　手册版本 {meta.version}　"
        f"生效日期 {meta.effective_date.isoformat()}",
        CellLook(cjk_font(9), align("center"), NO_BORDER),
    )
    row_height_at_least(ws, 3, 18)
    for col, label in enumerate(("序号", "表单编号", "表单名称", "用途"), 1):
        put(ws, 5, col, 1, label, Looks.HEADER)
    row_height_at_least(ws, 5, 22)
    link_look = CellLook(cjk_font(color="0563C1"), align("left"))
    rows = range(6, 6 + len(sheets))
    for row, (n, (form, sheet)) in zip(rows, enumerate(sheets, 1), strict=False):
        put(ws, row, 1, 1, n, CellLook(cjk_font(), align("center")))
        put(ws, row, 2, 1, form.code, Looks.CELL)
        cell = put(ws, row, 3, 1, form.title, link_look)
        cell.font = Font(name=FONT, size=SIZE, color="0563C1", underline="single")
        cell.hyperlink = Hyperlink(
            ref=cell.coordinate, location=f"{quote_sheet(sheet)}!A1", display=form.title
        )
        purpose = plain(form.purpose)
        put(ws, row, 4, 1, purpose, Looks.CELL)
        row_height_at_least(
            ws, row, max(text_height(purpose, widths[3]), text_height(form.title, widths[2]))
        )
    last = 5 + len(sheets)
    ws.sheet_view.showGridLines = False
    print_setup(ws, f"A1:D{last}")
    ws.print_title_rows = "5:5"
    header_footer(ws, left="表单目录", right=f"{meta.company}　{document.branch.name}", meta=meta)
    book.protect(ws)
