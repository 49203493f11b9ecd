"""Direct tests of the OOXML helpers (builder.writers.ooxml): small XML fragments in, XML out.

The expected child orders are written out here from the schema (ECMA-376 Part 1, wml.xsd), not
taken from the package, so that a wrong order in the package cannot agree with itself. Where
python-docx makes the same element (Run.text, Paragraph.style, add_r), its XML is the oracle.
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from builder.writers import ooxml

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NAMESPACES = {"w": W_NS, "w14": W14_NS}
DECLARE_W = f'xmlns:w="{W_NS}"'
AUTHOR, DATE = "审核人", "2024-05-01T00:00:00Z"

# -- the schema's child orders (wml.xsd) ------------------------------------------------------

RPR_SCHEMA_ORDER = (  # EG_RPrBase, then rPrChange (CT_RPr)
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
    "w:rPrChange",
)
PPR_SCHEMA_ORDER = (  # CT_PPrBase, then rPr, sectPr, pPrChange (CT_PPr)
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
PBDR_SCHEMA_ORDER = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")
TCPR_SCHEMA_ORDER = (  # CT_TcPrBase, then CT_TcPr's tail
    "w:cnfStyle",
    "w:tcW",
    "w:gridSpan",
    "w:hMerge",
    "w:vMerge",
    "w:tcBorders",
    "w:shd",
    "w:noWrap",
    "w:tcMar",
    "w:textDirection",
    "w:tcFitText",
    "w:vAlign",
    "w:hideMark",
    "w:headers",
    "w:cellIns",
    "w:cellDel",
    "w:cellMerge",
    "w:tcPrChange",
)
TBLPR_SCHEMA_ORDER = (  # CT_TblPrBase, then tblPrChange
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
    "w:tblBorders",
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
    "w:tblCaption",
    "w:tblDescription",
    "w:tblPrChange",
)
# CT_TrPr: CT_TrPrBase's properties (a choice group, any order), then ins, del, trPrChange.
TRPR_MARKS_SCHEMA_ORDER = ("w:ins", "w:del", "w:trPrChange")
STYLE_SCHEMA_ORDER = (
    "w:name",
    "w:aliases",
    "w:basedOn",
    "w:next",
    "w:link",
    "w:autoRedefine",
    "w:hidden",
    "w:uiPriority",
    "w:semiHidden",
    "w:unhideWhenUsed",
    "w:qFormat",
    "w:locked",
    "w:personal",
    "w:personalCompose",
    "w:personalReply",
    "w:rsid",
    "w:pPr",
    "w:rPr",
    "w:tblPr",
    "w:trPr",
    "w:tcPr",
    "w:tblStylePr",
)
TBLSTYLEPR_SCHEMA_ORDER = ("w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr")
ABSTRACT_NUM_SCHEMA_ORDER = (
    "w:nsid",
    "w:multiLevelType",
    "w:tmpl",
    "w:name",
    "w:styleLink",
    "w:numStyleLink",
    "w:lvl",
)
LVL_SCHEMA_ORDER = (
    "w:start",
    "w:numFmt",
    "w:lvlRestart",
    "w:pStyle",
    "w:isLgl",
    "w:suff",
    "w:lvlText",
    "w:lvlPicBulletId",
    "w:legacy",
    "w:lvlJc",
    "w:pPr",
    "w:rPr",
)
NUMBERING_SCHEMA_ORDER = ("w:numPicBullet", "w:abstractNum", "w:num", "w:numIdMacAtCleanup")
# CT_SdtPr, ending in one control-type element; Word writes the w14:checkbox extension last.
SDTPR_SCHEMA_ORDER = (
    "w:rPr",
    "w:alias",
    "w:tag",
    "w:id",
    "w:lock",
    "w:placeholder",
    "w:temporary",
    "w:showingPlcHdr",
    "w:dataBinding",
    "w:label",
    "w:tabIndex",
    (
        "w:equation",
        "w:comboBox",
        "w:date",
        "w:docPartObj",
        "w:docPartList",
        "w:dropDownList",
        "w:picture",
        "w:richText",
        "w:text",
        "w:citation",
        "w:group",
        "w:bibliography",
    ),
    "w14:checkbox",
)
SDT_DATE_SCHEMA_ORDER = ("w:dateFormat", "w:lid", "w:storeMappedDataAs", "w:calendar")

# -- helpers ----------------------------------------------------------------------------------


def element(source: str):
    """A python-docx element parsed from `source`, with the w: prefix declared on its root."""
    declared = re.sub(r"^<([\w:]+)", lambda match: f"<{match[1]} {DECLARE_W}", source, count=1)
    return parse_xml(declared)


def with_children(tag: str, children) -> object:
    return element(f"<{tag}>" + "".join(f"<{child}/>" for child in children) + f"</{tag}>")


def prefixed(node) -> str:
    namespace, local = node.tag[1:].split("}")
    prefix = {W_NS: "w", W14_NS: "w14"}[namespace]
    return f"{prefix}:{local}"


def child_tags(node) -> list[str]:
    return [prefixed(child) for child in node]


def schema_rank(order, tag: str) -> int:
    for rank, entry in enumerate(order):
        if tag == entry or (isinstance(entry, tuple) and tag in entry):
            return rank
    raise AssertionError(f"{tag} is not in the schema order")


def assert_schema_order(node, order) -> None:
    """Every child of `node` is one the schema allows, in the schema's order."""
    tags = child_tags(node)
    ranks = [schema_rank(order, tag) for tag in tags]
    assert ranks == sorted(ranks), f"out of schema order: {tags}"


def attribute(node, name: str) -> str | None:
    return node.get(qn(name))


def xml(node) -> bytes:
    return etree.tostring(node)


def new_paragraph(xml_text: str = "<w:p/>") -> Paragraph:
    return Paragraph(element(xml_text), None)


