"""Fillable Word forms: one .docx per form and branch, styled by templates/reference.docx.

A form file is the handbook appendix's form (the same field grid, `rows` grids and approval block,
laid out by the same code in builder.writers.docx.handbook) under a title block of its own, with a
Word content control (w:sdt) in every input cell instead of printed blanks:

    title block   company · branch, form title (and English title), 表单编号 / 手册版本 / 生效日期,
                  依据条款, 用途, 填写说明; header and footer name the form, version, 文件编号,
                  受控文件 and page X / Y; properties as the handbook's
                  (builder.document.properties)

Each control's w:tag is the input's name by the convention of builder.document.fieldnames (the same
names as the PDF form's fields), its w:alias the label Word shows on the control.

Controls by field type:
    text, person, number, money, signature  rich text (no w:text: LibreOffice splits and repeats a
    textarea                                plain-text control holding Chinese), placeholder text
    every control                           also inside a bookmark named after its input
                                            (fieldnames.bookmark_of), which LibreOffice keeps
    date                                    date picker, yyyy'年'M'月'd'日', zh-CN, Gregorian
    datetime                                plain text with the hint 年-月-日 时:分 (Word's picker
                                            has no time)
    choice                                  drop-down list, each item shown and stored as the
                                            option label
    multichoice                             one check box (w14:checkbox) per option, label after it
    score                                   drop-down list 1–5
    compute                                 plain text whose placeholder says what to compute: Word
                                            content controls cannot calculate, so the user enters it
Every control is locked against deletion (w:lock sdtLocked); its content stays editable.
"""

from __future__ import annotations

from pathlib import Path

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from builder.document import fonts
from builder.document.dates import chinese_date
from builder.document.fieldnames import (
    SCORES,
    approval_label,
    approval_name,
    cell_label,
    cell_name,
    form_field_names,
    input_names,
    option_label,
)
from builder.document.model import Document, Form, FormField
from builder.document.properties import CONTROLLED, properties
from builder.document.script import document_converter
from builder.writers import ooxml
from builder.writers.docx.base import DocxWriter
from builder.writers.docx.form_layout import FormLayout
from builder.writers.docx.styles import DEFAULT_REFERENCE, StyleNames
from builder.writers.ooxml.package import normalized_zip_bytes

DATE_FORMAT = "yyyy'年'M'月'd'日'"
PLACEHOLDER_STYLE = "Placeholder Text"  # Word's built-in name; added when the template lacks it
PLACEHOLDER_COLOR = RGBColor(0x80, 0x80, 0x80)

# Placeholder text by field type: (in the field grid, in a narrow cell of a rows grid).
_PLACEHOLDERS = {
    "text": ("点击输入…", "点击输入"),
    "textarea": ("点击输入，可分多行…", "点击输入"),
    "person": ("输入姓名", "姓名"),
    "signature": ("签字（输入姓名）", "签字"),
    "number": ("输入数字", "数字"),
    "money": ("输入金额", "金额"),
    "date": ("选择日期", "选择日期"),
    "datetime": ("输入日期和时间（年-月-日 时:分）", "年-月-日 时:分"),
    "choice": ("选择一项", "选择一项"),
}


# -- the tag convention -----------------------------------------------------------------------


def form_field_tags(form: Form) -> list[str]:
    """Every content-control tag of the form's DOCX, in document order."""
    return form_field_names(form)


# -- public API -------------------------------------------------------------------------------


def render_form_docx(
    document: Document, form: Form, path: Path, reference: Path | None = None
) -> None:
    """Write `form` of `document` (one branch) to `path` as a fillable .docx."""
    writer = FormWriter(document, form, Path(reference) if reference else DEFAULT_REFERENCE)
    writer.build()
    Path(path).write_bytes(
        normalized_zip_bytes(writer.to_bytes(), convert=document_converter(document))
    )


# -- the writer -------------------------------------------------------------------------------


def _reference(form: Form, identifier: str) -> str:
    """How a compute reference reads: “会议主题”, or “费用明细”中的“金额” for a column."""
    for field in form.fields:
        if field.id == identifier:
            return f"“{field.label}”"
    for field in form.fields:
        for column in field.columns:
            if column.id == identifier:
                return f"“{field.label}”中的“{column.label}”"
    return f"“{identifier}”"


