"""The fillable Excel forms: protection, validation, names, formulas, print set-up,
reproducibility."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.cell import range_boundaries

from builder.document.model import ApprovalStep, Form, FormField, Span
from builder.document.resolve import resolve
from builder.writers.xlsx.formulas import capitals_formula
from builder.writers.xlsx.layout import cell_map, defined_name, page_breaks
from builder.writers.xlsx.workbook import (
    INDEX_SHEET,
    OPTIONS_SHEET,
    render_form_xlsx,
    render_forms_xlsx,
)
from tests.form_names import computed, form_sources, xlsx_names
from tests.tools import CALC, require

ROOT = Path(__file__).resolve().parents[2]
LONG_OPTIONS = tuple(f"第{i}类费用（含税、不含税均可）" for i in range(1, 31))


def F(id: str, label: str, type: str = "text", **kw) -> FormField:
    return FormField(id=id, label=label, type=type, **kw)


# A form with every field type and every computation, built by hand so the tests do not depend on
# which forms manual_src/ holds today.
CLAIM = Form(
    id="test-claim",
    code="HC-TEST-F99",
    title="测试报销与进度表",
    title_en=None,
    purpose=(Span("=1+1 用于测试：以等号开头的文字也是文字。"),),
    instructions=((Span("+按实际填写。"),), (Span("@第二条说明。"),)),
    fields=(
        F("formula-label", "=1+1", required=True, example="=SUM(A1:A2)"),
        F("note", "-备注", "textarea"),
        F("holder", "经办人", "person"),
        F("sign", "经办人签字", "signature"),
        F("start", "开始日期", "date"),
        F("end", "结束日期", "date"),
        F("span", "间隔天数", "number", compute=("days_between", ("start", "end"))),
        F("met", "会议时间", "datetime"),
        F("count", "件数", "number"),
        F("mode", "方式", "choice", options=("线下", "线上")),
        F("kind", "费用类型", "choice", options=LONG_OPTIONS),
        F("methods", "考核方式", "multichoice", options=("笔试", "实操", "其他")),
        F("s1", "内容评分", "score"),
        F("s2", "讲师评分", "score"),
        F("avg", "平均分", "number", compute=("average", ("s1", "s2"))),
        F(
            "milestones",
            "里程碑",
            "rows",
            rows=4,
            columns=(
                F("milestone", "节点"),
                F("planned", "计划完成", "date"),
                F("actual", "实际完成", "date"),
                F(
                    "deviation",
                    "偏差（天）",
                    "number",
                    compute=("days_between", ("planned", "actual")),
                ),
            ),
            row_examples=(("=需求", "2023-09-10", "2023-09-12", "2"),),
        ),
        F(
            "items",
            "费用明细",
            "rows",
            rows=5,
            columns=(
                F("item", "摘要"),
                F("amount", "金额", "money"),
            ),
        ),
        F("total", "合计金额", "money", compute=("sum", ("amount",))),
        F("total-capitals", "大写金额", "text", compute=("capitals", ("total",))),
    ),
    clause_id=None,
    clause_label=None,
    approval_chain=(ApprovalStep("部门负责人", 1), ApprovalStep("总经理", 2)),
)

COMPUTED_TYPES = {"sum", "average", "days_between", "capitals"}


@pytest.fixture(scope="session")
def document(manual):
    doc = resolve(manual, "chengdu")
    return dataclasses.replace(doc, forms=(*doc.forms, CLAIM))


@pytest.fixture(scope="session")
def forms_xlsx(document, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "forms.xlsx"
    render_forms_xlsx(document, path)
    return path


@pytest.fixture(scope="session")
def forms_wb(forms_xlsx) -> openpyxl.Workbook:
    """forms.xlsx as openpyxl reads it (shared: the tests only read it)."""
    return openpyxl.load_workbook(forms_xlsx)


@pytest.fixture(scope="session")
def claim_xlsx(document, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "claim.xlsx"
    render_form_xlsx(document, CLAIM, path)
    return path


def sheet_of(wb, form: Form):
    """A form's sheet: the one whose title row is the form's title."""
    return next(ws for ws in wb.worksheets if ws["A2"].value == form.title)


def absolute(ref: str) -> str:
    return ":".join(openpyxl.utils.cell.absolute_coordinate(part) for part in ref.split(":"))


def fields_by_key(form: Form) -> dict[str, FormField]:
    """Cell-map keys of fields and columns (not whole tables, not the approval block)."""
    out = {}
    for f in form.fields:
        if f.type == "rows":
            out.update({f"{f.id}.{c.id}": c for c in f.columns})
        else:
            out[f.id] = f
    return out


def cells_of(ref: str) -> list[str]:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return [
        f"{openpyxl.utils.get_column_letter(c)}{r}"
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def name_of(key: str) -> str:
    """The defined name of a field (or `table.column`) key, as the README gives it: f_<field_id>,
    '-' written '_'."""
    return "f_" + key.replace("-", "_")


def named_cells(ws) -> dict[str, str]:
    """The workbook's defined names for the sheet `ws` → their cell or range (without '$'): the
    sheet's own names (forms.xlsx), else the workbook's (a one-form workbook)."""
    names = dict(ws.defined_names.items()) or dict(ws.parent.defined_names.items())
    out = {}
    for name, defined in names.items():
        sheet, ref = defined.attr_text.split("!")
        assert sheet == "'" + ws.title.replace("'", "''") + "'", (name, defined.attr_text)
        out[name] = ref.replace("$", "")
    return out


def field_cells(ws) -> dict[str, str]:
    """Field key ("topic", "items.amount", "approval:date") → its cell or range, found through
    the sheet's defined names (field ids hold no '_', so f_meeting_time is "meeting-time")."""
    out = {}
    for name, ref in named_cells(ws).items():
        if name.startswith("f_"):
            out[name[2:].replace("_", "-")] = ref
        elif name.startswith("approval."):
            out["approval:" + name.split(".", 1)[1]] = ref
    return out


