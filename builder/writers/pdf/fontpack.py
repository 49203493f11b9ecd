"""Compact CJK font subsets: a one-page form embeds kilobytes of font, not half a megabyte.

WeasyPrint subsets each font with HarfBuzz but keeps every glyph id up to the highest one used
(HB_SUBSET_FLAGS_RETAIN_GIDS), so that the glyph ids Pango shaped stay valid as the PDF's codes.
A CJK face has ~65,000 glyphs and the characters of any Chinese text are spread over all of
them: each Noto CJK subset kept a charset, an offset table and horizontal and vertical metrics
for ~63,000 mostly empty glyphs, ~140 KB compressed per face whether a document uses 60
characters or 6,000. A form with three faces weighed 410–520 KB.

The Noto CJK faces are CID-keyed CFF fonts (ROS Adobe-Identity-0), and a PDF selects a glyph of
a CID-keyed CFF font by its CID, through the CFF's charset, not by its position (ISO 32000-2,
9.7.4.2: Identity-H code = CID; CIDFontType0C). So the finisher below subsets each such font a
second time, in the PDF being written, to exactly the CIDs its /W array lists (the glyphs the
document shows) without retaining glyph ids. HarfBuzz keeps each glyph's CID in the new charset,
so the page content, the widths and the ToUnicode map stay as they are. (HarfBuzz 6 also keeps
the few variation-sequence alternates its cmap lists for punctuation shown, such as 、。，；:
a handful of glyphs, not worth a second subsetter.) The bare CFF table is
embedded as /FontFile3 /Subtype /CIDFontType0C, the classic form every reader handles (poppler,
PDFium, pdf.js, MuPDF, Acrobat); the OpenType wrapper's tables (cmap, metrics) are not used by
PDF readers for a CIDFontType0 font.

A font that is not a CID-keyed CFF (TrueType outlines: /FontFile2; a name-keyed CFF) is left as
WeasyPrint wrote it, as is everything when the HarfBuzz subsetter library cannot be loaded.
HarfBuzz is called through ctypes (WeasyPrint's own cffi binding does not declare hb_blob_create);
libharfbuzz-subset is what WeasyPrint itself subsets with, so it is there wherever WeasyPrint is.
"""

from __future__ import annotations

import ctypes
import functools
import logging

log = logging.getLogger("handbook")

_HB_MEMORY_MODE_READONLY = 1
_HB_SUBSET_FLAGS_NO_HINTING = 0x1  # hb-subset.h; no GIDs retained
_HB_SUBSET_FLAGS_DESUBROUTINIZE = 0x4  # charstrings without subroutines compress better
_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
# Tables whose closure would add glyphs the document does not show: the cmap's variation
# sequences (format 14) and the layout tables; only the CFF table is embedded anyway.
_DROP = (b"cmap", b"GSUB", b"GPOS", b"GDEF", b"BASE", b"VORG", b"vmtx", b"vhea")


@functools.cache
def _harfbuzz():
    """(libharfbuzz, libharfbuzz-subset) with the prototypes used here, or None."""
    try:
        hb = ctypes.CDLL("libharfbuzz.so.0")
        hbs = ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return None
    p, uint = ctypes.c_void_p, ctypes.c_uint
    for lib, name, res, args in (
        (hb, "hb_blob_create", p, [ctypes.c_char_p, uint, ctypes.c_int, p, p]),
        (hb, "hb_blob_create_from_file", p, [ctypes.c_char_p]),
        (hb, "hb_blob_destroy", None, [p]),
        (hb, "hb_blob_get_length", uint, [p]),
        (hb, "hb_blob_get_data", ctypes.POINTER(ctypes.c_char), [p, ctypes.POINTER(uint)]),
        (hb, "hb_face_create", p, [p, uint]),
        (hb, "hb_face_destroy", None, [p]),
        (hb, "hb_face_reference_blob", p, [p]),
        (hb, "hb_face_reference_table", p, [p, uint]),
        (hb, "hb_set_add", None, [p, uint]),
        (hbs, "hb_subset_input_create_or_fail", p, []),
        (hbs, "hb_subset_input_destroy", None, [p]),
        (hbs, "hb_subset_input_glyph_set", p, [p]),
        (hbs, "hb_subset_input_set_flags", None, [p, uint]),
        (hbs, "hb_subset_input_set", p, [p, ctypes.c_int]),
        (hbs, "hb_subset_or_fail", p, [p, p]),
    ):
        function = getattr(lib, name)
        function.restype, function.argtypes = res, args
    return hb, hbs


