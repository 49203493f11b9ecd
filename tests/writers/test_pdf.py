"""The head office's handbook PDF, as a reader sees it."""

from __future__ import annotations

import re
import subprocess

import pytest
from pypdf import PdfReader

from builder.document.resolve import resolve
from tests.tools import POPPLER, QPDF, require


@pytest.fixture(scope="module")
def pdf(built_hq):
    return built_hq / "handbook.pdf"


@pytest.fixture(scope="module")
def reader(pdf):
    return PdfReader(str(pdf))


def page_text(pdf, n: int) -> str:
    pdftotext = require("pdftotext", POPPLER)
    return subprocess.run(
        [pdftotext, "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_at_least_forty_a4_pages(reader):
    assert len(reader.pages) >= 40
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_every_chapter_is_a_bookmark_with_its_sections_below_it(reader, manual):
    outline = {}  # a top-level bookmark's title → the titles of the bookmarks below it
    items = reader.outline
    for item, following in zip(items, [*items[1:], None]):
        if not isinstance(item, list):
            below = following if isinstance(following, list) else []
            outline[item.title] = [b.title for b in below if not isinstance(b, list)]
    doc = resolve(manual, "hq")
    for chapter in doc.chapters:
        sections = [f"{s.number.label}{s.title}" for s in chapter.sections]
        assert outline[f"{chapter.number.label}{chapter.title}"] == sections, chapter.title
    assert "（一）会议管理" in outline["七、日常运营标准流程"]
    assert "附录　表单" in outline


def test_cover_names_the_branch_and_document_number(pdf):
    cover = re.sub(r"\s+", "", page_text(pdf, 1))  # letter-spaced cover titles
    for text in (
        "瀚川科技股份有限公司",
        "运营管理手册",
        "瀚川科技总部",
        "HC-YY-MAN-001",
        "1.3",
        "2027年1月1日",
    ):
        assert text in cover


def test_running_header_and_footer(pdf, reader):
    body = page_text(pdf, 8)
    assert "运营管理手册 · 瀚川科技总部" in body
    assert f"第 8 页 / 共 {len(reader.pages)} 页" in body
    assert "版本 1.3 · HC-YY-MAN-001" in body


def test_toc_has_page_numbers(pdf):
    toc = page_text(pdf, 3)
    assert "目" in toc and "录" in toc
    assert re.search(r"一、\s*总则[ .…]*\d+", toc), toc[:400]


def test_chinese_text_is_extractable(pdf):
    pdftotext = require("pdftotext", POPPLER)
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # as typed in manual_src/chapters/02-organization.yaml (the space too), over a line break
    assert "分支机构负责人应在 24 小时内向总部运营管理部和分管领导报告" in text.replace("\n", "")
    assert "会议通知表" in text


def test_only_embedded_subset_cjk_fonts(pdf):
    out = subprocess.run(
        [require("pdffonts", POPPLER), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        emb, sub = row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row
    cjk = [row[0] for row in rows if "CJK" in row[0]]
    assert cjk and all("CJK-SC" in name for name in cjk), cjk  # never the Japanese face


def test_qpdf_check_is_clean(pdf):
    result = subprocess.run(
        [require("qpdf", QPDF), "--check", str(pdf)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_metadata(reader):
    info = reader.metadata
    assert "瀚川科技总部" in info.title
    assert info.author == "瀚川科技股份有限公司"


def test_html_is_self_contained(built_hq):
    page = (built_hq / "handbook.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
