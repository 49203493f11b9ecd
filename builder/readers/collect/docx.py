"""Reading a filled Word form: the content controls of word/document.xml, by name.

A control's name is its w:tag (Word, WPS), else the form bookmark around or just inside it
(fieldnames.bookmark_of: LibreOffice Writer drops w:tag but keeps bookmarks). A form written
before the bookmarks, saved by LibreOffice 7.4, keeps only w:alias (the label) and has each text
control split into several with the same alias, the first holding the whole text: those are
recorded by label (`RawForm.by_label`, the first of a run of equal aliases).
"""

from __future__ import annotations

from pathlib import Path

from builder.document.fieldnames import name_of_bookmark
from builder.readers.collect.raw import RawForm
from builder.readers.package import Package

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_CUSTOM = "docProps/custom.xml"
_CHECKED = "\u2612"
_NS = {"w": W, "w14": W14}


def _val(element, path: str) -> str | None:
    found = element.find(path, _NS)
    return None if found is None else found.get(f"{{{W}}}val", found.get(f"{{{W14}}}val"))


def _text(content) -> str:
    parts = []
    for node in content.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}p"):
        if node.tag == f"{{{W}}}t":
            parts.append(node.text or "")
        elif node.tag == f"{{{W}}}p" and parts:
            parts.append("\n")
        elif node.tag != f"{{{W}}}p":
            parts.append("\t" if node.tag.endswith("tab") else "\n")
    return "".join(parts).strip()


def custom_properties(package: Package) -> dict[str, str]:
    if _CUSTOM not in package:
        return {}
    root = package.xml(_CUSTOM)
    out = {}
    for prop in root:
        name = prop.get("name")
        if name and len(prop):
            out[name] = (prop[0].text or "").strip()
    return out


def read_docx(path: Path) -> RawForm:
    with Package(path) as package:
        properties = custom_properties(package)
        body = package.xml("word/document.xml")
    raw = RawForm("docx", properties)
    named = _bookmarked(body)
    previous_alias = None
    for sdt in body.iter(f"{{{W}}}sdt"):
        pr = sdt.find("w:sdtPr", _NS)
        content = sdt.find("w:sdtContent", _NS)
        if pr is None or content is None:
            continue
        tag, alias = _val(pr, "w:tag") or named.get(sdt), _val(pr, "w:alias")
        box = pr.find("w14:checkbox", _NS)
        if box is not None:
            value: object = _val(box, "w14:checked") in ("1", "true")
        elif pr.find("w:showingPlcHdr", _NS) is not None:
            value = ""
        else:
            text = _text(content)
            value = text == _CHECKED if text in ("\u2610", _CHECKED) else text
        if tag:
            raw.values[tag] = value
        elif alias and alias != previous_alias:
            raw.by_label[alias] = value
        previous_alias = alias if not tag else None
    return raw


def _bookmarked(body) -> dict:
    """sdt element → the input name of its form bookmark: the bookmark just before the control
    (as written) or the nearest control around it (where LibreOffice moves it)."""
    named = {}
    for start in body.iter(f"{{{W}}}bookmarkStart"):
        name = name_of_bookmark(start.get(f"{{{W}}}name") or "")
        if not name:
            continue
        following = start.getnext()
        if following is not None and following.tag == f"{{{W}}}sdt":
            named[following] = name
            continue
        for around in start.iterancestors(f"{{{W}}}sdt"):
            named[around] = name
            break
    return named
