"""The CJK fonts of our PDFs (builder/writers/pdf/fontpack.py): each embedded subset holds just
the glyphs the document shows, and every reader draws exactly what it drew before compaction."""

from __future__ import annotations

import io
import subprocess

import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from builder.document.resolve import resolve
from builder.writers.pdf import fontpack
from builder.writers.pdf.forms import render_form_pdf
from tests.tools import POPPLER, require

FORM = "expense-claim"  # two pages, tables, check boxes: every face the forms use


def _widths_cids(widths) -> set[int]:
    cids, i = set(), 0
    while i < len(widths):
        if isinstance(widths[i + 1], list):
            cids.update(range(widths[i], widths[i] + len(widths[i + 1])))
            i += 2
        else:
            cids.update(range(widths[i], widths[i + 1] + 1))
            i += 3
    return cids


def _fonts(path):
    """{font file: (its name, its /Subtype, the CIDs the /W of every CIDFont using it lists,
    the CIDs of the embedded CFF's charset)} of every CID-keyed font in the file."""
    reader = PdfReader(path)
    out = {}
    for number in range(1, len(reader.xref_objStm) + reader.trailer["/Size"]):
        try:
            font = reader.get_object(number)
        except Exception:  # numbers of free or compressed-away objects
            continue
        if not isinstance(font, dict) or font.get("/Subtype") != "/CIDFontType0":
            continue
        descriptor = font["/FontDescriptor"].get_object()
        if "/FontFile3" not in descriptor:  # the form fields' stand-in, not embedded
            continue
        ref = descriptor.raw_get("/FontFile3")
        if ref.idnum not in out:
            file3 = ref.get_object()
            data = file3.get_data()
            if data[:4] == b"OTTO":  # WeasyPrint's OpenType wrapper
                cff = TTFont(io.BytesIO(data))["CFF "].cff
            else:
                cff = CFFFontSet()
                cff.decompile(io.BytesIO(data), None)
            top = cff[cff.fontNames[0]]
            charset = {0 if g == ".notdef" else int(g[3:]) for g in top.charset}
            out[ref.idnum] = (str(font["/BaseFont"]), file3["/Subtype"], set(), charset)
        out[ref.idnum][2].update(_widths_cids(font["/W"]))
    return list(out.values())


@pytest.fixture(scope="module")
def pair(manual, tmp_path_factory):
    """The same form rendered with and without the compaction."""
    doc = resolve(manual, "hq")
    form = next(f for f in doc.forms if f.id == FORM)
    out = tmp_path_factory.mktemp("fonts")
    render_form_pdf(doc, form, out / "compact.pdf")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fontpack, "cff_subset", lambda *_: None)
        patch.setattr(fontpack, "CUT_ONCE", False)
        render_form_pdf(doc, form, out / "full.pdf")
    return out / "full.pdf", out / "compact.pdf"


def test_each_embedded_font_holds_exactly_the_glyphs_shown(pair):
    full, compact = pair
    fonts = _fonts(compact)
    assert len({name for name, *_ in fonts}) == 3  # sans, sans bold, serif
    for name, subtype, shown, charset in fonts:
        assert subtype == "/CIDFontType0C", name
        # each glyph keeps its CID, so the page's codes stay valid; HarfBuzz (6.0) adds the
        # variation-sequence alternates the cmap names for punctuation shown (、。，；: ≤ 1 each)
        assert shown | {0} <= charset, name
        assert len(charset - shown - {0}) <= 8, (name, sorted(charset - shown))
    # WeasyPrint's own subsets keep every glyph id up to the highest one used
    assert all(len(charset) > 10_000 for *_, charset in _fonts(full))
    assert compact.stat().st_size * 4 < full.stat().st_size


def test_poppler_draws_and_extracts_the_same(pair, tmp_path):
    pdftoppm, pdftotext = require("pdftoppm", POPPLER), require("pdftotext", POPPLER)
    full, compact = pair
    for label, path in (("full", full), ("compact", compact)):
        subprocess.run([pdftoppm, "-r", "80", "-png", path, tmp_path / label], check=True)
    pages = sorted(tmp_path.glob("full-*.png"))
    assert len(pages) == 2
    for page in pages:
        assert page.read_bytes() == (tmp_path / page.name.replace("full", "compact")).read_bytes()

    def text(path):
        return subprocess.run([pdftotext, "-layout", path, "-"], capture_output=True).stdout

    assert text(full) == text(compact) and "费用报销单".encode() in text(compact)


def test_pdfium_draws_the_same_glyphs(pair):
    import pypdfium2 as pdfium
    from PIL import ImageChops

    full, compact = (pdfium.PdfDocument(p) for p in pair)
    for index in range(len(full)):
        a = full[index].render(scale=2).to_pil().convert("L")
        b = compact[index].render(scale=2).to_pil().convert("L")
        histogram = ImageChops.difference(a, b).histogram()
        # the same outlines: at most anti-aliasing shades apart, never a glyph more or less
        assert sum(histogram[48:]) == 0, index
    assert "费用报销单" in compact[0].get_textpage().get_text_range()


# fontpack.one_subset: WeasyPrint cuts each CID-keyed CFF face once, not three times, and
# every PDF stays byte for byte what WeasyPrint's own subsetting made of it.
ONE_SUBSET = """
import json, sys
from pathlib import Path
from weasyprint.pdf import fonts
from builder.document.resolve import resolve
from builder.sources.load import load_manual
from builder.writers.pdf.forms import render_form_pdf
from builder.writers.pdf import fontpack
fontpack.CUT_ONCE = sys.argv[1] == "on"
calls = []
original = fonts.Font._harfbuzz_subset
def counted(self, to_unicode, hinting):
    calls.append(self.family)
    return original(self, to_unicode, hinting)
fonts.Font._harfbuzz_subset = counted  # WeasyPrint's own cut; one_subset wraps it
manual = load_manual(Path(sys.argv[2]))
out = Path(sys.argv[3])
for branch in ("hq", "hongkong"):
    doc = resolve(manual, branch)
    for form in doc.forms[:3]:
        render_form_pdf(doc, form, out / f"{branch}-{form.id}.pdf")
print(json.dumps(calls))
"""


def _cut(mode: str, out) -> list[str]:
    from tests.conftest import SRC
    from tests.tools import script_result

    out.mkdir()
    return script_result(ONE_SUBSET, mode, str(SRC), str(out))


def test_one_cut_per_face_gives_the_same_pdf_bytes(tmp_path):
    weasyprint_cuts = _cut("off", tmp_path / "off")
    ours_left = _cut("on", tmp_path / "on")
    files = sorted(p.name for p in (tmp_path / "off").glob("*.pdf"))
    assert len(files) == 6
    for name in files:
        assert (tmp_path / "on" / name).read_bytes() == (tmp_path / "off" / name).read_bytes()
    # WeasyPrint cut every Noto CJK face itself; with one_subset it cuts none of them (the
    # DejaVu face of the check boxes, TrueType, still goes through WeasyPrint's own cut).
    assert sum("CJK" in family for family in weasyprint_cuts) >= 6, weasyprint_cuts
    assert not [family for family in ours_left if "CJK" in family], ours_left
