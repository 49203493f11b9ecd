"""Tagged PDF: the one place that decides how the PDFs are tagged and what the tag tree holds.

Every PDF is tagged (WeasyPrint's ``pdf_tags``): headings, paragraphs, lists, tables, links and
form fields are structure elements, with ``/Lang`` from the page's ``lang``. Controlled documents
meant for the archive (handbooks, 修订对照表) also carry the PDF/A-2b identification (``ARCHIVAL``):
XMP metadata with pdfaid, the sRGB output intent, every font embedded, printable annotations.

``finish_structure`` runs in the writers' WeasyPrint finishers, on pydyf's objects before they
are written:
- ``tag_contents``: the handbook's contents become a TOC of TOCI items instead of a plain list;
- ``slim_structure``: elements without meaning are dropped (ISO 32000-1, 14.8.4: a NonStruct's
  or Span's content "is treated as if it belonged to the parent"). WeasyPrint wraps every run of
  text in a Span and every anonymous block in a NonStruct: half a form's structure elements,
  a quarter of its bytes. A screen reader reads the same tree without them.
"""

from __future__ import annotations

from builder.document.properties import Properties

TAGGED = {"pdf_tags": True}
ARCHIVAL = {"pdf_tags": True, "pdf_variant": "pdf/a-2b"}


def archival_metadata(metadata, props: Properties) -> None:
    """Set WeasyPrint's document metadata from `props` before write_pdf, so that the PDF/A XMP
    packet it writes says what the document information (handbook.info_finisher) says: PDF/A
    asks the two to agree (title, author, subject = dc:description, keywords, creator tool,
    dates)."""
    stamp = f"{props.effective_date.isoformat()}T00:00:00Z"
    metadata.title = props.title
    metadata.authors = [props.author]
    metadata.description = props.subject
    metadata.keywords = list(props.keywords)
    metadata.generator = props.generator
    metadata.created = metadata.modified = stamp


def finish_structure(document, pdf, contents: str | None = None) -> None:
    """Finish a tagged PDF's tag tree (nothing for an untagged one): the element with the id
    `contents`, if given, is the table of contents; then the meaningless wrappers go."""
    if "StructTreeRoot" not in pdf.catalog:
        return
    if contents:
        tag_contents(document, pdf, contents)
    slim_structure(pdf)


def tagged_finisher(document, pdf) -> None:
    """The WeasyPrint finisher of the forms and comparison tables: the tag tree finished, the
    CJK font subsets cut down (fontpack.compact_cid_fonts)."""
    from builder.writers.pdf.fontpack import compact_cid_fonts

    finish_structure(document, pdf)
    compact_cid_fonts(pdf)


def _elements(pdf) -> dict:
    import pydyf

    return {
        o.reference: o
        for o in pdf.objects
        if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/StructElem"
    }


# ISO 32000-1, 14.8.4.3.2: a TOC holds TOCI items (and nested TOCs); a TOCI holds Lbl,
# Reference, NonStruct, P or TOC. WeasyPrint tags the contents' <ul> as an ordinary list.
_AS_CONTENTS = {"/L": "/TOC", "/LI": "/TOCI", "/LBody": "/P"}


def tag_contents(document, pdf, anchor: str = "toc") -> None:
    """Re-tag the lists that make up the contents as a TOC of TOCI items, so a screen reader
    announces the table of contents rather than a bulleted list; each item's text and link are
    a P inside it. The contents are on the pages that hold part of the element with the
    `anchor` id (templates/handbook.html.j2's <nav id="toc">); WeasyPrint tags each page's part
    of a list separately, so every outermost list on those pages is one. A document without the
    anchor is left as is."""
    pages = [i for i, page in enumerate(document.pages) if anchor in page.anchors]
    if not pages:
        return
    targets = {pdf.page_references[i] for i in pages}
    elements = _elements(pdf)
    pending = [
        e
        for e in elements.values()
        if e.get("S") == "/L"
        and e.get("Pg") in targets
        and elements.get(e.get("P"), {}).get("S") not in _AS_CONTENTS
    ]
    while pending:
        element = pending.pop()
        element["S"] = _AS_CONTENTS.get(element["S"], element["S"])
        if element["S"] == "/Link":
            continue
        for kid in element.get("K") or ():
            if isinstance(kid, bytes) and kid in elements:
                pending.append(elements[kid])


_WRAPPERS = {"/Span", "/NonStruct"}
_MEANING = ("A", "Alt", "ActualText", "E", "ID", "Lang", "C", "R", "T")  # keep what carries any


