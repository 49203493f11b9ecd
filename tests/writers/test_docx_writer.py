"""The Word handbook, checked the way a reader (or Word) sees it."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from lxml import etree

from builder.document import numbering
from builder.document.model import (
    ApprovalStep,
    BranchInfo,
    Clause,
    Document,
    Form,
    FormField,
    Item,
    Meta,
    Number,
    Revision,
    Section,
    Span,
    Table,
)
from builder.writers.docx.handbook import render_docx
from tests.conftest import ROOT
from tests.tools import POPPLER, WRITER, require

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
TYPED_NUMBER = re.compile(
    r"^\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.|（\d+）|[①-⑳])"
)


# -- a small manual, built by hand ------------------------------------------------------------


class _Numberer:
    """Numbers as the resolver makes them: label at the level, path from the ancestors."""

    def __call__(self, parents: tuple[Number, ...], ordinal: int) -> Number:
        level = len(parents) + 1
        labels = [p.label for p in parents] + [numbering.label(level, ordinal)]
        return Number(level, ordinal, labels[-1], numbering.path_label(labels))


N = _Numberer()


def p(*parts: str | Span) -> tuple[Span, ...]:
    return tuple(Span(x) if isinstance(x, str) else x for x in parts)


def sample_document() -> Document:
    ch1 = N((), 1)
    ch1_c1, ch1_c2 = N((ch1,), 1), N((ch1,), 2)
    ch2 = N((), 2)
    s_meeting = N((ch2,), 1)
    s_before, s_after = N((ch2, s_meeting), 1), N((ch2, s_meeting), 2)
    c_goal, c_notice = N((ch2, s_meeting, s_before), 1), N((ch2, s_meeting, s_before), 2)
    c_minutes = N((ch2, s_meeting, s_after), 1)
    s_supplies = N((ch2,), 2)
    c_supplies = N((ch2, s_supplies), 1)

    general = Section(
        id="general",
        number=ch1,
        title="总则",
        title_en="General Provisions",
        intro=(p("为规范成都分公司日常运营管理，制定本手册。"),),
        clauses=(
            Clause(
                id="purpose", number=ch1_c1, title="目的", text=(p("统一各部门的工作标准与流程。"),)
            ),
            Clause(
                id="scope",
                number=ch1_c2,
                title="适用范围",
                text=(
                    p(
                        "本手册适用于成都分公司全体员工，会议管理见",
                        Span("二（一）1.「会前准备」", ref="meeting-before"),
                        "。",
                    ),
                ),
            ),
        ),
    )
    goal = Clause(
        id="meeting-goal",
        number=c_goal,
        title="明确会议目标",
        text=(p("根据业务需求确定会议主题与预期成果。"), p("会议目标应可衡量。")),
        items=(
            Item(N((ch2, s_meeting, s_before, c_goal), 1), p("确定会议主题；")),
            Item(N((ch2, s_meeting, s_before, c_goal), 2), p("确定参会范围。")),
        ),
        clauses=(
            Clause(
                id="meeting-agenda",
                number=N((ch2, s_meeting, s_before, c_goal), 1),
                title="拟定议程",
                text=(p("议程随通知一并发出。"),),
            ),
        ),
        table=Table(
            columns=("会议类型", "提前通知时间"),
            rows=((p("例会"), p("1 个工作日")), (p("专题会"), p("3 个工作日"))),
        ),
        note=p("临时会议可口头通知，但须补发书面通知。"),
    )
    notice = Clause(
        id="meeting-notice-send",
        number=c_notice,
        title="发送会议通知",
        text=(
            p("组织者填写", Span("《会议通知表》（HC-YY-F01）", ref="meeting-notice"), "并发送。"),
        ),
    )
    minutes = Clause(
        id="meeting-minutes-24h",
        number=c_minutes,
        title=None,
        text=(p("会议纪要须在会后 24 小时内发出。"),),
        clauses=(
            Clause(
                id="minutes-owner",
                number=N((ch2, s_meeting, s_after, c_minutes), 1),
                title="责任人",
                text=(p("由会议记录人负责。"),),
            ),
        ),
    )
    daily = Section(
        id="daily-ops",
        number=ch2,
        title="日常运营标准流程",
        title_en=None,
        intro=(),
        sections=(
            Section(
                id="meeting-mgmt",
                number=s_meeting,
                title="会议管理",
                title_en=None,
                intro=(p("会议分为例会、专题会与项目会。"),),
                sections=(
                    Section(
                        id="meeting-before",
                        number=s_before,
                        title="会前准备",
                        title_en=None,
                        intro=(),
                        clauses=(goal, notice),
                    ),
                    Section(
                        id="meeting-after",
                        number=s_after,
                        title="会后跟进",
                        title_en=None,
                        intro=(),
                        clauses=(minutes,),
                    ),
                ),
            ),
            Section(
                id="office-supplies",
                number=s_supplies,
                title="办公用品管理",
                title_en=None,
                intro=(),
                clauses=(
                    Clause(
                        id="supplies-request",
                        number=c_supplies,
                        title="领用申请",
                        text=(p("每月 5 日前提交领用申请。"),),
                        items=(
                            Item(N((ch2, s_supplies, c_supplies), 1), p("填写申请单；")),
                            Item(N((ch2, s_supplies, c_supplies), 2), p("部门负责人审批。")),
                        ),
                    ),
                ),
            ),
        ),
    )
    chain = (
        ApprovalStep("部门负责人", 1),
        ApprovalStep("分管副总经理", 2),
        ApprovalStep("总经理", 3),
    )
    forms = (
        Form(
            id="meeting-notice",
            code="HC-YY-F01",
            title="会议通知表",
            title_en="Meeting Notice",
            purpose=p("用于提前通知参会人员会议主题、时间、地点与议程。"),
            instructions=(p("会议组织者于会前 1—2 天填写并发送。"),),
            fields=(
                FormField("topic", "会议主题", "text", required=True, example="Q3销售目标分解"),
                FormField("when", "会议时间", "datetime", example="2026-12-03 14:00"),
                FormField(
                    "kind",
                    "会议类型",
                    "choice",
                    options=("例会", "专题会", "项目会"),
                    example="专题会",
                ),
                FormField("agenda", "议程", "textarea", help="逐项列出"),
                FormField(
                    "decisions",
                    "决议事项",
                    "rows",
                    rows=4,
                    columns=(
                        FormField("content", "决议内容", "textarea"),
                        FormField("owner", "责任人", "person"),
                        FormField("due", "完成时限", "date"),
                    ),
                    row_examples=(("Q3 销售目标分解至各区域", "*经理", "2026-12-05"),),
                ),
            ),
            clause_id="meeting-notice-send",
            clause_label="二（一）1.（2） 发送会议通知",
        ),
        Form(
            id="expense-approval",
            code="HC-YY-F02",
            title="费用报销审批表",
            title_en=None,
            purpose=p("用于日常费用报销的申请与审批。"),
            instructions=(),
            fields=(
                FormField("amount", "报销金额", "money", required=True),
                FormField("category", "费用类别", "multichoice", options=("差旅", "招待", "办公")),
                FormField("satisfaction", "服务评价", "score"),
                FormField("applicant", "申请人", "signature"),
            ),
            clause_id=None,
            clause_label=None,
            approval_chain=chain,
        ),
    )
    meta = Meta(
        title="运营管理手册",
        title_en="Operations Management Handbook",
        company="瀚川科技股份有限公司",
        company_en="Hanchuan Technology Co., Ltd.",
        doc_number="HC-YY-MAN-001",
        version="1.2",
        effective_date=date(2026, 12, 1),
        issuer="运营管理部",
        approver="总经理 周启明",
        confidentiality="内部受控",
        page_size="A4",
        margins_mm=(25, 22, 22, 25),
        body_font="Noto Serif CJK SC",
        heading_font="Noto Sans CJK SC",
        font_size_pt=10.5,
    )
    branch = BranchInfo(
        id="chengdu",
        name="成都分公司",
        name_en="Chengdu Branch",
        kind="分公司",
        region="西南",
        address="成都市高新区天府大道 100 号",
        phone="028-12345678",
        manager="李明",
        manager_title="总经理",
        script="zh-Hans",
        approval_chain=chain,
    )
    revisions = (
        Revision("1.0", date(2025, 1, 1), "张三", "周启明", "首次发布"),
        Revision("1.1", date(2025, 7, 1), "李四", "周启明", "增加会议管理要求"),
        Revision("1.2", date(2026, 12, 1), "王五", "周启明", "增加表单附录"),
    )
    return Document(
        meta=meta, branch=branch, revisions=revisions, chapters=(general, daily), forms=forms
    )


@pytest.fixture(scope="module")
def sample() -> Document:
    return sample_document()


@pytest.fixture(scope="module")
def docx_path(sample, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "handbook.docx"
    render_docx(sample, path, paginate=False)
    return path


@pytest.fixture(scope="module")
def word(docx_path):
    return docx.Document(str(docx_path))


def part_xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def numbered(paragraph) -> tuple[int, int] | None:
    numPr = paragraph._p.find(f"{{{W}}}pPr/{{{W}}}numPr")
    if numPr is None:
        return None
    return (
        int(numPr.find(f"{{{W}}}numId").get(f"{{{W}}}val")),
        int(numPr.find(f"{{{W}}}ilvl").get(f"{{{W}}}val")),
    )


def paragraph_with(word, text: str):
    """The first body paragraph (not a TOC entry) starting with `text`."""
    return next(
        p for p in word.paragraphs if p.text.startswith(text) and not p.style.name.startswith("TOC")
    )


# -- what a reader sees -----------------------------------------------------------------------


def test_chapters_and_sections_use_heading_styles(word):
    styles = {p.text: p.style.name for p in word.paragraphs if p.style.name.startswith("Heading")}
    assert styles["总则"] == "Heading 1"
    assert styles["日常运营标准流程"] == "Heading 1"
    assert styles["会议管理"] == "Heading 2"
    assert styles["会前准备"] == "Heading 3"
    assert styles["附录　表单"] == "Heading 1"


def test_headings_clauses_and_items_carry_word_numbering_not_typed_numbers(word):
    expectations = {
        "总则": 0,
        "会议管理": 1,
        "会前准备": 2,
        "明确会议目标：": 3,
        "确定会议主题": 4,
        "目的：": 1,
        "领用申请：": 2,
        "填写申请单": 3,
        "责任人：": 4,
    }
    num_ids = set()
    for text, ilvl in expectations.items():
        paragraph = paragraph_with(word, text)
        assert numbered(paragraph) is not None, text
        num_id, level = numbered(paragraph)
        assert level == ilvl, text
        num_ids.add(num_id)
        assert not TYPED_NUMBER.match(paragraph.text), paragraph.text
    assert len(num_ids) == 1  # one list for the whole body
    assert numbered(paragraph_with(word, "附录　表单")) is None


def test_sub_clauses_after_items_restart_their_count(docx_path, word):
    main, _ = numbered(paragraph_with(word, "总则"))
    restarted, ilvl = numbered(paragraph_with(word, "拟定议程："))  # ① again, after items ①②
    assert ilvl == 4 and restarted != main
    root = part_xml(docx_path, "word/numbering.xml")
    override = root.find(
        f"w:num[@w:numId='{restarted}']/w:lvlOverride[@w:ilvl='4']/w:startOverride", NS
    )
    assert override.get(f"{{{W}}}val") == "1"
    assert numbered(paragraph_with(word, "发送会议通知："))[0] == main  # the main list resumes


def test_numbering_definition_follows_the_chinese_scheme(docx_path, word):
    root = part_xml(docx_path, "word/numbering.xml")
    num_id, _ = numbered(paragraph_with(word, "总则"))
    abstract_id = root.find(f"w:num[@w:numId='{num_id}']/w:abstractNumId", NS).get(f"{{{W}}}val")
    levels = root.findall(f"w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl", NS)
    assert [
        (lvl.find("w:numFmt", NS).get(f"{{{W}}}val"), lvl.find("w:lvlText", NS).get(f"{{{W}}}val"))
        for lvl in levels
    ] == list(numbering.WORD_LEVELS)
    lefts = [int(lvl.find("w:pPr/w:ind", NS).get(f"{{{W}}}left")) for lvl in levels]
    assert lefts[1:] == sorted(lefts[1:]) and lefts[-1] > 0


def test_clause_lead_in_is_bold_and_followed_by_its_text(word):
    paragraph = paragraph_with(word, "明确会议目标：")
    assert paragraph.text == "明确会议目标：根据业务需求确定会议主题与预期成果。"
    assert paragraph.runs[0].style.name == "Strong"
    follow_on = paragraph_with(word, "会议目标应可衡量")
    assert numbered(follow_on) is None
    assert follow_on.paragraph_format.left_indent > 0


def test_note_and_clause_table(word):
    note = paragraph_with(word, "注：临时会议")
    assert note.style.name == "Note" and note.text.startswith("注：")
    table = next(t for t in word.tables if t.rows[0].cells[0].text == "会议类型")
    assert table.style.name == "Handbook Table"
    assert [c.text for c in table.rows[1].cells] == ["例会", "1 个工作日"]
    assert table.rows[0]._tr.trPr.find(f"{{{W}}}tblHeader") is not None


def test_references_are_links_to_bookmarks(docx_path):
    body = part_xml(docx_path, "word/document.xml")
    bookmarks = {b.get(f"{{{W}}}name") for b in body.iter(f"{{{W}}}bookmarkStart")}
    assert {"general", "meeting_before", "meeting_notice", "meeting_minutes_24h"} <= bookmarks
    assert all(
        len(name) <= 40 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in bookmarks
    )
    links = {h.get(f"{{{W}}}anchor"): "".join(h.itertext()) for h in body.iter(f"{{{W}}}hyperlink")}
    assert links["meeting_before"] == "二（一）1.「会前准备」"  # the reference's text, whole
    assert "《会议通知表》（HC-YY-F01）" in links.values()
    assert set(links) <= bookmarks  # no dangling internal link


def test_styles_name_chinese_fonts_and_no_theme_fonts(docx_path):
    styles = part_xml(docx_path, "word/styles.xml")
    xml = etree.tostring(styles).decode()
    for attr in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme"):
        assert attr not in xml
    fonts = {
        s.find("w:name", NS).get(f"{{{W}}}val"): s.find("w:rPr/w:rFonts", NS)
        for s in styles.findall("w:style", NS)
    }
    assert fonts["Normal"].get(f"{{{W}}}eastAsia") == "Noto Serif CJK SC"
    assert fonts["Normal"].get(f"{{{W}}}ascii") == "Noto Serif CJK SC"
    assert fonts["heading 1"].get(f"{{{W}}}eastAsia") == "Noto Sans CJK SC"
    default = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    assert default.find("w:rFonts", NS).get(f"{{{W}}}eastAsia") == "Noto Serif CJK SC"
    assert default.find("w:lang", NS).get(f"{{{W}}}eastAsia") == "zh-CN"


def test_toc_is_a_prefilled_field_word_is_not_asked_to_refresh(docx_path, word):
    body = part_xml(docx_path, "word/document.xml")
    instructions = [t.text.strip() for t in body.iter(f"{{{W}}}instrText")]
    assert 'TOC \\o "1-2" \\h \\z \\u' in instructions
    entries = [p for p in word.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    texts = [p.text.split("\t")[0] for p in entries]
    assert texts[:3] == ["一、总则", "二、日常运营标准流程", "（一）会议管理"]
    assert "会议通知表（HC-YY-F01）" in texts
    for entry in entries:
        link = entry._p.find(f"{{{W}}}hyperlink")
        assert link is not None
        refs = [t.text for t in link.iter(f"{{{W}}}instrText")]
        assert refs == [f" PAGEREF {link.get(f'{{{W}}}anchor')} \\h "]
    # no w:updateFields: Word would ask every reader 「是否更新此文档中的域？」 on opening
    settings = part_xml(docx_path, "word/settings.xml")
    assert settings.find("w:updateFields", NS) is None


def test_cover_shows_branch_and_document_control(word):
    section = word.sections[0]
    assert section.different_first_page_header_footer
    cover = []
    for block in word.element.body.iterchildren():
        if block.tag == f"{{{W}}}p" and "更新记录表" in "".join(block.itertext()):
            break
        cover.append("".join(block.itertext()))
    cover_text = "\n".join(cover)
    for expected in (
        "瀚川科技股份有限公司",
        "运营管理手册",
        "Operations Management Handbook",
        "成都分公司",
        "文件编号",
        "HC-YY-MAN-001",
        "1.2",
        "2026年12月1日",
        "运营管理部",
        "总经理 周启明",
        "内部受控",
    ):
        assert expected in cover_text
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()


def test_revision_history_table(word):
    table = next(t for t in word.tables if t.rows[0].cells[0].text == "版本")
    assert [c.text for c in table.rows[0].cells] == ["版本", "日期", "修订内容", "编写", "批准"]
    assert [row.cells[0].text for row in table.rows[1:]] == ["1.0", "1.1", "1.2"]
    assert table.rows[3].cells[2].text == "增加表单附录"
    assert table.rows[0]._tr.trPr.find(f"{{{W}}}tblHeader") is not None


def test_header_names_branch_and_footer_counts_pages(docx_path, word):
    section = word.sections[0]
    assert section.header.paragraphs[0].text == "运营管理手册 — 成都分公司"
    footer = section.footer.paragraphs[0]
    assert "版本 1.2" in footer.text and "HC-YY-MAN-001" in footer.text
    instructions = [t.text.strip() for t in footer._p.iter(f"{{{W}}}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]


def test_page_setup_and_properties_from_meta(word):
    section = word.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 25 and round(section.right_margin.mm) == 22
    props = word.core_properties
    assert props.title == "运营管理手册 · 成都分公司" and "成都分公司" in props.subject
    assert props.author == "瀚川科技股份有限公司" and "1.2" in props.keywords
    assert props.created.date() == date(2026, 12, 1) == props.modified.date()


def test_forms_have_field_grid_rows_grid_approval_and_example(word):
    heading = paragraph_with(word, "费用报销审批表（HC-YY-F02）")
    assert heading.style.name == "Heading 2" and heading.paragraph_format.page_break_before
    tables = {t.rows[0].cells[0].text: t for t in word.tables}
    fields = tables["会议主题*"]
    assert fields.rows[2].cells[1].text == "☐例会　☐专题会　☐项目会"
    assert fields.rows[0].cells[0]._tc.tcPr.find(f"{{{W}}}shd") is not None
    decisions = tables["序号"]
    assert [c.text for c in decisions.rows[0].cells] == ["序号", "决议内容", "责任人", "完成时限"]
    assert len(decisions.rows) == 1 + 4
    expense = tables["报销金额（元）*"]
    assert "☐1　☐2　☐3　☐4　☐5" in [r.cells[1].text for r in expense.rows]
    assert any("签字" in r.cells[1].text and "日期" in r.cells[1].text for r in expense.rows)
    approval = tables["审批环节"]
    assert [r.cells[0].text for r in approval.rows[1:]] == ["部门负责人", "分管副总经理", "总经理"]
    assert approval.rows[2].cells[1].text == "2 个工作日"
    example = tables["项目"]
    assert ["会议主题", "Q3销售目标分解"] == [c.text for c in example.rows[1].cells]
    assert "依据条款" in paragraph_with(word, "表单编号：HC-YY-F01").text


# Word's rules for a bookmark name: at most 40 characters; letters, digits and '_' only, starting
# with a letter ('_' first makes a hidden bookmark); names are compared ignoring case.
WORD_BOOKMARK = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


def test_long_ids_make_valid_distinct_bookmark_names():
    from builder.writers.ooxml import bookmark_name

    long_a, long_b = "x" * 30 + "-meeting-minutes-a", "x" * 30 + "-meeting-minutes-b"
    names = [bookmark_name(long_a), bookmark_name(long_b)]
    assert len(set(names)) == 2 and all(WORD_BOOKMARK.fullmatch(n) for n in names)
    assert all(n.startswith("x" * 30 + "_") for n in names)  # still readable: the id's beginning
    assert bookmark_name("meeting-notice") == "meeting_notice"  # a short id: only '-' → '_'
    assert WORD_BOOKMARK.fullmatch(bookmark_name("7-days"))  # never a digit first


def document_ids(document: Document) -> list[str]:
    """The id of every chapter, section, clause and form of a resolved document."""
    ids = []

    def walk(node) -> None:
        ids.append(node.id)
        for child in (*getattr(node, "sections", ()), *node.clauses):
            walk(child)

    for chapter in document.chapters:
        walk(chapter)
    return ids + [form.id for form in document.forms]


def references(node) -> set[str]:
    """The ids that the text spans under `node` (a model object) refer to."""
    if isinstance(node, Span):
        return {node.ref} if node.ref else set()
    if isinstance(node, (tuple, list)):
        return set().union(*map(references, node))
    if dataclasses.is_dataclass(node):
        return set().union(*(references(getattr(node, f.name)) for f in dataclasses.fields(node)))
    return set()


@pytest.fixture(scope="module")
def real_handbook(manual, tmp_path_factory) -> tuple[Document, etree._Element]:
    """The head office's handbook from manual_src/, and its word/document.xml."""
    from builder.document.resolve import resolve

    document = resolve(manual, "hq")
    path = tmp_path_factory.mktemp("hq-docx") / "handbook.docx"
    render_docx(document, path, paginate=False)
    return document, part_xml(path, "word/document.xml")


