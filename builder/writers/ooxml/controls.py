"""Content controls (structured document tags), the inputs of a fillable form.

A form's input is an inline w:sdt in a paragraph: w:sdtPr says what kind of control it is (plain
text, date picker, drop-down list, w14 check box), names it (w:tag, the machine name; w:alias,
the title Word shows) and locks the control itself against deletion (its content stays
editable). Until something is entered, w:sdtContent holds the placeholder text, drawn in the
Placeholder Text character style; w:showingPlcHdr tells Word to select and replace it whole.

Surviving LibreOffice Writer (7.4), which people use to fill the forms too: a plain-text control
(w:text) holding Chinese is saved back split into one control per script run, the placeholder
repeated in each ("点击输入…点击输入…点击输入…"), and w:tag is dropped. So text inputs are rich-text
controls (no w:text: LibreOffice keeps them whole, placeholder and all), and every control sits
in a bookmark named after its input (builder.document.fieldnames.bookmark_of), which LibreOffice
keeps (it moves it just inside the control) and Word and WPS keep as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from builder.document.fieldnames import bookmark_of

from .elements import OxmlElement, make_element, qn
from .paragraph import make_run, preserved_text
from .runs import set_fonts

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MARKUP_COMPATIBILITY = "http://schemas.openxmlformats.org/markup-compatibility/2006"
BOOKMARK_IDS = 100_000  # bookmark ids of the controls: this + the control's w:id
CHECKBOX_UNCHECKED, CHECKBOX_CHECKED = "\u2610", "\u2612"  # ☐ ☒


def declare_w14(document_element) -> None:
    """Declare the w14 namespace on the w:document root and list it in mc:Ignorable, so that
    w14:checkbox is valid and older readers skip it. Call once the body is written. (Templates
    saved by Word or python-docx already declare it; lxml can only hoist a namespace in use.)"""
    if document_element.nsmap.get("w14") != W14:
        prefixes = [prefix for prefix in document_element.nsmap if prefix]
        etree.cleanup_namespaces(
            document_element, top_nsmap={"w14": W14}, keep_ns_prefixes=prefixes
        )
        if document_element.nsmap.get("w14") != W14:
            return  # no w14 element anywhere: nothing to declare
    ignorable = f"{{{_MARKUP_COMPATIBILITY}}}Ignorable"
    listed = (document_element.get(ignorable) or "").split()
    if "w14" not in listed:
        document_element.set(ignorable, " ".join([*listed, "w14"]))


def _control_properties(sdt_id: int, tag: str, alias: str, *, placeholder: bool):
    """The w:sdtPr every control starts with: alias, tag, id, lock (and showingPlcHdr)."""
    sdtPr = OxmlElement("w:sdtPr")
    sdtPr.append(make_element("w:alias", val=alias))
    sdtPr.append(make_element("w:tag", val=tag))
    sdtPr.append(make_element("w:id", val=sdt_id))
    sdtPr.append(make_element("w:lock", val="sdtLocked"))
    if placeholder:
        sdtPr.append(OxmlElement("w:showingPlcHdr"))
    return sdtPr


def _styled_run(text: str, style_id: str | None = None, font: str | None = None):
    rPr = None
    if style_id or font:
        rPr = OxmlElement("w:rPr")
        if style_id:
            rPr.append(make_element("w:rStyle", val=style_id))
        if font:
            set_fonts(rPr, font)
    return make_run(preserved_text(text), rPr=rPr)


def _append_control(paragraph, sdtPr, run, sdt_id: int, tag: str):
    """The control, inside a bookmark named after its input (see the module's docstring)."""
    control = OxmlElement("w:sdt")
    control.append(sdtPr)
    content = OxmlElement("w:sdtContent")
    content.append(run)
    control.append(content)
    bookmark_id = BOOKMARK_IDS + sdt_id
    paragraph._p.append(make_element("w:bookmarkStart", id=bookmark_id, name=bookmark_of(tag)))
    paragraph._p.append(control)
    paragraph._p.append(make_element("w:bookmarkEnd", id=bookmark_id))
    return control


def add_text_control(
    paragraph,
    sdt_id: int,
    tag: str,
    alias: str,
    placeholder: str,
    *,
    placeholder_style: str | None = None,
):
    """A text input: a rich-text content control (no w:text, so that LibreOffice keeps it whole;
    it takes several lines too)."""
    sdtPr = _control_properties(sdt_id, tag, alias, placeholder=True)
    return _append_control(
        paragraph, sdtPr, _styled_run(placeholder, placeholder_style), sdt_id, tag
    )


def add_date_control(
    paragraph,
    sdt_id: int,
    tag: str,
    alias: str,
    placeholder: str,
    *,
    date_format: str,
    lid: str,
    placeholder_style: str | None = None,
):
    """A date-picker content control; the picked date is written as `date_format` (Word's
    pattern syntax, e.g. yyyy'年'M'月'd'日') in the Gregorian calendar of locale `lid`."""
    sdtPr = _control_properties(sdt_id, tag, alias, placeholder=True)
    picker = OxmlElement("w:date")
    picker.append(make_element("w:dateFormat", val=date_format))
    picker.append(make_element("w:lid", val=lid))
    picker.append(make_element("w:storeMappedDataAs", val="dateTime"))
    picker.append(make_element("w:calendar", val="gregorian"))
    sdtPr.append(picker)
    return _append_control(
        paragraph, sdtPr, _styled_run(placeholder, placeholder_style), sdt_id, tag
    )


def add_dropdown_control(
    paragraph,
    sdt_id: int,
    tag: str,
    alias: str,
    placeholder: str,
    items: Sequence[str],
    *,
    placeholder_style: str | None = None,
):
    """A drop-down list content control; each item is shown and stored as its own text."""
    sdtPr = _control_properties(sdt_id, tag, alias, placeholder=True)
    listing = OxmlElement("w:dropDownList")
    for item in items:
        listing.append(make_element("w:listItem", displayText=item, value=item))
    sdtPr.append(listing)
    return _append_control(
        paragraph, sdtPr, _styled_run(placeholder, placeholder_style), sdt_id, tag
    )


def add_checkbox_control(
    paragraph, sdt_id: int, tag: str, alias: str, *, font: str, checked: bool = False
):
    """A Word 2010 check box content control (w14:checkbox), showing ☐ or ☒ in `font`."""
    sdtPr = _control_properties(sdt_id, tag, alias, placeholder=False)
    box = OxmlElement("w14:checkbox")
    state = OxmlElement("w14:checked")
    state.set(qn("w14:val"), "1" if checked else "0")
    box.append(state)
    for name, char in (
        ("w14:checkedState", CHECKBOX_CHECKED),
        ("w14:uncheckedState", CHECKBOX_UNCHECKED),
    ):
        symbol = OxmlElement(name)
        symbol.set(qn("w14:val"), f"{ord(char):04X}")
        symbol.set(qn("w14:font"), font)
        box.append(symbol)
    sdtPr.append(box)
    glyph = CHECKBOX_CHECKED if checked else CHECKBOX_UNCHECKED
    return _append_control(paragraph, sdtPr, _styled_run(glyph, font=font), sdt_id, tag)