def _compute_hint(form: Form, field: FormField) -> str:
    """What a computed field holds, said in its placeholder (Word cannot calculate it)."""
    operation, ids = field.compute
    refs = [_reference(form, i) for i in ids]
    if operation == "sum":
        what = "、".join(refs) + ("合计" if len(refs) == 1 else "之和")
    elif operation == "average":
        what = ("、".join(refs) if len(refs) <= 2 else f"{refs[0]}等 {len(refs)} 项") + "的平均值"
    elif operation == "days_between" and len(refs) == 2:
        what = f"{refs[1]}减{refs[0]}的天数"
    elif operation == "capitals":
        what = "、".join(refs) + "的中文大写"
    else:
        what = "由" + "、".join(refs) + "计算"
    return f"计算填入：{what}"


def placeholder_texts(form: Form) -> frozenset[str]:
    """Every placeholder text the form's controls show before anything is entered: a control
    still holding one is empty (LibreOffice drops w:showingPlcHdr when it saves)."""
    texts = {text for pair in _PLACEHOLDERS.values() for text in pair}
    texts |= {"计算填入", "评分 1—5", "输入审批意见", "签字"}
    for field in (*form.fields, *(c for f in form.fields for c in f.columns)):
        if field.compute:
            texts.add(_compute_hint(form, field))
        if field.type == "choice":
            texts.add(f"{_PLACEHOLDERS['choice'][0]}：{'／'.join(field.options)}")
    return frozenset(texts)