# -- elements ---------------------------------------------------------------------------------


def test_make_element_sets_w_attributes_as_text():
    made = ooxml.make_element("w:ind", left=420, hanging=0)
    assert prefixed(made) == "w:ind"
    assert (attribute(made, "w:left"), attribute(made, "w:hanging")) == ("420", "0")


def test_place_in_order_goes_before_the_earliest_listed_successor_present():
    parent = with_children("w:rPr", ["w:b", "w:color", "w:sz", "w:lang"])
    ooxml.place_in_order(parent, ooxml.OxmlElement("w:i"), ("w:iCs", "w:color", "w:sz", "w:lang"))
    assert child_tags(parent) == ["w:b", "w:i", "w:color", "w:sz", "w:lang"]
    ooxml.place_in_order(parent, ooxml.OxmlElement("w:u"), ("w:lang", "w:sz"))  # listed first
    assert child_tags(parent) == ["w:b", "w:i", "w:color", "w:sz", "w:u", "w:lang"]
    ooxml.place_in_order(parent, ooxml.OxmlElement("w:oMath"), ("w:rPrChange",))
    assert child_tags(parent)[-1] == "w:oMath"


def test_get_or_add_child_creates_once():
    parent = with_children("w:pPr", ["w:jc"])
    first = ooxml.get_or_add_child(parent, "w:spacing", before=("w:ind", "w:jc"))
    assert ooxml.get_or_add_child(parent, "w:spacing", before=("w:jc",)) is first
    assert child_tags(parent) == ["w:spacing", "w:jc"]


def test_remove_children_removes_every_named_child():
    parent = with_children("w:rPr", ["w:ins", "w:b", "w:del", "w:ins"])
    ooxml.remove_children(parent, "w:ins", "w:del")
    assert child_tags(parent) == ["w:b"]


# -- run properties ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "present",
    [
        [],
        ["w:rStyle"],
        ["w:oMath"],
        ["w:rStyle", "w:b", "w:color", "w:sz", "w:shd", "w:eastAsianLayout"],
        ["w:i", "w:u", "w:vertAlign", "w:em", "w:specVanish", "w:rPrChange"],
    ],
)
def test_run_properties_land_in_schema_order(present):
    rPr = with_children("w:rPr", present)
    ooxml.set_lang(rPr, "zh-CN")
    ooxml.set_run_border(rPr)
    ooxml.set_fonts(rPr, "宋体")
    assert_schema_order(rPr, RPR_SCHEMA_ORDER)
    assert sorted(child_tags(rPr)) == sorted([*present, "w:rFonts", "w:bdr", "w:lang"])


def test_set_fonts_names_every_script_and_drops_theme_fonts():
    rPr = element(
        '<w:rPr><w:rFonts w:asciiTheme="minorHAnsi" w:eastAsiaTheme="minorEastAsia"'
        ' w:hAnsiTheme="minorHAnsi" w:cstheme="minorBidi"/></w:rPr>'
    )
    ooxml.set_fonts(rPr, "Times New Roman", east_asia="宋体")
    fonts = rPr.find(qn("w:rFonts"))
    assert dict(fonts.attrib) == {
        qn("w:ascii"): "Times New Roman",
        qn("w:hAnsi"): "Times New Roman",
        qn("w:eastAsia"): "宋体",
        qn("w:cs"): "Times New Roman",
        qn("w:hint"): "eastAsia",
    }
    ooxml.set_fonts(rPr, "黑体")
    assert attribute(fonts, "w:eastAsia") == "黑体" and len(rPr) == 1


def test_set_lang_and_run_border_attributes():
    rPr = element("<w:rPr/>")
    ooxml.set_lang(rPr, "zh-CN")
    ooxml.set_run_border(rPr, size_eighths=12, color="FF0000", space=1)
    lang, border = rPr.find(qn("w:lang")), rPr.find(qn("w:bdr"))
    assert (attribute(lang, "w:val"), attribute(lang, "w:eastAsia"), attribute(lang, "w:bidi")) == (
        "en-US",
        "zh-CN",
        "ar-SA",
    )
    assert (
        attribute(border, "w:val"),
        attribute(border, "w:sz"),
        attribute(border, "w:space"),
        attribute(border, "w:color"),
    ) == ("single", "12", "1", "FF0000")


def test_strip_theme_fonts_counts_removed_attributes():
    root = element(
        '<w:styles><w:style><w:rPr><w:rFonts w:asciiTheme="a" w:cstheme="b"'
        ' w:ascii="Arial"/></w:rPr></w:style><w:rPr><w:rFonts w:hAnsiTheme="c"/>'
        "</w:rPr></w:styles>"
    )
    assert ooxml.strip_theme_fonts(root) == 3
    assert [dict(fonts.attrib) for fonts in root.iter(qn("w:rFonts"))] == [
        {qn("w:ascii"): "Arial"},
        {},
    ]
    assert ooxml.strip_theme_fonts(root) == 0


def test_east_asian_font():
    assert ooxml.east_asian_font(None) is None
    assert ooxml.east_asian_font(element("<w:rPr/>")) is None
    rPr = element('<w:rPr><w:rFonts w:eastAsia="仿宋"/></w:rPr>')
    assert ooxml.east_asian_font(rPr) == "仿宋"


