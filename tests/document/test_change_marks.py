"""本次修订: what the newest revision lists under `changes` is marked in every handbook format,
on by default and switched off with --no-change-marks."""

from __future__ import annotations

import re
import zipfile

import pytest
from pypdf import PdfReader

from builder.document.resolve import resolve
from builder.errors import SourceErrors
from builder.sources.load import load_manual
from builder.writers.html import render_html_string


def body(html: str) -> str:
    """The page without its inline style sheets (which name the mark in CSS)."""
    return re.sub(r"<style.*?</style>", "", html, flags=re.S)


MARKED = {
    "org-structure-levels",
    "org-structure-hq",
    "org-duties-leadership",
    "plan-adjust-approve",
    "biz-sales-quote-content",
    "daily-meeting-minutes",
    "daily-meeting-supervision",
    "daily-training-feedback",
    "dm-retention",
    "bops-ops-checklist",
    "bops-biz-checklist",
    "gen-exec-custody",
    "hbu-purpose-drafting",
    "hbu-borrow-procedure",
    "hbu-borrow-period",
    "hbu-notice-checklist",
}


def marked_ids(document) -> set[str]:
    out = set()

    def clauses(cs):
        for c in cs:
            if c.changed:
                out.add(c.id)
            clauses(c.clauses)

    for s in document.walk_sections():
        if s.changed:
            out.add(s.id)
        clauses(s.clauses)
    return out


def test_newest_revision_lists_what_is_marked(manual):
    assert set(manual.revisions[-1].changes) == MARKED
    assert marked_ids(resolve(manual, "hq")) == MARKED
    assert marked_ids(resolve(manual, "hq", change_marks=False)) == set()


def test_unknown_id_in_changes_is_reported_with_its_line(src):
    path = src / "revisions.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("- plan-adjust-approve\n", "- plan-adjust-aprove\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceErrors) as info:
        load_manual(src)
    [problem] = [str(p) for p in info.value.problems]
    line = next(
        n
        for n, source_line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "plan-adjust-aprove" in source_line
    )
    assert f"revisions.yaml:{line}:7:" in problem
    assert "plan-adjust-aprove" in problem and "plan-adjust-approve" in problem  # did you mean


def test_html_marks_the_clause_and_the_section(manual):
    html = render_html_string(resolve(manual, "hq"))
    clause = re.search(
        r'<div class="clause level-\d changed" id="plan-adjust-approve">.*?</p>', html, re.S
    )
    assert clause and "本次修订" in clause.group(0)
    assert re.search(
        r'<h3 class="changed"><span class="num">\d+\.</span>高层管理团队</h3>',
        html,
    )
    assert "本版（1.3）新增或修改的章节和条款" in html
    plain = body(render_html_string(resolve(manual, "hq", change_marks=False)))
    assert "本次修订" not in plain and 'class="changed"' not in plain


def test_pdf_shows_the_mark_but_not_in_headers_or_bookmarks(built_hq):
    reader = PdfReader(built_hq / "handbook.pdf")
    pages = [p.extract_text() for p in reader.pages]
    approve = next(t for t in pages if "审核与审批" in t and "各级计划（包括月度计划）的调整" in t)
    assert re.search(r"审核与审批\s*本次修订", approve)
    section_pages = [t for t in pages if "高层管理团队" in t and "本次修订" in t]
    assert section_pages

    def titles(outline):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    found = list(titles(reader.outline))
    # the chapter holding the marked section is bookmarked, without the mark
    assert any("组织架构与职责" in t for t in found) and not any("本次修订" in t for t in found)


def test_docx_bar_and_tag(manual, tmp_path):
    from builder.writers.docx.handbook import render_docx

    path = tmp_path / "handbook.docx"
    render_docx(resolve(manual, "hq"), path)
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    paragraphs = re.findall(r"<w:p>.*?</w:p>", xml, re.S)
    approve = next(p for p in paragraphs if ">审核与审批<" in p)
    assert "<w:left " in approve and "A61B1B" in approve and ">本次修订<" in approve
    heading = next(p for p in paragraphs if ">高层管理团队<" in p and "Heading3" in p)
    assert (
        "<w:left " in heading and "本次修订" not in heading
    )  # the TOC copies headings: tag below it
    unmarked = next(p for p in paragraphs if ">调整后执行<" in p)
    assert "<w:pBdr>" not in unmarked and "本次修订" not in unmarked

    render_docx(resolve(manual, "hq", change_marks=False), path)
    assert "本次修订" not in zipfile.ZipFile(path).read("word/document.xml").decode()


def test_cli_switch(run, src):
    result = run("build", "--src", str(src), "-b", "wuhan", "-f", "html", "--no-change-marks", "-q")
    assert result.exit_code == 0, result.output
    html = body((src.parent / "output" / "wuhan" / "handbook.html").read_text(encoding="utf-8"))
    assert "本次修订" not in html
    result = run("build", "--src", str(src), "-b", "wuhan", "-f", "html", "-q")
    assert "本次修订" in (src.parent / "output" / "wuhan" / "handbook.html").read_text(
        encoding="utf-8"
    )
