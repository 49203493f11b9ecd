"""Complex fields (TOC, PAGEREF, …), bookmarks and internal hyperlinks to them.

A complex field is a run of w:fldChar begin, a run of w:instrText (the instruction), a run of
w:fldChar separate, the runs of the cached result, and a run of w:fldChar end.
"""

from __future__ import annotations

import hashlib
import re

from .elements import OxmlElement, make_element, qn
from .paragraph import make_run, preserved_text


def field_begin(instr: str) -> list:
    """The runs that open a complex field up to its result: begin, instruction, separate."""
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {instr} "
    return [
        make_run(make_element("w:fldChar", fldCharType="begin")),
        make_run(instruction),
        make_run(make_element("w:fldChar", fldCharType="separate")),
    ]


def field_end():
    """The run that closes a complex field (w:fldChar end)."""
    return make_run(make_element("w:fldChar", fldCharType="end"))


def append_field(parent, instr: str, cached: str = ""):
    """Append a complete complex field to a w:p or w:hyperlink; returns the cached-result w:t."""
    for run in field_begin(instr):
        parent.append(run)
    result = preserved_text(cached)
    parent.append(make_run(result))
    parent.append(field_end())
    return result


# -- bookmarks and internal hyperlinks --------------------------------------------------------

BOOKMARK_NAME_MAX = 40  # Word truncates longer bookmark names


def bookmark_name(identifier: str) -> str:
    """A valid Word bookmark name for a manual id: letters, digits and _, starting with a letter,
    at most 40 characters (a longer id is cut and ends in 8 hex digits of its SHA-1)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", identifier)
    if not name or not name[0].isalpha():
        name = "b_" + name
    if len(name) > BOOKMARK_NAME_MAX:
        digest = hashlib.sha1(identifier.encode()).hexdigest()[:8]
        name = name[: BOOKMARK_NAME_MAX - 9] + "_" + digest
    return name


def add_bookmark(paragraph, name: str, bookmark_id: int) -> None:
    """Bookmark the whole content of a paragraph."""
    paragraph_element = paragraph._p
    start = make_element("w:bookmarkStart", id=bookmark_id, name=name)
    end = make_element("w:bookmarkEnd", id=bookmark_id)
    pPr = paragraph_element.pPr
    if pPr is not None:
        pPr.addnext(start)
    else:
        paragraph_element.insert(0, start)
    paragraph_element.append(end)


def add_internal_hyperlink(paragraph, anchor: str):
    """An empty w:hyperlink to a bookmark, appended to a paragraph; fill it with runs."""
    link = make_element("w:hyperlink", anchor=anchor, history=1)
    paragraph._p.append(link)
    return link
