"""A form field is found under the same name in the Word, PDF and Excel form of every branch."""

from __future__ import annotations

import zipfile

import pytest
import yaml
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from builder.document.resolve import resolve
from builder.release.build import build_outputs
from tests.conftest import SRC
from tests.form_names import field_names, form_sources, xlsx_names

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


BRANCHES = [
    b["id"] for b in yaml.safe_load((SRC / "branches.yaml").read_text(encoding="utf-8"))["branches"]
]


@pytest.fixture(scope="module", params=BRANCHES)
def branch_forms(request, tmp_path_factory, manual):
    out = tmp_path_factory.mktemp("forms") / "output"
    build_outputs(
        manual,
        out=out,
        branches=[request.param],
        formats=["docx", "xlsx", "pdf"],
        handbook=False,
        progress=False,
    )
    from builder.writers.xlsx.workbook import render_forms_xlsx

    render_forms_xlsx(resolve(manual, request.param), out / request.param / "forms.xlsx")
    return resolve(manual, request.param), out / request.param / "forms"


def docx_tags(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return [t.get(f"{W}val") for t in root.iter(f"{W}tag")]


def pdf_names(path) -> list[str]:
    """Terminal AcroForm fields (pypdf also lists the parents of dotted names)."""
    names = list(PdfReader(str(path)).get_fields())
    return [n for n in names if not any(other.startswith(n + ".") for other in names)]


def workbook_names(path) -> dict[str, str]:
    book = load_workbook(path)
    return {name: dn.attr_text for name, dn in book.defined_names.items()}


def test_every_form_exists_in_three_formats_with_the_same_field_names(branch_forms):
    """The names expected are derived from the YAML (tests/form_names.py), not by the builder."""
    document, folder = branch_forms
    branch = document.branch.id
    assert sorted(f.id for f in document.forms) == sorted(form_sources())
    for form_id in form_sources():
        names = field_names(form_id, branch)
        for fmt in ("docx", "xlsx", "pdf"):
            assert (folder / f"{form_id}.{fmt}").is_file(), (form_id, fmt)
        assert docx_tags(folder / f"{form_id}.docx") == names, form_id
        assert sorted(pdf_names(folder / f"{form_id}.pdf")) == sorted(names), form_id
        # the workbook names every field, table, column and the approval block
        defined = workbook_names(folder / f"{form_id}.xlsx")
        assert set(defined) == set(xlsx_names(form_id, branch)), form_id


def test_xlsx_input_cells_follow_the_same_names(branch_forms):
    from builder.writers.xlsx.layout import input_cells

    document, _ = branch_forms
    for form in document.forms:
        fields = form_sources()[form.id]["fields"]
        multichoice = {f["id"] for f in fields if f["type"] == "multichoice"}
        expected = []
        for name in field_names(form.id, document.branch.id):
            head = name.split(".")[0]
            if head in multichoice:  # one cell in Excel, a box per option elsewhere
                if head not in expected:
                    expected.append(head)
            else:
                expected.append(name)
        assert sorted(input_cells(form)) == sorted(expected), form.id


def test_forms_workbook_has_every_form(branch_forms):
    document, folder = branch_forms
    book = load_workbook(folder.parent / "forms.xlsx")
    # the contents sheet's name in the branch's script (Hong Kong: zh-Hant)
    assert book.sheetnames[0] == ("目錄" if document.branch.id == "hongkong" else "目录")
    assert len(book.sheetnames) == len(document.forms) + 1
