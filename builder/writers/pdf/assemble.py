"""One handbook PDF from its parts (builder.writers.pdf.parts), put together with pikepdf.

The front (cover, 更新记录表, contents) is the base: its catalog carries the document's
information, XMP, output intent, language and viewer preferences. Each chapter's pages follow,
with:
- its tag tree: the chapter's Document element's children join the base's Document, and its
  parent tree's keys (each page's /StructParents, each link's /StructParent) move past the
  base's, so marked content still finds its element;
- its outline items after the base's, in order;
- its named destinations (the anchors) merged into one name tree, sorted, so a link from any
  part to any other resolves.
Then the furniture's pages (running head, footers) are drawn over every page but the cover, as
form XObjects marked as pagination artifacts: they are not the document's content, as PDF/UA
asks of running heads and page numbers.

Fonts. Each part embeds its own subset of each CJK face. The CID-keyed CFF faces (Noto CJK) are
selected by CID (fontpack.py), the same CID for the same glyph in every part, so the book
embeds each face once: one subset of the union of the parts' glyphs, cut from the installed
font file (found with fontconfig's `fc-list` by the CFF's font name, which a collection's faces
share with their CFF), one /W and one ToUnicode map of the union. A face that cannot be found
or cut keeps its per-part subsets: a bigger file, the same pages.

Written with a deterministic /ID and no time in it: the same parts give the same bytes.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path


def assemble(front: bytes, chapters: list[bytes], furniture: bytes | None, target: Path) -> int:
    """Write the book made of `front`, then `chapters`, with `furniture` drawn over every page
    after the first, to `target`; returns the page count."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.open(io.BytesIO(front))
    tree = pdf.Root.StructTreeRoot
    document = tree.K if isinstance(tree.K, Dictionary) else tree.K[0]
    if not isinstance(document.get("/K"), Array):
        document.K = Array([document.K] if "/K" in document else [])
    nums = tree.ParentTree.Nums
    next_key = _next_key(nums)
    dests = _dests(pdf, pdf)
    outlines = pdf.Root.get("/Outlines")
    for data in chapters:
        src = pikepdf.open(io.BytesIO(data))
        start = len(pdf.pages)
        with warnings.catch_warnings():  # named destinations: merged below, by `_dests`
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            pdf.pages.extend(src.pages)
        root = pdf.copy_foreign(src.Root.StructTreeRoot)
        offset = next_key
        kid_document = root.K if isinstance(root.K, Dictionary) else root.K[0]
        for kid in _as_list(kid_document.K):
            if isinstance(kid, Dictionary):
                kid.P = document
            document.K.append(kid)
        theirs = root.ParentTree.Nums
        for i in range(0, len(theirs), 2):
            nums.append(int(theirs[i]) + offset)
            nums.append(theirs[i + 1])
        next_key = offset + _next_key(theirs)
        for page in pdf.pages[start:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", ()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        dests.update(_dests(src, pdf))
        if "/Outlines" in src.Root and "/First" in src.Root.Outlines:
            theirs_outline = pdf.copy_foreign(src.Root.Outlines)
            if outlines is None or "/First" not in outlines:
                outlines = pdf.Root.Outlines = pdf.make_indirect(
                    Dictionary(Type=Name.Outlines, Count=0)
                )
                outlines.First = theirs_outline.First
            else:
                outlines.Last.Next = theirs_outline.First
                theirs_outline.First.Prev = outlines.Last
            outlines.Last = theirs_outline.Last
            outlines.Count = int(outlines.get("/Count", 0)) + int(theirs_outline.get("/Count", 0))
            item = theirs_outline.First
            while True:
                item.Parent = outlines
                if "/Next" not in item:
                    break
                item = item.Next
    tree.ParentTreeNextKey = next_key
    names = Array()
    for name in sorted(dests):
        names.append(pikepdf.String(name))
        names.append(dests[name])
    pdf.Root.Names = Dictionary(Dests=Dictionary(Names=names))
    if furniture is not None:
        _draw_over(pdf, pikepdf.open(io.BytesIO(furniture)))
    _share_fonts(pdf)
    pdf.save(
        target,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
        fix_metadata_version=False,
    )
    return len(pdf.pages)


def _as_list(value) -> list:
    import pikepdf

    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _next_key(nums) -> int:
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys) + 1 if keys else 0


def _dests(src, pdf) -> dict[bytes, object]:
    """The named destinations of `src` (a flat or nested name tree), copied into `pdf`."""
    names = src.Root.get("/Names")
    tree = names.get("/Dests") if names is not None else None
    found: dict[bytes, object] = {}

    def walk(node) -> None:
        pairs = node.get("/Names")
        if pairs is not None:
            for i in range(0, len(pairs), 2):
                found[bytes(pairs[i])] = pairs[i + 1]
        for kid in node.get("/Kids", ()):
            walk(kid)

    if tree is None:
        return {}
    walk(tree)
    if src is pdf:
        return found
    return {
        name: pdf.copy_foreign(value if value.is_indirect else src.make_indirect(value))
        for name, value in found.items()
    }