def test_doc_defaults_are_created_first_and_in_order():
    styles = element("<w:styles><w:latentStyles/><w:style/></w:styles>")
    rPr = ooxml.doc_defaults_rpr(styles)
    assert child_tags(styles) == ["w:docDefaults", "w:latentStyles", "w:style"]
    assert prefixed(rPr) == "w:rPr" and prefixed(rPr.getparent()) == "w:rPrDefault"
    pPr = ooxml.doc_defaults_ppr(styles)
    assert prefixed(pPr.getparent()) == "w:pPrDefault"
    assert child_tags(styles[0]) == ["w:rPrDefault", "w:pPrDefault"]
    assert ooxml.doc_defaults_rpr(styles) is rPr and ooxml.doc_defaults_ppr(styles) is pPr
    later = element("<w:styles><w:docDefaults><w:pPrDefault/></w:docDefaults></w:styles>")
    ooxml.doc_defaults_rpr(later)
    assert child_tags(later[0]) == ["w:rPrDefault", "w:pPrDefault"]


# -- paragraph properties, paragraphs and runs ------------------------------------------------


@pytest.mark.parametrize(
    "present",
    [
        [],
        ["w:pStyle", "w:keepNext", "w:spacing", "w:jc", "w:rPr"],
        ["w:widowControl", "w:shd", "w:ind", "w:textAlignment", "w:sectPr", "w:pPrChange"],
        ["w:pPrChange"],
    ],
)
def test_paragraph_properties_land_in_schema_order(present):
    paragraph = new_paragraph(
        "<w:p><w:pPr>" + "".join(f"<{tag}/>" for tag in present) + "</w:pPr><w:r/></w:p>"
    )
    pPr = paragraph._p.pPr
    ooxml.set_outline_level(pPr, 2)
    ooxml.set_bottom_border(pPr)
    ooxml.set_numbering(paragraph, 7, 1)
    ooxml.set_paragraph_border(pPr, "top", 4, "000000", 1)
    assert_schema_order(pPr, PPR_SCHEMA_ORDER)
    assert {"w:outlineLvl", "w:pBdr", "w:numPr"} <= set(child_tags(pPr))
    assert child_tags(pPr.find(qn("w:pBdr"))) == ["w:top", "w:bottom"]
    assert_schema_order(pPr.find(qn("w:pBdr")), PBDR_SCHEMA_ORDER)


def test_numbering_and_outline_values():
    paragraph = new_paragraph()
    ooxml.set_numbering(paragraph, 3, 0)
    ooxml.set_numbering(paragraph, 7, 2)  # replaces, not adds
    numPr = paragraph._p.pPr.find(qn("w:numPr"))
    assert child_tags(numPr) == ["w:ilvl", "w:numId"]  # CT_NumPr: ilvl, numId
    assert [attribute(child, "w:val") for child in numPr] == ["2", "7"]
    ooxml.set_outline_level(paragraph._p.pPr, 9)
    assert attribute(paragraph._p.pPr.find(qn("w:outlineLvl")), "w:val") == "9"


def test_paragraph_borders_in_schema_order_with_attributes():
    pPr = element("<w:pPr/>")
    for side in ("right", "bottom", "top", "left"):
        ooxml.set_paragraph_border(pPr, side)
    borders = pPr.find(qn("w:pBdr"))
    assert child_tags(borders) == ["w:top", "w:left", "w:bottom", "w:right"]
    assert {
        (
            attribute(side, "w:val"),
            attribute(side, "w:sz"),
            attribute(side, "w:space"),
            attribute(side, "w:color"),
        )
        for side in borders
    } == {("single", "6", "4", "808080")}


@pytest.mark.parametrize(
    "start",
    [
        "<w:p/>",
        "<w:p><w:r/></w:p>",
        "<w:p><w:pPr><w:jc/></w:pPr></w:p>",
        '<w:p><w:pPr><w:pStyle w:val="Old"/><w:jc/></w:pPr></w:p>',
    ],
)
@pytest.mark.parametrize("style_id", [None, "Heading1"])
def test_set_paragraph_style_as_python_docx(start, style_id):
    made, oracle = element(start), element(start)
    ooxml.set_paragraph_style(made, style_id)
    oracle.style = style_id  # python-docx's CT_P.style
    assert xml(made) == xml(oracle)


@pytest.mark.parametrize(
    "text", ["", "条款", " leading", "trailing ", "a\tb", "一\n二\r三", "\t\n", "x \t y"]
)
def test_run_text_as_python_docx(text):
    made, oracle = element("<w:r/>"), element("<w:r/>")
    ooxml.run_text(made, text)
    oracle.text = text  # python-docx's CT_R.text
    assert xml(made) == xml(oracle)


@pytest.mark.parametrize(
    ("text", "style_id", "rpr"),
    [
        (None, None, False),
        ("正文", None, False),
        ("正文", "Strong", False),
        ("a\tb", None, True),
    ],
)
def test_append_run_as_python_docx(text, style_id, rpr):
    made, oracle = element("<w:p/>"), element("<w:p/>")
    run = ooxml.append_run(made, text, style_id, rpr=rpr)
    expected = oracle.add_r()
    if style_id is not None:
        expected.style = style_id
    elif rpr:
        expected.get_or_add_rPr()
    if text:
        expected.text = text
    assert xml(made) == xml(oracle) and run.getparent() is made


def test_new_run_and_tab_run():
    parent = element("<w:p/>")
    run = ooxml.new_run(parent, " 见 ", "Hyperlink")
    assert child_tags(run) == ["w:rPr", "w:t"]
    assert attribute(run.find(qn("w:rPr"))[0], "w:val") == "Hyperlink"
    assert run[1].text == " 见 " and run[1].get(qn("xml:space")) == "preserve"
    assert child_tags(ooxml.new_run(parent)) == []
    assert child_tags(ooxml.tab_run()) == ["w:tab"]


def test_body_paragraph_goes_before_the_final_section_properties():
    body = element("<w:body><w:p/><w:sectPr/></w:body>")
    made = ooxml.body_paragraph(body)
    assert child_tags(body) == ["w:p", "w:p", "w:sectPr"] and body[1] is made
    bare = element("<w:body/>")
    assert ooxml.body_paragraph(bare) is bare[0]
    ooxml.clear_body(body)
    assert child_tags(body) == ["w:sectPr"]