def test_the_real_handbooks_bookmarks_are_valid_for_word_and_every_link_lands(real_handbook):
    document, body = real_handbook
    starts = list(body.iter(f"{{{W}}}bookmarkStart"))
    names = [b.get(f"{{{W}}}name") for b in starts]
    hidden = [n for n in names if n.startswith("_")]  # Word's own kind (the appendix's)
    assert all(WORD_BOOKMARK.fullmatch(n) for n in names if n not in hidden), names
    assert all(WORD_BOOKMARK.fullmatch(n[1:]) for n in hidden), hidden
    assert len({n.lower() for n in names}) == len(names)  # distinct for Word
    ids = [b.get(f"{{{W}}}id") for b in starts]
    assert len(set(ids)) == len(ids)
    assert sorted(e.get(f"{{{W}}}id") for e in body.iter(f"{{{W}}}bookmarkEnd")) == sorted(ids)
    # every chapter, section, clause and form is a bookmark named after its id (Word allows no
    # '-'; the bundled ids are short enough to keep whole)
    expected = [i.replace("-", "_") for i in document_ids(document)]
    assert len(expected) > 100 and set(expected) <= set(names)
    # every internal link, TOC entry and page reference lands on a bookmark, and every
    # cross-reference in the text is such a link
    anchors = {h.get(f"{{{W}}}anchor") for h in body.iter(f"{{{W}}}hyperlink")} - {None}
    assert anchors <= set(names), anchors - set(names)
    fields = "".join(t.text or "" for t in body.iter(f"{{{W}}}instrText"))
    pagerefs = set(re.findall(r"PAGEREF (\S+)", fields))
    assert pagerefs and pagerefs <= set(names), pagerefs - set(names)
    cited = references((document.chapters, document.forms))
    assert cited and {i.replace("-", "_") for i in cited} <= anchors


