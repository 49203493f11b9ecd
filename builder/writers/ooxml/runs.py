"""Run properties (w:rPr): typefaces per script, language, a border around text, and the
document defaults (w:docDefaults) that every style inherits."""

from __future__ import annotations

from .elements import OxmlElement, get_or_add_child, qn, successors

# The children of w:rPr in schema order (ECMA-376 Part 1, EG_RPrBase; the same sequence as
# python-docx's CT_RPr. The schema's w:rPrChange follows; the writers never make one).
RPR_ORDER = (
    "w:rStyle",
    "w:rFonts",
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)
_AFTER_FONTS = successors(RPR_ORDER, "w:rFonts")
_AFTER_LANG = successors(RPR_ORDER, "w:lang")
_AFTER_BORDER = successors(RPR_ORDER, "w:bdr")
_AFTER_HIGHLIGHT = successors(RPR_ORDER, "w:highlight")

# The children of w:docDefaults in schema order (CT_DocDefaults).
DOC_DEFAULTS_ORDER = ("w:rPrDefault", "w:pPrDefault")

THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")


def set_fonts(rPr, font: str, east_asia: str | None = None) -> None:
    """Name the typeface of every script slot on a w:rPr (of a style, run or docDefaults).

    Theme-font attributes are removed: Word lets them override the explicit names.
    """
    fonts = get_or_add_child(rPr, "w:rFonts", before=_AFTER_FONTS)
    for attribute in THEME_FONT_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), font)
    fonts.set(qn("w:hAnsi"), font)
    fonts.set(qn("w:eastAsia"), east_asia or font)
    fonts.set(qn("w:cs"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def set_lang(rPr, east_asia: str, latin: str = "en-US") -> None:
    """`w:lang`: the East Asian tag decides Chinese vs Japanese glyph shapes for shared Han."""
    lang = get_or_add_child(rPr, "w:lang", before=_AFTER_LANG)
    lang.set(qn("w:val"), latin)
    lang.set(qn("w:eastAsia"), east_asia)
    lang.set(qn("w:bidi"), "ar-SA")


def strip_theme_fonts(root) -> int:
    """Remove theme-font attributes from every w:rFonts below `root`; how many were touched."""
    touched = 0
    for fonts in root.iter(qn("w:rFonts")):
        for attribute in THEME_FONT_ATTRIBUTES:
            if fonts.attrib.pop(qn(attribute), None) is not None:
                touched += 1
    return touched


def east_asian_font(rPr) -> str | None:
    """The w:eastAsia typeface named on a w:rPr, if any."""
    fonts = None if rPr is None else rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def set_run_border(rPr, size_eighths: int = 8, color: str = "000000", space: int = 2) -> None:
    """A box around text (w:bdr), e.g. the confidentiality mark on the cover."""
    border = get_or_add_child(rPr, "w:bdr", before=_AFTER_BORDER)
    border.set(qn("w:val"), "single")
    border.set(qn("w:sz"), str(size_eighths))
    border.set(qn("w:space"), str(space))
    border.set(qn("w:color"), color)


def set_highlight(rPr, color: str = "yellow") -> None:
    """Highlight the text (w:highlight), e.g. a value still to be confirmed in a draft."""
    get_or_add_child(rPr, "w:highlight", before=_AFTER_HIGHLIGHT).set(qn("w:val"), color)


def doc_defaults_rpr(styles_element):
    """The w:rPr of w:docDefaults/w:rPrDefault, created if missing."""
    defaults = styles_element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles_element.insert(0, defaults)  # the first child of w:styles
    rpr_default = get_or_add_child(
        defaults, "w:rPrDefault", before=successors(DOC_DEFAULTS_ORDER, "w:rPrDefault")
    )
    return get_or_add_child(rpr_default, "w:rPr")


def doc_defaults_ppr(styles_element):
    """The w:pPr of w:docDefaults/w:pPrDefault, created if missing (w:docDefaults must exist)."""
    defaults = styles_element.find(qn("w:docDefaults"))
    ppr_default = get_or_add_child(
        defaults, "w:pPrDefault", before=successors(DOC_DEFAULTS_ORDER, "w:pPrDefault")
    )
    return get_or_add_child(ppr_default, "w:pPr")