# -- numbering --------------------------------------------------------------------------------

LEVELS = [("decimal", "第%1章"), ("chineseCounting", "%2、"), ("decimal", "%3.")]
INDENTS = [(0, 0), (420, 420), (840, 420)]
SUFFIXES = ["space", "nothing", "tab"]


def test_abstract_num_in_schema_order_before_every_num():
    numbering = element(
        '<w:numbering><w:abstractNum w:abstractNumId="4"/>'
        '<w:num w:numId="1"><w:abstractNumId w:val="4"/></w:num></w:numbering>'
    )
    abstract_id = ooxml.add_abstract_num(numbering, "条款编号", LEVELS, INDENTS, SUFFIXES)
    assert abstract_id == 5
    assert_schema_order(numbering, NUMBERING_SCHEMA_ORDER)
    abstract = numbering[1]
    assert attribute(abstract, "w:abstractNumId") == "5"
    assert_schema_order(abstract, ABSTRACT_NUM_SCHEMA_ORDER)
    assert attribute(abstract.find(qn("w:multiLevelType")), "w:val") == "multilevel"
    assert attribute(abstract.find(qn("w:name")), "w:val") == "条款编号"
    assert re.fullmatch(r"[0-9A-F]{8}", attribute(abstract.find(qn("w:nsid")), "w:val"))
    levels = abstract.findall(qn("w:lvl"))
    assert [attribute(level, "w:ilvl") for level in levels] == ["0", "1", "2"]
    for level, (number_format, text), suffix in zip(levels, LEVELS, SUFFIXES, strict=True):
        assert_schema_order(level, LVL_SCHEMA_ORDER)
        values = {prefixed(child): attribute(child, "w:val") for child in level}
        assert values["w:numFmt"] == number_format and values["w:lvlText"] == text
        assert values["w:suff"] == suffix and values["w:start"] == "1"
    assert ooxml.find_abstract_num(numbering, "条款编号") == 5
    assert ooxml.find_abstract_num(numbering, "其他") is None


def test_num_ids_and_start_overrides():
    numbering = element("<w:numbering/>")
    abstract_id = ooxml.add_abstract_num(numbering, "L", LEVELS, INDENTS, SUFFIXES)
    assert abstract_id == 0
    first = ooxml.add_num(numbering, abstract_id)
    second = ooxml.add_num(numbering, abstract_id, {2: 5, 0: 3})
    assert (first, second) == (1, 2)
    num = numbering.findall(qn("w:num"))[1]
    assert child_tags(num) == ["w:abstractNumId", "w:lvlOverride", "w:lvlOverride"]
    assert [
        (attribute(override, "w:ilvl"), attribute(override[0], "w:val"))
        for override in num.findall(qn("w:lvlOverride"))
    ] == [("0", "3"), ("2", "5")]
    assert_schema_order(numbering, NUMBERING_SCHEMA_ORDER)


def test_level_indent():
    numbering = element("<w:numbering/>")
    abstract_id = ooxml.add_abstract_num(numbering, "L", LEVELS, INDENTS, SUFFIXES)
    assert ooxml.level_indent(numbering, abstract_id, 2) == (840, 420)
    template = element(
        '<w:numbering><w:abstractNum w:abstractNumId="3"><w:lvl w:ilvl="0">'
        '<w:pPr><w:ind w:start="360"/></w:pPr></w:lvl><w:lvl w:ilvl="1"/>'
        "</w:abstractNum></w:numbering>"
    )
    assert ooxml.level_indent(template, 3, 0) == (360, 0)
    assert ooxml.level_indent(template, 3, 1) == (0, 0)
    with pytest.raises(KeyError):
        ooxml.level_indent(template, 3, 4)


# -- fields, bookmarks, hyperlinks ------------------------------------------------------------


def field_parts(runs) -> list[tuple[str, str | None]]:
    parts = []
    for run in runs:
        (content,) = list(run)
        kind = prefixed(content)
        value = attribute(content, "w:fldCharType") if kind == "w:fldChar" else content.text
        parts.append((kind, value))
    return parts


def test_append_field_makes_begin_instruction_separate_result_end():
    paragraph = element("<w:p/>")
    result = ooxml.append_field(paragraph, "PAGEREF clause_1 \\h", "12")
    assert field_parts(paragraph) == [
        ("w:fldChar", "begin"),
        ("w:instrText", " PAGEREF clause_1 \\h "),
        ("w:fldChar", "separate"),
        ("w:t", "12"),
        ("w:fldChar", "end"),
    ]
    assert result is paragraph[3][0]
    assert paragraph[1][0].get(qn("xml:space")) == "preserve"
    assert [ooxml.field_end().tag] == [qn("w:r")]
    assert field_parts(ooxml.field_begin("TOC")) == [
        ("w:fldChar", "begin"),
        ("w:instrText", " TOC "),
        ("w:fldChar", "separate"),
    ]


BOOKMARK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")  # Word: letter first, ≤ 40 characters


@pytest.mark.parametrize(
    "identifier",
    [
        "purpose",
        "meeting-before",
        "2-scope",
        "",
        "中文条款",
        "_hidden",
        "a" * 40,
        "a" * 41,
        "x" * 30 + "-meeting-minutes-a",
    ],
)
def test_bookmark_names_are_valid(identifier):
    name = ooxml.bookmark_name(identifier)
    assert BOOKMARK_NAME.fullmatch(name), name
    assert ooxml.bookmark_name(identifier) == name  # stable