def test_a_reference_without_the_handbook_styles_is_refused(sample, tmp_path):
    plain_reference = tmp_path / "plain.docx"
    docx.Document().save(str(plain_reference))
    from builder.errors import WriterError

    with pytest.raises(WriterError, match="缺少样式.*Clause"):
        render_docx(sample, tmp_path / "out.docx", plain_reference, paginate=False)
    with pytest.raises(WriterError, match="找不到 Word 样式模板"):
        render_docx(sample, tmp_path / "out.docx", tmp_path / "missing.docx", paginate=False)


def test_output_is_reproducible(sample, docx_path, tmp_path):
    again = tmp_path / "again.docx"
    render_docx(sample, again, paginate=False)
    assert again.read_bytes() == docx_path.read_bytes()


def test_reference_template_is_regenerated_identically(tmp_path):
    root = ROOT
    out = tmp_path / "reference.docx"
    subprocess.run(
        [sys.executable, str(root / "tools" / "make_reference_docx.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == (root / "templates" / "reference.docx").read_bytes()


@pytest.mark.slow
def test_libreoffice_pdf_shows_toc_page_numbers_and_chinese_numbers(sample, tmp_path):
    soffice, pdftotext = require("soffice", WRITER), require("pdftotext", POPPLER)
    path = tmp_path / "handbook.docx"
    render_docx(sample, path, paginate=True)
    profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"
    subprocess.run(
        [
            soffice,
            profile,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "handbook.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = text.split("\f")
    toc = next(page for page in pages if "目录" in page and "一、总则" in page)
    assert re.search(r"一、总则\s*\.*\s*(\d+)", toc)
    chapter_page = int(re.search(r"一、总则\s*\.*\s*(\d+)", toc).group(1))
    assert "一、总则" in pages[chapter_page - 1] and "目录" not in pages[chapter_page - 1]
    assert "（一）目的：" in text and "（1）" in text and "①" in text
    assert "第 1 页 / 共" not in pages[0]  # the cover has no footer
