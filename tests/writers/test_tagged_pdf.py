"""Tagged and archival PDFs (issue 19): every handbook and form PDF is tagged (poppler's pdfinfo
says so; qpdf, through pikepdf, reads the structure: headings, lists, tables, the contents as a
TOC), carries the branch's /Lang, and a handbook identifies itself as PDF/A-2b in XMP metadata
that agrees with its document information."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import handbook_process
from tests.tools import require

ROOTS = Path(__file__).resolve().parents[1] / "roots"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("tagged")
    src = work / "src"
    shutil.copytree(ROOTS / "law", src)
    done = handbook_process(
        *("build", "--src", str(src), "--out", str(work / "out"), "--format", "pdf", "-q"),
        *("--branch", "hq", "--branch", "hongkong"),
        cwd=work,
        HANDBOOK_SOURCE_REVISION="test",
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
    require("qpdf", "qpdf")
    for pdf in pdfs:
        assert _pdfinfo(pdf)["Tagged"] == "yes", pdf
        # the tag tree is rewritten before the file is written: qpdf finds the file sound
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
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


def _parent_tree(pdf) -> dict[int, object]:
    """The structure parent tree's number tree, flattened (key → value)."""
    found = {}

    def walk(node):
        nums = node.get("/Nums")
        if nums is not None:
            for i in range(0, len(nums), 2):
                found[int(nums[i])] = nums[i + 1]
        for kid in node.get("/Kids", []):
            walk(kid)

    walk(pdf.Root.StructTreeRoot.ParentTree)
    return found


def _kids(element) -> list:
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def test_every_widget_and_text_run_leads_to_its_element(built):
    """What a screen reader does: from a form field (its /StructParent) or a run of text on a
    page (its marked-content id) to the structure element through the parent tree. Each lands
    on an element that holds it: a Form element with the widget's object reference, an element
    with the marked content."""
    import pikepdf

    for path in (built / "hq/forms/leave.pdf", built / "hq/handbook.pdf"):
        with pikepdf.open(path) as pdf:
            tree = _parent_tree(pdf)
            widgets = 0
            for number, page in enumerate(pdf.pages):
                for annot in page.get("/Annots", []):
                    if annot.get("/Subtype") != "/Widget" and annot.get("/Subtype") != "/Link":
                        continue
                    element = tree[int(annot.StructParent)]
                    refs = [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary)]
                    assert any(
                        k.get("/Type") == "/OBJR" and k.Obj.objgen == annot.objgen for k in refs
                    )
                    if annot.Subtype == "/Widget":
                        assert element.S == "/Form"
                        widgets += 1
                mcids = tree[int(page.StructParents)]
                for mcid, element in enumerate(mcids):
                    if isinstance(element, pikepdf.Dictionary):
                        assert mcid in [int(k) for k in _kids(element) if isinstance(k, int)], (
                            path.name,
                            number,
                            mcid,
                        )
            if path.name == "leave.pdf":
                assert widgets > 0
