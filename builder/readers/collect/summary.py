"""summary.xlsx: 索引 (one row per form), a sheet per form (a row per filled file, a typed
column per field), a sheet per rows field (a row per table row, with the form's key columns) and
问题 (every problem and error). Every text is written as a string cell: a value starting with
= + - @ never becomes a formula."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path

from builder.document import fieldnames
from builder.readers.collect.run import Collection, Record

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(text: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", text)[:28] or "表"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}{n}", n + 1
    used.add(name)
    return name


# ISO text of a date field → (the value Excel stores, its number format)
_DATES = {
    "date": (date.fromisoformat, "yyyy-mm-dd"),
    "datetime": (datetime.fromisoformat, "yyyy-mm-dd hh:mm"),
}


def _put(sheet, row: int, column: int, value, kind: str = "text") -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    if isinstance(value, list):
        value = "、".join(value)
    if kind in _DATES and isinstance(value, str):
        parse, number_format = _DATES[kind]
        try:
            value = parse(value)
            cell.number_format = number_format
        except ValueError:
            pass  # kept as the text the form held (the 问题 sheet says why)
    elif kind == "money" and isinstance(value, int | float):
        cell.number_format = "#,##0.00"
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with


def _header(sheet, titles: list[str]) -> None:
    from openpyxl.styles import Font, PatternFill

    for column, title in enumerate(titles, 1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "A2"
    # printed: landscape A4, every column on one page width, the header row on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def write_summary(collection: Collection, forms: dict, out: Path) -> None:
    """`forms`: form id → its Form definition (current sources)."""
    from openpyxl import Workbook

    workbook = Workbook()
    index = workbook.active
    index.title = "索引"
    used = {"索引", "问题"}
    _header(index, ["表单编号", "表单", "份数", "工作表", "问题数"])
    by_form: dict[str, list[Record]] = {}
    forms = dict(forms)
    for record in collection.records:
        by_form.setdefault(record.form, []).append(record)
        if record.form not in forms and record.definition is not None:
            forms[record.form] = record.definition  # a form the current manual no longer has
    keys = ["分支机构", "文件", "格式", "版本"]
    row = 2
    for form_id, records in sorted(by_form.items(), key=lambda kv: forms[kv[0]].code):
        form = forms[form_id]
        sheet = workbook.create_sheet(_sheet_name(f"{form.code} {form.title}", used))
        scalars = [f for f in form.fields if f.type != "rows"]
        # fields only an older version's definition has (records read by it) get columns too
        known = {f.id for f in scalars}
        for record in records:
            for f in record.definition.fields if record.definition else ():
                if f.type != "rows" and f.id not in known:
                    scalars.append(f)
                    known.add(f.id)
        steps = max((len(r.fields) for r in records), default=0) and _steps(records)
        approval = [
            (
                fieldnames.approval_name(s, p),
                f"第{s}级审批{dict(opinion='意见', signature='签字', date='日期')[p]}",
                "date" if p == "date" else "text",
            )
            for s in range(1, steps + 1)
            for p in fieldnames.APPROVAL_INPUTS
        ]
        _header(sheet, keys + [f.label for f in scalars] + [a[1] for a in approval] + ["问题数"])
        for r_index, record in enumerate(records, 2):
            for c, value in enumerate(
                [record.branch, record.source, record.format, record.version], 1
            ):
                _put(sheet, r_index, c, value)
            for c, f in enumerate(scalars, len(keys) + 1):
                _put(sheet, r_index, c, record.fields.get(f.id), f.type)
            for c, (name, _, kind) in enumerate(approval, len(keys) + len(scalars) + 1):
                _put(sheet, r_index, c, record.fields.get(name), kind)
            _put(sheet, r_index, len(keys) + len(scalars) + len(approval) + 1, len(record.problems))
        problems = sum(len(r.problems) for r in records)
        for c, value in enumerate([form.code, form.title, len(records), sheet.title, problems], 1):
            _put(index, row, c, value)
        row += 1
        for f in form.fields:
            if f.type != "rows":
                continue
            table = workbook.create_sheet(_sheet_name(f"{form.code} {f.label}", used))
            _header(table, keys + ["行"] + [c.label for c in f.columns])
            t_row = 2
            for record in records:
                for number, cells in enumerate(record.rows.get(f.id, []), 1):
                    head = [record.branch, record.source, record.format, record.version, number]
                    for c, value in enumerate(head, 1):
                        _put(table, t_row, c, value)
                    for c, column in enumerate(f.columns, len(head) + 1):
                        _put(table, t_row, c, cells.get(column.id), column.type)
                    t_row += 1
    problems = workbook.create_sheet("问题")
    _header(problems, ["文件", "表单", "字段", "问题"])
    p_row = 2
    for record in collection.records:
        for problem in record.problems:
            values = [record.source, record.title, problem["field"], problem["message"]]
            for c, value in enumerate(values, 1):
                _put(problems, p_row, c, value)
            p_row += 1
    for error in collection.errors:
        for c, value in enumerate([error["source"], "", "", error["message"]], 1):
            _put(problems, p_row, c, value)
        p_row += 1
    for sheet in workbook.worksheets:
        _fit_columns(sheet)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    workbook.save(partial)
    os.replace(partial, out)  # a reader never sees half a workbook


def _width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, date | datetime):
        return 16 if isinstance(value, datetime) and (value.hour or value.minute) else 10
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def _fit_columns(sheet) -> None:
    """Each column as wide as its widest cell (CJK characters count double), 8 to 60."""
    for column in sheet.columns:
        widest = max(_width(cell.value) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = max(8, min(widest + 3, 60))


def _steps(records: list[Record]) -> int:
    steps = 0
    for record in records:
        for name in record.fields:
            if name.startswith(fieldnames.APPROVAL + "."):
                steps = max(steps, int(name.split(".")[1]))
    return steps
