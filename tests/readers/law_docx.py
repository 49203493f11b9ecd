"""A small law-style (规章制度) Word manual for the import tests, made with python-docx, numbered
by Word's automatic numbering: 第%1章 on the headings, 第%1条 / （%2） (chineseCounting) on the
articles, counting through both chapters, and a second list instance whose lvlOverride restarts
the 项 of 第四条's second paragraph (款)."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml import parse_xml

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

NUMBERING = f"""
<w:numbering {W}>
  <w:abstractNum w:abstractNumId="71">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
      <w:lvlText w:val="第%1章"/><w:lvlJc w:val="left"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="72">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
      <w:lvlText w:val="第%1条"/><w:lvlJc w:val="left"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
      <w:lvlText w:val="（%2）"/><w:lvlJc w:val="left"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="71"><w:abstractNumId w:val="71"/></w:num>
  <w:num w:numId="72"><w:abstractNumId w:val="72"/></w:num>
  <w:num w:numId="73"><w:abstractNumId w:val="72"/>
    <w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
  <w:num w:numId="74"><w:abstractNumId w:val="72"/>
    <w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
</w:numbering>
"""

# (style, numId, ilvl, text); numId None: typed text without automatic numbering
CONTENT = [
    ("Title", None, 0, "员工管理制度"),
    ("Heading 1", 71, 0, "总则"),
    ("Normal", 72, 0, "为规范示例科技有限公司的员工管理，根据国家有关法律法规，制定本制度。"),
    ("Normal", 72, 0, "本制度适用于下列人员："),
    ("Normal", 72, 1, "正式员工；"),
    ("Normal", 72, 1, "试用期员工。"),
    ("Heading 1", 71, 0, "员工管理"),
    ("Normal", 72, 0, "员工应当遵守公司的各项规章制度，服从工作安排。"),
    ("Normal", 72, 0, "员工有下列情形之一的，公司给予表彰："),
    ("Normal", 73, 1, "在工作中有突出贡献的；"),
    ("Normal", 73, 1, "提出合理化建议被采纳的。"),
    ("Normal", None, 0, "表彰的形式为："),
    ("Normal", 74, 1, "通报表扬；"),
    ("Normal", 74, 1, "发放奖金。"),
    ("Normal", 72, 0, "本制度自发布之日起施行。"),
]


def make_law_docx(path: Path) -> Path:
    document = Document()
    numbering = document.part.numbering_part.element
    new = parse_xml(NUMBERING)
    for child in list(numbering):
        numbering.remove(child)
    for child in new:
        numbering.append(child)
    for style, num_id, ilvl, text in CONTENT:
        paragraph = document.add_paragraph(text, style=style)
        if num_id is not None:
            ppr = paragraph._p.get_or_add_pPr()
            ppr.append(
                parse_xml(
                    f'<w:numPr {W}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
                )
            )
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["序号", "姓名", "签字"], ["", "", ""], ["", "", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(path)
    return path
