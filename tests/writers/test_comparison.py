"""The 修订对照表 (revision comparison table), DOCX and PDF, for the scripted second revision of the
bundled manual (tests/revise.py): what a document controller sees on the page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from tests.conftest import SRC
from tests.revise import EXPECTED, revise
from tests.tools import POPPLER, QPDF, pdf_layout_text, require

BRANCH = "hq"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The ChangeSet of the revision, and its table rendered twice in each format."""
    from builder.document.changes import compare
    from builder.document.resolve import resolve
    from builder.sources.load import load_manual
    from builder.writers.docx.comparison import render_comparison_docx
    from builder.writers.pdf.comparison import render_comparison_pdf

    tmp = tmp_path_factory.mktemp("comparison")
    revised = tmp / "manual_src"
    shutil.copytree(SRC, revised)
    revise(revised)
    old = resolve(load_manual(SRC), BRANCH)
    new = resolve(load_manual(revised), BRANCH)
    changes = compare(old, new, old_name="v1.2", new_name="工作副本", old_revision="0123456789ab")
    same = compare(old, old, old_name="v1.2", new_name="v1.2")
    files = {}
    for name, changeset in (("changes", changes), ("same", same)):
        for run in (1, 2):
            files[name, "pdf", run] = tmp / f"{name}-{run}.pdf"
            files[name, "docx", run] = tmp / f"{name}-{run}.docx"
            render_comparison_pdf(changeset, files[name, "pdf", run])
            render_comparison_docx(changeset, files[name, "docx", run])
    return changes, files


def pdf_lines(pdf: Path) -> list[str]:
    """The PDF's text as laid out, one string per printed line, spaces removed."""
    return ["".join(line.split()) for line in pdf_layout_text(pdf).splitlines()]


def printed(lines: list[str], text: str) -> bool:
    return any("".join(text.split()) in line for line in lines)


DPI = 144
RED = (0xB3, 0x26, 0x1E)  # deleted words (templates/comparison.css)
BLUE = (0x0B, 0x4F, 0xA8)  # inserted words


