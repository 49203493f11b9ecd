"""The fillable Word forms, checked the way Word (or a script reading the controls) sees them."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree

from builder.document.resolve import resolve
from builder.writers.docx.forms import render_form_docx
from builder.writers.docx.handbook import render_docx
from tests.form_names import field_names
from tests.tools import POPPLER, WRITER, require
from tests.writers.test_docx_writer import sample_document

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS = {"w": W, "w14": W14}
BRANCH = "chengdu"  # an office with a two-step approval chain
DESIGN_CARD_FORMS = (
    "meeting-notice",
    "meeting-minutes",
    "project-progress",
    "doc-approval",
    "training-evaluation",
)


def w(name: str) -> str:
    return f"{{{W}}}{name}"


@pytest.fixture(scope="module")
def document(manual):
    return resolve(manual, BRANCH)


@pytest.fixture(scope="module")
def forms(document):
    return {form.id: form for form in document.forms}


@pytest.fixture(scope="module")
def form_files(document, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docx-forms")
    paths = {}
    for form in document.forms:
        paths[form.id] = folder / f"{form.id}.docx"
        render_form_docx(document, form, paths[form.id])
    return paths


def body(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/document.xml"))


def controls(path: Path) -> dict[str, etree._Element]:
    """tag → w:sdtPr of every content control, in document order."""
    found = {}
    for sdt_pr in body(path).iter(w("sdtPr")):
        tag = sdt_pr.find("w:tag", NS).get(w("val"))
        assert tag not in found, f"duplicate tag {tag}"
        found[tag] = sdt_pr
    return found


def shown_text(sdt_pr) -> str:
    return "".join(sdt_pr.getparent().find("w:sdtContent", NS).itertext())


# -- every form, every field --------------------------------------------------------------------


def test_every_bundled_form_is_written(document, form_files):
    assert len(document.forms) == 22
    assert all(path.stat().st_size > 0 for path in form_files.values())


def test_each_forms_control_tags_follow_the_convention_and_cover_every_field(forms, form_files):
    for form_id, path in form_files.items():
        form = forms[form_id]
        tags = list(controls(path))
        assert tags == field_names(form_id, BRANCH), form_id  # from the YAML, in reading order
        for field in form.fields:
            assert any(t == field.id or t.startswith(field.id + ".") for t in tags), (
                form_id,
                field.id,
            )


def test_every_control_is_named_for_word_and_locked_against_deletion(form_files):
    for path in form_files.values():
        for tag, sdt_pr in controls(path).items():
            assert sdt_pr.find("w:alias", NS).get(w("val")), tag
            assert sdt_pr.find("w:lock", NS).get(w("val")) == "sdtLocked", tag
            assert sdt_pr.find("w:id", NS) is not None, tag


def rich_text(sdt_pr) -> bool:
    """A rich-text control: no type element (LibreOffice splits a w:text one holding Chinese)."""
    kinds = ("w:text", "w:date", "w:dropDownList", "w:comboBox", "w:picture", "w14:checkbox")
    return all(sdt_pr.find(kind, NS) is None for kind in kinds)


def bookmark_around(sdt_pr) -> str:
    """The name of the bookmark that starts just before the control (and ends just after)."""
    sdt = sdt_pr.getparent()
    start, end = sdt.getprevious(), sdt.getnext()
    assert start.tag == w("bookmarkStart") and end.tag == w("bookmarkEnd")
    assert start.get(w("id")) == end.get(w("id"))
    return start.get(w("name"))


def test_text_fields_are_rich_text_controls_with_chinese_placeholders(form_files):
    notice = controls(form_files["meeting-notice"])
    topic = notice["topic"]
    assert topic.find("w:alias", NS).get(w("val")) == "会议主题"
    assert rich_text(topic) and topic.find("w:showingPlcHdr", NS) is not None
    assert shown_text(topic) == "点击输入…"
    assert rich_text(notice["agenda"])
    assert "年-月-日 时:分" in shown_text(
        notice["meeting-time"]
    )  # datetime: text with a format hint
    assert rich_text(notice["organizer"])


def test_every_control_sits_in_a_bookmark_named_after_its_input(form_files):
    spelled = {"topic": "_F_topic", "meeting-time": "_F_meeting_time"}
    notice = controls(form_files["meeting-notice"])
    for tag, bookmark in spelled.items():
        assert bookmark_around(notice[tag]) == bookmark
    claim = controls(form_files["expense-claim"])
    assert bookmark_around(claim["items.3.amount"]) == "_F_items__3__amount"
    for path in form_files.values():
        for sdt_pr in controls(path).values():
            name = bookmark_around(sdt_pr)
            assert len(name) <= 40 and re.fullmatch(r"_F_[A-Za-z0-9_]+", name), name


def test_the_meeting_notice_has_a_zh_cn_date_picker_for_its_issue_date(form_files):
    picker = controls(form_files["meeting-notice"])["issue-date"].find("w:date", NS)
    assert picker is not None
    assert picker.find("w:dateFormat", NS).get(w("val")) in ("yyyy'年'M'月'd'日'", "yyyy-MM-dd")
    assert picker.find("w:lid", NS).get(w("val")) == "zh-CN"
    assert picker.find("w:calendar", NS).get(w("val")) == "gregorian"


def test_a_choice_field_is_a_drop_down_of_its_option_labels(forms, form_files):
    doc_type = controls(form_files["doc-approval"])["doc-type"]
    items = doc_type.findall("w:dropDownList/w:listItem", NS)
    options = list(next(f for f in forms["doc-approval"].fields if f.id == "doc-type").options)
    assert [i.get(w("value")) for i in items] == options == [i.get(w("displayText")) for i in items]
    assert shown_text(doc_type).startswith("选择一项")


def test_multichoice_options_are_check_boxes_and_a_score_is_a_1_to_5_list(document, form_files):
    path = form_files["training-evaluation"]
    found = controls(path)
    items = found["score-content"].findall("w:dropDownList/w:listItem", NS)
    assert [i.get(w("value")) for i in items] == ["1", "2", "3", "4", "5"]
    for tag in ("methods.1", "methods.2", "methods.3"):
        box = found[tag].find("w14:checkbox", NS)
        assert box is not None, tag
        assert box.find("w14:checked", NS).get(f"{{{W14}}}val") == "0"
        assert shown_text(found[tag]) == "☐"
    assert found["methods.2"].find("w:alias", NS).get(w("val")) == "考核方式：实操考核"
    root = body(path)
    assert root.nsmap.get("w14") == W14 and "w14" in root.get(f"{{{MC}}}Ignorable").split()


def test_computed_fields_say_they_are_computed(form_files):
    average = controls(form_files["training-evaluation"])["sub-average"]
    assert rich_text(average)
    assert shown_text(average).startswith("计算填入") and "平均" in shown_text(average)
    claim = controls(form_files["expense-claim"])
    assert "“费用明细”中的“金额”合计" in shown_text(claim["total"])
    assert "大写" in shown_text(claim["total-capitals"])


def test_signatures_are_tagged_rich_text_controls(form_files):
    sign = controls(form_files["meeting-minutes"])["chair-review"]
    assert rich_text(sign) and "签字" in shown_text(sign)


def test_rows_fields_have_one_table_row_of_controls_per_blank_row(forms, form_files):
    word = docx.Document(str(form_files["meeting-minutes"]))
    decisions = next(f for f in forms["meeting-minutes"].fields if f.id == "decisions")
    assert decisions.rows == 5
    table = next(
        t
        for t in word.tables
        if [c.text for c in t.rows[0].cells] == ["序号", "决议内容", "责任人", "完成时限"]
    )
    assert len(table.rows) == 1 + decisions.rows
    for number, row in enumerate(table.rows[1:], start=1):
        assert row.cells[0].text == str(number)
        cell_tags = [[t.get(w("val")) for t in cell._tc.iter(w("tag"))] for cell in row.cells[1:]]
        assert cell_tags == [[f"decisions.{number}.{column.id}"] for column in decisions.columns]
    assert controls(form_files["meeting-minutes"])["decisions.5.due"].find("w:date", NS) is not None


def test_the_approval_block_names_the_branch_roles_with_controls_per_step(document, form_files):
    path = form_files["doc-approval"]
    word = docx.Document(str(path))
    table = next(t for t in word.tables if t.rows[0].cells[0].text == "审批环节")
    chain = document.branch.approval_chain
    assert (
        [r.cells[0].text for r in table.rows[1:]]
        == [step.role for step in chain]
        == ["办事处主任", "西南区域总监"]
    )
    assert [r.cells[1].text for r in table.rows[1:]] == [f"{step.days} 个工作日" for step in chain]
    found = controls(path)
    for step in (1, 2):
        assert rich_text(found[f"approval_chain.{step}.opinion"])
        assert rich_text(found[f"approval_chain.{step}.signature"])
        assert found[f"approval_chain.{step}.date"].find("w:date", NS) is not None
    assert "办事处主任" in found["approval_chain.1.opinion"].find("w:alias", NS).get(w("val"))


def test_the_title_block_names_company_branch_form_and_version(document, form_files):
    word = docx.Document(str(form_files["meeting-notice"]))
    text = "\n".join(p.text for p in word.paragraphs)
    meta = document.meta
    for expected in (
        meta.company,
        document.branch.name,
        "会议通知表",
        "Meeting Notice",
        "表单编号：HC-YY-F01",
        f"手册版本：{meta.version}",
        "生效日期：",
        "依据条款：",
        "用途：",
        "填写说明：",
    ):
        assert expected in text, expected
    section = word.sections[0]
    assert "会议通知表" in section.header.paragraphs[0].text
    footer = section.footer.paragraphs[0]
    assert "HC-YY-F01" in footer.text and f"版本 {meta.version}" in footer.text
    assert [t.text.strip() for t in footer._p.iter(w("instrText"))] == ["PAGE", "NUMPAGES"]
    assert word.core_properties.title == f"会议通知表 · {document.branch.name}"
    assert word.core_properties.created.date() == meta.effective_date


def test_a_form_file_is_reproducible(document, forms, form_files, tmp_path):
    again = tmp_path / "again.docx"
    render_form_docx(document, forms["expense-claim"], again)
    assert again.read_bytes() == form_files["expense-claim"].read_bytes()


def test_the_handbook_appendix_prints_the_same_grid_without_controls(tmp_path):
    sample = sample_document()
    handbook = tmp_path / "handbook.docx"
    render_docx(sample, handbook, paginate=False)
    assert not list(body(handbook).iter(w("sdt")))
    form_file = tmp_path / "meeting-notice.docx"
    render_form_docx(sample, sample.forms[0], form_file)
    grids = []
    for path in (handbook, form_file):
        table = next(
            t for t in docx.Document(str(path)).tables if t.rows[0].cells[0].text == "会议主题*"
        )
        grids.append([r.cells[0].text for r in table.rows])
    assert grids[0] == grids[1]  # one layout: same label column, whether printed or fillable


# -- LibreOffice --------------------------------------------------------------------------------


@pytest.mark.slow
def test_libreoffice_opens_every_form_and_prints_it(document, form_files, tmp_path):
    soffice, pdftotext = require("soffice", WRITER), require("pdftotext", POPPLER)
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, form_files.values()),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for form in document.forms:
        pdf = tmp_path / f"{form.id}.pdf"
        assert pdf.exists(), form.id
        text = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert form.title in text and document.branch.name in text and form.code in text, form.id
