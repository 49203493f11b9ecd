"""`handbook import`: the seeds, a law-style Word manual with automatic numbering, text encodings,
determinism, and bad files. Expected counts were counted by hand from the seed texts."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.readers.law_docx import make_law_docx

SEEDS = Path(__file__).resolve().parent / "seeds"  # copies of the workplace's seed manuals


def seed(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.fail(f"the seed manual {prefix}_*.txt is missing: expected in {SEEDS.resolve()}")
    return found[0]


def load_tree(out: Path) -> dict:
    chapters = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(out.glob("chapters/*.yaml"))]
    forms = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(out.glob("forms/*.yaml"))]
    return {"chapters": chapters, "forms": forms}


def count(chapters: list[dict]) -> tuple[int, int, int]:
    """(chapters, sections, clauses) of imported YAML, counted without the importer's code."""
    sections = clauses = 0

    def clause(c):
        nonlocal clauses
        clauses += 1
        for sub in c.get("clauses", []):
            clause(sub)

    def unit(u, is_section):
        nonlocal sections
        sections += is_section
        for s in u.get("sections", []):
            unit(s, True)
        for c in u.get("clauses", []):
            clause(c)

    for chapter in chapters:
        unit(chapter, False)
    return len(chapters), sections, clauses


def strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list):
        return [s for v in data for s in strings(v)]
    if isinstance(data, dict):
        return [s for k, v in data.items() if k not in ("id", "clause") for s in strings(v)]
    return []


def check(src: Path):
    from builder.sources.load import load_manual

    return load_manual(src)


# Counted by hand from the texts: chapters 一、…; clauses are the lowest numbered units
# (1. 2. … and the （一） without numbered parts), a chapter without any its text as one clause.
#   000: 一 6 (目的, 适用范围, 基本原则 1–4), 二 4, 三 5+5+6+6+5, 四 5+5+5+5, 五 4+4 → 65
#   001: 6, 3, 12, 8, 9, 11, 9, 13, 10 → 81;  002: 6, 22, 15, 13, 9 → 65
#   003: 适用情境 1, 操作流程详解 （一）–（五） 5, 配套工具模板 1.–5. 5, 执行要点提示 1 → 12
#   004: a collection of 18 manuals, each a chapter (title lines, 营运手册的意义和作用 twice)
SEED_COUNTS = {
    "000": (5, 16, 65),
    "001": (9, 29, 81),
    "002": (5, 18, 65),
    "003": (4, 0, 12),
}


