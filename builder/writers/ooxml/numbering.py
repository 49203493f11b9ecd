"""Multilevel numbering (numbering.xml): list definitions (w:abstractNum), list instances
(w:num) and the indents of a level. A paragraph joins a list through paragraph.set_numbering."""

from __future__ import annotations

from collections.abc import Sequence

from .elements import OxmlElement, make_element, qn


def find_abstract_num(numbering_element, name: str) -> int | None:
    """The w:abstractNumId of the definition called `name` (w:name), if the template has it."""
    for abstract in numbering_element.findall(qn("w:abstractNum")):
        named = abstract.find(qn("w:name"))
        if named is not None and named.get(qn("w:val")) == name:
            return int(abstract.get(qn("w:abstractNumId")))
    return None


def add_abstract_num(
    numbering_element,
    name: str,
    levels: Sequence[tuple[str, str]],
    indents: Sequence[tuple[int, int]],
    suffixes: Sequence[str],
) -> int:
    """Add a multilevel list definition; returns its w:abstractNumId.

    levels: (numFmt, lvlText) per level; indents: (left, hanging) twips per level (a negative
    hanging is a first-line indent);
    suffixes: w:suff per level ("tab", "space" or "nothing"). Each level restarts after any
    higher level (Word's default when w:lvlRestart is absent).
    """
    existing = [
        int(abstract.get(qn("w:abstractNumId")))
        for abstract in numbering_element.findall(qn("w:abstractNum"))
    ]
    abstract_id = max(existing, default=-1) + 1
    abstract = make_element("w:abstractNum", abstractNumId=abstract_id)
    abstract.append(make_element("w:nsid", val=f"{0x48420000 + abstract_id:08X}"))
    abstract.append(make_element("w:multiLevelType", val="multilevel"))
    abstract.append(make_element("w:name", val=name))
    for ilvl, ((number_format, level_text), (left, hanging), suffix) in enumerate(
        zip(levels, indents, suffixes, strict=False)
    ):
        level = make_element("w:lvl", ilvl=ilvl)
        level.append(make_element("w:start", val=1))
        level.append(make_element("w:numFmt", val=number_format))
        level.append(make_element("w:suff", val=suffix))
        level.append(make_element("w:lvlText", val=level_text))
        level.append(make_element("w:lvlJc", val="left"))
        pPr = OxmlElement("w:pPr")
        if hanging < 0:  # the label indented on the first line, wrapped lines at `left`
            pPr.append(make_element("w:ind", left=left, firstLine=-hanging))
        else:
            pPr.append(make_element("w:ind", left=left, hanging=hanging))
        level.append(pPr)
        abstract.append(level)
    # Schema order: every w:abstractNum precedes every w:num.
    first_num = numbering_element.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering_element.append(abstract)
    return abstract_id


def add_num(
    numbering_element, abstract_id: int, start_overrides: dict[int, int] | None = None
) -> int:
    """A list instance (w:num) of an abstract definition; returns its w:numId."""
    existing = [int(num.get(qn("w:numId"))) for num in numbering_element.findall(qn("w:num"))]
    num_id = max(existing, default=0) + 1
    num = make_element("w:num", numId=num_id)
    num.append(make_element("w:abstractNumId", val=abstract_id))
    for ilvl, start in sorted((start_overrides or {}).items()):
        override = make_element("w:lvlOverride", ilvl=ilvl)
        override.append(make_element("w:startOverride", val=start))
        num.append(override)
    numbering_element.append(num)
    return num_id


def level_indent(numbering_element, abstract_id: int, ilvl: int) -> tuple[int, int]:
    """(left, hanging) twips of one level of an abstract definition; a first-line indent comes
    back as a negative hanging."""
    for abstract in numbering_element.findall(qn("w:abstractNum")):
        if int(abstract.get(qn("w:abstractNumId"))) != abstract_id:
            continue
        for level in abstract.findall(qn("w:lvl")):
            if int(level.get(qn("w:ilvl"))) == ilvl:
                indent = level.find(f"{qn('w:pPr')}/{qn('w:ind')}")
                if indent is None:
                    return 0, 0
                left = indent.get(qn("w:left")) or indent.get(qn("w:start")) or "0"
                first_line = indent.get(qn("w:firstLine"))
                if first_line and not indent.get(qn("w:hanging")):
                    return int(left), -int(first_line)
                return int(left), int(indent.get(qn("w:hanging")) or 0)
    raise KeyError((abstract_id, ilvl))
