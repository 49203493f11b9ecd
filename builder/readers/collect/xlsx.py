"""Reading a filled Excel form: the cells of the workbook's defined names (builder.writers.xlsx:
f_<id> a field, f_<id>.<column> a table column, approval.<part> the approval block).

Read straight from the package's XML (workbook, relationships, shared strings, the sheets the
names point at) through builder.readers.package: openpyxl spends about a second binding the merged
cells of one form, and only a few dozen cells matter. A date typed in Excel or Calc arrives as a
serial number; check.typed turns it into a date by the field's type.
"""

from __future__ import annotations

import re
from pathlib import Path

from builder.readers.collect.docx import custom_properties
from builder.readers.collect.raw import RawForm
from builder.readers.package import Package

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
_WANTED = ("f_", "approval.")


def _sheet_paths(package: Package) -> dict[str, str]:
    """Sheet name → its part name."""
    workbook = package.xml("xl/workbook.xml")
    rels = package.xml("xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{PR}}}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{{{S}}}sheet"):
        target = targets.get(sheet.get(f"{{{R}}}id"), "")
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _shared_strings(package: Package) -> list[str]:
    if "xl/sharedStrings.xml" not in package:
        return []
    root = package.xml("xl/sharedStrings.xml")
    return ["".join(t.text or "" for t in si.iter(f"{{{S}}}t")) for si in root.iter(f"{{{S}}}si")]


def _cell_values(sheet, strings: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for cell in sheet.iter(f"{{{S}}}c"):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            values[cell.get("r")] = "".join(t.text or "" for t in cell.iter(f"{{{S}}}t"))
            continue
        v = cell.find(f"{{{S}}}v")
        if v is None or v.text is None:
            continue
        text = v.text
        if kind == "s":
            index = int(text) if text.isdigit() else -1
            values[cell.get("r")] = strings[index] if 0 <= index < len(strings) else ""
        elif kind in ("str", "e", "d"):
            values[cell.get("r")] = text
        elif kind == "b":
            values[cell.get("r")] = text == "1"
        else:
            try:
                number = float(text)
            except ValueError:
                continue
            values[cell.get("r")] = int(number) if number.is_integer() else number
    return values


def read_xlsx(path: Path) -> RawForm:
    with Package(path) as package:
        properties = custom_properties(package)
        workbook = package.xml("xl/workbook.xml")
        names = {}
        for defined in workbook.iter(f"{{{S}}}definedName"):
            name = defined.get("name", "")
            if name.startswith(_WANTED) and defined.get("localSheetId") is None:
                names[name] = (defined.text or "").strip()
        paths = _sheet_paths(package)
        strings = _shared_strings(package)
        sheets: dict[str, dict] = {}
        raw = RawForm("xlsx", properties)
        for name, reference in names.items():
            sheet_name, _, area = reference.rpartition("!")
            sheet_name = sheet_name.strip("'").replace("''", "'")
            match = _REF.match(area)
            if not match or sheet_name not in paths or paths[sheet_name] not in package:
                continue
            if sheet_name not in sheets:
                sheets[sheet_name] = _cell_values(package.xml(paths[sheet_name]), strings)
            column, first, _, last = match.groups()
            rows = range(int(first), int(last or first) + 1)
            if len(rows) > 1000:
                continue
            raw.values[name] = [sheets[sheet_name].get(f"{column}{row}") for row in rows]
    return raw
