"""Every output says what it is: 文件编号, version, effective date, 受控文件, branch and the source
revision, in its file properties (what Word, Excel, a PDF reader or a document-control system
shows) and, for the controlled-document mark, on the page."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from pypdf import PdfReader

from builder.document.resolve import resolve
from tests.tools import POPPLER, require

REVISION = "0123456789ab-dirty"
FORM = "meeting-notice"
BRANCH = "wuhan"
CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
VT_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"

EXPECTED = {
    "DocNumber": "HC-YY-MAN-001",
    "Version": "1.3",
    "EffectiveDate": "2027-01-01",
    "ControlStatus": "受控文件",
    "SourceRevision": REVISION,
    "Branch": BRANCH,
    "BranchName": "武汉办事处",
    "Confidentiality": "内部受控",
}
FORM_EXPECTED = {**EXPECTED, "FormCode": "HC-YY-F01"}


@pytest.fixture(scope="module")
def document(manual):
    return resolve(manual, BRANCH, source_revision=REVISION)


@pytest.fixture(scope="module")
def files(document, tmp_path_factory) -> dict[str, Path]:
    """The handbook in three formats and one form in three formats, from a document whose
    source revision is known."""
    from builder.writers.docx.forms import render_form_docx
    from builder.writers.docx.handbook import render_docx
    from builder.writers.html import render_html
    from builder.writers.pdf.forms import render_form_pdf
    from builder.writers.pdf.handbook import render_pdf
    from builder.writers.xlsx.workbook import render_form_xlsx, render_forms_xlsx

    out = tmp_path_factory.mktemp("properties")
    form = next(f for f in document.forms if f.id == FORM)
    paths = {
        name: out / name
        for name in (
            "handbook.docx",
            "handbook.pdf",
            "handbook.html",
            "form.docx",
            "form.xlsx",
            "form.pdf",
            "forms.xlsx",
        )
    }
    render_docx(document, paths["handbook.docx"])
    render_pdf(document, paths["handbook.pdf"])
    render_html(document, paths["handbook.html"])
    render_form_docx(document, form, paths["form.docx"])
    render_form_xlsx(document, form, paths["form.xlsx"])
    render_form_pdf(document, form, paths["form.pdf"])
    render_forms_xlsx(document, paths["forms.xlsx"])
    return paths


def custom_properties(path: Path) -> dict[str, str]:
    """docProps/custom.xml of an Office file as {name: text}, checking the package wiring."""
    with zipfile.ZipFile(path) as z:
        assert CUSTOM_TYPE in z.read("[Content_Types].xml").decode()
        assert CUSTOM_REL in z.read("_rels/.rels").decode()
        root = etree.fromstring(z.read("docProps/custom.xml"))
    props = {}
    for pid, prop in enumerate(root.iter(f"{CUSTOM_NS}property"), start=2):
        assert prop.get("fmtid") == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" and prop.get(
            "pid"
        ) == str(pid)
        props[prop.get("name")] = prop.find(f"{VT_NS}lpwstr").text
    return props


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    pdftotext = require("pdftotext", POPPLER)
    return subprocess.run(
        [pdftotext, *pages, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


# -- Word ------------------------------------------------------------------------------------


def test_handbook_docx_core_and_custom_properties(files):
    core = docx.Document(str(files["handbook.docx"])).core_properties
    assert core.title == "运营管理手册 · 武汉办事处"
    assert core.author == "瀚川科技股份有限公司"
    assert core.identifier == "HC-YY-MAN-001" and core.version == "1.3"
    assert core.content_status == "受控文件" and core.category == "手册"
    assert "HC-YY-MAN-001" in core.keywords and "受控文件" in core.keywords
    assert core.created == core.modified and core.created.isoformat().startswith(
        "2027-01-01T00:00:00"
    )
    assert REVISION in core.comments
    assert custom_properties(files["handbook.docx"]) == EXPECTED


def test_form_docx_core_and_custom_properties(files):
    core = docx.Document(str(files["form.docx"])).core_properties
    assert core.title == "会议通知表 · 武汉办事处"
    assert core.identifier == "HC-YY-MAN-001/HC-YY-F01" and core.version == "1.3"
    assert core.content_status == "受控文件" and core.category == "表单"
    assert core.created.date().isoformat() == "2027-01-01"
    assert custom_properties(files["form.docx"]) == FORM_EXPECTED


def test_docx_show_the_controlled_mark_and_the_source_revision(files):
    handbook = docx.Document(str(files["handbook.docx"]))
    cover = "\n".join(p.text for p in handbook.paragraphs[:20])
    assert "受控文件" in cover and f"源修订 {REVISION}" in cover
    footer = docx.Document(str(files["form.docx"])).sections[0].footer.paragraphs[0].text
    assert "受控文件" in footer and "HC-YY-MAN-001" in footer and "版本 1.3" in footer


# -- Excel -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["form.xlsx", "forms.xlsx"])
def test_xlsx_document_and_custom_properties(files, name):
    book = openpyxl.load_workbook(files[name])
    props = book.properties
    assert props.creator == "瀚川科技股份有限公司"
    assert props.contentStatus == "受控文件" and props.version == "1.3" and props.category == "表单"
    assert props.identifier == (
        "HC-YY-MAN-001/HC-YY-F01" if name == "form.xlsx" else "HC-YY-MAN-001"
    )
    assert props.created == props.modified and props.created.isoformat() == "2027-01-01T00:00:00"
    custom = {p.name: p.value for p in book.custom_doc_props.props}
    assert custom == (FORM_EXPECTED if name == "form.xlsx" else EXPECTED)
    assert custom_properties(files[name]) == custom
    for ws in book.worksheets:
        if ws.sheet_state == "visible":
            footer = ws.oddFooter.left.text + ws.oddFooter.right.text
            assert "HC-YY-MAN-001" in footer and "1.3" in footer and "受控文件" in footer, ws.title


# -- PDF -------------------------------------------------------------------------------------


def test_handbook_pdf_information(files):
    info = PdfReader(files["handbook.pdf"]).metadata
    assert info.title == "运营管理手册 · 武汉办事处" and info.author == "瀚川科技股份有限公司"
    assert "武汉办事处" in info.subject and "HC-YY-MAN-001" in info["/Keywords"]
    assert {key: info[f"/{key}"] for key in EXPECTED} == EXPECTED
    assert info["/CreationDate"] == info["/ModDate"] == "D:20270101000000Z"
    assert "/viewport" not in info and "/docnumber" not in info  # only the entries we mean


def test_form_pdf_information(files):
    info = PdfReader(files["form.pdf"]).metadata
    assert info.title == "会议通知表 · 武汉办事处" and "HC-YY-F01" in info.subject
    assert {key: info[f"/{key}"] for key in FORM_EXPECTED} == FORM_EXPECTED


def test_pdfs_print_the_controlled_mark(files):
    cover = re.sub(r"\s+", "", pdf_text(files["handbook.pdf"], 1, 1))
    assert "受控文件" in cover and "HC-YY-MAN-001" in cover and f"源修订{REVISION}" in cover
    form = re.sub(r"\s+", "", pdf_text(files["form.pdf"]))
    assert (
        "受控文件" in form and "HC-YY-MAN-001" in form and "HC-YY-F01" in form and "版本1.3" in form
    )


# -- HTML ------------------------------------------------------------------------------------


def test_html_meta_tags(files):
    page = files["handbook.html"].read_text(encoding="utf-8")
    head = page[: page.index("</head>")]
    meta = dict(re.findall(r'<meta name="([^"]+)" content="([^"]*)">', head))
    for key, value in EXPECTED.items():
        assert meta[key] == value, key
    assert meta["author"] == "瀚川科技股份有限公司" and meta["dcterms.created"] == "2027-01-01"
    assert "<title>运营管理手册 · 武汉办事处</title>" in head
    assert "受控文件" in page[page.index("<body") :]


def test_unknown_source_revision_is_left_out(manual):
    from builder.document.properties import properties

    props = properties(resolve(manual, BRANCH))
    assert "SourceRevision" not in props.custom and "FormCode" not in props.custom
    assert "源修订" not in props.description


# -- the build command -----------------------------------------------------------------------


def test_build_passes_the_source_revision_through(run, src, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "feedc0ffee12")
    result = run("build", "--src", str(src), "--branch", BRANCH, "--form", FORM, "-q")
    assert result.exit_code == 0, result.output
    assert "源修订 feedc0ffee12" in result.output
    forms = tmp_path / "output" / BRANCH / "forms"
    assert PdfReader(forms / f"{FORM}.pdf").metadata["/SourceRevision"] == "feedc0ffee12"
    assert custom_properties(forms / f"{FORM}.docx")["SourceRevision"] == "feedc0ffee12"
    assert custom_properties(forms / f"{FORM}.xlsx")["SourceRevision"] == "feedc0ffee12"