@pytest.mark.parametrize("prefix", sorted(SEED_COUNTS))
def test_seed_imports_with_the_counted_structure(run, tmp_path, prefix):
    out = tmp_path / "src"
    result = run("import", str(seed(prefix)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert count(load_tree(out)["chapters"]) == SEED_COUNTS[prefix]
    manual = check(out)
    assert len(manual.chapters) == SEED_COUNTS[prefix][0]
    assert "import-report.md" in result.output


def test_seed_004_is_a_collection_of_manuals(run, tmp_path):
    out = tmp_path / "src"
    assert run("import", str(seed("004")), "--out", str(out)).exit_code == 0
    chapters = load_tree(out)["chapters"]
    titles = [c["title"] for c in chapters]
    assert len(titles) == 18
    assert titles[:3] == [
        "企业运营服务手册",
        "企业运营管理制度手册内容",
        "国有企业运营管理手册范本",
    ]
    # 企业运营管理制度手册内容: 第一章 … 第九章, each a section
    assert [s["title"] for s in chapters[1]["sections"]][:3] == [
        "绪论",
        "企业组织结构",
        "企业运营管理基本制度",
    ]
    assert len(chapters[1]["sections"]) == 9
    text = "".join(strings(chapters))
    assert "借阅登记表" in text and "更新记录表" in text
    check(out)


def test_seed_003_forms_include_the_design_card_forms(run, tmp_path):
    out = tmp_path / "src"
    assert run("import", str(seed("003")), "--out", str(out)).exit_code == 0
    tree = load_tree(out)
    # 三、配套工具模板 1.–5.: the inner list "1.上半年业绩回顾；2.Q3目标分解；3.…" of the first
    # template stays text, and "…2023-09-154.文件审批模板" starts the fourth
    templates = [c.get("title", "") + c.get("text", "") for c in tree["chapters"][2]["clauses"]]
    assert [t[:6] for t in templates] == [
        "會議管理模板",
        "項目跟進模板",
        "客戶溝通模板",
        "文件審批模板",
        "員工培訓模板",
    ]
    assert (
        "2.Q3目標分解" in templates[0].replace("；", ";").replace(";", "；")
        or "Q3目標分解" in templates[0]
    )
    forms = {f["title"]: f for f in tree["forms"]}
    for title in ("會議通知表", "會議紀要", "項目進度跟蹤表", "文件審批申請表", "培訓效果評估表"):
        assert title in forms, sorted(forms)
    notice = forms["會議通知表"]
    assert [f["label"] for f in notice["fields"]] == [
        "會議主題",
        "時間",
        "地點/線上",
        "參會人員",
        "議程",
        "材料清單",
    ]
    assert {f["label"]: f["type"] for f in forms["文件審批申請表"]["fields"]}["申請日期"] == "date"
    assert check(out).forms


def test_seed_000_clean_up_and_every_han_character_accounted(run, tmp_path):
    out = tmp_path / "src"
    assert run("import", str(seed("000")), "--out", str(out)).exit_code == 0
    chapters = load_tree(out)["chapters"]
    body = "".join(strings(chapters))
    assert "(yùn)" not in body and "yùn" not in body
    assert "下載本文檔" not in body and "提交評論" not in body and "本站" not in body
    assert "運營" in body  # Traditional text is kept as written
    assert "（一）" not in body and "一、總則" not in body  # numbers are not typed into the YAML
    report = (out / "import-report.md").read_text("utf-8")
    branches = yaml.safe_load((out / "branches.yaml").read_text("utf-8"))
    assert branches["branches"][0]["script"] == "zh-Hant"
    assert re.search(r"zh-Hant-(HK|TW)", report)
    # every Han character of the source is in the YAML, or in a dropped line of the report,
    # or was a number (一、（一）) that the builder now generates
    han = re.compile(r"[\u4e00-\u9fff]")
    source = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", seed("000").read_text("utf-8"))
    manual_title = yaml.safe_load((out / "manual.yaml").read_text("utf-8"))["title"]
    dropped = report.split("## 丢弃的内容")[1].split("## 逐行去向")[0]
    missing = Counter(han.findall(source)) - Counter(han.findall(body + manual_title))
    missing -= Counter(han.findall(dropped))
    assert set(missing) <= set("一二三四五六七八九十"), missing


def test_import_is_deterministic(run, tmp_path):
    for name in ("a", "b"):
        assert run("import", str(seed("003")), "--out", str(tmp_path / name)).exit_code == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.*"))
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_law_style_docx_with_word_numbering(run, tmp_path):
    from builder.readers.importer.docx import read_docx

    docx = make_law_docx(tmp_path / "law.docx")
    seen = [line.text for line in read_docx(docx, "law.docx") if line.text]
    # the numbers Word shows: 条 through both chapters, 项 restarted by lvlOverride
    assert seen[7].startswith("第三条") and seen[8].startswith("第四条")
    assert seen[9].startswith("（一）") and seen[11].startswith("表彰的形式")
    assert seen[12].startswith("（一）通报表扬")  # lvlOverride/startOverride restarts the 项
    assert seen[14].startswith("第五条")
    out = tmp_path / "src"
    result = run("import", str(docx), "--out", str(out), "--company", "示例科技有限公司")
    assert result.exit_code == 0, result.output
    meta = yaml.safe_load((out / "manual.yaml").read_text("utf-8"))
    assert meta["numbering"] == "law" and meta["title"] == "员工管理制度"
    chapters = load_tree(out)["chapters"]
    assert [c["title"] for c in chapters] == ["总则", "员工管理"]
    assert [len(c["clauses"]) for c in chapters] == [2, 3]
    assert chapters[0]["clauses"][0]["text"].startswith("为规范{manual.company}的员工管理")
    assert chapters[0]["clauses"][1]["items"] == ["正式员工；", "试用期员工。"]
    assert chapters[1]["clauses"][1]["items"] == [
        "在工作中有突出贡献的；",
        "提出合理化建议被采纳的。 表彰的形式为：",  # known limit: a 款 after the 项 stays with it
        "通报表扬；",
        "发放奖金。",
    ]
    assert chapters[1]["clauses"][2]["table"]["columns"] == ["序号", "姓名", "签字"]
    assert "第" not in "".join(strings(chapters))  # 第X条 is generated, never typed
    manual = check(out)
    assert manual.meta.numbering == "law"


@pytest.mark.parametrize(
    ("encoding", "text", "expect"),
    [
        (
            "gb18030",
            "一、总则\n（一）目的本制度旨在规范管理。\n（二）范围\n本制度适用于全体员工。\n",
            "规范管理",
        ),
        (
            "big5",
            "一、總則\n（一）目的本制度旨在規範管理。\n（二）範圍\n本制度適用於全體員工。\n",
            "規範管理",
        ),
        (
            "utf-8-sig",
            "一、总则\n（一）目的本制度旨在规范管理。\n（二）范围\n本制度适用于全体员工。\n",
            "规范管理",
        ),
    ],
)
def test_text_encodings_are_detected(run, tmp_path, encoding, text, expect):
    path = tmp_path / "in.txt"
    path.write_bytes(text.encode(encoding))
    out = tmp_path / "src"
    assert run("import", str(path), "--out", str(out)).exit_code == 0
    chapter = load_tree(out)["chapters"][0]
    assert chapter["clauses"][0]["title"] == "目的"
    assert expect in chapter["clauses"][0]["text"]
    check(out)


def test_a_non_empty_folder_needs_force(run, tmp_path):
    out = tmp_path / "src"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = run("import", str(seed("003")), "--out", str(out))
    assert result.exit_code == 1
    assert "文件夹不是空的" in result.output and "--force" in result.output
    assert (out / "keep.txt").exists() and not (out / "manual.yaml").exists()
    assert run("import", str(seed("003")), "--out", str(out), "--force").exit_code == 0
    assert (out / "manual.yaml").exists() and not (out / "keep.txt").exists()


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    encrypted = tmp / "encrypted.docx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    corrupt = tmp / "corrupt.docx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    bomb = tmp / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b"0" * 5_000_000 + b"</a>")
    xml_bomb = tmp / "xmlbomb.docx"
    with zipfile.ZipFile(xml_bomb, "w") as z:
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;&x;">]><a>&y;</a>',
        )
    not_doc = tmp / "picture.txt"
    not_doc.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4)
    no_body = tmp / "sheet.docx"
    with zipfile.ZipFile(no_body, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    pdf = tmp / "manual.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    return {
        "encrypted": (encrypted, "加密"),
        "corrupt": (corrupt, "ZIP 包已损坏"),
        "zip bomb": (bomb, "压缩比异常"),
        "xml bomb": (xml_bomb, "DTD 或实体声明"),
        "not a document": (not_doc, "不是文本文件"),
        "no word body": (no_body, "不是 Word 文档"),
        "unsupported": (pdf, "不支持的文件类型"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "encrypted",
        "corrupt",
        "zip bomb",
        "xml bomb",
        "not a document",
        "no word body",
        "unsupported",
    ],
)
def test_bad_files_are_refused_in_chinese_and_nothing_is_written(run_process, tmp_path, case):
    path, message = _bad_files(tmp_path)[case]
    out = tmp_path / "out"
    result = run_process("import", str(path), "--out", str(out))
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert "未写入任何文件" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".import-*"))