def input_cells(ws, form: Form) -> set[str]:
    """The cells a user fills in: those named for the form's fields and table columns that are
    not computed, and the approval block's, found by their defined names."""
    named = named_cells(ws)
    wanted = []
    for f in form.fields:
        if f.type == "rows":
            wanted += [name_of(f"{f.id}.{c.id}") for c in f.columns if not c.compute]
        elif not f.compute:
            wanted.append(name_of(f.id))
    if form.approval_chain:
        wanted += ["approval.opinion", "approval.signature", "approval.date"]
    return {cell for name in wanted for cell in cells_of(named[name])}


# --- protection and validation ------------------------------------------------------------------
def test_every_form_sheet_is_protected_and_only_its_input_cells_are_unlocked(document, forms_wb):
    wb = forms_wb
    for form in document.forms:
        ws = sheet_of(wb, form)
        assert ws.protection.sheet, form.id
        inputs = input_cells(ws, form)
        assert inputs, form.id
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue
                assert cell.protection.locked == (cell.coordinate not in inputs), (
                    form.id,
                    cell.coordinate,
                )
    assert wb[INDEX_SHEET].protection.sheet


def test_computed_cells_are_locked_formulas(claim_xlsx):
    ws = openpyxl.load_workbook(claim_xlsx).active
    cells = field_cells(ws)
    for key in ("span", "avg", "total", "total-capitals"):
        cell = ws[cells[key]]
        assert cell.data_type == "f" and cell.protection.locked, key
    amounts = absolute(cells["items.amount"])
    assert ws[cells["total"]].value == f'=IF(COUNT({amounts})=0,"",SUM({amounts}))'
    assert (
        ws[cells["avg"]].value
        == f'=IFERROR(AVERAGE({absolute(cells["s1"])},{absolute(cells["s2"])}),"")'
    )
    assert "[DBNum2][$-804]" in ws[cells["total-capitals"]].value
    deviation = cells_of(cells["milestones.deviation"])
    planned, actual = cells_of(cells["milestones.planned"]), cells_of(cells["milestones.actual"])
    for dev, p, a in zip(deviation, planned, actual):
        assert ws[dev].value == f'=IF(AND(ISNUMBER({p}),ISNUMBER({a})),{a}-{p},"")'


