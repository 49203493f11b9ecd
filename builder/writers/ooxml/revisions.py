"""Tracked changes (revision marks).

A tracked insertion or deletion is a w:ins / w:del around runs (deleted text is w:delText), on a
paragraph mark (w:pPr/w:rPr/w:ins|del) or on a table row (w:trPr/w:ins|del). Every mark has
w:id, w:author and w:date; `number_revisions` gives the ids once the body is complete.
"""

from __future__ import annotations

from .elements import OxmlElement, make_element, place_in_order, qn, remove_children, successors
from .paragraph import get_or_add_ppr_child, make_run
from .tables import ROW_ORDER, TRPR_ORDER

_REVISION_TAGS = (qn("w:ins"), qn("w:del"))
# Elements of a paragraph that hold runs of their own.
_RUN_HOLDERS = (qn("w:hyperlink"), qn("w:smartTag"), qn("w:customXml"), qn("w:fldSimple"))
_AFTER_ROW_PROPERTIES = successors(ROW_ORDER, "w:trPr")
_AFTER_ROW_MARK = successors(TRPR_ORDER, "w:del")  # (any earlier w:ins / w:del is removed first)


def revision_mark(kind: str, author: str, date: str):
    """An empty w:ins (kind "ins") or w:del ("del"); its w:id is set by `number_revisions`."""
    return make_element(f"w:{kind}", id=0, author=author, date=date)


def deleted_run(run) -> None:
    """Turn a run's text into deleted text (w:t → w:delText, w:instrText → w:delInstrText)."""
    for old, new in (("w:t", "w:delText"), ("w:instrText", "w:delInstrText")):
        for element in run.findall(qn(old)):
            element.tag = qn(new)
            element.set(qn("xml:space"), "preserve")


def track_runs(container, kind: str, author: str, date: str) -> None:
    """Wrap every run of a paragraph (also inside its hyperlinks) in w:ins / w:del, a group of
    adjacent runs in one mark. Runs already inside a mark are left alone."""
    group = None
    for child in list(container):
        if child.tag == qn("w:r"):
            if kind == "del":
                deleted_run(child)
            if group is None:
                group = revision_mark(kind, author, date)
                child.addprevious(group)
            group.append(child)
            continue
        group = None
        if child.tag in _RUN_HOLDERS:
            track_runs(child, kind, author, date)


def mark_paragraph_mark(paragraph_element, kind: str, author: str, date: str) -> None:
    """Mark a paragraph's mark inserted or deleted (w:pPr/w:rPr/w:ins|del)."""
    pPr = paragraph_element.find(qn("w:pPr"))
    if pPr is None:
        pPr = OxmlElement("w:pPr")
        paragraph_element.insert(0, pPr)
    rPr = get_or_add_ppr_child(pPr, "w:rPr")
    remove_children(rPr, "w:ins", "w:del")
    rPr.insert(0, revision_mark(kind, author, date))  # w:ins / w:del come first (CT_ParaRPr)


def mark_row(tr, kind: str, author: str, date: str) -> None:
    """Mark a table row inserted or deleted (w:trPr/w:ins|del)."""
    trPr = tr.find(qn("w:trPr"))
    if trPr is None:
        trPr = OxmlElement("w:trPr")
        place_in_order(tr, trPr, _AFTER_ROW_PROPERTIES)
    remove_children(trPr, "w:ins", "w:del")
    place_in_order(trPr, revision_mark(kind, author, date), _AFTER_ROW_MARK)


def number_revisions(root, start: int = 1) -> int:
    """Give every w:ins / w:del below `root` a unique w:id, increasing in document order;
    returns the next free id."""
    next_id = start
    for element in root.iter(*_REVISION_TAGS):
        element.set(qn("w:id"), str(next_id))
        next_id += 1
    return next_id


def text_run(text: str = "", rPr=None, *, deleted: bool = False):
    """A detached w:r with run properties `rPr` (used as is) and `text` (w:delText if deleted)."""
    run = make_run(rPr=rPr)
    if text:
        append_text(run, text, deleted=deleted)
    return run


def append_text(run, text: str, *, deleted: bool = False) -> None:
    """Add text to a run, extending its last w:t (w:delText if deleted) when that ends the run."""
    tag = qn("w:delText" if deleted else "w:t")
    if len(run) and run[-1].tag == tag:
        run[-1].text = (run[-1].text or "") + text
        return
    element = OxmlElement("w:delText" if deleted else "w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run.append(element)
