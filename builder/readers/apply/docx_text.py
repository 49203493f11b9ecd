"""What an edited handbook.docx says: its body paragraphs as accepted text, the node bookmarks
they carry, the comments, and the custom properties the build wrote.

Tracked changes are taken as accepted: text inside w:del and w:moveFrom is dropped, text inside
w:ins and w:moveTo is kept, and a paragraph whose mark is a tracked deletion and whose text is all
deleted is gone. Field codes (w:instrText) are not text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.readers.package import Package, UnreadableFile

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


_DELETED = {_w("del"), _w("moveFrom")}
_TRACKED = {_w("ins"), _w("del"), _w("moveFrom"), _w("moveTo")}


@dataclass
class EditedParagraph:
    text: str  # as accepted
    bookmarks: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # comment ids anchored here
    tracked: bool = False  # carries a tracked change
    inserted: bool = False  # the paragraph itself was inserted with tracking on


@dataclass
class EditedHandbook:
    paragraphs: list[EditedParagraph]
    properties: dict[str, str]
    comments: dict[str, tuple[str, str]]  # id → (author, text)
    tracked_elsewhere: int  # tracked changes in tables, headers or footers (never applied)


def _deleted(element, stop) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in _DELETED:
            return True
        parent = parent.getparent()
    return False


def paragraph_text(p) -> str:
    out = []
    for element in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        if _deleted(element, p):
            continue
        if element.tag == _w("t"):
            out.append(element.text or "")
        elif element.tag == _w("tab"):
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _mark(p, kind: str) -> bool:
    rpr = p.find(f"{_w('pPr')}/{_w('rPr')}")
    return rpr is not None and rpr.find(_w(kind)) is not None


def read(path) -> EditedHandbook:
    with Package(path) as package:
        if "word/document.xml" not in package:
            raise UnreadableFile(f"{package.label}：不是 Word 文档（缺少 word/document.xml）")
        root = package.xml("word/document.xml")
        props = {}
        if "docProps/custom.xml" in package:
            for prop in package.xml("docProps/custom.xml").iter(f"{{{_CUSTOM}}}property"):
                value = next(iter(prop), None)
                if value is not None and value.tag.startswith(f"{{{_VT}}}"):
                    props[prop.get("name", "")] = value.text or ""
        comments = {}
        if "word/comments.xml" in package:
            for comment in package.xml("word/comments.xml").iter(_w("comment")):
                text = "".join(t.text or "" for t in comment.iter(_w("t")))
                comments[comment.get(_w("id"), "")] = (comment.get(_w("author"), ""), text)
    body = root.find(_w("body"))
    if body is None:
        raise UnreadableFile(f"{path}：Word 文档没有正文")
    paragraphs = []
    elsewhere = 0
    for child in body:
        if child.tag == _w("p"):
            tracked = any(True for _ in _iter_tracked(child)) or _mark(child, "ins")
            tracked = tracked or _mark(child, "del")
            text = paragraph_text(child)
            if (_mark(child, "del") or _mark(child, "moveFrom")) and not text:
                continue  # a deleted paragraph, accepted
            paragraphs.append(
                EditedParagraph(
                    text,
                    [b.get(_w("name"), "") for b in child.iter(_w("bookmarkStart"))],
                    [c.get(_w("id"), "") for c in child.iter(_w("commentRangeStart"))]
                    or [c.get(_w("id"), "") for c in child.iter(_w("commentReference"))],
                    tracked,
                    _mark(child, "ins") or _mark(child, "moveTo"),
                )
            )
        elif child.tag in _TRACKED:  # a tracked block-level change (moved paragraphs, etc.)
            for p in child.iter(_w("p")):
                if child.tag in _DELETED:
                    continue
                paragraphs.append(
                    EditedParagraph(
                        paragraph_text(p),
                        [b.get(_w("name"), "") for b in p.iter(_w("bookmarkStart"))],
                        [c.get(_w("id"), "") for c in p.iter(_w("commentRangeStart"))],
                        True,
                        True,
                    )
                )
        else:
            elsewhere += sum(1 for _ in _iter_tracked(child))
    return EditedHandbook(paragraphs, props, comments, elsewhere)


def _iter_tracked(element):
    for tag in _TRACKED:
        yield from element.iter(tag)
