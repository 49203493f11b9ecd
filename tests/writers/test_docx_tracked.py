"""The tracked-changes handbook (builder.writers.docx.tracked): the new version of the bundled
manual with the five changes of tests/revise.py as Word revisions, and nothing else marked."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from builder.document.changes import compare
from builder.document.model import Clause, Section, plain
from builder.document.resolve import resolve
from builder.sources.load import load_manual
from builder.writers.docx.handbook import render_docx
from builder.writers.docx.tracked import render_tracked_docx
from tests.revise import revise
from tests.tools import POPPLER, WRITER, require

ROOT = Path(__file__).resolve().parents[2]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """(old, new, changeset): the bundled manual and its scripted revision, head office."""
    src = tmp_path_factory.mktemp("revised") / "manual_src"
    shutil.copytree(ROOT / "manual_src", src)
    revise(src)
    old, new = resolve(load_manual(ROOT / "manual_src"), "hq"), resolve(load_manual(src), "hq")
    return old, new, compare(old, new)


@pytest.fixture(scope="module")
def tracked_path(versions, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tracked") / "handbook-tracked.docx"
    render_tracked_docx(versions[2], path)
    return path


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


@pytest.fixture(scope="module")
def body(tracked_path):
    return part(tracked_path, "word/document.xml").find("w:body", NS)


# -- reading the marks ------------------------------------------------------------------------


def text_of(p) -> str:
    """A paragraph's text, deleted text included; tabs as \\t."""
    out = []
    for node in p.iter(w("t"), w("delText"), w("tab")):
        if node.tag == w("tab"):
            if node.getparent().tag == w("r"):
                out.append("\t")
        else:
            out.append(node.text or "")
    return "".join(out)


def mark_of(p) -> str | None:
    """'ins' / 'del' if the paragraph mark is tracked."""
    for kind in ("ins", "del"):
        if p.find(f"w:pPr/w:rPr/w:{kind}", NS) is not None:
            return kind
    return None


def run_marks(p) -> list[tuple[str, str]]:
    return [
        (m.tag.split("}")[1], "".join(m.xpath(".//w:t/text()|.//w:delText/text()", namespaces=NS)))
        for m in p.iter(w("ins"), w("del"))
        if m.getparent().tag != w("rPr")
    ]


def paragraph(body, start: str, mark: str | None = "any"):
    found = [
        p
        for p in body.iter(w("p"))
        if text_of(p).lstrip("0123456789.（）()\t").startswith(start)
        and (mark == "any" or mark_of(p) == mark)
    ]
    assert found, start
    return found[0]


def num_pr(p) -> tuple[str, str] | None:
    numPr = p.find("w:pPr/w:numPr", NS)
    if numPr is None:
        return None
    return numPr.find("w:numId", NS).get(w("val")), numPr.find("w:ilvl", NS).get(w("val"))


# -- the five changes -------------------------------------------------------------------------


def test_changed_clause_marks_only_the_changed_words(body):
    p = paragraph(body, "开场引导：")
    assert mark_of(p) is None and num_pr(p) is not None
    assert run_marks(p) == [("del", "90"), ("ins", "60")]
    deleted = p.find("w:del/w:r/w:delText", NS)
    assert deleted.text == "90" and p.find("w:del//w:t", NS) is None
    assert "原则上不超过 9060 分钟" in text_of(p)


def test_added_clause_is_inserted_with_its_paragraph_mark_and_numbered_as_new(body):
    p = paragraph(body, "形式审查：")
    assert mark_of(p) == "ins"
    assert [kind for kind, _ in run_marks(p)] == ["ins"]
    assert all(r.getparent().tag == w("ins") for r in p.iter(w("r")))
    assert num_pr(p) is not None and num_pr(p)[1] == "3"  # 七（四）2.（1）
    following = paragraph(body, "审批层级与时限：")  # now （2）: same list, same level, no mark
    assert (
        num_pr(following) == num_pr(p) and mark_of(following) is None and not run_marks(following)
    )


def test_removed_clause_is_deleted_with_its_mark_and_its_old_number_as_text(body):
    p = paragraph(body, "会议效率：")
    assert mark_of(p) == "del"
    assert num_pr(p) is None  # deleted paragraphs take no part in Word's numbering
    assert text_of(p).startswith("（3）\t会议效率：")
    assert all(r.getparent().tag == w("del") for r in p.iter(w("r")))
    assert p.find(".//w:t", NS) is None