def word_boxes(pdf: Path, word: str) -> list[tuple[float, float, float, float]]:
    """The boxes (points from the top left: x1, y1, x2, y2) of page 1's printed words `word`."""
    pdftotext = require("pdftotext", POPPLER)
    page = subprocess.run(
        [pdftotext, "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    n = r'"([\d.]+)"'
    found = re.findall(rf"<word xMin={n} yMin={n} xMax={n} yMax={n}>([^<]*)</word>", page)
    return [tuple(float(v) for v in f[:4]) for f in found if f[4] == word]


def pixels(pdf: Path, box) -> list[list[tuple[int, int, int]]]:
    """Page 1 rendered in colour inside `box` (grown by 3 pt below, where an underline sits):
    rows of (r, g, b)."""
    scale = DPI / 72
    x1, y1, x2, y2 = box[0] * scale, box[1] * scale, box[2] * scale, (box[3] + 3) * scale
    crop = [str(round(v)) for v in (x1, y1, x2 - x1, y2 - y1)]
    pdftoppm = require("pdftoppm", POPPLER)
    ppm = subprocess.run(
        [
            pdftoppm,
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            str(DPI),
            "-x",
            crop[0],
            "-y",
            crop[1],
            "-W",
            crop[2],
            "-H",
            crop[3],
            str(pdf),
        ],
        capture_output=True,
        check=True,
    ).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    width, height = int(header[1]), int(header[2])
    data = ppm[header.end() :]
    return [
        [tuple(data[(y * width + x) * 3 : (y * width + x) * 3 + 3]) for x in range(width)]
        for y in range(height)
    ]


def marked(pdf: Path, box, colour: tuple[int, int, int], how: str) -> bool:
    """Whether a line of `colour` runs across (nearly) the whole width of the word in `box`:
    through its middle ("strike") or below its middle ("underline")."""
    rows = pixels(pdf, box)
    glyphs = round((box[3] - box[1]) * DPI / 72)  # the rows of the word itself
    middle = range(glyphs // 3, 2 * glyphs // 3 + 1)
    below = range(2 * glyphs // 3 + 1, len(rows))
    for y in middle if how == "strike" else below:
        near = sum(1 for p in rows[y] if all(abs(a - b) <= 60 for a, b in zip(p, colour)))
        if near >= 0.8 * len(rows[y]):
            return True
    return False


def docx_runs(path: Path) -> list:
    return list(docx.Document(str(path)).element.body.iter(qn("w:r")))


def run_text(run) -> str:
    return "".join(t.text or "" for t in run.iter(qn("w:t")))


def changes_table(path: Path):
    tables = [t for t in docx.Document(str(path)).tables if t.rows[0].cells[0].text == "序号"]
    assert len(tables) == 1
    return tables[0]


# -- the rows both formats render --------------------------------------------------------------


def test_one_row_per_change_with_the_changed_words_marked(made):
    from builder.document.changes import DELETE, INSERT, NOTE, comparison_rows

    changes, _ = made
    rows = comparison_rows(changes)
    assert {(r.action, r.id) for r in rows} == EXPECTED
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    by_id = {r.id: r for r in rows}

    opening = by_id["daily-meeting-opening"]
    assert opening.change == "修改 条款"
    assert [s.text for p in opening.old for op, s in p if op == DELETE] == ["90"]
    assert [s.text for p in opening.new for op, s in p if op == INSERT] == ["60"]
    assert opening.label_note.startswith("原编号 ")  # renumbered as well: the old number is shown

    added = by_id["daily-approval-precheck"]
    assert added.old == (((NOTE, added.old[0][0][1]),),) and added.old[0][0][1].text == "（无）"
    assert all(op == INSERT for p in added.new for op, _ in p)

    removed = by_id["daily-meeting-efficiency"]
    assert all(op == DELETE for p in removed.old for op, _ in p)
    assert removed.new[0][0][1].text == "（无）"

    moved = by_id["daily-meeting-types"]
    assert moved.label.startswith("原 ") and " → 现 " in moved.label
    assert not any(op in (DELETE, INSERT) for p in moved.old + moved.new for op, _ in p)
    assert "位置调整" in moved.new[-1][0][1].text


# -- PDF -----------------------------------------------------------------------------------------


def test_the_pdf_shows_every_change_with_old_and_new_text(made):
    from builder.document.changes import comparison_rows

    changes, files = made
    lines = pdf_lines(files["changes", "pdf", 1])
    assert printed(lines, "运营管理手册修订对照表")
    assert printed(lines, "共 5 处：新增 2、删除 1、移动 1、修改 1")
    for row in comparison_rows(changes):
        for line in row.label_lines:
            assert printed(lines, line), line
    for text in (
        "90 分钟",
        "60 分钟",
        "形式审查",
        "会议效率",
        "会议分类与组织",
        "抄送",
        "原条文",
        "修订后条文",
        "HC-YY-MAN-001",
        changes.new.branch.name,
        "受控文件",
        "第 1 页 / 共 1 页",
    ):
        assert printed(lines, text), text


def test_the_pdf_marks_deletions_and_insertions_and_carries_its_metadata(made):
    from pypdf import PdfReader

    changes, files = made
    pdf = files["changes", "pdf", 1]
    deleted, inserted = word_boxes(pdf, "90"), word_boxes(pdf, "60")
    assert deleted and inserted
    # the deleted 90 is struck through in red, the inserted 60 underlined in blue; not the reverse
    assert any(marked(pdf, box, RED, "strike") for box in deleted)
    assert any(marked(pdf, box, BLUE, "underline") for box in inserted)
    for colour in (RED, BLUE):
        assert not any(marked(pdf, box, colour, "strike") for box in inserted)
        assert not any(marked(pdf, box, colour, "underline") for box in deleted)
    info = PdfReader(files["changes", "pdf", 1]).metadata
    assert info.title.startswith("运营管理手册修订对照表")
    assert info["/version"] == changes.new.meta.version
    assert info["/documentnumber"] == "HC-YY-MAN-001"
    assert info["/CreationDate"].startswith("D:20270101")


def test_the_pdf_is_reproducible_and_well_formed(made):
    _, files = made
    assert files["changes", "pdf", 1].read_bytes() == files["changes", "pdf", 2].read_bytes()
    result = subprocess.run(
        [require("qpdf", QPDF), "--check", str(files["changes", "pdf", 1])],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pdf_says_so_when_nothing_changed(made):
    _, files = made
    lines = pdf_lines(files["same", "pdf", 1])
    assert printed(lines, "两个版本内容一致")
    assert printed(lines, "共 0 处")


def test_the_pdf_embeds_only_cjk_fonts(made):
    _, files = made
    listing = subprocess.run(
        [require("pdffonts", POPPLER), str(files["changes", "pdf", 1])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    assert listing and all(
        "Noto" in line and "CJK-SC" in line and " yes yes " in line for line in listing
    ), listing


# -- DOCX ----------------------------------------------------------------------------------------


def test_the_docx_table_repeats_its_header_row_on_every_page(made):
    _, files = made
    table = changes_table(files["changes", "docx", 1])
    assert [c.text for c in table.rows[0].cells] == ["序号", "条款", "变更", "原条文", "修订后条文"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert len(table.rows) == 1 + len(EXPECTED)
    texts = ["\n".join(c.text for c in row.cells) for row in table.rows[1:]]
    for needle in ("形式审查", "会议效率", "会议分类与组织", "抄送", "七（一）2.（1）“开场引导”"):
        assert any(needle in t for t in texts), needle


def test_the_docx_strikes_deleted_words_and_underlines_inserted_ones(made):
    _, files = made
    runs = docx_runs(files["changes", "docx", 1])
    struck = [run_text(r) for r in runs if r.find(f"{qn('w:rPr')}/{qn('w:strike')}") is not None]
    underlined = [run_text(r) for r in runs if r.find(f"{qn('w:rPr')}/{qn('w:u')}") is not None]
    assert any("90" in t for t in struck), struck
    assert any("60" in t for t in underlined), underlined
    assert not any("60" in t for t in struck) and not any("90" in t for t in underlined)


def test_the_docx_is_landscape_dated_by_the_manual_and_reproducible(made):
    changes, files = made
    document = docx.Document(str(files["changes", "docx", 1]))
    section = document.sections[0]
    assert section.page_width > section.page_height
    props = document.core_properties
    assert props.title == "运营管理手册修订对照表"
    assert props.created.date() == changes.new.meta.effective_date
    footer = "".join(t.text or "" for t in section.footer._element.iter(qn("w:t")))
    assert "受控文件" in footer and "版本" in footer
    assert files["changes", "docx", 1].read_bytes() == files["changes", "docx", 2].read_bytes()


def test_the_docx_says_so_when_nothing_changed(made):
    _, files = made
    table = changes_table(files["same", "docx", 1])
    assert "两个版本内容一致" in table.rows[1].cells[0].text
    assert files["same", "docx", 1].read_bytes() == files["same", "docx", 2].read_bytes()
