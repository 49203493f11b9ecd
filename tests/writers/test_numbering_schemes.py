"""manual.yaml `numbering:` law (第一章 / 第一节 / 第一条 / （一） / 1.) and decimal (1 / 1.1 /
1.1.1), as the reader sees them: PDF text, the HTML page, the DOCX's numbering.xml and what
LibreOffice shows of that DOCX, references, `handbook diff` labels and the 修订对照表.

The expected numbers are counted by hand from tests/roots/law and tests/roots/decimal:
law, branch hq (flag canteen):
  第一章 总则          第一条 目的 · 第二条 (untitled, two 款) · 第三条 基本原则 （一）（二）（三）
  第二章 员工管理
    第一节 招聘与录用  第四条 招聘计划 · 第五条 (untitled) （一）提出申请 1. 2. 3. （二）审批
                       第六条 食堂 (hq only) · 第七条 试用期
    第二节 考勤与休假  第八条 · 第九条 请假 · 第十条 (untitled) · 第十一条 迟到早退
  第三章 附则          第十二条 (untitled) · 第十三条 施行 · 第十四条 引用
branch xian has no 食堂, so its 附则 starts with 第十一条; nor has hongkong, in Traditional script:
第十一條.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from builder.document import numbering
from builder.document.model import plain
from builder.document.resolve import resolve
from builder.sources.load import load_manual
from tests.conftest import ROOTS
from tests.tools import POPPLER, WRITER, require

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def squeeze(text: str) -> str:
    """Text without any white space (pdftotext lays the full-width space out as spaces)."""
    return re.sub(r"[\s\u3000]+", "", text)


def pdf_pages(path: Path) -> list[str]:
    pdftotext = require("pdftotext", POPPLER)
    out = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")


def build(src: Path, out: Path) -> Path:
    from builder.release.build import build_outputs

    build_outputs(
        load_manual(src),
        out=out,
        branches=["hq"],
        formats=["pdf", "html", "docx"],
        forms=[],
        progress=False,
        docx_page_numbers=False,
    )
    return out / "hq"


@pytest.fixture(scope="module")
def law(tmp_path_factory) -> Path:
    return build(ROOTS / "law", tmp_path_factory.mktemp("law") / "output")


@pytest.fixture(scope="module")
def decimal(tmp_path_factory) -> Path:
    return build(ROOTS / "decimal", tmp_path_factory.mktemp("decimal") / "output")


# -- the resolved document ----------------------------------------------------------------------


def labels(doc) -> list[str]:
    out = []
    for node, _ in doc.walk():
        if hasattr(node, "number"):
            out.append(node.number.label)
            out += [item.number.label for item in getattr(node, "items", ())]
    return out


def test_law_articles_count_through_the_whole_manual():
    manual = load_manual(ROOTS / "law")
    hq = resolve(manual, "hq")
    assert labels(hq) == [
        "第一章",
        "第一条", "第二条", "第三条", "（一）", "（二）", "（三）",
        "第二章",
        "第一节", "第四条", "第五条", "（一）", "1.", "2.", "3.", "（二）", "第六条", "第七条",
        "第二节", "第八条", "第九条", "第十条", "第十一条",
        "第三章",
        "第十二条", "第十三条", "第十四条",
    ]  # fmt: skip
    closing = resolve(manual, "xian").chapters[2]
    assert [c.number.label for c in closing.clauses] == ["第十一条", "第十二条", "第十三条"]


def test_law_references_name_the_article():
    doc = resolve(load_manual(ROOTS / "law"), "hq")
    closing = {c.id: c for c in doc.chapters[2].clauses}
    assert plain(closing["closing-effect"].text[0]) == (
        "本制度自2026-03-01起施行；第十二条所称解释，以书面形式作出。"
    )
    assert plain(closing["closing-refs"].text[0]) == (
        "招聘程序见第五条，申请事项见第五条第（一）项“提出申请”，"
        "请假审批见第二章第二节“考勤与休假”。"
    )
    leave = next(f for f in doc.forms if f.id == "leave")
    assert leave.clause_label == "第九条“请假”"


def test_law_labels_in_traditional_script():
    doc = resolve(load_manual(ROOTS / "law"), "hongkong")
    staff = doc.chapters[1]
    assert [s.number.label for s in staff.sections] == ["第一節", "第二節"]
    assert [c.number.label for c in doc.chapters[2].clauses] == ["第十一條", "第十二條", "第十三條"]
    refs = plain(doc.chapters[2].clauses[2].text[0])
    # the whole branch is Traditional (builder.document.script), references included
    assert refs == (
        "招聘程序見第五條，申請事項見第五條第（一）項「提出申請」，"
        "請假審批見第二章第二節「考勤與休假」。"
    )


def test_decimal_labels_and_references():
    doc = resolve(load_manual(ROOTS / "decimal"), "hq")
    assert labels(doc) == [
        "1", "1.1", "1.2", "1.2.1", "1.2.2",
        "2", "2.1", "2.1.1", "2.1.2", "2.1.2.1", "2.1.2.2", "2.2", "2.2.1",
    ]  # fmt: skip
    docs = doc.chapters[1].sections[0].clauses[1].clauses
    assert plain(docs[0].text[0]) == "受控文件按第1章“范围”的范围发放。"
    assert plain(docs[1].text[0]) == "记录的保存期限见2.1.1“建立体系”。"


def test_chinese_counting_past_one_hundred():
    counter = numbering.Counter(numbering.LAW)
    counter.next(1)
    got = [counter.next(3)[1] for _ in range(111)]
    assert got[9:12] == ["第十条", "第十一条", "第十二条"]
    assert got[99:] == [
        "第一百条", "第一百零一条", "第一百零二条", "第一百零三条", "第一百零四条", "第一百零五条",
        "第一百零六条", "第一百零七条", "第一百零八条", "第一百零九条", "第一百一十条",
        "第一百一十一条",
    ]  # fmt: skip


# -- check ------------------------------------------------------------------------------------


def test_law_refuses_a_section_below_a_section(root, run):
    src = root("law")
    (src / "chapters" / "04-deep.yaml").write_text(
        "id: deep\ntitle: 深层\nsections:\n  - id: deep-a\n    title: 甲\n    sections:\n"
        "      - id: deep-b\n        title: 乙\n        clauses:\n"
        "          - {id: deep-one, text: 内容。}\n",
        encoding="utf-8",
    )
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    assert "chapters/04-deep.yaml:6:5: 按 law 编号（manual.yaml 的 numbering）" in result.output
    assert "节之下不能再分节" in result.output
    # numbered outline, the same tree is fine
    manual = src / "manual.yaml"
    manual.write_text(
        manual.read_text(encoding="utf-8").replace("numbering: law", "numbering: outline"),
        encoding="utf-8",
    )
    assert run("check", "--src", str(src)).exit_code == 0


def test_unknown_scheme_is_refused_with_its_place(root, run):
    src = root("law")
    manual = src / "manual.yaml"
    manual.write_text(
        manual.read_text(encoding="utf-8").replace("numbering: law", "numbering: roman"),
        encoding="utf-8",
    )
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    assert "manual.yaml:11:12: 取值“roman”无效，应为“outline”“law”或“decimal”之一" in (
        result.output
    )


# -- PDF, HTML --------------------------------------------------------------------------------


def test_law_pdf_continues_articles_across_chapters(law):
    pages = [squeeze(p) for p in pdf_pages(law / "handbook.pdf")]
    toc = next(p for p in pages if p.count("目录") >= 1 and "第一节招聘与录用" in p)
    assert "第二章员工管理" in toc and "第二节考勤与休假" in toc
    first = next(p for p in pages if "第一章总则第一条" in p)
    assert "第二条本制度适用于示例科技总部全体员工。劳务派遣人员参照本制度执行。" in first
    assert "第三条基本原则：员工管理遵循以下原则：（一）依法合规；（二）公平公正；" in first
    second = next(p for p in pages if "第二章员工管理第一节招聘与录用" in p)
    assert "第五条招聘按下列程序进行：（一）提出申请：" in second
    assert "1.岗位名称；2.任职条件；3.到岗时间。（二）审批：" in second
    third = next(p for p in pages if "第三章附则第十二条本制度由综合管理部负责解释。" in p)
    assert third.startswith("员工管理制度·示例科技总部第三章附则")  # the running head
    assert "第十二条所称解释" in third
    assert "申请事项见第五条第（一）项“提出申请”" in third
    assert any("依据条款第九条“请假”" in p for p in pages)


def test_law_html(law):
    page = html.parse(str(law / "handbook.html")).getroot()

    def text(identifier: str) -> str:
        return page.get_element_by_id(identifier).text_content().strip()

    assert text("general").startswith("第一章\u3000总则")
    assert text("hiring").startswith("第一节\u3000招聘与录用")
    assert (
        text("purpose")
        == "第一条\u3000目的：为规范示例科技有限公司员工管理，明确权利与义务，制定本制度。"
    )
    assert text("closing-interpret") == "第十二条\u3000本制度由综合管理部负责解释。"
    items = page.get_element_by_id("principles").findall(".//li")
    assert [li.text_content() for li in items][0] == "（一）依法合规；"
    toc = page.get_element_by_id("toc").text_content()
    assert "第三章\u3000附则" in toc
    link = page.xpath('//div[@id="closing-effect"]//a[@class="ref"]')[0]
    assert (link.get("href"), link.text_content()) == ("#closing-interpret", "第十二条")


def test_decimal_pdf(decimal):
    pages = [squeeze(p) for p in pdf_pages(decimal / "handbook.pdf")]
    text = "".join(pages)
    assert "1范围1.1本手册规定了" in text
    assert "1.2适用对象：本手册适用于：1.2.1总部各部门；1.2.2各分支机构。" in text
    assert "2.1.2文件要求2.1.2.1文件控制：受控文件按第1章“范围”的范围发放。" in text
    assert "2.2管理评审2.2.1管理评审每年至少进行一次，依照2.1.2.1“文件控制”" in text


# -- DOCX ---------------------------------------------------------------------------------------


def docx_xml(path: Path, part: str):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def numbered_paragraphs(path: Path) -> list[tuple[str, str, str, str]]:
    """(style, numId, ilvl, text) of every numbered body paragraph, in order."""
    body = docx_xml(path, "word/document.xml").find(f"{W}body")
    out = []
    for p in body.iter(f"{W}p"):
        num = p.find(f"{W}pPr/{W}numPr")
        if num is None:
            continue
        style = p.find(f"{W}pPr/{W}pStyle")
        out.append(
            (
                style.get(f"{W}val") if style is not None else "",
                num.find(f"{W}numId").get(f"{W}val"),
                num.find(f"{W}ilvl").get(f"{W}val"),
                "".join(t.text or "" for t in p.iter(f"{W}t")),
            )
        )
    return out


def list_levels(path: Path, num_id: str) -> tuple[list[tuple[str, str]], list]:
    """(numFmt, lvlText) of each level of list `num_id`, and its w:lvlOverride elements."""
    root = docx_xml(path, "word/numbering.xml")
    num = root.find(f"{W}num[@{W}numId='{num_id}']")
    abstract_id = num.find(f"{W}abstractNumId").get(f"{W}val")
    abstract = root.find(f"{W}abstractNum[@{W}abstractNumId='{abstract_id}']")
    levels = [
        (lvl.find(f"{W}numFmt").get(f"{W}val"), lvl.find(f"{W}lvlText").get(f"{W}val"))
        for lvl in abstract.findall(f"{W}lvl")
    ]
    return levels, num.findall(f"{W}lvlOverride")


def test_law_docx_numbering_xml(law):
    paragraphs = numbered_paragraphs(law / "handbook.docx")
    chapters = [p for p in paragraphs if p[3] in ("总则", "员工管理", "附则")]
    articles = [p for p in paragraphs if p[0] == "Clause" and p[2] == "0"]
    assert len(chapters) == 3 and len(articles) == 14
    # every article in one list of its own, which no chapter or section heading enters: Word
    # and LibreOffice count them 1 … 14 without restarting at 第二章 or 第三章
    assert {p[1] for p in articles} == {articles[0][1]}
    assert articles[0][1] not in {p[1] for p in paragraphs if p[0] != "Clause"}
    assert articles[11][3] == "本制度由综合管理部负责解释。"  # the 12th: 第十二条
    levels, overrides = list_levels(law / "handbook.docx", articles[0][1])
    assert levels[:3] == [
        ("chineseCounting", "第%1条\u3000"),
        ("chineseCounting", "（%2）"),
        ("decimal", "%3."),
    ]
    assert overrides == []  # no restart
    heading_levels, _ = list_levels(law / "handbook.docx", chapters[0][1])
    assert heading_levels == [
        ("chineseCounting", "第%1章\u3000"),
        ("chineseCounting", "第%2节\u3000"),
    ]
    assert {p[1:3] for p in chapters} == {(chapters[0][1], "0")}


def test_law_docx_in_traditional_script(tmp_path):
    from builder.writers.docx.handbook import render_docx

    path = tmp_path / "handbook.docx"
    render_docx(resolve(load_manual(ROOTS / "law"), "hongkong"), path)
    paragraphs = numbered_paragraphs(path)
    article = next(p for p in paragraphs if p[0] == "Clause")
    levels, _ = list_levels(path, article[1])
    assert levels[:2] == [("chineseCounting", "第%1條\u3000"), ("chineseCounting", "（%2）")]
    section = next(p for p in paragraphs if p[3] == "招聘與錄用")
    assert list_levels(path, section[1])[0][1] == ("chineseCounting", "第%2節\u3000")


def test_decimal_docx_numbering_xml(decimal):
    paragraphs = numbered_paragraphs(decimal / "handbook.docx")
    assert {p[1] for p in paragraphs} == {paragraphs[0][1]}  # one list
    levels, _ = list_levels(decimal / "handbook.docx", paragraphs[0][1])
    assert levels[:4] == [
        ("decimal", "%1\u3000"),
        ("decimal", "%1.%2\u3000"),
        ("decimal", "%1.%2.%3\u3000"),
        ("decimal", "%1.%2.%3.%4\u3000"),
    ]
    by_text = {p[3]: p[2] for p in paragraphs}
    assert by_text["文件控制：受控文件按第1章“范围”的范围发放。"] == "3"  # 2.1.2.1


@pytest.mark.slow
def test_libreoffice_shows_the_numbers_word_would(law, decimal, tmp_path):
    soffice = require("soffice", WRITER)
    for name, folder in (("law", law), ("decimal", decimal)):
        shutil.copy(folder / "handbook.docx", tmp_path / f"{name}.docx")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "law.docx"),
            str(tmp_path / "decimal.docx"),
        ],
        capture_output=True,
        timeout=240,
        check=True,
    )
    text = squeeze("".join(pdf_pages(tmp_path / "law.pdf")))
    assert "第一章总则第一条目的：" in text
    assert "第三条基本原则：员工管理遵循以下原则：（一）依法合规；（二）公平公正；" in text
    assert "第二章员工管理第一节招聘与录用第四条招聘计划：" in text
    assert (
        "第五条招聘按下列程序进行：（一）提出申请：用人部门填写招聘申请，写明下列事项：1.岗位名称；"
        in text
    )
    assert "第二节考勤与休假第八条工作时间：" in text
    assert "第十一条迟到早退：" in text
    assert "第三章附则第十二条本制度由综合管理部负责解释。第十三条施行：" in text
    text = squeeze("".join(pdf_pages(tmp_path / "decimal.pdf")))
    assert "2质量管理体系2.1总要求2.1.1建立体系：" in text
    assert "2.1.2文件要求2.1.2.1文件控制：" in text


# -- diff -----------------------------------------------------------------------------------------


def test_law_diff_labels_and_comparison(root, run_process, tmp_path):
    old = root("law")
    new = tmp_path / "new_src"
    shutil.copytree(old, new)
    general = new / "chapters" / "01-general.yaml"
    general.write_text(
        general.read_text(encoding="utf-8").replace(
            "clauses:\n",
            "clauses:\n  - id: terms\n    title: 术语\n    text: 本制度所称员工，是指正式员工。\n"
            "  - id: duties\n    text: 员工应当遵守本制度。\n",
            1,
        ),
        encoding="utf-8",
    )
    staff = new / "chapters" / "02-staff.yaml"
    staff.write_text(
        staff.read_text(encoding="utf-8").replace(
            "      - id: hiring-plan\n        title: 招聘计划\n"
            "        text: 各部门于每年十二月提出下一年度招聘需求。\n",
            "",
        ),
        encoding="utf-8",
    )
    closing = new / "chapters" / "03-closing.yaml"
    closing.write_text(
        closing.read_text(encoding="utf-8").replace("负责解释。", "负责解释和修订。"),
        encoding="utf-8",
    )
    result = run_process("diff", str(old), str(new), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["新增", "条款", "第一条“术语”", "[terms]"] in lines
    assert ["新增", "条款", "第二条", "[duties]"] in lines
    assert ["删除", "条款", "第四条“招聘计划”", "[hiring-plan]"] in lines
    # the old 第十二条 is 第十三条 now: two articles in, one out before it
    assert ["修改", "条款", "第十三条", "[closing-interpret]"] in lines
    table = squeeze("".join(pdf_pages(tmp_path / "cmp" / "hq" / "comparison.pdf")))
    assert "第十三条修改本制度由综合管理部负责解释。本制度由综合管理部负责解释和修订。" in table
    assert "原编号第十二条" in table
    assert "第四条“招聘计划”删除招聘计划：各部门于" in table
    # the tracked-changes Word file: the removed article keeps its old number as deleted text
    body = docx_xml(tmp_path / "cmp" / "hq" / "handbook-tracked.docx", "word/document.xml")
    deleted = [
        "".join(t.text for t in p.iter(f"{W}delText"))
        for p in body.iter(f"{W}p")
        if p.find(f".//{W}delText") is not None
    ]
    assert "第四条\u3000招聘计划：各部门于每年十二月提出下一年度招聘需求。" in deleted
