"""The handbook PDF's table of contents as a reader sees it: every entry's page number is the page
its heading is on (and its bookmark's page), and dotted leaders run from the title to the number."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from builder.document.resolve import resolve
from tests.tools import pdf_layout_text

TOC_PAGE = 3  # cover, 更新记录表, then 目录


@pytest.fixture(scope="module")
def pdf(built_hq):
    return built_hq / "handbook.pdf"


@pytest.fixture(scope="module")
def doc(manual):
    return resolve(manual, "hq")


def page_texts(pdf) -> list[str]:
    """The text of every page (pdftotext -layout), whitespace removed; index 0 is page 1."""
    return [re.sub(r"\s+", "", page) for page in pdf_layout_text(pdf).split("\f")]


def toc_entries(pages: list[str], doc) -> dict[str, int]:
    """Each chapter's and section's printed title → the page number the TOC gives for it."""
    toc = "".join(pages[TOC_PAGE - 1 :])  # the first match of a title is its TOC entry
    entries = {}
    for chapter in doc.chapters:
        for item in (chapter, *chapter.sections):
            title = f"{item.number.label}{item.number.sep or ''}{item.title}"
            found = re.search(re.escape(title) + r"[.…]*(\d+)", toc)
            assert found, f"目录中找不到「{title}」"
            entries[title] = int(found.group(1))
    return entries


def test_toc_numbers_are_the_pages_of_the_headings_and_bookmarks(pdf, doc):
    pages = page_texts(pdf)
    entries = toc_entries(pages, doc)
    assert len(entries) > 30
    for title, number in entries.items():
        assert 3 < number <= len(pages), (title, number)
        assert title in pages[number - 1], (title, number)
    reader = PdfReader(str(pdf))
    bookmarks = {
        item.title: reader.get_destination_page_number(item) + 1
        for item in reader.outline
        if not isinstance(item, list)
    }
    for chapter in doc.chapters:
        title = f"{chapter.number.label}{chapter.number.sep or ''}{chapter.title}"
        assert bookmarks[title] == entries[title], title


def test_toc_leader_dots_run_from_the_title_to_the_number(pdf, doc):
    """Rendered, the gap between a TOC entry's title and its page number holds a row of small
    dots on the baseline, about a full stop's width apart (0.327em of 10.5pt: 3.4pt)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    page = document[TOC_PAGE - 1]
    text = page.get_textpage()
    content = text.get_text_range()
    scale = 4  # 288 dpi
    image = page.render(scale=scale).to_pil().convert("L")
    height = page.get_size()[1]
    checked = 0
    for chapter in doc.chapters[:3]:
        for item in (chapter, *chapter.sections[:2]):
            label = re.escape(item.number.label) + r"\s*"
            last = re.search(label + re.escape(item.title), content).end() - 1
            title_box = text.get_charbox(last)  # (left, bottom, right, top) in points
            # the page number: digits on the same line, right of the title
            digits = [
                text.get_charbox(i)
                for i, ch in enumerate(content)
                if ch.isdigit()
                and abs(text.get_charbox(i)[1] - title_box[1]) < 3
                and text.get_charbox(i)[0] > title_box[2]
            ]
            assert digits, item.title
            left, right = title_box[2] + 1, min(box[0] for box in digits) - 1
            baseline = min(box[1] for box in digits)
            top, bottom = height - (baseline + 2), height - (baseline - 1)
            dark = [
                any(
                    image.getpixel((x, y)) < 140
                    for y in range(int(top * scale), int(bottom * scale) + 1)
                )
                for x in range(int(left * scale), int(right * scale))
            ]
            runs = [len(r) for r in re.findall("1+", "".join("1" if d else "0" for d in dark))]
            expected = (right - left) / 3.43
            assert len(runs) >= 0.85 * expected, (item.title, len(runs), expected)
            assert len(runs) <= expected + 2, (item.title, len(runs), expected)
            assert max(runs) <= 2.5 * scale, (item.title, max(runs))  # dots, not a rule
            checked += 1
    assert checked >= 6