def slim_structure(pdf) -> int:
    """Drop the Span and NonStruct elements (and a Div around a single element) that carry no
    attribute, alternate text or language: their kids (marked content, elements) move up to the
    nearest element kept, and the parent tree (marked content → element, as a reader looks it
    up from the page) follows. An element with marked content moves it only to an ancestor on
    the same page. Returns how many were dropped."""
    import pydyf

    elements = _elements(pdf)

    def meaningless(e) -> bool:
        if any(key in e for key in _MEANING):
            return False
        kids = e.get("K") or ()
        return e.get("S") in _WRAPPERS or (e.get("S") == "/Div" and len(kids) == 1)

    dropped = {ref for ref, e in elements.items() if meaningless(e)}

    def keeper(ref):
        while ref in dropped:
            ref = elements[ref].get("P")
        return ref

    changed = True
    while changed:  # keep a wrapper whose marked content would land on another page
        changed = False
        for ref in sorted(dropped):
            e = elements[ref]
            if any(isinstance(k, int) for k in e.get("K") or ()):
                above = elements.get(keeper(e.get("P")))
                if above is None or above.get("Pg") != e.get("Pg"):
                    dropped.discard(ref)
                    changed = True
    if not dropped:
        return 0

    def expand(kids) -> list:
        out = []
        for kid in kids:
            if isinstance(kid, bytes) and kid in dropped:
                out.extend(expand(elements[kid].get("K") or ()))
            else:
                out.append(kid)
        return out

    for ref, e in elements.items():
        if ref in dropped:
            continue
        if "K" in e:
            e["K"] = pydyf.Array(expand(e["K"]))
        if e.get("P") in dropped:
            e["P"] = keeper(e["P"])
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    tree = _object(pdf, root["ParentTree"])
    nums = tree["Nums"]
    for i in range(1, len(nums), 2):
        value = nums[i]
        if isinstance(value, bytes):
            nums[i] = keeper(value)
        else:
            nums[i] = pydyf.Array(keeper(ref) for ref in value)
    for ref in dropped:
        _unused(elements[ref])
    _compact(pdf, {ref: e for ref, e in elements.items() if ref not in dropped})
    return len(dropped)


def _compact(pdf, elements: dict) -> None:
    """Write the kept elements with fewer bytes, meaning the same (ISO 32000-1, 14.7.2):
    /Type is optional; /Pg is inherited from the nearest ancestor that has one, so a child on
    its parent's page needs none; an empty /Headers says what none says, and an /A of
    {/O /Table} alone says nothing; an object reference (OBJR, linking a widget or link
    annotation) may be a direct dictionary in /K, and a single marked-content id or object
    reference needs no array. A tagged one-page form with 120 fields is 25 KB smaller."""
    import pydyf

    objrs = {
        o.reference: o
        for o in pdf.objects
        if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/OBJR"
    }
    inherit = [
        e
        for e in elements.values()
        if e.get("Pg") is not None and (elements.get(e.get("P")) or {}).get("Pg") == e.get("Pg")
    ]
    for e in inherit:  # decided before any is removed: the parent's page is the same either way
        del e["Pg"]
    for e in elements.values():
        attributes = e.get("A")
        if isinstance(attributes, dict):
            if "Headers" in attributes and not attributes["Headers"]:
                del attributes["Headers"]  # no header cells: what no /Headers says
            if dict(attributes) == {"O": "/Table"}:
                del e["A"]
        kids = e.get("K")
        if kids is not None and any(isinstance(k, bytes) and k in objrs for k in kids):
            e["K"] = pydyf.Array(
                pydyf.Dictionary(objrs[k]) if isinstance(k, bytes) and k in objrs else k
                for k in kids
            )
    for e in elements.values():
        kids = e.get("K")
        if isinstance(kids, list) and len(kids) == 1 and not isinstance(kids[0], bytes):
            # A single marked-content id or object reference is written as itself: pyhanko,
            # for one, finds a field's widget in the tree only as Form /K /Obj. A single child
            # element stays in an array: pyhanko resolves a lone reference in /K and then no
            # longer knows the child as an element of the tree (it follows the parent tree's
            # reference into it, and calls filling the field a change it cannot explain).
            e["K"] = kids[0]
    for objr in objrs.values():
        _unused(objr)
    for e in elements.values():
        e.pop("Type", None)


def _unused(obj) -> None:
    """Leave an object that nothing refers to any more empty. Not marked free: pydyf 0.13 then
    numbers the objects of its object stream wrongly (it counts free ones), which breaks the
    cross-reference stream. An empty dictionary costs a few bytes in the handbook's object
    stream, and pypdf leaves it out of a form (it writes only what is referred to)."""
    obj.clear()


def _object(pdf, reference):
    """The pydyf object behind `reference` (b"12 0 R"), or `reference` itself when it is one."""
    if isinstance(reference, bytes | str):
        number = int((reference.decode() if isinstance(reference, bytes) else reference).split()[0])
        return pdf.objects[number]
    return reference