class FormWriter(FormLayout, DocxWriter):
    """The handbook writer's page setup, styles and form layout, with content-control inputs."""

    def __init__(self, document: Document, form: Form, reference: Path):
        self.form = form
        super().__init__(document, reference)
        self._sdt_ids = 0

    def _bookmark_names(self) -> dict[str, str]:
        return {}  # a form file has no clauses to link to: references print as plain text

    def build(self) -> None:
        form, meta, branch = self.form, self.meta, self.document.branch
        self._clear_body()
        self._apply_meta()
        self._placeholder_style = self._ensure_placeholder_style()
        self._title_block()
        self._form_notes(form)
        self._form_body(form)
        self._shrink_last_paragraph()
        ooxml.declare_w14(self.doc.element)
        self._header_footer(
            f"{meta.company}　{branch.name}　{form.title}",
            f"{form.code} · 版本 {meta.version} · {meta.doc_number} · {CONTROLLED} · ",
            bare_first_page=False,
        )
        self._properties(properties(self.document, form))

    def _ensure_placeholder_style(self) -> str:
        styles = self.doc.styles
        try:
            return styles[PLACEHOLDER_STYLE].style_id
        except KeyError:
            style = styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER, builtin=True)
            style.font.color.rgb = PLACEHOLDER_COLOR
            style.priority = 99
            style.hidden = True  # semiHidden: out of the style gallery, as Word keeps it
            style.unhide_when_used = True
            return style.style_id

    def _shrink_last_paragraph(self) -> None:
        """The body must end in a paragraph, not a table: keep the one after the last table but
        make it 1 pt high, so a table that fills its page does not push a blank page out."""
        last = self.doc.paragraphs[-1].paragraph_format
        last.space_before = last.space_after = Pt(0)
        last.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        last.line_spacing = Pt(1)

    def _title_block(self) -> None:
        form, meta, branch = self.form, self.meta, self.document.branch
        self.paragraph(StyleNames.COVER_COMPANY, f"{meta.company}　{branch.name}")
        title = self.paragraph(StyleNames.TITLE, form.title)
        if form.title_en:
            title.paragraph_format.space_after = Pt(0)
            self.paragraph(StyleNames.SUBTITLE, form.title_en)
        facts = self.paragraph(StyleNames.FORM_INFO)
        facts.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for index, (label, value) in enumerate(
            (
                ("表单编号", form.code),
                ("手册版本", meta.version),
                ("生效日期", chinese_date(meta.effective_date)),
            )
        ):
            self.add_run(facts, ("　　" if index else "") + f"{label}：", StyleNames.STRONG)
            facts.add_run(value)
        if form.clause_label:
            clause = self.paragraph(StyleNames.FORM_INFO)
            self.add_run(clause, "依据条款：", StyleNames.STRONG)
            clause.add_run(f"《{meta.title}》{form.clause_label}")

    # -- the inputs (overriding the handbook's printed blanks) -----------------------------------

    def _field_input(self, cell, field: FormField) -> None:
        self._control(self.cell_text(cell, ""), field, field.id, field.label, compact=False)

    def _cell_input(self, cell, field: FormField, row: int, column: FormField) -> None:
        paragraph = self.cell_text(cell, "")
        if column.type in ("number", "money"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self._control(
            paragraph,
            column,
            cell_name(field, row, column),
            cell_label(field, row, column),
            compact=True,
        )

    def _approval_input(self, cells, step_number: int) -> None:
        role = self.form.approval_chain[step_number - 1].role

        def alias(part: str) -> str:
            return approval_label(step_number, role, part)

        opinion, sign, day = (self.cell_text(cell, "") for cell in cells)
        self._text(
            opinion,
            approval_name(step_number, "opinion"),
            alias("opinion"),
            "输入审批意见",
        )
        self._text(sign, approval_name(step_number, "signature"), alias("signature"), "签字")
        self._date(day, approval_name(step_number, "date"), alias("date"))

    def _control(
        self, paragraph: DocxParagraph, field: FormField, name: str, alias: str, *, compact: bool
    ) -> None:
        """The content control(s) of one field or cell, tagged by the convention above."""
        full, short = _PLACEHOLDERS.get(field.type, _PLACEHOLDERS["text"])
        if field.compute:
            self._text(
                paragraph, name, alias, "计算填入" if compact else _compute_hint(self.form, field)
            )
        elif field.type == "multichoice":
            self._checkboxes(paragraph, field, name, alias, compact=compact)
        elif field.type in ("choice", "score"):
            options = field.options if field.type == "choice" else SCORES
            hint = (
                "评分 1—5"
                if field.type == "score"
                else "／".join(options)  # printed, so a paper copy can be ticked
                if compact and field.short_choice
                else short
                if compact
                else f"{full}：{'／'.join(options)}"
            )
            ooxml.add_dropdown_control(
                paragraph,
                self._next_id(),
                name,
                alias,
                hint,
                options,
                placeholder_style=self._placeholder_style,
            )
        elif field.type == "date":
            self._date(paragraph, name, alias)
        else:
            self._text(
                paragraph,
                name,
                alias,
                short if compact else full,
            )

    def _checkboxes(
        self, paragraph: DocxParagraph, field: FormField, name: str, alias: str, *, compact: bool
    ) -> None:
        options = field.options
        gap = " " if compact else "　"
        for index, (tag, option) in enumerate(zip(input_names(field, name), options)):
            ooxml.add_checkbox_control(
                paragraph,
                self._next_id(),
                tag,
                option_label(alias, option),
                font=fonts.CHECKBOX_FONT,
            )
            paragraph.add_run(option + (gap if index < len(options) - 1 else ""))
        if not compact:
            self.add_run(paragraph, "　（可多选）", StyleNames.FIELD_HELP)

    def _text(
        self,
        paragraph: DocxParagraph,
        tag: str,
        alias: str,
        placeholder: str,
    ) -> None:
        ooxml.add_text_control(
            paragraph,
            self._next_id(),
            tag,
            alias,
            placeholder,
            placeholder_style=self._placeholder_style,
        )

    def _date(self, paragraph: DocxParagraph, tag: str, alias: str) -> None:
        ooxml.add_date_control(
            paragraph,
            self._next_id(),
            tag,
            alias,
            _PLACEHOLDERS["date"][0],
            date_format=DATE_FORMAT,
            lid=self.document.lang,
            placeholder_style=self._placeholder_style,
        )

    def _next_id(self) -> int:
        self._sdt_ids += 1
        return self._sdt_ids


def write(document: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): the view's one form as a fillable .docx."""
    render_form_docx(document, document.forms[0], target)