def outline_of(src: Path, branch: str = "hq") -> list[tuple]:
    """Chapters, sections, clauses (titles, text, items, tables, notes) of a manual as one branch
    reads it, numbers and ids left out."""
    from builder.document.resolve import resolve
    from builder.sources.load import load_manual

    def text(p) -> str:
        if isinstance(p, str):
            return p
        if isinstance(p, tuple):
            return "".join(text(x) for x in p)
        return getattr(p, "text", "")

    out: list[tuple] = []

    def clause(c, depth):
        table = None
        if c.table:
            table = (c.table.columns, [[text(x) for x in row] for row in c.table.rows])
        out.append(
            ("clause", depth, c.title or "", [text(p) for p in c.text],
             [text(i.text) for i in c.items], table, text(c.note) if c.note else None)
        )  # fmt: skip
        for sub in c.clauses:
            clause(sub, depth + 1)

    def section(s, depth):
        out.append(("section", depth, s.title, s.title_en, [text(p) for p in s.intro]))
        for sub in s.sections:
            section(sub, depth + 1)
        for c in s.clauses:
            clause(c, depth + 1)

    for chapter in resolve(load_manual(src), branch, change_marks=False).chapters:
        section(chapter, 1)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "company", "sections"),
    [("manual_src", "瀚川科技股份有限公司", 174 + 11), ("law", "示例科技有限公司", 2 + 3)],
)
def test_round_trip_of_a_built_word_handbook(run, tmp_path, monkeypatch, name, company, sections):
    """A handbook.docx the builder made imports back to the same chapters, sections, clauses,
    tables and text: the bundled manual (outline) and the law-style test manual (第X条 through
    the whole manual, 项, 节, bold article titles, a reference “第五条第（一）项”)."""
    from tests.conftest import ROOTS, SRC

    src = SRC if name == "manual_src" else ROOTS / name
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")
    built = tmp_path / "built"
    result = run("build", "--src", str(src), "-b", "hq", "-f", "docx", "--out", str(built))
    assert result.exit_code == 0, result.output
    out = tmp_path / "imported"
    docx = built / "hq" / "handbook.docx"
    result = run("import", str(docx), "--out", str(out), "--company", company)
    assert result.exit_code == 0, result.output
    original, imported = outline_of(src), outline_of(out)
    assert [u[0] for u in imported].count("section") == sections  # chapters and sections
    assert len(imported) == len(original)
    for before, after in zip(original, imported):
        assert after == before
    meta = yaml.safe_load((out / "manual.yaml").read_text("utf-8"))
    expected = yaml.safe_load((src / "manual.yaml").read_text("utf-8"))
    assert meta["version"] == expected["version"] and meta["doc_number"] == expected["doc_number"]
    assert meta.get("numbering", "outline") == expected.get("numbering", "outline")
    if name == "manual_src":
        titles = {f["title"] for f in load_tree(out)["forms"]}
        assert {"会议通知表", "文件审批申请表", "整改通知书"} <= titles


