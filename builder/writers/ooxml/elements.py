"""Making WordprocessingML elements: tags, loose elements and placing a child in schema order.

Every other module of the package builds its XML with these. As in python-docx's `oxml` layer,
the order of an element's children is declared once, as a tuple of tags in the schema's
sequence (`RPR_ORDER` in runs.py, `PPR_ORDER` in paragraph.py, …); a new child goes before the
first existing child that the schema puts after it (`successors`, `place_in_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from docx.oxml.ns import NamespacePrefixedTag
from docx.oxml.ns import qn as _python_docx_qn
from docx.oxml.parser import oxml_parser

# The writers build thousands of elements: python-docx's qn() and OxmlElement() parse the
# prefixed tag on every call, so both are memoised here (same results, pure functions).
qn = cache(_python_docx_qn)


@cache
def _clark_name_and_nsmap(prefixed_tag: str) -> tuple[str, dict[str, str]]:
    tag = NamespacePrefixedTag(prefixed_tag)
    return tag.clark_name, tag.nsmap


def OxmlElement(nsptag: str):  # python-docx's name
    """docx.oxml.OxmlElement(nsptag): a loose element of python-docx's custom class for the tag."""
    clark_name, nsmap = _clark_name_and_nsmap(nsptag)
    return oxml_parser.makeelement(clark_name, nsmap=nsmap)


def make_element(tag: str, **w_attributes):
    """A loose `tag` element with w: attributes given by local name: make_element("w:jc",
    val="left") is <w:jc w:val="left"/>. Values are written with str()."""
    element = OxmlElement(tag)
    for name, value in w_attributes.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def successors(order: Sequence[str], tag: str) -> tuple[str, ...]:
    """The tags that `order` (an element's children in schema order) puts after `tag`."""
    return tuple(order[order.index(tag) + 1 :])


@cache
def _ranks(successor_tags: tuple[str, ...]) -> dict[str, int]:
    return {qn(tag): rank for rank, tag in reversed(list(enumerate(successor_tags)))}


def place_in_order(parent, element, successor_tags: Sequence[str]) -> None:
    """Insert `element` before the first existing child named in `successor_tags` (schema
    order): before the first child of the earliest-listed tag present, else at the end. (One
    pass over the children rather than a find() per successor.)"""
    ranks = _ranks(tuple(successor_tags))
    anchor, best = None, len(successor_tags)
    for child in parent:
        rank = ranks.get(child.tag)
        if rank is not None and rank < best:
            anchor, best = child, rank
            if rank == 0:
                break
    if anchor is not None:
        anchor.addprevious(element)
    else:
        parent.append(element)


def get_or_add_child(parent, tag: str, *, before: Sequence[str] = ()):
    """The first `tag` child of `parent`, created (before any of `before`) if missing."""
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        place_in_order(parent, found, before)
    return found


def remove_children(parent, *tags: str) -> None:
    """Remove every child of `parent` named by one of `tags`."""
    for tag in tags:
        for child in parent.findall(qn(tag)):
            parent.remove(child)
