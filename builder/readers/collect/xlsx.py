"""Reading a filled Excel form: the cells of the workbook's defined names (builder.writers.xlsx:
f_<id> a field, f_<id>.<column> a table column, approval.<part> the approval block)."""

from __future__ import annotations

import warnings
from pathlib import Path

from builder.readers.collect.raw import RawForm
from builder.readers.package import UnreadableFile, check_ooxml


def _cells(workbook, reference: str) -> list:
    from openpyxl.utils.cell import range_boundaries

    sheet_name, _, area = reference.rpartition("!")
    sheet_name = sheet_name.strip("'").replace("''", "'")
    if sheet_name not in workbook.sheetnames:
        return []
    sheet = workbook[sheet_name]
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    return [sheet.cell(row=row, column=min_col).value for row in range(min_row, max_row + 1)]


def read_xlsx(path: Path) -> RawForm:
    import openpyxl

    check_ooxml(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise UnreadableFile(f"{path.name}：无法作为 Excel 表单读取（{exc}）") from None
    props = {p.name: str(p.value) for p in workbook.custom_doc_props.props if p.value is not None}
    raw = RawForm("xlsx", props)
    for name, defined in workbook.defined_names.items():
        if not (name.startswith("f_") or name.startswith("approval.")):
            continue
        try:
            values = _cells(workbook, defined.attr_text)
        except (ValueError, TypeError):
            continue
        raw.values[name] = values
    workbook.close()
    return raw