def test_bookmark_names_keep_short_ids_and_stay_unique():
    assert ooxml.bookmark_name("meeting_goal") == "meeting_goal"
    assert ooxml.bookmark_name("meeting-goal") == "meeting_goal"
    assert ooxml.bookmark_name("a" * 40) == "a" * 40
    long_ids = [f"{'form-' * 9}{suffix}" for suffix in ("a", "b", "c", "ab")]
    names = [ooxml.bookmark_name(identifier) for identifier in long_ids]
    assert len(set(names)) == len(names) and all(len(name) == 40 for name in names)


def test_add_bookmark_spans_the_paragraph_after_its_properties():
    paragraph = new_paragraph("<w:p><w:pPr><w:jc/></w:pPr><w:r/></w:p>")
    ooxml.add_bookmark(paragraph, "clause_1", 9)
    assert child_tags(paragraph._p) == ["w:pPr", "w:bookmarkStart", "w:r", "w:bookmarkEnd"]
    start, end = paragraph._p[1], paragraph._p[3]
    assert (attribute(start, "w:id"), attribute(start, "w:name")) == ("9", "clause_1")
    assert attribute(end, "w:id") == "9"
    plain = new_paragraph("<w:p><w:r/></w:p>")
    ooxml.add_bookmark(plain, "b", 1)
    assert child_tags(plain._p) == ["w:bookmarkStart", "w:r", "w:bookmarkEnd"]


def test_add_internal_hyperlink():
    paragraph = new_paragraph("<w:p><w:r/></w:p>")
    link = ooxml.add_internal_hyperlink(paragraph, "clause_1")
    assert paragraph._p[-1] is link and len(link) == 0
    assert (attribute(link, "w:anchor"), attribute(link, "w:history")) == ("clause_1", "1")


# -- settings ---------------------------------------------------------------------------------


def test_update_fields_is_removed_and_nothing_else():
    """w:updateFields makes Word ask every reader whether to update the fields (issue 22)."""
    settings = with_children("w:settings", ["w:zoom", "w:updateFields", "w:compat"])
    ooxml.remove_update_fields(settings)
    assert [child.tag for child in settings] == [qn("w:zoom"), qn("w:compat")]
    ooxml.remove_update_fields(settings)  # none left: nothing to do
    assert len(settings) == 2


def test_theme_font_lang_only_where_present():
    settings = element('<w:settings><w:themeFontLang w:val="en-US"/></w:settings>')
    ooxml.set_theme_font_lang(settings, "zh-CN")
    assert attribute(settings[0], "w:eastAsia") == "zh-CN"
    assert attribute(settings[0], "w:val") == "en-US"
    bare = element("<w:settings/>")
    ooxml.set_theme_font_lang(bare, "zh-CN")
    assert len(bare) == 0


# -- tables -----------------------------------------------------------------------------------


@pytest.fixture
def table():
    return docx.Document().add_table(rows=2, cols=2)


def test_table_properties_land_in_schema_order(table):
    tblPr = table._tbl.tblPr
    tblPr.append(ooxml.OxmlElement("w:tblCaption"))
    ooxml.set_table_look(table, first_row=False)
    ooxml.set_table_cell_margins(tblPr, 10, 20, 30, 40)
    ooxml.set_fixed_layout(table)
    ooxml.set_table_borders(tblPr)
    ooxml.set_table_indent(table, 100)
    ooxml.set_table_width(table, 9000)
    ooxml.set_table_borders(tblPr, 8, "FF0000")  # replaces
    assert_schema_order(tblPr, TBLPR_SCHEMA_ORDER)
    assert child_tags(tblPr).count("w:tblBorders") == 1
    values = {prefixed(child): child for child in tblPr}
    assert (attribute(values["w:tblW"], "w:w"), attribute(values["w:tblW"], "w:type")) == (
        "9000",
        "dxa",
    )
    assert attribute(values["w:tblInd"], "w:w") == "100"
    assert attribute(values["w:tblLayout"], "w:type") == "fixed"
    assert child_tags(values["w:tblBorders"]) == [
        "w:top",
        "w:left",
        "w:bottom",
        "w:right",
        "w:insideH",
        "w:insideV",
    ]
    assert {
        (attribute(side, "w:val"), attribute(side, "w:sz"), attribute(side, "w:color"))
        for side in values["w:tblBorders"]
    } == {("single", "8", "FF0000")}
    assert [(prefixed(side), attribute(side, "w:w")) for side in values["w:tblCellMar"]] == [
        ("w:top", "10"),
        ("w:left", "20"),
        ("w:bottom", "30"),
        ("w:right", "40"),
    ]
    look = values["w:tblLook"]
    assert (
        attribute(look, "w:val"),
        attribute(look, "w:firstRow"),
        attribute(look, "w:noVBand"),
    ) == ("0400", "0", "1")


def test_no_borders_are_nil_on_every_side():
    tblPr = element("<w:tblPr><w:tblStyle/><w:tblLook/></w:tblPr>")
    ooxml.set_table_no_borders(tblPr)
    assert_schema_order(tblPr, TBLPR_SCHEMA_ORDER)
    borders = tblPr.find(qn("w:tblBorders"))
    assert len(borders) == 6 and {attribute(side, "w:val") for side in borders} == {"nil"}


def test_cell_properties_land_in_schema_order(table):
    cell = table.cell(0, 0)
    tcPr = cell._tc.get_or_add_tcPr()
    for tag in ("w:gridSpan", "w:noWrap", "w:hideMark", "w:tcPrChange"):
        tcPr.append(ooxml.OxmlElement(tag))
    ooxml.set_cell_valign(cell, "center")
    ooxml.shade_cell(cell, "D9D9D9")
    ooxml.shade_cell(cell, "EEEEEE")  # replaces
    ooxml.set_cell_width(cell._tc, 1500)
    assert_schema_order(tcPr, TCPR_SCHEMA_ORDER)
    (shading,) = tcPr.findall(qn("w:shd"))
    assert (attribute(shading, "w:val"), attribute(shading, "w:fill")) == ("clear", "EEEEEE")
    assert attribute(tcPr.find(qn("w:vAlign")), "w:val") == "center"
    width = tcPr.find(qn("w:tcW"))
    assert (attribute(width, "w:w"), attribute(width, "w:type")) == ("1500", "dxa")