def test_a_late_milestone_turns_red(claim_xlsx):
    ws = openpyxl.load_workbook(claim_xlsx).active
    ref = field_cells(ws)["milestones.deviation"]
    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    top = ref.split(":")[0]
    assert [r.formula for r in rules[ref]] == [[f"AND(ISNUMBER({top}),{top}>0)"]]
    assert rules[ref][0].dxf.fill is not None and rules[ref][0].dxf.font.color.rgb.endswith(
        "C00000"
    )


EXPECTED_VALIDATION = {
    "date": ("date", "greaterThanOrEqual"),
    "datetime": ("decimal", "greaterThanOrEqual"),
    "number": ("decimal", "between"),
    "money": ("decimal", "greaterThanOrEqual"),
    "score": ("whole", "between"),
    "choice": ("list", None),
    "multichoice": ("textLength", "lessThanOrEqual"),
    "text": ("textLength", "lessThanOrEqual"),
    "textarea": ("textLength", "lessThanOrEqual"),
    "person": ("textLength", "lessThanOrEqual"),
    "signature": ("textLength", "lessThanOrEqual"),
}


def test_a_validation_with_a_chinese_prompt_covers_every_typed_input(document, forms_wb):
    wb = forms_wb
    for form in document.forms:
        ws = sheet_of(wb, form)
        validations = ws.data_validations.dataValidation
        keys = fields_by_key(form)
        for key, ref in field_cells(ws).items():
            field = keys.get(key)
            if field is None or field.compute:
                continue
            covering = [dv for dv in validations if all(c in dv.sqref for c in cells_of(ref))]
            assert len(covering) == 1, (form.id, key)
            dv = covering[0]
            assert (dv.type, dv.operator) == EXPECTED_VALIDATION[field.type], (form.id, key)
            assert (
                dv.prompt and dv.promptTitle and dv.error and dv.errorTitle and dv.showErrorMessage
            )
            assert len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32 and len(dv.error) <= 225
            if field.type == "score":
                assert (dv.formula1, dv.formula2) == ("1", "5")
            if field.type == "signature":
                assert dv.promptTitle == "签字"
            if field.type == "date":
                assert ws[cells_of(ref)[0]].number_format == "yyyy-mm-dd"
            if field.type == "money":
                assert dv.formula1 == "0" and ws[cells_of(ref)[0]].number_format == "#,##0.00"


def test_a_long_option_list_comes_from_the_hidden_protected_options_sheet(claim_xlsx):
    wb = openpyxl.load_workbook(claim_xlsx)
    ws = wb[CLAIM.title]
    cells = field_cells(ws)
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert by_cell[cells["mode"]].formula1 == '"线下,线上"'
    source = by_cell[cells["kind"]].formula1
    assert source.startswith(f"'{OPTIONS_SHEET}'!$A$2:")
    options = wb[OPTIONS_SHEET]
    assert (
        options.sheet_state == "hidden" and options.protection.sheet and wb.security.lockStructure
    )
    assert [row[0].value for row in options[source.split("!")[1].replace("$", "")]] == list(
        LONG_OPTIONS
    )


def test_a_password_protects_the_sheets_when_given(document, tmp_path):
    path = tmp_path / "claim.xlsx"
    render_form_xlsx(document, CLAIM, path, password="secret")
    wb = openpyxl.load_workbook(path)
    assert wb[CLAIM.title].protection.password and wb[OPTIONS_SHEET].protection.password
    assert wb.security.workbookPassword


# --- names --------------------------------------------------------------------------------------
def test_defined_names_point_at_the_cell_map(document, claim_xlsx, forms_wb):
    single = openpyxl.load_workbook(claim_xlsx)
    for key, ref in cell_map(CLAIM).items():
        name = defined_name(key)
        assert name.startswith("f_") or name.startswith("approval.")
        sheet, target = single.defined_names[name].attr_text.split("!")
        assert sheet == f"'{CLAIM.title}'" and target.replace("$", "") == ref, key
    assert defined_name("meeting-time") == "f_meeting_time"
    assert defined_name("milestones.planned") == "f_milestones.planned"

    book = forms_wb
    for form in document.forms:
        ws = sheet_of(book, form)
        for key, ref in cell_map(form).items():
            sheet, target = ws.defined_names[defined_name(key)].attr_text.split("!")
            assert sheet == f"'{ws.title}'" and target.replace("$", "") == ref, (form.id, key)