_CFF_TAG = int.from_bytes(b"CFF ", "big")


def cff_subset(font_file: bytes, cids: set[int]) -> bytes | None:
    """The bare CFF table of `font_file` (an OpenType font with CID-keyed CFF outlines, as
    WeasyPrint embeds it) cut to `cids` and .notdef, each glyph keeping its CID; None when the
    font is not such a font or HarfBuzz cannot do it."""
    libs = _harfbuzz()
    if libs is None or font_file[:4] != b"OTTO":
        return None
    hb = libs[0]
    blob = hb.hb_blob_create(font_file, len(font_file), _HB_MEMORY_MODE_READONLY, None, None)
    try:
        return _subset_blob(blob, 0, cids)
    finally:
        hb.hb_blob_destroy(blob)


def cff_subset_file(path: str, index: int, cids: set[int]) -> bytes | None:
    """The same, from face `index` of an installed font file (a collection, as Noto CJK's .ttc),
    which HarfBuzz maps rather than reads (builder.writers.pdf.assemble: one subset of a face
    for a whole book)."""
    libs = _harfbuzz()
    if libs is None:
        return None
    hb = libs[0]
    blob = hb.hb_blob_create_from_file(str(path).encode())
    try:
        if not hb.hb_blob_get_length(blob):
            return None
        return _subset_blob(blob, index, cids)
    finally:
        hb.hb_blob_destroy(blob)


def _subset_blob(blob, index: int, cids: set[int]) -> bytes | None:
    hb = _harfbuzz()[0]
    face = hb.hb_face_create(blob, index)
    try:
        cut = _subset_face(face, cids)
    finally:
        hb.hb_face_destroy(face)
    return cut[1] if cut else None


def _subset_face(face, cids: set[int]) -> tuple[bytes, bytes] | None:
    """(the subset as an OpenType file, its bare CFF table) of a HarfBuzz face with CID-keyed
    CFF outlines, cut to `cids` (glyph ids of such a face, which are its CIDs) and .notdef;
    None when it is not such a face or HarfBuzz cannot do it."""
    hb, hbs = _harfbuzz()
    plan = hbs.hb_subset_input_create_or_fail()
    try:
        if not plan:
            return None
        glyphs = hbs.hb_subset_input_glyph_set(plan)
        for cid in sorted(cids | {0}):
            hb.hb_set_add(glyphs, cid)
        hbs.hb_subset_input_set_flags(
            plan, _HB_SUBSET_FLAGS_NO_HINTING | _HB_SUBSET_FLAGS_DESUBROUTINIZE
        )
        dropped = hbs.hb_subset_input_set(plan, _HB_SUBSET_SETS_DROP_TABLE_TAG)
        for tag in _DROP:
            hb.hb_set_add(dropped, int.from_bytes(tag, "big"))
        subset = hbs.hb_subset_or_fail(face, plan)
        if not subset:
            return None
        try:
            cff, whole = (
                _blob_bytes(hb, hb.hb_face_reference_table(subset, _CFF_TAG)),
                _blob_bytes(hb, hb.hb_face_reference_blob(subset)),
            )
        finally:
            hb.hb_face_destroy(subset)
    finally:
        if plan:
            hbs.hb_subset_input_destroy(plan)
    return (whole, cff) if cff and whole and _cid_keyed(cff) else None


def _blob_bytes(hb, blob) -> bytes | None:
    try:
        length = ctypes.c_uint()
        data = hb.hb_blob_get_data(blob, ctypes.byref(length))
        return ctypes.string_at(data, length.value) if length.value else None
    finally:
        hb.hb_blob_destroy(blob)


# The OpenType subsets `one_subset` handed WeasyPrint, each with the bare CFF table
# `compact_cid_fonts` then embeds instead of cutting the font a second time. Per process; each
# entry is taken by the finisher of the PDF it was made for.
_PRECUT: dict[bytes, bytes] = {}
CUT_ONCE = True  # read at each cut: tests turn it off to compare with WeasyPrint's own cuts


