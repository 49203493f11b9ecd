"""The Word handbook as a branch receives it (issue 22): Word is never asked to update fields on
opening (no w:updateFields in any DOCX a build or a diff writes), and the contents shows page
numbers as delivered, each the page on which LibreOffice lays out that heading. The expected
pages come from LibreOffice's own PDF of the delivered file, read with pdftotext, never from
the builder's code."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import SRC

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"找不到 {tool}：请安装 Debian 软件包 {package}")
    return path


# -- reading a DOCX and LibreOffice's PDF of it -------------------------------------------------


def contents(docx: Path) -> list[tuple[str, str, str]]:
    """(entry text, bookmark it links to, the page number it shows) of every contents entry."""
    with zipfile.ZipFile(docx) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    entries = []
    for p in body.iter(w("p")):
        style = p.find("w:pPr/w:pStyle", NS)
        if style is None or not re.fullmatch(r"TOC\d", style.get(w("val"))):
            continue
        link = p.find("w:hyperlink", NS)
        assert link is not None, "a contents entry that is not a link"
        title, number, part = [], [], "title"
        for node in link.iter(w("t"), w("tab"), w("fldChar"), w("instrText")):
            if node.tag == w("tab"):
                part = "leader"
            elif node.tag == w("fldChar") and node.get(w("fldCharType")) == "separate":
                part = "number"
            elif node.tag == w("instrText"):
                assert node.text.split()[:2] == ["PAGEREF", link.get(w("anchor"))]
            elif node.tag == w("t"):
                (title if part == "title" else number).append(node.text or "")
        entries.append(("".join(title), link.get(w("anchor")), "".join(number)))
    return entries


def libreoffice_pages(docxs: list[Path], tmp: Path) -> list[list[str]]:
    """The text of each page of LibreOffice's PDF of each file (one soffice, a private profile)."""
    soffice = need("soffice", "libreoffice-writer-nogui")
    pdftotext = need("pdftotext", "poppler-utils")
    folder = tmp / "libreoffice"
    folder.mkdir()
    copies = []
    for index, docx in enumerate(docxs):
        copies.append(folder / f"check{index}.docx")
        shutil.copy(docx, copies[-1])
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *map(str, copies),
        ],
        check=True,
        capture_output=True,
        timeout=120 + 60 * len(copies),
    )
    texts = []
    for copy in copies:
        text = subprocess.run(
            [pdftotext, "-layout", str(copy.with_suffix(".pdf")), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        texts.append(text.split("\f"))
    return texts


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)  # \s covers the ideographic space of 附录　表单


def heading_pages(titles: list[str], pages: list[str]) -> list[int]:
    """The page (from 1) on which each title stands as a line of its own, searched in order
    after the contents pages (those with dot leaders), each from where the previous was."""
    leaders = [i for i, page in enumerate(pages) if re.search(r"\.{8,}", page)]
    assert leaders, "no contents page in LibreOffice's PDF"
    lines = [{squeeze(line) for line in page.splitlines()} for page in pages]
    found, start = [], leaders[-1] + 1
    for title in titles:
        page = next((i for i in range(start, len(pages)) if squeeze(title) in lines[i]), None)
        assert page is not None, f"heading {title!r} not found after page {start + 1}"
        found.append(page + 1)
        start = page
    return found


def assert_numbers_are_libreoffice_pages(docxs: list[Path], tmp: Path) -> list[list[tuple]]:
    """Every contents entry of each file shows the page LibreOffice lays its heading on."""
    found = []
    for docx, pages in zip(docxs, libreoffice_pages(docxs, tmp), strict=True):
        entries = contents(docx)
        assert entries, docx
        titles = [title for title, _, _ in entries]
        expected = heading_pages(titles, pages)
        shown = [(title, number) for title, _, number in entries]
        assert shown == [(t, str(page)) for t, page in zip(titles, expected, strict=True)], docx
        found.append(entries)
    return found


def handbook(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    import os
    import sys

    env = {**os.environ, "HANDBOOK_SOURCE_REVISION": "test", "PYTHONPATH": str(SRC.parent)}
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def revised(src: Path) -> Path:
    """A copy of `src` with one clause's text changed."""
    new = src.parent / "revised_src"
    shutil.copytree(src, new)
    chapter = new / "chapters" / "01-general.yaml"
    text = chapter.read_text(encoding="utf-8")
    assert "全体正式员工与试用期员工。" in text
    text = text.replace("全体正式员工与试用期员工。", "全体正式员工、试用期员工与实习生。")
    chapter.write_text(text, encoding="utf-8")
    return new


# -- no prompt on opening -------------------------------------------------------------------


def test_no_docx_of_a_build_or_a_diff_asks_word_to_update_fields(root, tmp_path):
    src = root("minimal")
    new = revised(src)
    handbook(
        "build",
        "--src",
        str(new),
        "--out",
        "out",
        "-q",
        "-f",
        "docx",
        "--compare",
        str(src),
        cwd=tmp_path,
    )
    handbook("diff", str(src), str(new), "--out", "changes", cwd=tmp_path)
    written = sorted(tmp_path.glob("out/**/*.docx")) + sorted(tmp_path.glob("changes/**/*.docx"))
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {
        "out/hq/handbook.docx",
        "out/xian/handbook.docx",
        "out/hq/forms/expense.docx",
        "out/hq/comparison.docx",
        "changes/hq/comparison.docx",
        "changes/hq/handbook-tracked.docx",
    } <= names
    for docx in written:
        with zipfile.ZipFile(docx) as package:
            for member in package.namelist():
                assert b"updateFields" not in package.read(member), f"{docx}: {member}"
    # and the tracked-changes handbook's contents has its page numbers, as the handbook's
    tracked = contents(tmp_path / "changes" / "hq" / "handbook-tracked.docx")
    assert tracked and all(number.isdigit() for _, _, number in tracked)


def test_a_reference_docx_asking_to_update_fields_does_not_pass_it_on(tmp_path):
    from builder.document.resolve import resolve
    from builder.sources.load import load_manual
    from builder.writers.docx.handbook import render_docx
    from tests.conftest import ROOT

    reference = tmp_path / "reference.docx"
    with (
        zipfile.ZipFile(ROOT / "templates" / "reference.docx") as source,
        zipfile.ZipFile(reference, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/settings.xml":
                data = re.sub(rb"(<w:settings[^>]*>)", rb'\1<w:updateFields w:val="true"/>', data)
                assert b"updateFields" in data
            target.writestr(item, data)
    document = resolve(load_manual(ROOT / "tests" / "roots" / "minimal"), "hq")
    render_docx(document, tmp_path / "handbook.docx", reference)
    with zipfile.ZipFile(tmp_path / "handbook.docx") as package:
        assert b"updateFields" not in package.read("word/settings.xml")


# -- the contents' page numbers ---------------------------------------------------------------


def test_every_branch_contents_shows_the_pages_libreoffice_lays_its_headings_on(root, tmp_path):
    src = root("minimal")
    handbook("build", "--src", str(src), "--out", "out", "-q", "-f", "docx", cwd=tmp_path)
    docxs = [tmp_path / "out" / branch / "handbook.docx" for branch in ("hq", "xian")]
    for entries in assert_numbers_are_libreoffice_pages(docxs, tmp_path):
        assert [title for title, _, _ in entries][:2] == ["一、总则", "（一）适用范围"]


@pytest.mark.slow
def test_the_bundled_manuals_contents_show_libreoffice_pages_in_every_branch(tmp_path):
    """The bundled manual's six branches: 130-page handbooks, some hundred entries each over
    several contents pages."""
    handbook("build", "--src", str(SRC), "--out", "out", "-q", "-f", "docx", cwd=tmp_path)
    docxs = sorted((tmp_path / "out").glob("*/handbook.docx"))
    assert len(docxs) == 6
    for entries in assert_numbers_are_libreoffice_pages(docxs, tmp_path):
        assert len(entries) > 60 and len({number for _, _, number in entries}) > 30


# -- without LibreOffice ----------------------------------------------------------------------


def test_without_libreoffice_links_without_numbers_a_warning_and_a_rebuild_once_installed(
    root, tmp_path
):
    src = root("minimal")
    bare = tmp_path / "bin"  # a PATH without soffice
    bare.mkdir()
    built = handbook(
        "build",
        "--src",
        str(src),
        "--out",
        "out",
        "-f",
        "docx",
        "-f",
        "html",
        cwd=tmp_path,
        path=str(bare),
    )
    warning = (
        "未找到 LibreOffice（soffice）：Word 手册（handbook.docx）的目录有链接但没有页码，"
        "打开时不会有提示。"
    )
    assert built.stderr.count(warning) == 1, built.stderr
    assert "libreoffice-writer-nogui" in built.stderr
    for branch in ("hq", "xian"):
        docx = tmp_path / "out" / branch / "handbook.docx"
        entries = contents(docx)
        assert entries and all(bookmark and number == "" for _, bookmark, number in entries)
        with zipfile.ZipFile(docx) as package:
            assert b"updateFields" not in package.read("word/settings.xml")

    # LibreOffice installed since: those two files, and only those, are made again, numbered
    need("soffice", "libreoffice-writer-nogui")
    again = handbook(
        "build", "--src", str(src), "--out", "out", "-f", "docx", "-f", "html", cwd=tmp_path
    )
    assert "重新生成 2 个文件" in again.stdout and "未找到 LibreOffice" not in again.stderr
    for branch in ("hq", "xian"):
        entries = contents(tmp_path / "out" / branch / "handbook.docx")
        assert all(number.isdigit() for _, _, number in entries)


def test_a_libreoffice_that_fails_leaves_no_numbers_a_warning_and_a_retry(root, tmp_path):
    src = root("minimal")
    bad = tmp_path / "bin"  # a soffice that fails, alone on the PATH
    bad.mkdir()
    (bad / "soffice").write_text("#!/bin/sh\necho 'simulated failure' >&2\nexit 3\n")
    (bad / "soffice").chmod(0o755)
    for attempt in range(2):
        built = handbook(
            "build",
            "--src",
            str(src),
            "--out",
            "out",
            "-q",
            "-f",
            "docx",
            cwd=tmp_path,
            path=str(bad),
        )
        # made again by every build: a file LibreOffice could not paginate keeps no cache key
        assert ("重新生成 2 个文件，2 个未变" if attempt else "重新生成 7 个文件") in built.stdout
        for branch in ("hq", "xian"):
            assert (
                f"{branch}/handbook.docx 的目录未能填入页码"
                "（LibreOffice 退出码 3：simulated failure），下次构建时重试"
            ) in built.stderr
            entries = contents(tmp_path / "out" / branch / "handbook.docx")
            assert entries and all(number == "" for _, _, number in entries)