def test_moved_section_is_deleted_at_its_old_place_and_inserted_at_its_new(body):
    paragraphs = list(body.iter(w("p")))
    titles = [
        p
        for p in paragraphs
        if text_of(p).endswith("会议分类与组织")
        and not p.find("w:pPr/w:pStyle", NS).get(w("val")).startswith("TOC")
    ]
    assert [mark_of(p) for p in titles] == ["del", "ins"]
    old, new = titles
    assert text_of(old) == "1.\t会议分类与组织" and num_pr(old) is None
    assert text_of(new) == "会议分类与组织" and num_pr(new)[1] == "2"
    order = [text_of(p) for p in paragraphs]
    # Old place: first in 会议管理, before 会前准备; new place: after the last clause of 项目跟进.
    before = next(i for i, t in enumerate(order) if t == "会前准备")
    assert paragraphs.index(old) < before
    release = next(i for i, t in enumerate(order) if t.startswith("资源释放："))
    assert paragraphs.index(new) > release
    # The section's table moves with it: its rows deleted there, inserted here.
    assert len(body.findall(".//w:trPr/w:del", NS)) == 5  # header + 4 rows


def test_new_form_field_row_is_inserted(body):
    cell = paragraph(body, "抄送")
    row = next(cell.iterancestors(w("tr")))
    assert row.find("w:trPr/w:ins", NS) is not None
    assert run_marks(cell) == [("ins", "抄送")] and mark_of(cell) == "ins"
    for p in row.iter(w("p")):
        assert mark_of(p) == "ins"


def test_nothing_else_is_marked(body, versions):
    old, new, _ = versions
    old_types = next(s for s in old.walk_sections() if s.id == "daily-meeting-types")
    new_types = next(s for s in new.walk_sections() if s.id == "daily-meeting-types")
    precheck = next(
        c for s in new.walk_sections() for c in s.clauses if c.id == "daily-approval-precheck"
    )

    def lines(section: Section, numbered: bool) -> list[str]:
        def label(number) -> str:
            return f"{number.label}\t" if numbered else ""

        out = [label(section.number) + section.title]
        for clause in section.clauses:
            out.append(label(clause.number) + clause_text(clause))
            if clause.table is not None:
                out += [
                    *clause.table.columns,
                    *(plain(cell) for row in clause.table.rows for cell in row),
                ]
        return out

    def clause_text(clause: Clause) -> str:
        return f"{clause.title}：{plain(clause.text[0])}"

    deleted, inserted, inline = [], [], []
    for p in body.iter(w("p")):
        text = text_of(p)
        if mark_of(p) == "del":
            assert all(kind == "del" for kind, _ in run_marks(p))
            if text:
                deleted.append(text)
        elif mark_of(p) == "ins":
            assert all(kind == "ins" for kind, _ in run_marks(p))
            if text:
                inserted.append(text)
        elif run_marks(p):
            inline.append(run_marks(p))
    assert deleted == lines(old_types, numbered=True)
    assert inserted == [*lines(new_types, numbered=False), clause_text(precheck), "抄送"]
    assert inline == [[("del", "90"), ("ins", "60")]]
    assert len(body.findall(".//w:trPr/w:ins", NS)) == 5 + 1  # the moved table, the 抄送 row
    assert len(body.findall(".//w:trPr/w:del", NS)) == 5


def test_marks_are_signed_dated_and_numbered_once(body, tracked_path, versions):
    new = versions[1]
    marks = list(body.iter(w("ins"), w("del")))
    assert marks
    ids = [int(m.get(w("id"))) for m in marks]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    bookmark_ids = {int(b.get(w("id"))) for b in body.iter(w("bookmarkStart"))}
    assert not bookmark_ids & set(ids)
    assert {m.get(w("author")) for m in marks} == {new.meta.issuer}
    assert {m.get(w("date")) for m in marks} == {f"{new.meta.effective_date.isoformat()}T00:00:00Z"}
    # Marks only: Word is not told to record the reader's own edits.
    assert part(tracked_path, "word/settings.xml").find("w:trackRevisions", NS) is None


# -- accepting and rejecting everything -------------------------------------------------------


