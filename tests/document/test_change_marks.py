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


MARKED = {"info-reimb-deadline", "info-security", "branch-ops", "handbook-use"}


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
    path.write_text(text.replace("info-reimb-deadline,", "info-reimb-dedline,"), encoding="utf-8")
    with pytest.raises(SourceErrors) as info:
        load_manual(src)
    [problem] = [str(p) for p in info.value.problems]
    line = next(
        n
        for n, source_line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "info-reimb-dedline" in source_line
    )
    assert f"revisions.yaml:{line}:13:" in problem
    assert "info-reimb-dedline" in problem and "info-reimb-deadline" in problem  # did you mean


def test_html_marks_the_clause_and_the_section(manual):
    html = render_html_string(resolve(manual, "hq"))
    clause = re.search(
        r'<div class="clause level-\d changed" id="info-reimb-deadline">.*?</p>', html, re.S
    )
    assert clause and "本次修订" in clause.group(0)
    assert re.search(
        r'<h2 class="changed"><span class="num">（[一二三四五六七八九十]+）</span>信息安全</h2>',
        html,
    )
    assert "本版（1.2）新增或修改的章节和条款" in html
    plain = body(render_html_string(resolve(manual, "hq", change_marks=False)))
    assert "本次修订" not in plain and 'class="changed"' not in plain


def test_pdf_shows_the_mark_but_not_in_headers_or_bookmarks(built_hq):
    reader = PdfReader(built_hq / "handbook.pdf")
    pages = [p.extract_text() for p in reader.pages]
    reimburse = next(t for t in pages if "报销时限" in t and "费用报销应在费用发生之日起" in t)
    assert re.search(r"报销时限\s*本次修订", reimburse)
    chapter_pages = [t for t in pages if "办事处营运" in t and "本次修订" in t]
    assert chapter_pages
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert any("办事处营运" in t for t in titles) and not any("本次修订" in t for t in titles)


def test_docx_bar_and_tag(manual, tmp_path):
    from builder.writers.docx.handbook import render_docx

    path = tmp_path / "handbook.docx"
    render_docx(resolve(manual, "hq"), path)
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    paragraphs = re.findall(r"<w:p>.*?</w:p>", xml, re.S)
    reimburse = next(p for p in paragraphs if ">报销时限<" in p)
    assert "<w:left " in reimburse and "A61B1B" in reimburse and ">本次修订<" in reimburse
    heading = next(p for p in paragraphs if ">信息安全<" in p and "Heading2" in p)
    assert (
        "<w:left " in heading and "本次修订" not in heading
    )  # the TOC copies headings: tag below it
    unmarked = next(p for p in paragraphs if ">填写报销单<" in p)
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