def _draw_over(pdf, furniture) -> None:
    """Each furniture page i (but the cover's) as a form XObject over page i, an artifact."""
    import pikepdf
    from pikepdf import Name

    if len(furniture.pages) != len(pdf.pages):
        raise ValueError("furniture pages do not match the book's")
    for page, over in list(zip(pdf.pages, furniture.pages))[1:]:
        xobject = pdf.copy_foreign(over.as_form_xobject())
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        if "/XObject" not in page.obj.Resources:
            page.obj.Resources.XObject = pikepdf.Dictionary()
        xobjects = page.obj.Resources.XObject
        name = Name("/HbFurniture")  # a fixed name: pikepdf's own are random, and builds repeatable
        while name in xobjects:
            name = Name(str(name) + "_")
        xobjects[name] = xobject
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(
            pdf.make_stream(
                b"Q\n/Artifact <</Type /Pagination>> BDC\nq\n" + bytes(name) + b" Do\nQ\nEMC\n"
            )
        )


# -- fonts --------------------------------------------------------------------------------


def _share_fonts(pdf) -> int:
    """Embed each CID-keyed CFF face once (see the module's docstring); returns how many."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    from builder.document.fonts import installed_face
    from builder.writers.pdf.fontpack import cff_font_name, cff_subset_file

    groups: dict[str, list] = {}
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Subtype") != "/Type0":
            continue
        kids = obj.get("/DescendantFonts")
        if not kids or len(kids) != 1:
            continue
        cid_font = kids[0]
        descriptor = cid_font.get("/FontDescriptor")
        stream = descriptor.get("/FontFile3") if descriptor is not None else None
        if (
            cid_font.get("/Subtype") != "/CIDFontType0"
            or stream is None
            or stream.get("/Subtype") != "/CIDFontType0C"
            or "/ToUnicode" not in obj
        ):
            continue
        groups.setdefault(str(obj.BaseFont), []).append(obj)
    shared = 0
    for fonts in groups.values():
        cid_fonts = list(
            {f.DescendantFonts[0].objgen: f.DescendantFonts[0] for f in fonts}.values()
        )
        if len(cid_fonts) < 2:
            continue
        widths: dict[int, object] = {}
        unicode: dict[int, bytes] = {}
        try:
            for cid_font in cid_fonts:
                widths.update(_widths(cid_font.W))
            for font in {f.ToUnicode.objgen: f for f in fonts}.values():
                unicode.update(_to_unicode(font.ToUnicode.read_bytes()))
        except (ValueError, TypeError, pikepdf.PdfError):
            continue
        first = cid_fonts[0]
        face = installed_face(cff_font_name(first.FontDescriptor.FontFile3.read_bytes()))
        cff = cff_subset_file(*face, set(widths)) if face else None
        if cff is None:
            continue
        first.W = Array(x for cid in sorted(widths) for x in (cid, Array([widths[cid]])))
        first.FontDescriptor.FontFile3 = pikepdf.Stream(pdf, cff, Subtype=Name.CIDFontType0C)
        to_unicode = pikepdf.Stream(pdf, _cmap(unicode))
        for font in fonts:
            font.DescendantFonts = Array([first])
            font.ToUnicode = to_unicode
        shared += 1
    return shared


def _widths(w) -> dict[int, object]:
    """A /W array as {CID: width}: [c [w1 w2 …] c1 c2 w …]."""
    import pikepdf

    items = list(w)
    found = {}
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for n, width in enumerate(items[i + 1]):
                found[first + n] = width
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                found[cid] = items[i + 2]
            i += 3
    return found


_HEX = rb"<([0-9a-fA-F]+)>"
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)


def _to_unicode(cmap: bytes) -> dict[int, bytes]:
    """A ToUnicode CMap's code → UTF-16BE text, from its bfchar and bfrange blocks."""
    found: dict[int, bytes] = {}
    for block in _BFCHAR.findall(cmap):
        for code, text in re.findall(_HEX + rb"\s*" + _HEX, block):
            found[int(code, 16)] = bytes.fromhex(text.decode())
    for block in _BFRANGE.findall(cmap):
        for line in block.strip().splitlines():
            m = re.fullmatch(rb"\s*" + _HEX + rb"\s*" + _HEX + rb"\s*" + _HEX + rb"\s*", line)
            if not m:
                raise ValueError("a bfrange this merge does not read")
            low, high, text = int(m[1], 16), int(m[2], 16), int(m[3], 16)
            width = len(m[3]) // 2
            for n in range(high - low + 1):
                found[low + n] = (text + n).to_bytes(width, "big")
    return found


def _cmap(unicode: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap (Adobe-Identity-UCS, two-byte codes) for `unicode`."""
    lines = [
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        b"<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange"
    ]
    codes = sorted(unicode)
    for at in range(0, len(codes), 100):
        chunk = codes[at : at + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines.extend(b"<%04x> <%s>" % (c, unicode[c].hex().encode()) for c in chunk)
        lines.append(b"endbfchar")
    lines.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    return b"\n".join(lines)
