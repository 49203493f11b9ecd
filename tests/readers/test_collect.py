"""`handbook collect`: forms filled by real clients come back with exactly the values typed.

The forms are built for 成都办事处 (its approval chain puts an approval block on the expense
claim); they are filled through PDFium's form API, as Word writes content controls, and saved by
LibreOffice; then collected, in process and through the CLI."""

from __future__ import annotations

import datetime
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builder.document.resolve import resolve
from builder.readers.collect import collect
from builder.readers.collect.summary import write_summary
from builder.writers.docx.forms import render_form_docx
from builder.writers.pdf.forms import render_form_pdf
from builder.writers.xlsx.workbook import render_form_xlsx
from tests.conftest import SRC
from tests.readers.fill import control_texts, pdfium_fill, soffice_resave, word_fill

BRANCH = "chengdu"
VERSION = "1.3"  # manual.yaml's version


@pytest.fixture(scope="module")
def doc(manual):
    return resolve(manual, BRANCH)


@pytest.fixture(scope="module")
def blank(doc, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(form id, format) → the blank form as the build writes it."""
    out = tmp_path_factory.mktemp("blank")
    paths = {}
    for form in doc.forms:
        if form.id not in ("expense-claim", "meeting-minutes", "training-needs"):
            continue
        for fmt, render in (
            ("pdf", render_form_pdf),
            ("docx", render_form_docx),
            ("xlsx", render_form_xlsx),
        ):
            paths[form.id, fmt] = out / f"{form.id}.{fmt}"
            render(doc, form, paths[form.id, fmt])
    return paths


def test_manual_version_is_the_one_the_tests_expect(manual):
    assert manual.meta.version == VERSION


def one(result):
    assert result.errors == []
    (record,) = result.records
    return record


def test_a_pdf_typed_in_pdfium_collects_the_typed_values(blank, manual, tmp_path):
    filled = tmp_path / "报销.pdf"
    pdfium_fill(
        blank["expense-claim", "pdf"],
        filled,
        {
            "claimant": "张三",
            "dept": "销售部",
            "claim-date": "2026-11-03",
            "items.1.date": "2026-11-02",
            "items.1.summary": '=HYPERLINK("http://x")',
            "items.1.amount": "1,860.50",
            "items.2.summary": "市内交通",
            "items.2.amount": "126",
            "receipts": "4",
            "claimant-sign": "张三",
            "approval_chain.1.opinion": "同意",
        },
        {"payment": 1, "items.1.category": 0},
    )
    record = one(collect([filled], manual))
    assert (record.form, record.branch, record.version, record.format) == (
        "expense-claim",
        BRANCH,
        VERSION,
        "pdf",
    )
    fields = record.fields
    assert fields["claimant"] == "张三"
    assert fields["claim-date"] == "2026-11-03"
    assert fields["items.1.date"] == "2026-11-02"
    assert fields["items.1.amount"] == 1860.5
    assert fields["items.2.amount"] == 126
    assert fields["items.1.summary"] == '=HYPERLINK("http://x")'
    assert fields["total"] == 1986.5  # read-only in the PDF: recomputed
    assert fields["receipts"] == 4
    assert fields["payment"] == "冲抵借款"
    assert fields["related"] is None
    assert fields["approval_chain.1.opinion"] == "同意"
    assert [r["amount"] for r in record.rows["items"]] == [1860.5, 126]
    assert record.problems == []


def test_a_wrong_total_and_a_missing_required_field_are_problems(blank, manual, tmp_path):
    filled = tmp_path / "wrong.docx"  # Word cannot compute: the user types the total
    word_fill(
        blank["expense-claim", "docx"],
        filled,
        {"dept": "销售部", "items.1.amount": "100", "total": "150", "claim-date": "2026-13-40"},
        set(),
    )
    record = one(collect([filled], manual))
    messages = [p["message"] for p in record.problems]
    assert "必填项“报销人”未填写" in messages
    assert "计算项“合计金额”填写为 150，按明细计算应为 100" in messages
    assert any(m.startswith("填报日期：“2026-13-40”不是有效日期") for m in messages)


def test_content_controls_edited_as_word_writes_them(blank, manual, tmp_path):
    filled = tmp_path / "minutes.docx"
    word_fill(
        blank["meeting-minutes", "docx"],
        filled,
        {
            "topic": "Q4 预算评审",
            "meeting-time": "2026-11-05 14:00",
            "venue": "301会议室",
            "chair": "李四",
            "recorder": "王五",
            "attendees": "张三、李四",
            "decisions.2.owner": "赵六",
            "decisions.2.due": "2026年11月30日",
            "chair-review": "李四",
        },
        set(),
    )
    record = one(collect([filled], manual))
    assert (record.form, record.branch, record.version) == ("meeting-minutes", BRANCH, VERSION)
    assert record.fields["topic"] == "Q4 预算评审"
    assert record.fields["meeting-time"] == "2026-11-05T14:00"
    assert record.fields["end-time"] is None  # still its placeholder
    assert record.fields["decisions.2.due"] == "2026-11-30"
    assert record.rows["decisions"] == [{"content": None, "owner": "赵六", "due": "2026-11-30"}]
    assert record.rows["tasks"] == []
    assert record.problems == []


def test_word_check_boxes_collect_as_a_list(blank, manual, doc, tmp_path):
    form = next(f for f in doc.forms if f.id == "training-needs")
    multi = next(f for f in form.fields if f.type == "multichoice")
    filled = tmp_path / "needs.docx"
    word_fill(blank["training-needs", "docx"], filled, {}, {f"{multi.id}.1", f"{multi.id}.3"})
    record = one(collect([filled], manual))
    assert record.fields[multi.id] == [multi.options[0], multi.options[2]]


@pytest.mark.slow
def test_a_word_form_saved_by_libreoffice_shows_each_placeholder_once_and_collects(
    blank, manual, tmp_path
):
    filled = tmp_path / "minutes.docx"
    word_fill(
        blank["meeting-minutes", "docx"],
        filled,
        {"topic": "Q4 预算评审", "venue": "301会议室", "decisions.1.owner": "赵六"},
        set(),
    )
    saved = soffice_resave(filled, tmp_path / "lo", "MS Word 2007 XML")
    record = one(collect([saved], manual))
    assert (record.form, record.branch, record.version) == ("meeting-minutes", BRANCH, VERSION)
    assert record.fields["topic"] == "Q4 预算评审"
    assert record.fields["venue"] == "301会议室"
    assert record.fields["decisions.1.owner"] == "赵六"
    assert record.fields["chair"] is None
    # each control is saved once, showing what it showed before: its placeholder once, or the
    # value typed (LibreOffice 7.4 split a plain-text control and repeated its text 3–4 times)
    assert control_texts(saved) == control_texts(filled)
    assert control_texts(saved).count("点击输入，可分多行…") == 1  # attendees


@pytest.mark.slow
def test_an_excel_form_saved_by_libreoffice_calc_collects(blank, manual, tmp_path):
    filled = tmp_path / "claim.xlsx"
    shutil.copy(blank["expense-claim", "xlsx"], filled)
    book = openpyxl.load_workbook(filled)
    cells = {name: d.attr_text for name, d in book.defined_names.items()}

    def put(name: str, value, row: int = 0):
        sheet, _, ref = cells[name].rpartition("!")
        first = ref.split(":")[0].replace("$", "")
        column = first.rstrip("0123456789")
        book[sheet.strip("'")][f"{column}{int(first[len(column) :]) + row}"] = value

    put("f_claimant", "张三")
    put("f_dept", "+销售部")
    put("f_receipts", 3)
    put("f_claim_date", datetime.date(2026, 11, 3))  # a date cell: a serial number in the file
    put("f_items.summary", "@午餐", 1)
    put("f_items.amount", 88.8, 1)
    put("f_payment", "银行转账")
    book.save(filled)
    saved = soffice_resave(filled, tmp_path / "lo", "Calc MS Excel 2007 XML")
    record = one(collect([saved], manual))
    assert (record.form, record.branch, record.version, record.format) == (
        "expense-claim",
        BRANCH,
        VERSION,
        "xlsx",
    )
    assert record.fields["claimant"] == "张三"
    assert record.fields["dept"] == "+销售部"
    assert record.fields["receipts"] == 3
    assert record.fields["claim-date"] == "2026-11-03"
    assert record.fields["payment"] == "银行转账"
    assert record.rows["items"] == [
        {"date": None, "category": None, "summary": "@午餐", "amount": 88.8}
    ]
    assert record.fields["total"] == 88.8  # Calc computed the SUM formula
    assert record.fields["total-capitals"] == "捌拾捌元捌角整"  # Calc's formula, as shown
    assert record.problems == [{"field": "claimant-sign", "message": "必填项“报销人签字”未填写"}]


# ---- hostile files ---------------------------------------------------------------------------


def _docx_with(path: Path, source: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def test_hostile_files_are_errors_not_crashes(blank, manual, tmp_path):
    import pypdf

    folder = tmp_path / "mail"
    folder.mkdir()
    _docx_with(
        folder / "bomb.docx", blank["meeting-minutes", "docx"], {"word/x.bin": bytes(300 << 20)}
    )
    xml_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document>&b;</w:document>'
    )
    _docx_with(
        folder / "entities.docx", blank["meeting-minutes", "docx"], {"word/document.xml": xml_bomb}
    )
    writer = pypdf.PdfWriter(clone_from=blank["expense-claim", "pdf"])
    writer.encrypt("secret")
    writer.write(folder / "encrypted.pdf")
    (folder / "broken.pdf").write_bytes(blank["expense-claim", "pdf"].read_bytes()[:3000])
    (folder / "notes.txt").write_text("不是表单")
    many = pypdf.PdfWriter()
    many.add_blank_page(595, 842)
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    fields = ArrayObject(
        many._add_object(
            DictionaryObject(
                {NameObject("/T"): TextStringObject(f"f{i}"), NameObject("/FT"): NameObject("/Tx")}
            )
        )
        for i in range(5000)
    )
    many._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): fields})
    many.write(folder / "many.pdf")

    result = collect([folder], manual)
    assert result.records == []
    errors = {Path(e["source"]).name: e["message"] for e in result.errors}
    assert set(errors) == {"bomb.docx", "entities.docx", "encrypted.pdf", "broken.pdf", "many.pdf"}
    assert "解压后过大" in errors["bomb.docx"]
    assert "DTD" in errors["entities.docx"]
    assert "已加密" in errors["encrypted.pdf"]
    assert "5000 个表单域" in errors["many.pdf"]
    assert result.skipped == 1


# ---- the command -----------------------------------------------------------------------------


def test_the_command_writes_the_summary_and_json(blank, run_process, tmp_path):
    folder = tmp_path / "mail"
    (folder / "sub").mkdir(parents=True)
    pdfium_fill(
        blank["expense-claim", "pdf"],
        folder / "a.pdf",
        {"claimant": "=1+1", "items.1.amount": "10", "total": "10", "receipts": "1"},
        {},
    )
    shutil.copy(folder / "a.pdf", folder / "sub" / "copy-of-a.pdf")
    word_fill(blank["meeting-minutes", "docx"], folder / "sub" / "m.docx", {"topic": "周会"}, set())
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    out = tmp_path / "summary.xlsx"
    done = run_process("collect", str(folder), "--out", str(out), "--json", "--src", str(SRC))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert sorted(Path(r["source"]).name for r in data["records"]) == ["a.pdf", "m.docx"]
    assert [Path(e["source"]).name for e in data["errors"]] == ["broken.xlsx"]
    assert "不是有效的 Office 文件" in data["errors"][0]["message"]
    assert "1 个重复文件" in done.stderr
    claim = next(r for r in data["records"] if r["form"] == "expense-claim")
    assert claim["fields"]["claimant"] == "=1+1"
    assert claim["branch"] == BRANCH and claim["version"] == VERSION

    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "索引" and book.sheetnames[-1] == "问题"
    sheet = book["HC-YY-F14 费用报销单"]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2])}
    assert row["报销人"].value == "=1+1" and row["报销人"].data_type == "s"
    assert row["附票据张数"].value == 1
    assert row["分支机构"].value == BRANCH
    items = book["HC-YY-F14 费用明细"]
    assert [c.value for c in items[2]][4:] == [1, None, None, None, 10]
    problems = [[c.value for c in r] for r in book["问题"].iter_rows(min_row=2)]
    assert any(p[0].endswith("broken.xlsx") for p in problems)
    assert any(p[2] == "dept" and p[3] == "必填项“部门”未填写" for p in problems)


# ---- a form of an older manual version -------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    import subprocess

    from tests.tools import GIT, require

    done = subprocess.run(
        [require("git", GIT), "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_form_of_an_older_version_is_read_by_that_versions_definition(tmp_path, monkeypatch):
    from builder.sources.load import load_manual

    monkeypatch.delenv("HANDBOOK_SOURCE_REVISION", raising=False)
    repo = tmp_path / "repo"
    shutil.copytree(SRC, repo / "manual_src")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "v1.2")
    src = repo / "manual_src"
    old_manual = load_manual(src)
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")
    old_doc = resolve(old_manual, BRANCH, commit)
    form = next(f for f in old_doc.forms if f.id == "expense-claim")
    blank = tmp_path / "old.pdf"
    render_form_pdf(old_doc, form, blank)
    filled = tmp_path / "old-filled.pdf"
    pdfium_fill(blank, filled, {"claimant": "张三", "related": "星河项目"}, {})
    # the next version drops the field 关联项目或客户 (related)
    claim = src / "forms" / "expense-claim.yaml"
    text = claim.read_text(encoding="utf-8")
    start = text.index("  - id: related")
    claim.write_text(text[:start] + text[text.index("  - id: items") :], encoding="utf-8")
    manual_yaml = src / "manual.yaml"
    manual_yaml.write_text(
        manual_yaml.read_text(encoding="utf-8").replace(f'version: "{VERSION}"', 'version: "1.4"'),
        encoding="utf-8",
    )
    with (src / "revisions.yaml").open("a", encoding="utf-8") as revisions:
        revisions.write(
            '- version: "1.4"\n  date: 2027-02-01\n  author: 运营管理部\n'
            "  approver: 总经理 周启明\n  summary: 费用报销单删除“关联项目或客户”。\n"
        )
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "v1.4")
    manual = load_manual(src)
    assert manual.meta.version == "1.4"

    record = one(collect([filled], manual, src=src))
    assert record.fields["related"] == "星河项目"  # read by the 1.2 definition
    assert record.fields["claimant"] == "张三"
    assert record.version == VERSION
    assert [p["message"] for p in record.problems if "版本" in p["message"]] == [
        f"表单来自手册版本 {VERSION}，当前版本为 1.4，已按版本 {VERSION} 的表单定义读取"
        "（与当前版本相比，现已删除：关联项目或客户）"
    ]
    out = tmp_path / "summary.xlsx"
    forms = {f.id: f for f in resolve(manual, BRANCH).forms}
    write_summary(collect([filled], manual, src=src), forms, out)
    sheet = openpyxl.load_workbook(out)["HC-YY-F14 费用报销单"]
    row = {h.value: c.value for h, c in zip(sheet[1], sheet[2])}
    assert row["关联项目或客户"] == "星河项目" and row["报销人"] == "张三"
    # without git history the current definition is used, and said so
    record = one(collect([filled], manual))
    assert "related" not in record.fields
    assert any("已按当前版本的定义读取" in p["message"] for p in record.problems)


def test_a_file_that_takes_too_long_is_given_up(blank, manual, tmp_path, monkeypatch):
    import time

    from builder.readers.collect import run

    def slow(path, fmt):
        time.sleep(5)

    monkeypatch.setattr(run, "FILE_SECONDS", 1)
    monkeypatch.setattr(run, "_read", slow)
    started = time.monotonic()
    result = collect([blank["expense-claim", "pdf"]], manual)
    assert time.monotonic() - started < 3
    assert result.records == []
    (error,) = result.errors
    assert "读取超过 1 秒，已放弃" in error["message"]


@pytest.mark.slow
def test_word_check_boxes_saved_by_libreoffice_collect(blank, manual, doc, tmp_path):
    form = next(f for f in doc.forms if f.id == "training-needs")
    multi = next(f for f in form.fields if f.type == "multichoice")
    filled = tmp_path / "needs.docx"
    word_fill(blank["training-needs", "docx"], filled, {}, {f"{multi.id}.1", f"{multi.id}.3"})
    saved = soffice_resave(filled, tmp_path / "lo", "MS Word 2007 XML")
    record = one(collect([saved], manual))
    assert record.form == "training-needs" and record.branch == BRANCH
    assert record.fields[multi.id] == [multi.options[0], multi.options[2]]