def test_every_bundled_forms_inputs_are_named_and_labelled_as_in_its_yaml(forms_wb):
    """From manual_src/forms/*.yaml alone: the sheet's defined names (f_<field_id>, one per field,
    table and table column; approval.* for the branch's approval block), how many rows each
    covers, the label beside (or the column header above) each input, and that exactly the
    computed ones are locked."""
    for form_id, source in form_sources().items():
        ws = next(ws for ws in forms_wb.worksheets if ws["A2"].value == source["title"])
        named = named_cells(ws)
        expected = xlsx_names(form_id, "chengdu")
        assert set(named) == set(expected), form_id
        for name, rows in expected.items():
            _, first, _, last = range_boundaries(named[name])
            assert last - first + 1 == rows, (form_id, name)
        for field in source["fields"]:
            columns = field.get("columns", [])
            for key, label, below in [
                (f"{field['id']}.{c['id']}", c["label"], True) for c in columns
            ] or [(field["id"], field["label"], False)]:
                cells = [ws[c] for c in cells_of(named[name_of(key)])]
                top = cells[0]
                if below:  # a table column: its header right above its first row
                    assert ws.cell(top.row - 1, top.column).value == label, (form_id, key)
                else:  # a field: its label to the left, on the same row
                    left = [c.value for c in ws[top.row] if c.column < top.column and c.value]
                    star = "* " if field.get("required") and not field.get("compute") else ""
                    assert left == [star + label], (form_id, key, left)
                locked = key in computed(form_id)
                assert all(c.protection.locked == locked for c in cells), (form_id, key)


def test_the_cell_map_depends_on_the_form_only(manual):
    hq, chengdu = resolve(manual, "hq"), resolve(manual, "chengdu")
    for a, b in zip(hq.forms, chengdu.forms):
        if len(a.approval_chain) == len(b.approval_chain):
            assert cell_map(a) == cell_map(b)


# --- text stays text ----------------------------------------------------------------------------
def test_yaml_text_beginning_with_equals_arrives_as_text(claim_xlsx):
    ws = openpyxl.load_workbook(claim_xlsx).active
    texts = {
        cell.value: cell for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)
    }
    for value in ("=1+1", "=SUM(A1:A2)", "=需求", "-备注"):
        assert texts[value].data_type == "s", value
    assert not any(v.startswith("=1+1") and c.data_type == "f" for v, c in texts.items())
    with zipfile.ZipFile(claim_xlsx) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>1+1</f>" not in sheet and "<f>SUM(A1:A2)</f>" not in sheet


# --- the index ------------------------------------------------------------------------------------
def test_the_forms_workbook_index_links_to_every_form_sheet(document, forms_wb, forms_xlsx):
    wb = forms_wb
    assert wb.sheetnames[0] == INDEX_SHEET
    index = wb[INDEX_SHEET]
    links = {c.value: c.hyperlink for row in index.iter_rows() for c in row if c.hyperlink}
    assert len(links) == len(document.forms)
    for form in document.forms:
        link = links[form.title]
        sheet = link.location.split("!")[0].strip("'")
        assert link.location == f"'{sheet}'!A1" and sheet in wb.sheetnames and not link.target
        assert wb[sheet]["A2"].value == form.title
    codes = {c.value for row in index.iter_rows() for c in row}
    assert {f.code for f in document.forms} <= codes
    with zipfile.ZipFile(forms_xlsx) as z:  # internal links only: no hyperlink relationships
        assert not any(
            "hyperlink" in z.read(n).decode() for n in z.namelist() if n.endswith(".rels")
        )
    assert all(len(name) <= 31 for name in wb.sheetnames)