def test_cell_width_without_properties():
    bare = element("<w:tc><w:p/></w:tc>")
    ooxml.set_cell_width(bare, 720)
    assert child_tags(bare) == ["w:tcPr", "w:p"]
    assert attribute(bare[0].find(qn("w:tcW")), "w:w") == "720"


def test_row_properties(table):
    row = table.rows[0]
    row._tr.get_or_add_trPr().append(ooxml.OxmlElement("w:trHeight"))
    ooxml.set_cant_split(row)
    ooxml.set_repeat_header(row)
    ooxml.set_repeat_header(row)
    trPr = row._tr.trPr
    assert child_tags(trPr) == ["w:cantSplit", "w:trHeight", "w:tblHeader"]


def test_table_style_header_and_properties():
    style = element(
        '<w:style w:type="table"><w:name w:val="Grid"/><w:rPr/><w:tcPr/>'
        '<w:tblStylePr w:type="firstRow"><w:rPr/></w:tblStylePr>'
        '<w:tblStylePr w:type="lastRow"/></w:style>'
    )
    tblPr = ooxml.style_tblpr(style)
    assert ooxml.style_tblpr(style) is tblPr
    ooxml.set_table_style_header(style, "D9E2F3")
    assert_schema_order(style, STYLE_SCHEMA_ORDER)
    first_rows = [
        conditional
        for conditional in style.findall(qn("w:tblStylePr"))
        if attribute(conditional, "w:type") == "firstRow"
    ]
    assert len(first_rows) == 1 and len(style.findall(qn("w:tblStylePr"))) == 2
    header = first_rows[0]
    assert child_tags(header) == ["w:rPr", "w:tblPr", "w:trPr", "w:tcPr"]
    assert_schema_order(header, TBLSTYLEPR_SCHEMA_ORDER)
    assert child_tags(header[0]) == ["w:b", "w:bCs"]
    assert child_tags(header[2]) == ["w:tblHeader"]
    assert attribute(header[3].find(qn("w:shd")), "w:fill") == "D9E2F3"
    plain = element('<w:style w:type="table"/>')
    ooxml.set_table_style_header(plain, "FFFFFF", bold=False)
    assert child_tags(plain[0][0]) == []


# -- content controls -------------------------------------------------------------------------


def control_properties(control) -> dict[str, str | None]:
    sdtPr = control.find(qn("w:sdtPr"))
    return {prefixed(child): attribute(child, "w:val") for child in sdtPr}


def placeholder_run(control):
    (run,) = control.find(qn("w:sdtContent"))
    return run


def test_text_control():
    paragraph = new_paragraph()
    control = ooxml.add_text_control(
        paragraph,
        11,
        "applicant",
        "申请人",
        "点击输入",
        placeholder_style="PlaceholderText",
    )
    assert child_tags(control) == ["w:sdtPr", "w:sdtContent"]
    # inside a bookmark named after the input, which LibreOffice keeps when it drops w:tag
    start, end = control.getprevious(), control.getnext()
    assert prefixed(start) == "w:bookmarkStart" and attribute(start, "w:name") == "_F_applicant"
    assert prefixed(end) == "w:bookmarkEnd" and paragraph._p[-1] is end
    assert attribute(start, "w:id") == attribute(end, "w:id")
    sdtPr = control.find(qn("w:sdtPr"))
    assert_schema_order(sdtPr, SDTPR_SCHEMA_ORDER)
    assert control_properties(control) == {
        "w:alias": "申请人",
        "w:tag": "applicant",
        "w:id": "11",
        "w:lock": "sdtLocked",
        "w:showingPlcHdr": None,
    }  # a rich-text control: no w:text, which LibreOffice splits and repeats
    run = placeholder_run(control)
    assert attribute(run.find("w:rPr/w:rStyle", NAMESPACES), "w:val") == "PlaceholderText"
    assert run.find(qn("w:t")).text == "点击输入"
    single = ooxml.add_text_control(paragraph, 12, "t", "T", "…")
    assert attribute(single.getprevious(), "w:id") != attribute(start, "w:id")
    assert placeholder_run(single).find(qn("w:rPr")) is None


def test_date_control():
    control = ooxml.add_date_control(
        new_paragraph(),
        3,
        "date",
        "日期",
        "选择日期",
        date_format="yyyy'年'M'月'd'日'",
        lid="zh-CN",
        placeholder_style="PlaceholderText",
    )
    assert_schema_order(control.find(qn("w:sdtPr")), SDTPR_SCHEMA_ORDER)
    assert "w:showingPlcHdr" in control_properties(control)
    picker = control.find("w:sdtPr/w:date", NAMESPACES)
    assert child_tags(picker) == list(SDT_DATE_SCHEMA_ORDER)
    assert [attribute(child, "w:val") for child in picker] == [
        "yyyy'年'M'月'd'日'",
        "zh-CN",
        "dateTime",
        "gregorian",
    ]


def test_dropdown_control():
    control = ooxml.add_dropdown_control(
        new_paragraph(), 4, "level", "级别", "请选择", ["一级", "二级"]
    )
    assert_schema_order(control.find(qn("w:sdtPr")), SDTPR_SCHEMA_ORDER)
    items = control.findall("w:sdtPr/w:dropDownList/w:listItem", NAMESPACES)
    assert [(attribute(item, "w:displayText"), attribute(item, "w:value")) for item in items] == [
        ("一级", "一级"),
        ("二级", "二级"),
    ]
    assert placeholder_run(control).find(qn("w:t")).text == "请选择"


