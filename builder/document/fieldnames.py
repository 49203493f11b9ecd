"""Field names of fillable forms: the one convention the DOCX content-control tags, the PDF
AcroForm field names and the XLSX defined names follow, so a field is found by the same name in
every format.

    scalar field (incl. choice and score)  <field-id>                           topic, score-overall
    multichoice option                     <field-id>.<option-number>           methods.2
    cell of a rows table                   <field-id>.<row-number>.<column-id>  decisions.3.owner
    multichoice option in a rows cell      <field-id>.<row-number>.<column-id>.<option-number>
    approval block (forms with the         approval_chain.<step-number>.opinion | .signature | .date
      branch's approval chain)

Numbers count from 1, as printed. Field ids never contain dots or underscores, so neither the
dotted names nor `approval_chain` can clash with a field id.
"""

from __future__ import annotations

from builder.document.model import Form, FormField

APPROVAL = "approval_chain"
APPROVAL_INPUTS = ("opinion", "signature", "date")
SCORES = ("1", "2", "3", "4", "5")


def printed_rows(field: FormField) -> int:
    """How many blank rows a rows field prints (at least one)."""
    return max(field.rows, 1)


def option_name(name: str, number: int) -> str:
    return f"{name}.{number}"


def cell_name(field: FormField, row: int, column: FormField) -> str:
    return f"{field.id}.{row}.{column.id}"


def approval_name(step: int, part: str) -> str:
    return f"{APPROVAL}.{step}.{part}"


def input_names(field: FormField, name: str) -> list[str]:
    """The names of the input(s) of one field or cell called `name`: one per option for a
    multichoice, else `name` itself."""
    if field.type == "multichoice":
        return [option_name(name, n) for n in range(1, len(field.options) + 1)]
    return [name]


def form_field_names(form: Form) -> list[str]:
    """Every input name of a form, in reading order."""
    names: list[str] = []
    for field in form.fields:
        if field.type != "rows":
            names += input_names(field, field.id)
            continue
        for row in range(1, printed_rows(field) + 1):
            for column in field.columns:
                names += input_names(column, cell_name(field, row, column))
    for step in range(1, len(form.approval_chain) + 1):
        names += [approval_name(step, part) for part in APPROVAL_INPUTS]
    return names


# -- the labels a person sees on an input (the DOCX content control's w:alias) ----------------

_APPROVAL_PART_LABELS = {"opinion": "意见", "signature": "签字", "date": "日期"}


def cell_label(field: FormField, row: int, column: FormField) -> str:
    return f"{field.label} 第{row}行 {column.label}"


def approval_label(step: int, role: str, part: str) -> str:
    return f"第{step}级审批（{role}）{_APPROVAL_PART_LABELS[part]}"


def option_label(label: str, option: str) -> str:
    return f"{label}：{option}"


def input_labels(form: Form) -> dict[str, str]:
    """Every input name of a form → the label shown on it (the Word control's alias), so an input
    whose name was lost (LibreOffice keeps w:alias but drops w:tag) is still found."""
    labels: dict[str, str] = {}

    def add(field: FormField, name: str, label: str) -> None:
        if field.type == "multichoice":
            for number, option in enumerate(field.options, 1):
                labels[option_name(name, number)] = option_label(label, option)
        else:
            labels[name] = label

    for field in form.fields:
        if field.type != "rows":
            add(field, field.id, field.label)
            continue
        for row in range(1, printed_rows(field) + 1):
            for column in field.columns:
                add(column, cell_name(field, row, column), cell_label(field, row, column))
    for step, approver in enumerate(form.approval_chain, 1):
        for part in APPROVAL_INPUTS:
            labels[approval_name(step, part)] = approval_label(step, approver.role, part)
    return labels


# -- the input name as a Word bookmark ---------------------------------------------------------
# LibreOffice Writer (7.4) drops a content control's w:tag when it saves but keeps bookmarks, so
# each control of a Word form also sits in a bookmark named after its input: "_F_" (a leading _
# hides it from Word's bookmark list), then the name with "-" written "_" and "." written "__"
# (a bookmark name has only letters, digits and _). Field ids have neither _ nor ".", so the
# spelling reads back unambiguously.

BOOKMARK_PREFIX = "_F_"


def bookmark_of(name: str) -> str:
    return BOOKMARK_PREFIX + name.replace("-", "_").replace(".", "__")


def name_of_bookmark(bookmark: str) -> str | None:
    """The input name a form bookmark stands for (None for any other bookmark)."""
    if not bookmark.startswith(BOOKMARK_PREFIX):
        return None
    parts = bookmark[len(BOOKMARK_PREFIX) :].split("__")
    return ".".join(p if p == APPROVAL else p.replace("_", "-") for p in parts)
