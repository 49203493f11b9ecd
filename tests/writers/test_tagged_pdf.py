"""Tagged and archival PDFs (issue 19): every handbook and form PDF is tagged (poppler's pdfinfo
says so; qpdf, through pikepdf, reads the structure: headings, lists, tables, the contents as a
TOC), carries the branch's /Lang, and a handbook identifies itself as PDF/A-2b in XMP metadata
that agrees with its document information."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.tools import require

ROOTS = Path(__file__).resolve().parents[1] / "roots"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("tagged")
    src = work / "src"
    shutil.copytree(ROOTS / "law", src)
    env = {**os.environ, "HANDBOOK_SOURCE_REVISION": "test", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--src", str(src), "--out", str(work / "out")]
        + ["--branch", "hq", "--branch", "hongkong", "--format", "pdf", "-q"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return work / "out"


def _pdfinfo(path: Path) -> dict[str, str]:
    require("pdfinfo", "poppler-utils")
    text = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return dict(
        (k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in text.splitlines())
    )


def _structure(path: Path) -> tuple[Counter, list[tuple[str, tuple[str, ...]]]]:
    """The structure types of the PDF's tag tree, counted, and (type, ancestors) of each."""
    import pikepdf

    counts: Counter = Counter()
    found = []
    with pikepdf.open(path) as pdf:

        def walk(node, path):
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    walk(kid, path)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                kind = str(node.S)
                counts[kind] += 1
                found.append((kind, path))
                if "/K" in node:
                    walk(node.K, (*path, kind))

        walk(pdf.Root.StructTreeRoot.K, ())
    return counts, found


def _catalog(path: Path):
    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        xmp = root.Metadata.read_bytes().decode() if "/Metadata" in root else ""
        intents = [str(i.S) for i in root.get("/OutputIntents", [])]
        return str(root.get("/Lang", "")), xmp, intents, bool(root.MarkInfo.Marked)


def test_every_pdf_is_tagged_with_the_branchs_language(built):
    pdfs = sorted(built.rglob("*.pdf"))
    names = {p.relative_to(built).as_posix() for p in pdfs}
    assert {"hq/handbook.pdf", "hongkong/handbook.pdf", "hq/forms/leave.pdf"} <= names
    for pdf in pdfs:
        assert _pdfinfo(pdf)["Tagged"] == "yes", pdf
        lang, _, _, marked = _catalog(pdf)
        assert marked, pdf
        # hq is a mainland office; hongkong writes Traditional Chinese as used in Hong Kong
        assert lang == ("zh-HK" if pdf.relative_to(built).parts[0] == "hongkong" else "zh-CN")


def test_handbook_structure_has_headings_lists_tables_and_the_contents(built):
    counts, found = _structure(built / "hq/handbook.pdf")
    chapters = len(list((ROOTS / "law" / "chapters").glob("*.yaml")))
    assert counts["/H1"] >= chapters  # every 章 heading (and the appendix's)
    assert counts["/H2"] and counts["/P"] and counts["/Table"] and counts["/TD"]
    assert counts["/L"] and counts["/LI"]  # the 项 and lists of the clauses
    # The contents: a TOC whose items are TOCI, one per chapter at least, and whose links stay
    # links; no ordinary list items inside it.
    assert counts["/TOC"] >= 1 and counts["/TOCI"] >= chapters
    inside = [kind for kind, path in found if "/TOC" in path]
    assert "/Link" in inside
    assert not {"/L", "/LI", "/LBody"} & set(inside)


def test_handbook_is_pdf_a_2b_and_its_xmp_agrees_with_its_information(built):
    for branch in ("hq", "hongkong"):
        pdf = built / branch / "handbook.pdf"
        info = _pdfinfo(pdf)
        _, xmp, intents, _ = _catalog(pdf)
        assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="B"' in xmp
        assert intents == ["/GTS_PDFA1"]  # the sRGB output intent PDF/A asks for

        def rdf(name: str, xmp: str = xmp) -> str:
            match = re.search(rf"<{name}>(?:<rdf:\w+>)?<rdf:li[^>]*>([^<]*)</rdf:li>", xmp)
            assert match, name
            return match.group(1)

        assert rdf("dc:title") == info["Title"]
        assert rdf("dc:description") == info["Subject"]
        assert rdf("dc:creator") == info["Author"]
        assert re.search(r"<pdf:Keywords>([^<]*)</pdf:Keywords>", xmp).group(1) == info["Keywords"]
        effective = yaml.safe_load((ROOTS / "law" / "manual.yaml").read_text(encoding="utf-8"))
        day = str(effective["effective_date"])
        assert f"<xmp:CreateDate>{day}T00:00:00Z</xmp:CreateDate>" in xmp
        assert f"<xmp:ModifyDate>{day}T00:00:00Z</xmp:ModifyDate>" in xmp


def test_forms_are_tagged_fillable_and_small(built):
    for pdf in sorted(built.glob("*/forms/*.pdf")):
        counts, found = _structure(pdf)
        assert counts["/Form"] >= 1, pdf  # each field is a Form element of the tag tree
        assert counts["/Table"] >= 1 and counts["/TH"] >= 1
        assert pdf.stat().st_size <= 150 * 1024