def test_sheet_names_are_safe_and_unique(document, tmp_path):
    odd = dataclasses.replace(CLAIM, title="'目录[年度]/季度:报表*?审批表\\" + "很长" * 20)
    doc = dataclasses.replace(
        document, forms=(odd, odd, dataclasses.replace(CLAIM, title=INDEX_SHEET))
    )
    render_forms_xlsx(doc, tmp_path / "forms.xlsx")
    names = openpyxl.load_workbook(tmp_path / "forms.xlsx").sheetnames
    assert names[0] == INDEX_SHEET and len(set(n.lower() for n in names)) == len(names)
    for name in names:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\") and not name.startswith("'")


# --- print set-up and properties ----------------------------------------------------------------
def test_every_form_prints_on_a4_portrait_fitted_to_the_width(document, forms_wb):
    wb = forms_wb
    for form in document.forms:
        ws = sheet_of(wb, form)
        setup = ws.page_setup
        assert (setup.paperSize, setup.orientation) == (9, "portrait")
        assert (setup.fitToWidth, setup.fitToHeight) == (
            1,
            0,
        ) and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_area and form.code in ws.oddHeader.left.text
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        widths = sum(ws.column_dimensions[c].width for c in "ABCDEFGHIJKLMNOPQRSTUVWX")
        assert 80 <= widths <= 92  # the A4 width at 100 %
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
        assert fonts == {"Noto Sans CJK SC"}