@pytest.mark.parametrize(("checked", "glyph", "state"), [(False, "☐", "0"), (True, "☒", "1")])
def test_checkbox_control(checked, glyph, state):
    control = ooxml.add_checkbox_control(
        new_paragraph(), 5, "agree", "同意", font="MS Gothic", checked=checked
    )
    sdtPr = control.find(qn("w:sdtPr"))
    assert_schema_order(sdtPr, SDTPR_SCHEMA_ORDER)
    assert "w:showingPlcHdr" not in control_properties(control)
    box = sdtPr.find("w14:checkbox", NAMESPACES)
    assert [prefixed(child) for child in box] == [
        "w14:checked",
        "w14:checkedState",
        "w14:uncheckedState",
    ]
    assert box[0].get(f"{{{W14_NS}}}val") == state
    assert [
        (child.get(f"{{{W14_NS}}}val"), child.get(f"{{{W14_NS}}}font")) for child in box[1:]
    ] == [("2612", "MS Gothic"), ("2610", "MS Gothic")]
    run = placeholder_run(control)
    assert run.find(qn("w:t")).text == glyph
    assert attribute(run.find("w:rPr/w:rFonts", NAMESPACES), "w:eastAsia") == "MS Gothic"


def test_declare_w14_hoists_the_namespace_and_marks_it_ignorable():
    document = etree.fromstring(
        f'<w:document xmlns:w="{W_NS}" xmlns:mc="{MC_NS}" mc:Ignorable="wp14"><w:body/>'
        "</w:document>"
    )
    ooxml.declare_w14(document)
    assert "w14" not in document.nsmap and document.get(f"{{{MC_NS}}}Ignorable") == "wp14"
    body = document[0]
    etree.SubElement(body, f"{{{W14_NS}}}checkbox", nsmap={"w14": W14_NS})
    ooxml.declare_w14(document)
    assert document.nsmap["w14"] == W14_NS
    assert document.get(f"{{{MC_NS}}}Ignorable").split() == ["wp14", "w14"]
    assert etree.tostring(document).count(b"xmlns:w14=") == 1  # on the root only
    ooxml.declare_w14(document)
    assert document.get(f"{{{MC_NS}}}Ignorable").split() == ["wp14", "w14"]


# -- revision marks ---------------------------------------------------------------------------


def marks(root) -> list:
    return list(root.iter(qn("w:ins"), qn("w:del")))


def test_track_runs_wraps_each_group_of_adjacent_runs():
    paragraph = element(
        "<w:p><w:pPr/><w:r><w:t>甲</w:t></w:r><w:r><w:t>乙</w:t></w:r>"
        '<w:bookmarkStart w:id="1" w:name="b"/><w:r><w:t>丙</w:t></w:r>'
        '<w:hyperlink w:anchor="b"><w:r><w:t>丁</w:t></w:r></w:hyperlink>'
        "</w:p>"
    )
    ooxml.track_runs(paragraph, "ins", AUTHOR, DATE)
    assert child_tags(paragraph) == ["w:pPr", "w:ins", "w:bookmarkStart", "w:ins", "w:hyperlink"]
    assert [len(mark) for mark in marks(paragraph)] == [2, 1, 1]
    assert child_tags(paragraph[-1]) == ["w:ins"]
    assert {
        (attribute(mark, "w:author"), attribute(mark, "w:date")) for mark in marks(paragraph)
    } == {(AUTHOR, DATE)}
    ooxml.track_runs(paragraph, "ins", AUTHOR, DATE)  # runs inside a mark are left alone
    assert len(marks(paragraph)) == 3


def test_deleted_runs_carry_deleted_text():
    paragraph = element(
        "<w:p><w:r><w:t>旧</w:t></w:r><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>"
    )
    ooxml.track_runs(paragraph, "del", AUTHOR, DATE)
    (mark,) = marks(paragraph)
    assert prefixed(mark) == "w:del"
    assert [prefixed(run[0]) for run in mark] == ["w:delText", "w:delInstrText"]
    assert {run[0].get(qn("xml:space")) for run in mark} == {"preserve"}


def test_number_revisions_gives_unique_increasing_ids():
    body = element("<w:body><w:p/><w:p/></w:body>")
    for paragraph in body:
        ooxml.append_run(paragraph, "文字")
        ooxml.track_runs(paragraph, "ins", AUTHOR, DATE)
        ooxml.mark_paragraph_mark(paragraph, "del", AUTHOR, DATE)
    assert ooxml.number_revisions(body, start=5) == 9
    assert [attribute(mark, "w:id") for mark in marks(body)] == ["5", "6", "7", "8"]
    assert [prefixed(mark) for mark in marks(body)] == ["w:del", "w:ins", "w:del", "w:ins"]
    assert ooxml.number_revisions(body) == 5
    mark = ooxml.revision_mark("ins", AUTHOR, DATE)
    assert {key.split("}")[1]: value for key, value in mark.attrib.items()} == {
        "id": "0",
        "author": AUTHOR,
        "date": DATE,
    }