def resolved(root, accept: bool) -> list[tuple[str, tuple | None, str, bool]]:
    """Every paragraph as Word would leave it after accepting (or rejecting) all revisions:
    (style, numbering, text with each link as <anchor>, whether its deleted mark was rejected)."""
    root = copy.deepcopy(root)
    gone, kept = ("del", "ins") if accept else ("ins", "del")
    for tr in list(root.iter(w("tr"))):
        if tr.find(f"w:trPr/w:{gone}", NS) is not None:
            tr.getparent().remove(tr)
    out = []
    for p in list(root.iter(w("p"))):
        mark = mark_of(p)
        for m in list(p.iter(w(gone))):
            if m.getparent().tag != w("rPr"):
                m.getparent().remove(m)
        for m in list(p.iter(w(kept))):
            if m.getparent().tag != w("rPr"):
                for child in list(m):
                    m.addprevious(child)
                m.getparent().remove(m)
        for t in p.iter(w("delText")):
            t.tag = w("t")
        parts = []
        for child in p.iter(w("t"), w("tab"), w("hyperlink")):
            if child.tag == w("hyperlink"):
                if child.find(".//w:t", NS) is not None:
                    parts.append(f"<{child.get(w('anchor'))}>")
            elif next(child.iterancestors(w("hyperlink")), None) is not None:
                continue
            elif child.tag == w("t"):
                parts.append(child.text or "")
            elif child.getparent().tag == w("r"):
                parts.append("\t")
        text = "".join(parts)
        if mark == gone:
            assert text == "", text  # a whole paragraph goes, never half of one
            continue
        style = p.find("w:pPr/w:pStyle", NS)
        out.append(
            (style.get(w("val")) if style is not None else "", num_pr(p), text, mark == "del")
        )
    return out


@pytest.fixture(scope="module")
def plain_versions(versions, tmp_path_factory):
    """The old and the new version rendered by the ordinary handbook writer."""
    out = tmp_path_factory.mktemp("plain")
    render_docx(versions[0], out / "old.docx")
    render_docx(versions[1], out / "new.docx")
    return out / "old.docx", out / "new.docx"


def test_accepting_all_gives_the_new_version_numbered_as_it(body, tracked_path, plain_versions):
    new_body = part(plain_versions[1], "word/document.xml").find("w:body", NS)
    assert resolved(body, accept=True) == resolved(new_body, accept=True)
    # Same list instances too, so Word counts the surviving paragraphs exactly as the new version.
    assert etree.tostring(part(tracked_path, "word/numbering.xml")) == etree.tostring(
        part(plain_versions[1], "word/numbering.xml")
    )


_LITERAL_NUMBER = re.compile(
    r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.\t|（\d+）\t|[①-⑳]\t)"
)


def test_rejecting_all_gives_the_old_text(body, plain_versions):
    def comparable(rows, literal_numbers: bool):
        return [
            (style, _LITERAL_NUMBER.sub("", text) if restored and literal_numbers else text)
            for style, _, text, restored in rows
            if not style.startswith("TOC")
        ]  # the TOC is the new one

    old_body = part(plain_versions[0], "word/document.xml").find("w:body", NS)
    assert comparable(resolved(body, accept=False), True) == comparable(
        resolved(old_body, accept=False), False
    )


def test_rendering_twice_gives_identical_bytes(versions, tracked_path, tmp_path):
    again = tmp_path / "again.docx"
    render_tracked_docx(versions[2], again)
    assert again.read_bytes() == tracked_path.read_bytes()


# -- LibreOffice ------------------------------------------------------------------------------


@pytest.mark.slow
def test_libreoffice_reads_the_marks_as_tracked_changes(tracked_path, tmp_path):
    soffice, pdftotext = require("soffice", WRITER), require("pdftotext", POPPLER)

    def convert(target: str) -> Path:
        profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"
        subprocess.run(
            [
                soffice,
                profile,
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(tracked_path),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        return tmp_path / f"{tracked_path.stem}.{target}"

    # The PDF shows the revisions: the deleted 90 (struck through) beside the inserted 60.
    text = subprocess.run(
        [pdftotext, str(convert("pdf")), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"不超过\s*90\s*60\s*分钟", text)
    assert "会议效率" in text and "形式审查" in text

    # Saved as ODF, they are LibreOffice's own tracked changes (text:tracked-changes).
    with zipfile.ZipFile(convert("odt")) as odt:
        content = etree.fromstring(odt.read("content.xml"))
    ns = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
    regions = content.findall(".//text:tracked-changes/text:changed-region", ns)
    deletions = [r for r in regions if r.find("text:deletion", ns) is not None]
    insertions = [r for r in regions if r.find("text:insertion", ns) is not None]
    assert deletions and insertions
    assert any("".join(r.itertext()).strip().endswith("90") for r in deletions)
    assert any("会议效率" in "".join(r.itertext()) for r in deletions)
