"""The forms' layout in Word: bordered tables of labels and inputs, the approval block and the
filled-in example. The handbook's appendix prints it; the fillable form files put content
controls in its input cells."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Twips

from builder.document.fieldnames import printed_rows
from builder.document.model import (
    Form,
    FormField,
    Span,
)
from builder.writers import ooxml
from builder.writers.docx.styles import StyleNames
from builder.writers.docx.tables import column_widths, text_weight, widths_with_rest

log = logging.getLogger("handbook")


LABEL_FILL = "F2F2F2"

# Typical width (em) of a hand-filled column of a `rows` field, by field type.
_COLUMN_EM = {
    "textarea": 18,
    "text": 10,
    "date": 8,
    "datetime": 11,
    "number": 5,
    "money": 6,
    "person": 5,
    "signature": 6,
    "choice": 8,
    "multichoice": 10,
    "score": 9,
}

_FIELD_HEIGHT_MM = {"textarea": 28, "signature": 14}

# Input cells that print guidance for the hand (other types are left blank).
_PRINTED_INPUTS = {"choice", "multichoice", "score", "date", "datetime", "signature"}

_BOX = "☐"


def _input_text(field: FormField, compact: bool = False) -> str:
    """What an empty input cell shows: boxes to tick, date blanks, signature lines.

    compact: for a narrow column of a `rows` grid.
    """
    if compact and field.type in ("date", "datetime", "signature"):
        return {"date": "　年　月　日", "datetime": "　月　日　时", "signature": ""}[field.type]
    if field.type in ("choice", "multichoice"):
        boxes = "　".join(f"{_BOX}{option}" for option in field.options)
        return boxes + ("　（可多选）" if field.type == "multichoice" else "")
    if field.type == "score":
        return "　".join(f"{_BOX}{n}" for n in range(1, 6))
    if field.type == "date":
        return "　　　　年　　月　　日"
    if field.type == "datetime":
        return "　　　　年　　月　　日　　时　　分"
    if field.type == "signature":
        return "签字：　　　　　　　　　　　　日期：　　　　年　　月　　日"
    return ""


class FormLayout:
    """Mixin of a DocxWriter that lays out forms."""

    # -- forms ---------------------------------------------------------------------------------

    @staticmethod
    def _form_heading(form: Form) -> str:
        return f"{form.title}（{form.code}）"

    def _forms(self) -> None:
        appendix = self.paragraph(StyleNames.HEADINGS[0], self.APPENDIX_TITLE)
        self._bookmark_ids += 1
        ooxml.add_bookmark(appendix, self.APPENDIX_BOOKMARK, self._bookmark_ids)
        for index, form in enumerate(self.document.forms):
            self._form(form, new_page=index > 0)

    def _form(self, form: Form, *, new_page: bool) -> None:
        heading = self.paragraph(StyleNames.HEADINGS[1], self._form_heading(form))
        heading.paragraph_format.page_break_before = new_page
        self.bookmark(heading, form.id)
        if form.title_en:
            self._translation(heading, form.title_en)
        self._form_info(form)
        self._form_notes(form)
        self._form_body(form)
        if any(f.example or f.row_examples for f in form.fields):
            self._example_block(form)

    def _form_body(self, form: Form) -> None:
        """The form proper: field grid, `rows` grids, approval block. Shared with the fillable
        form files (builder.writers.docx.forms), which override the `_…_input` methods below."""
        self._form_labels = self._label_widths(
            self._label_text(f) + "*" for f in form.fields if f.type != "rows"
        )
        self._form_fields(form.fields)
        if form.approval_chain:
            self._approval_block(form)

    def _form_info(self, form: Form) -> None:
        """表单编号 and 依据条款 (linked to the clause), on one line."""
        line = self.paragraph(StyleNames.FORM_INFO)
        self.add_run(line, "表单编号：", StyleNames.STRONG)
        line.add_run(form.code)
        if form.clause_label:
            self.add_run(line, "　　依据条款：", StyleNames.STRONG)
            target = self._bookmarks.get(form.clause_id) if form.clause_id else None
            if target:
                self.link(line, target, form.clause_label, self._style_id(StyleNames.HYPERLINK))
            else:
                line.add_run(form.clause_label)

    def _form_notes(self, form: Form) -> None:
        """用途 and 填写说明."""
        purpose = self.paragraph(StyleNames.FORM_INFO)
        self.add_run(purpose, "用途：", StyleNames.STRONG)
        self.spans(purpose, form.purpose)
        notes = list(form.instructions)
        if any(f.required for f in form.fields):
            notes.append((Span("标“*”的为必填项。"),))
        if notes:
            self.add_run(self.paragraph(StyleNames.FORM_INFO), "填写说明：", StyleNames.STRONG)
            for note in notes:
                item = self.continuation(StyleNames.FORM_INFO, int(self.body_pt * 20), ())
                item.paragraph_format.first_line_indent = Twips(-int(self.body_pt * 10))
                item.add_run("· ")
                self.spans(item, note)

    def _form_fields(self, fields: Sequence[FormField]) -> None:
        """Scalar fields as label | input rows; each `rows` field as its own grid."""
        run: list[FormField] = []
        for field in fields:
            if field.type == "rows":
                if run:
                    self._field_table(run)
                    run = []
                self._rows_table(field)
            else:
                run.append(field)
        if run:
            self._field_table(run)

    def _label_widths(self, labels: Iterable[str] = ()) -> list[int]:
        """Label | input columns: the label column fits the longest label (within reason)."""
        em = self._style_pt(StyleNames.TABLE_HEADING) * 20
        longest = max((text_weight(label) for label in labels), default=6)
        label = int(min(max(longest + 1.5, 6) * em + 200, self.text_width * 0.35))
        return [label, self.text_width - label]

    def _field_table(self, fields: Sequence[FormField]) -> None:
        table = self.table(len(fields), self._form_labels, header=False)
        for row, field in zip(table.rows, fields):
            self._field_label(row.cells[0], field)
            self._field_input(row.cells[1], field)
            row.height = Mm(_FIELD_HEIGHT_MM.get(field.type, 9))
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            ooxml.set_cell_valign(row.cells[0], "center")
            ooxml.set_cell_valign(row.cells[1], "center" if field.type != "textarea" else "top")
        self.paragraph(StyleNames.TABLE_TEXT)

    def _field_label(self, cell, field: FormField) -> None:
        ooxml.shade_cell(cell, LABEL_FILL)
        paragraph = self.cell_text(cell, self._label_text(field), StyleNames.TABLE_HEADING)
        if field.required:
            self.add_run(paragraph, "*", StyleNames.REQUIRED)
        if field.help:
            paragraph.add_run().add_break()
            self.add_run(paragraph, field.help, StyleNames.FIELD_HELP)

    @staticmethod
    def _label_text(field: FormField) -> str:
        suffix = {"money": "（元）"}.get(field.type, "")
        return field.label + suffix

    # What goes into an input cell. The handbook prints guidance for the hand (boxes to tick,
    # date blanks); the fillable form files override these three with content controls.

    def _field_input(self, cell, field: FormField) -> None:
        self.cell_text(cell, _input_text(field))

    def _cell_input(self, cell, field: FormField, row: int, column: FormField) -> None:
        """The cell of `column` in row `row` (1-based) of the `rows` field `field`."""
        text = _input_text(column, compact=True) if column.type in _PRINTED_INPUTS else ""
        self.cell_text(
            cell,
            text,
            align=WD_ALIGN_PARAGRAPH.RIGHT if column.type in ("date", "datetime") else None,
        )

    def _approval_input(self, cells, step_number: int) -> None:
        """The 审批意见, 签字 and 日期 cells of approval step `step_number` (1-based)."""
        opinion, sign, day = cells
        self.cell_text(opinion, "")
        self.cell_text(sign, "")
        self.cell_text(day, "　年　月　日", align=WD_ALIGN_PARAGRAPH.RIGHT)

    def _rows_table(self, field: FormField) -> None:
        caption = self.paragraph(StyleNames.CAPTION, self._label_text(field))
        if field.required:
            self.add_run(caption, "*", StyleNames.REQUIRED)
        widths = column_widths(
            [["序号"], *([c.label, "汉" * _COLUMN_EM.get(c.type, 8)] for c in field.columns)],
            self.text_width,
            self._style_pt(StyleNames.TABLE_TEXT) * 20,
        )
        table = self.table(1 + printed_rows(field), widths)
        self.header_row(table, ["序号", *(self._label_text(c) for c in field.columns)])
        for index, row in enumerate(table.rows[1:], start=1):
            row.height = Mm(8)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            self.cell_text(row.cells[0], str(index), align=WD_ALIGN_PARAGRAPH.CENTER)
            for cell, column in zip(row.cells[1:], field.columns):
                self._cell_input(cell, field, index, column)
            for cell in row.cells:
                ooxml.set_cell_valign(cell, "center")
        self.paragraph(StyleNames.TABLE_TEXT)

    def _approval_block(self, form: Form) -> None:
        self.paragraph(StyleNames.CAPTION, "审批流程")
        em = int(self.body_pt * 20)
        widths = widths_with_rest([8 * em, 6 * em, 0, 6 * em, 7 * em], 2, self.text_width, 6 * em)
        table = self.table(1 + len(form.approval_chain), widths)
        self.header_row(table, ("审批环节", "办理时限", "审批意见", "签字", "日期"))
        for number, (row, step) in enumerate(zip(table.rows[1:], form.approval_chain), start=1):
            row.height = Mm(14)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            self.cell_text(row.cells[0], step.role, align=WD_ALIGN_PARAGRAPH.CENTER)
            self.cell_text(row.cells[1], f"{step.days} 个工作日", align=WD_ALIGN_PARAGRAPH.CENTER)
            self._approval_input(row.cells[2:5], number)
            for cell in row.cells:
                ooxml.set_cell_valign(cell, "center")
        self.paragraph(StyleNames.TABLE_TEXT)

    def _example_block(self, form: Form) -> None:
        self.paragraph(StyleNames.CAPTION, "填写示例")
        scalar = [f for f in form.fields if f.type != "rows" and f.example]
        if scalar:
            table = self.table(1 + len(scalar), self._form_labels)
            self.header_row(table, ("项目", "示例"))
            for row, field in zip(table.rows[1:], scalar):
                ooxml.shade_cell(row.cells[0], LABEL_FILL)
                self.cell_text(row.cells[0], field.label, StyleNames.TABLE_HEADING)
                self.cell_text(row.cells[1], field.example)
            self.paragraph(StyleNames.TABLE_TEXT)
        for field in form.fields:
            if field.type != "rows" or not (field.row_examples or field.example):
                continue
            examples = field.row_examples or ((field.example,),)
            self.paragraph(StyleNames.CAPTION, f"{field.label}（示例）")
            labels = [c.label for c in field.columns] or [field.label]
            columns = [
                [label, *(r[i] if i < len(r) else "" for r in examples)]
                for i, label in enumerate(labels)
            ]
            table = self.table(
                1 + len(examples),
                column_widths(columns, self.text_width, self._style_pt(StyleNames.TABLE_TEXT) * 20),
            )
            self.header_row(table, labels)
            for row, values in zip(table.rows[1:], examples):
                for cell, value in zip(row.cells, values):
                    self.cell_text(cell, value)
            self.paragraph(StyleNames.TABLE_TEXT)