def one_subset() -> None:
    """Make WeasyPrint cut each CID-keyed CFF face once, straight to the glyphs a document shows.

    WeasyPrint 70 subsets a face twice with HarfBuzz (keeping every glyph id up to the highest
    used, then dropping the empty ones after it, both times desubroutinising the CFF), and
    `compact_cid_fonts` then cut that a third time to the glyphs shown. For the Noto CJK
    collections that was ~55 ms a face: ~0.2 s of every form and of every part of a handbook.
    Here a CID-keyed CFF face (any face a document uses, found by its own 'CFF ' table and
    ROS) is cut once, from the face WeasyPrint has open, without keeping glyph ids (a PDF
    selects such a glyph by CID, which the cut keeps in its charset); `compact_cid_fonts`
    embeds the CFF table of that cut. Every other face (TrueType, name-keyed CFF, a face with
    characters it lacks, variable or colour fonts) goes through WeasyPrint's own subsetting.
    Applied once per process."""
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import ffi

    font = getattr(fonts, "Font", None)
    original = getattr(font, "_harfbuzz_subset", None)
    if original is None or getattr(original, "_handbook", False) or _harfbuzz() is None:
        return

    def _harfbuzz_subset(self, to_unicode, hinting):
        tables = getattr(self, "tables", ())
        plain = "CFF " in tables and not {"fvar", "COLR", "SVG ", "CBDT"} & set(tables)
        if CUT_ONCE and plain and to_unicode and not self.missing:
            face = ctypes.c_void_p(int(ffi.cast("uintptr_t", self.hb_face)))
            cut = _subset_face(face, set(to_unicode))
            if cut is not None:
                self.file_content = cut[0]
                _PRECUT[cut[0]] = cut[1]
                return
        original(self, to_unicode, hinting)

    _harfbuzz_subset._handbook = True
    font._harfbuzz_subset = _harfbuzz_subset


def cff_font_name(cff: bytes) -> str | None:
    """The font name in a bare CFF table (its Name INDEX), or None."""
    import io

    from fontTools.cffLib import CFFFontSet

    fonts = CFFFontSet()
    try:
        fonts.decompile(io.BytesIO(cff), None)
        return str(fonts.fontNames[0])
    except Exception:  # a table fontTools cannot read names no installed face
        return None


def _cid_keyed(cff: bytes) -> bool:
    """Whether a CFF font's Top DICT starts with ROS (12 30): the mark of a CID-keyed font, whose
    glyphs a PDF reader selects by CID through the charset."""
    import io

    from fontTools.cffLib import CFFFontSet

    fonts = CFFFontSet()
    try:
        fonts.decompile(io.BytesIO(cff), None)
        return hasattr(fonts[fonts.fontNames[0]], "ROS")
    except Exception:  # a table fontTools cannot read is one we leave alone
        return False


def _cids(widths) -> set[int]:
    """The CIDs a /W array gives widths for: [c [w1 w2 …] c1 c2 w …]."""
    cids: set[int] = set()
    items = list(widths)
    i = 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], list):
            cids.update(range(first, first + len(items[i + 1])))
            i += 2
        else:  # c_first c_last w
            cids.update(range(first, int(items[i + 1]) + 1))
            i += 3
    return cids


def compact_cid_fonts(pdf) -> int:
    """Re-subset every CID-keyed CFF font of a pydyf PDF (in a WeasyPrint finisher) to the
    glyphs it shows; returns how many were compacted.

    WeasyPrint may describe one font file by several CIDFont dictionaries (one per Pango font
    of that file, each with its own /W): a file keeps the glyphs of all of them."""
    objects = {obj.number: obj for obj in pdf.objects if getattr(obj, "number", None) is not None}
    shown: dict[int, set[int]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, dict) or obj.get("Subtype") != "/CIDFontType0" or "W" not in obj:
            continue
        descriptor = objects.get(_number(obj.get("FontDescriptor")))
        number = _number(descriptor.get("FontFile3")) if isinstance(descriptor, dict) else None
        if number is not None:
            shown.setdefault(number, set()).update(_cids(obj["W"]))
    done = 0
    for number, cids in shown.items():
        stream = objects.get(number)
        if stream is None or getattr(stream, "extra", {}).get("Subtype") != "/OpenType":
            continue
        data = b"".join(stream.stream)
        cff = _PRECUT.pop(data, None) or cff_subset(data, cids)
        if cff is None:
            continue
        stream.stream = [cff]
        stream.extra["Subtype"] = "/CIDFontType0C"
        done += 1
    return done


def _number(reference) -> int | None:
    """The object number of a pydyf reference (b"12 0 R" or "12 0 R")."""
    if reference is None:
        return None
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return None
