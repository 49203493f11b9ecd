"""The two checklist forms (岗位规范检查表, 运营检查表, seed 004) and the other forms added with
them: every check row answers 是/否/不适用 and has a remarks cell, in Word, PDF and Excel."""

from __future__ import annotations

import subprocess
import zipfile

import openpyxl
import pytest
from lxml import etree
from pypdf import PdfReader

from builder.release.build import build_outputs
from tests.tools import POPPLER, require
from tests.writers.test_pdf_forms import export_values, terminal_fields
from tests.writers.test_xlsx_forms import cells_of, field_cells

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
BRANCH = "chengdu"
CHECKLISTS = {  # form → (rows printed, the answer column's heading) as the YAML gives them
    "position-checklist": (12, "符合"),
    "operations-checklist": (10, "完成"),
}
ANSWERS = ["是", "否", "不适用"]
NEW_FORMS = ("training-analysis", "sales-quote", *CHECKLISTS)


@pytest.fixture(scope="module")
def folder(manual, tmp_path_factory):
    out = tmp_path_factory.mktemp("checklists") / "output"
    build_outputs(
        manual,
        out=out,
        branches=[BRANCH],
        formats=["docx", "xlsx", "pdf"],
        forms=list(NEW_FORMS),
        handbook=False,
        progress=False,
    )
    return out / BRANCH / "forms"


def test_the_new_forms_name_their_clause_and_the_clause_names_them(manual):
    clauses = {}

    def visit(nodes):
        for node in nodes:
            clauses[node.id] = node
            visit(getattr(node, "sections", []))
            visit(node.clauses)

    visit(manual.chapters)
    for form in manual.forms:
        if form.id in NEW_FORMS:
            clause = clauses[form.clause]
            texts = [clause.text] if isinstance(clause.text, str) else clause.text or []
            assert any(f"{{form:{form.id}}}" in t for t in texts), form.id


@pytest.mark.parametrize("form_id", CHECKLISTS)
def test_docx_rows_answer_yes_no_not_applicable(folder, form_id):
    rows, heading = CHECKLISTS[form_id]
    with zipfile.ZipFile(folder / f"{form_id}.docx") as z:
        root = etree.fromstring(z.read("word/document.xml"))
    by_tag = {
        sdt.find("w:sdtPr/w:tag", NS).get(f"{{{W}}}val"): sdt
        for sdt in root.iter(f"{{{W}}}sdt")
        if sdt.find("w:sdtPr/w:tag", NS) is not None
    }
    for n in range(1, rows + 1):
        items = by_tag[f"checks.{n}.result"].findall("w:sdtPr/w:dropDownList/w:listItem", NS)
        assert [i.get(f"{{{W}}}value") for i in items] == ANSWERS
        assert f"checks.{n}.remarks" in by_tag
        # printed as the control's placeholder, so a paper copy shows what to tick
        shown = "".join(by_tag[f"checks.{n}.result"].itertext())
        assert shown == "是／否／不适用"
    texts = "".join(t.text or "" for t in root.iter(f"{{{W}}}t"))
    assert heading in texts and "备注" in texts


@pytest.mark.parametrize("form_id", CHECKLISTS)
def test_pdf_rows_answer_yes_no_not_applicable(folder, form_id):
    rows, _ = CHECKLISTS[form_id]
    fields = terminal_fields(PdfReader(folder / f"{form_id}.pdf"))
    for n in range(1, rows + 1):
        # radio buttons, not a combo box: the options are printed beside them
        assert fields[f"checks.{n}.result"]["/FT"] == "/Btn"
        assert export_values(fields[f"checks.{n}.result"]) == ANSWERS
        assert fields[f"checks.{n}.remarks"]["/FT"] == "/Tx"
    printed = subprocess.run(
        [require("pdftotext", POPPLER), str(folder / f"{form_id}.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.count("不适用") >= rows


@pytest.mark.parametrize("form_id", CHECKLISTS)
def test_xlsx_rows_offer_yes_no_not_applicable(folder, form_id):
    rows, heading = CHECKLISTS[form_id]
    book = openpyxl.load_workbook(folder / f"{form_id}.xlsx")
    ws = book.worksheets[0]
    cells = field_cells(ws)
    answers = cells_of(cells["checks.result"])
    assert len(answers) == rows and len(cells_of(cells["checks.remarks"])) == rows
    [dv] = [
        dv for dv in ws.data_validations.dataValidation if all(c in dv.sqref for c in answers[:1])
    ]
    assert dv.type == "list" and dv.formula1 == '"是,否,不适用"'
    shown = {str(c.value) for row in ws.iter_rows() for c in row if c.value}
    assert heading in shown and any(v.startswith("备注") for v in shown)