def test_a_long_table_ending_the_form_repeats_its_header_on_every_page(document, tmp_path):
    table = dataclasses.replace(CLAIM.fields[15], rows=40)
    log = dataclasses.replace(CLAIM, fields=(CLAIM.fields[0], table), approval_chain=())
    render_form_xlsx(document, log, tmp_path / "log.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "log.xlsx").active
    header_row = int(field_cells(ws)["milestones"].split(":")[0][1:]) - 1
    assert ws.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
    # followed by other blocks, the header would print above them: not repeated
    render_form_xlsx(
        document, dataclasses.replace(log, approval_chain=CLAIM.approval_chain), tmp_path / "a.xlsx"
    )
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").active.print_title_rows is None


def test_page_breaks_keep_a_block_together():
    heights = [100.0] * 10
    # rows 5–7 do not fit below rows 1–4 on a 600 pt page: break after row 4
    assert page_breaks(heights, [(5, 7, 5)], 600) == [4]
    assert page_breaks(heights, [(3, 4, 3)], 600) == []
    # a block taller than a page keeps only its first rows (4–5) together
    assert page_breaks(heights, [(4, 10, 5)], 600) == []
    assert page_breaks(heights, [(4, 10, 5)], 450) == [3]
    # a block at the top of a page never breaks before itself
    assert page_breaks(heights, [(1, 10, 2)], 300) == []


def test_workbook_properties_come_from_the_manual(document, claim_xlsx):
    props = openpyxl.load_workbook(claim_xlsx).properties
    meta = document.meta
    assert (
        props.creator == meta.company and props.title == f"{CLAIM.title} · {document.branch.name}"
    )
    assert CLAIM.code in props.subject
    assert meta.version in props.keywords and meta.doc_number in props.keywords
    stamp = datetime.combine(meta.effective_date, datetime.min.time())
    assert props.created == stamp and props.modified == stamp


# --- reproducibility ----------------------------------------------------------------------------
def test_identical_input_gives_identical_bytes(document, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    render_forms_xlsx(document, first)
    render_forms_xlsx(document, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"


def test_normalize_zip_fixes_dates_and_order_in_place(tmp_path):
    from builder.writers.ooxml.package import normalize_zip

    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/b.xml", "b")
        z.writestr("[Content_Types].xml", "t")
        z.writestr("_rels/.rels", "r")
    normalize_zip(path)
    with zipfile.ZipFile(path) as z:
        assert z.namelist() == ["[Content_Types].xml", "_rels/.rels", "xl/b.xml"]
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)} and z.read(
            "xl/b.xml"
        ) == b"b"
    once = path.read_bytes()
    normalize_zip(path)
    assert path.read_bytes() == once


def test_another_process_builds_the_same_bytes(document, tmp_path):
    """No set order or hash seed leaks into the file: a fresh interpreter writes the same bytes."""
    (tmp_path / "document.pickle").write_bytes(pickle.dumps(document))
    here, there = tmp_path / "here.xlsx", tmp_path / "there.xlsx"
    render_forms_xlsx(document, here)
    script = (
        "import pickle, sys; from builder.writers.xlsx.workbook import render_forms_xlsx; "
        "render_forms_xlsx(pickle.load(open(sys.argv[1], 'rb')), sys.argv[2])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "document.pickle"), str(there)],
        check=True,
        cwd=ROOT,
        env=env,
    )
    assert here.read_bytes() == there.read_bytes()


# --- LibreOffice computes the formulas ----------------------------------------------------------
def recalculated(path: Path, tmp_path: Path) -> openpyxl.Workbook:
    """The workbook as LibreOffice computes it (converted to .xlsx, read with cached values)."""
    out = tmp_path / "converted"
    profile = f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}"
    subprocess.run(
        [
            require("soffice", CALC),
            profile,
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return openpyxl.load_workbook(out / path.name, data_only=True)


@pytest.mark.slow
def test_libreoffice_computes_deviation_sum_average_and_capitals(claim_xlsx, tmp_path):
    wb = openpyxl.load_workbook(claim_xlsx)
    ws = wb[CLAIM.title]
    cells = field_cells(ws)
    planned, actual = cells_of(cells["milestones.planned"]), cells_of(cells["milestones.actual"])
    ws[planned[0]], ws[actual[0]] = date(2023, 9, 20), date(2023, 9, 22)  # 2 days late
    ws[planned[1]], ws[actual[1]] = date(2023, 9, 10), date(2023, 9, 9)  # a day early
    ws[planned[2]] = date(2023, 9, 30)  # not done yet
    ws[cells["start"]], ws[cells["end"]] = date(2024, 2, 27), date(2024, 3, 1)  # over 29 Feb
    for cell, amount in zip(cells_of(cells["items.amount"]), (1000, 200.5, 34.06)):
        ws[cell] = amount
    ws[cells["s1"]], ws[cells["s2"]] = 4, 5
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    ws = recalculated(filled, tmp_path)[CLAIM.title]
    deviation = cells_of(cells["milestones.deviation"])
    assert [ws[c].value for c in deviation] == [2, -1, None, None]
    assert ws[cells["span"]].value == 3
    assert ws[cells["total"]].value == pytest.approx(1234.56)
    assert ws[cells["avg"]].value == pytest.approx(4.5)
    assert ws[cells["total-capitals"]].value == "壹仟贰佰叁拾肆元伍角陆分"
    texts = {c.value for row in ws.iter_rows() for c in row}
    assert {"=1+1", "=SUM(A1:A2)", "-备注"} <= texts  # still text after LibreOffice read it


@pytest.mark.slow
def test_libreoffice_writes_amounts_in_chinese_capitals(tmp_path):
    cases = {
        1234.56: "壹仟贰佰叁拾肆元伍角陆分",
        1005: "壹仟零伍元整",
        100000: "壹拾万元整",
        0.07: "柒分",
        0.5: "伍角整",
        1234.5: "壹仟贰佰叁拾肆元伍角整",
        10.06: "壹拾元零陆分",
        8.2: "捌元贰角整",
        0.29: "贰角玖分",
        -3.2: "负叁元贰角整",
        0: "零元整",
        20000000.01: "贰仟万元零壹分",
        1010101.1: "壹佰零壹万零壹佰零壹元壹角整",
    }
    wb = openpyxl.Workbook()
    ws = wb.active
    for row, amount in enumerate(cases, 1):
        ws.cell(row, 1, amount)
        ws.cell(row, 2, "=" + capitals_formula(f"A{row}", f'A{row}=""'))
    ws.cell(
        len(cases) + 1, 2, "=" + capitals_formula(f"A{len(cases) + 1}", f'A{len(cases) + 1}=""')
    )
    path = tmp_path / "capitals.xlsx"
    wb.save(path)
    ws = recalculated(path, tmp_path).active
    got = {ws.cell(row, 1).value: ws.cell(row, 2).value for row in range(1, len(cases) + 1)}
    assert got == cases
    assert ws.cell(len(cases) + 1, 2).value is None  # a blank amount gives a blank