def test_without_libreoffice_an_odt_is_refused_naming_the_package(run, tmp_path, monkeypatch):
    import builder.readers.importer.convert as convert

    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    path = tmp_path / "old.odt"
    path.write_bytes(b"PK\x03\x04")
    out = tmp_path / "src"
    result = run("import", str(path), "--out", str(out))
    assert result.exit_code == 1
    assert "libreoffice-writer" in result.output and "未写入任何文件" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_an_odt_is_converted_by_libreoffice(run, tmp_path):
    from tests.tools import WRITER, require

    soffice = require("soffice", WRITER)
    docx = make_law_docx(tmp_path / "law.docx")
    import subprocess

    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "odt", "--outdir", str(tmp_path), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    out = tmp_path / "src"
    result = run("import", str(tmp_path / "law.odt"), "--out", str(out))
    assert result.exit_code == 0, result.output
    chapters = load_tree(out)["chapters"]
    assert [c["title"] for c in chapters] == ["总则", "员工管理"]
    assert [len(c["clauses"]) for c in chapters] == [2, 3]
    assert yaml.safe_load((out / "manual.yaml").read_text("utf-8"))["numbering"] == "law"


def test_a_plain_word_file_with_typed_numbers_contents_and_forms(run, tmp_path):
    """A Word file as often found: no heading styles, numbers typed, a typed contents list with
    leader dots, a page number, a 修订记录 table and a form template table."""
    from docx import Document

    document = Document()
    for text in [
        "示例科技有限公司考勤管理制度",
        "文件编号：KQ-001　版本：2.1",
        "目录",
        "一、总则……………………1",
        "二、请假……………………2",
        "修订记录",
    ]:
        document.add_paragraph(text)
    revisions = document.add_table(rows=3, cols=4)
    for r, row in enumerate(
        [["版本", "日期", "修订内容", "批准"], ["2.0", "2024-01-05", "初版", "李明"],
         ["2.1", "2025年3月1日", "增加请假规定", "李明"]]
    ):  # fmt: skip
        for c, value in enumerate(row):
            revisions.cell(r, c).text = value
    for text in [
        "一、总则",
        "（一）目的",
        "为规范示例科技有限公司的考勤管理，制定本制度。",
        "（二）适用范围",
        "本制度适用于全体员工。",
        "- 2 -",
        "二、请假",
        "（一）请假程序",
        "1.申请：员工请假应提前填写请假申请表。",
        "2.审批：按审批权限逐级审批。",
        "请假申请表",
    ]:
        document.add_paragraph(text)
    form = document.add_table(rows=3, cols=4)
    for r, row in enumerate(
        [["姓名", "", "部门", ""], ["请假类型", "□事假 □病假 □年假", "请假天数", ""],
         ["申请人签字", "", "申请日期", ""]]
    ):  # fmt: skip
        for c, value in enumerate(row):
            form.cell(r, c).text = value
    path = tmp_path / "考勤.docx"
    document.save(path)
    out = tmp_path / "src"
    result = run("import", str(path), "--out", str(out), "--company", "示例科技有限公司")
    assert result.exit_code == 0, result.output
    tree = load_tree(out)
    assert [c["title"] for c in tree["chapters"]] == ["总则", "请假"]
    assert count(tree["chapters"]) == (2, 1, 4)  # （一）without numbered parts: a clause
    body = "".join(strings(tree["chapters"]))
    assert "……" not in body and "- 2 -" not in body
    meta = yaml.safe_load((out / "manual.yaml").read_text("utf-8"))
    assert meta["doc_number"] == "KQ-001" and meta["version"] == "2.1"
    assert meta["title"] == "{manual.company}考勤管理制度" or "考勤管理制度" in meta["title"]
    revisions = yaml.safe_load((out / "revisions.yaml").read_text("utf-8"))
    assert [r["version"] for r in revisions] == ["2.0", "2.1"]
    assert str(revisions[1]["date"]) == "2025-03-01"
    (form,) = tree["forms"]
    assert form["title"] == "请假申请表" and form["code"] == "KQ-001-F01"
    types = {f["label"]: f["type"] for f in form["fields"]}
    assert types == {
        "姓名": "person", "部门": "text", "请假类型": "choice", "请假天数": "number",
        "申请人签字": "signature", "申请日期": "date",
    }  # fmt: skip
    choice = next(f for f in form["fields"] if f["type"] == "choice")
    assert choice["options"] == ["事假", "病假", "年假"]
    report = (out / "import-report.md").read_text("utf-8")
    assert "目录条目" in report and "页码" in report
    check(out)