@pytest.mark.parametrize("present", [[], ["w:jc"], ["w:jc", "w:sectPr", "w:pPrChange"]])
def test_paragraph_mark_revision(present):
    paragraph = element(
        "<w:p>"
        + (("<w:pPr>" + "".join(f"<{tag}/>" for tag in present) + "</w:pPr>") if present else "")
        + "<w:r/></w:p>"
    )
    ooxml.mark_paragraph_mark(paragraph, "ins", AUTHOR, DATE)
    ooxml.mark_paragraph_mark(paragraph, "del", AUTHOR, DATE)  # replaces
    pPr = paragraph[0]
    assert prefixed(pPr) == "w:pPr"
    assert_schema_order(pPr, PPR_SCHEMA_ORDER)
    rPr = pPr.find(qn("w:rPr"))
    assert child_tags(rPr) == ["w:del"]  # CT_ParaRPr: ins/del first
    assert attribute(rPr[0], "w:author") == AUTHOR
    bold_mark = element("<w:p><w:pPr><w:rPr><w:b/><w:sz/></w:rPr></w:pPr></w:p>")
    ooxml.mark_paragraph_mark(bold_mark, "ins", AUTHOR, DATE)
    assert child_tags(bold_mark[0][0]) == ["w:ins", "w:b", "w:sz"]


def test_row_revision():
    row = element("<w:tr><w:tblPrEx/><w:tc><w:p/></w:tc></w:tr>")
    ooxml.mark_row(row, "ins", AUTHOR, DATE)
    assert child_tags(row) == ["w:tblPrEx", "w:trPr", "w:tc"]  # CT_Row
    assert child_tags(row[1]) == ["w:ins"]
    marked = element("<w:tr><w:trPr><w:cantSplit/><w:ins/><w:trPrChange/></w:trPr><w:tc/></w:tr>")
    ooxml.mark_row(marked, "del", AUTHOR, DATE)
    assert child_tags(marked[0]) == ["w:cantSplit", "w:del", "w:trPrChange"]
    assert [schema_rank(TRPR_MARKS_SCHEMA_ORDER, tag) for tag in child_tags(marked[0])[1:]] == [
        1,
        2,
    ]


def test_text_run_and_append_text():
    run = ooxml.text_run("新增", element("<w:rPr><w:b/></w:rPr>"))
    assert child_tags(run) == ["w:rPr", "w:t"]
    ooxml.append_text(run, "文字")
    assert child_tags(run) == ["w:rPr", "w:t"] and run[1].text == "新增文字"
    ooxml.append_text(run, "删去", deleted=True)
    assert child_tags(run) == ["w:rPr", "w:t", "w:delText"]
    assert run[2].get(qn("xml:space")) == "preserve"
    deleted = ooxml.text_run("旧", deleted=True)
    assert child_tags(deleted) == ["w:delText"]
    assert child_tags(ooxml.text_run()) == []


# -- package ----------------------------------------------------------------------------------

CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
USER_DEFINED = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # FMTID_UserDefinedProperties


def test_custom_properties_xml():
    data = ooxml.custom_properties_xml([("手册版本", "2024.1"), ("密级", "内部 <公开>")])
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>")
    root = etree.fromstring(data)
    assert root.tag == f"{{{CUSTOM_NS}}}Properties"
    properties = list(root)
    assert [(prop.get("fmtid"), prop.get("pid"), prop.get("name")) for prop in properties] == [
        (USER_DEFINED, "2", "手册版本"),
        (USER_DEFINED, "3", "密级"),
    ]
    assert [(prop[0].tag, prop[0].text) for prop in properties] == [
        (f"{{{VT_NS}}}lpwstr", "2024.1"),
        (f"{{{VT_NS}}}lpwstr", "内部 <公开>"),
    ]


def saved_members(document) -> dict[str, bytes]:
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_set_custom_properties_adds_then_replaces_one_part():
    document = docx.Document()
    ooxml.set_custom_properties(document, [("a", "1")])
    ooxml.set_custom_properties(document, [("b", "2")])
    members = saved_members(document)
    assert etree.fromstring(members["docProps/custom.xml"])[0].get("name") == "b"
    assert members["[Content_Types].xml"].count(b'PartName="/docProps/custom.xml"') == 1
    assert members["_rels/.rels"].count(b"relationships/custom-properties") == 1


def test_core_text_is_capped_at_255_characters():
    assert ooxml.core_text(None) is None
    assert ooxml.core_text("") == ""
    exact = "章" * 255
    assert ooxml.core_text(exact) == exact
    capped = ooxml.core_text("章" * 254 + "节末")
    assert len(capped) == 255 and capped == "章" * 254 + "…"
    document = docx.Document()
    document.core_properties.title = ooxml.core_text("x" * 1000)  # python-docx accepts it


def test_package_bytes_are_the_saved_members_stored():
    document = docx.Document()
    document.add_paragraph("正文")
    with zipfile.ZipFile(io.BytesIO(ooxml.package_bytes(document))) as package:
        stored = {info.filename: info.compress_type for info in package.infolist()}
        members = {name: package.read(name) for name in package.namelist()}
    assert set(stored.values()) == {zipfile.ZIP_STORED}
    assert members == saved_members(document)
    assert list(members) == list(saved_members(document))


def test_normalized_zip_bytes_are_reproducible():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", b"<a/>")
        package.writestr("XML/item.xml", b"<b/>")  # sorts before "[" by name
        package.writestr("[Content_Types].xml", b"<Types/>")
        package.writestr("_rels/.rels", b"<r/>")
    normalized = ooxml.normalized_zip_bytes(buffer.getvalue())
    assert ooxml.normalized_zip_bytes(buffer.getvalue()) == normalized
    with zipfile.ZipFile(io.BytesIO(normalized)) as package:
        assert package.namelist() == [
            "[Content_Types].xml",
            "XML/item.xml",
            "_rels/.rels",
            "word/document.xml",
        ]
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# -- the package's interface ------------------------------------------------------------------


def test_every_public_helper_is_exported_from_its_part():
    assert len(ooxml.__all__) == len(set(ooxml.__all__))
    for name in ooxml.__all__:
        helper = getattr(ooxml, name)
        home = getattr(helper, "__module__", None)
        if callable(helper) and home is not None and home.startswith("builder."):
            assert home.startswith("builder.writers.ooxml."), (name, home)
            assert home != "builder.writers.ooxml.core"
