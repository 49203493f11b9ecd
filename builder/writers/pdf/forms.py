"""Fillable PDF forms: one AcroForm PDF per form and branch, laid out on A4 by WeasyPrint from
templates/form.html.j2 + form.css, then finished by builder.writers.pdf.acroform.

Field names (what a PDF reader, a script or a form-data export sees) follow
builder.document.fieldnames, the same names as the DOCX content-control tags. The dots are PDF's
own name separator: `decisions.3.owner` is a field `owner` inside `3` inside `decisions`, so
readers group a table's cells.

One name is one terminal AcroForm field, so a form's field count is
    Σ scalar fields (a multichoice counts its options)
  + Σ rows fields: rows × Σ columns (a multichoice column counts its options)
  + 3 × steps of the approval chain.
`form_controls(document, form)` lists them, in order.

Controls by field type:
    text, person, number, money, date, datetime, signature  one-line text field
        (date/datetime with the format hint 年-月-日 [时:分] printed and in the tooltip; number and
        money right-aligned; signature is a text field for a typed name, not a /Sig digital
        signature)
    textarea              multi-line text field
    choice, score         a radio group whose export values are the option labels ("1"…"5" for a
                          score); in a rows cell, a combo box of the same values, to fit the cell,
                          unless the options are few and short (FormField.short_choice, a
                          checklist's 是/否/不适用) in a table of at most CELL_RADIO_COLUMNS
                          columns: those stay radio buttons, printed, so paper can be ticked
    multichoice           one check box per option, its export value the option's label
    compute               a read-only text field that the reader fills in: sum, average,
                          days_between and capitals (中文大写) as calculate scripts (Acrobat,
                          pdf.js; readers that run no scripts leave it blank for the pen)
A Chinese export value goes in the field's /Opt (ISO 32000's way to give a button a Unicode export
value, the on-states then being named /0, /1, …); a plain ASCII one ("1" of a score) is the on-state
name itself.

Fonts: printed text is Noto CJK SC, embedded as subsets (lang zh-CN, CJK family first, from
builder.document.fonts). The fields use STSong-Light (builder.document.fonts.FIELD_FONT), a
standard Chinese font the PDF reader supplies, not embedded, so a form stays small and any GB 18030
character typed shows. Every text that goes into a field (option labels, export values, tooltips)
is checked against that font's coverage at build time; a character it lacks stops the build with a
BuildError. A character outside it that a user types is kept in the field's value (and in exported
data), but readers draw it as nothing or as an empty box.

Document information (Title, Subject, Author, Keywords and the custom /DocNumber, /Version,
/EffectiveDate, /ControlStatus, /SourceRevision, /Branch, /FormCode, …) comes from
builder.document.properties; the footer prints 文件编号 and 受控文件 on every page.

Output is reproducible: dates come from the manual's effective date (never "now"), identifiers
from its ids.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from builder.document import fonts
from builder.document import script as scripts
from builder.document.fieldnames import approval_name, cell_name, option_name, printed_rows
from builder.document.model import ApprovalStep, Document, Form, FormField
from builder.document.properties import CONTROLLED, properties
from builder.errors import BuildError
from builder.writers.pdf.handbook import no_gc_pauses, shared_font_config, weasyprint_html
from builder.writers.pdf.tags import TAGGED, tagged_finisher
from builder.writers.templates import environment, templates_dir

TEMPLATE = "form.html.j2"
STYLESHEET = "form.css"

DATE_HINT = {"date": "年-月-日", "datetime": "年-月-日 时:分"}


@dataclass(frozen=True)
class Control:
    """One terminal AcroForm field."""

    name: str
    kind: str  # text, radio, combo, checkbox
    label: str  # the reader's tooltip and accessible name (/TU)
    type: str  # the FormField type it comes from, or opinion/signature/date in the approval block
    options: tuple[str, ...] = ()  # radio, combo: export values = labels; checkbox: its one label
    multiline: bool = False
    required: bool = False
    read_only: bool = False
    align: int = 0  # 0 left, 2 right (/Q)
    font_size: float = 10
    compute: tuple[str, tuple[str, ...]] | None = None  # (operation, names of the fields it reads)

    @property
    def css(self) -> str:
        return f"type-{self.type}"

    def texts(self) -> list[str]:
        """What the reader draws or shows from this field besides what the user types."""
        return [self.label, *self.options]


@dataclass(frozen=True)
class Column:
    field: FormField
    type: str
    hint: str
    width: str  # CSS width of the column


# A short choice (FormField.short_choice) in a table cell stays a radio group, its options printed,
# in a table of at most this many columns (so the column can be wide enough for them); otherwise,
# and for longer choices, a combo box.
CELL_RADIO_COLUMNS = 4
CELL_RADIO_WEIGHT = 2.5  # the width of such a column (see COLUMN_WEIGHT)


def cell_radio(table: FormField, column: FormField) -> bool:
    """Whether the cells of `column` of the rows field `table` are radio groups."""
    return column.short_choice and len(table.columns) <= CELL_RADIO_COLUMNS


# How wide a column of each type is, relative to the others of its table.
COLUMN_WEIGHT = {
    "textarea": 3.0,
    "text": 2.0,
    "multichoice": 2.5,
    "datetime": 1.8,
    "choice": 1.5,
    "score": 1.0,
    "date": 1.35,
    "signature": 1.3,
    "person": 1.2,
    "money": 1.2,
    "number": 1.0,
}


@dataclass(frozen=True)
class Line:
    """One entry of the form table: a scalar field, or a rows field (grid)."""

    field: FormField
    controls: tuple[Control, ...] = ()
    hint: str = ""
    suffix: str = ""
    grid: bool = False
    columns: tuple[Column, ...] = ()
    rows: tuple[tuple[tuple[Control, ...], ...], ...] = ()
    row_class: str = ""


@dataclass(frozen=True)
class Block:
    """A table of the printed form: consecutive scalar fields, or one rows field."""

    grid: bool
    lines: tuple[Line, ...]


def _blocks(lines) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for line in lines:
        if not line.grid and blocks and not blocks[-1].grid:
            blocks[-1] = Block(False, blocks[-1].lines + (line,))
        else:
            blocks.append(Block(line.grid, (line,)))
    return tuple(blocks)


@dataclass(frozen=True)
class ApprovalLine:
    step: ApprovalStep
    controls: tuple[Control, ...]


# ---- field names and controls ------------------------------------------------------------------


def _hint(fld: FormField) -> str:
    if fld.compute:
        return "自动计算"
    if fld.type in DATE_HINT:
        return DATE_HINT[fld.type]
    if fld.type == "score":
        return "1 最低，5 最高"
    return ""


def _tooltip(label: str, fld: FormField) -> str:
    extra = []
    if fld.type in DATE_HINT:
        extra.append("格式：" + DATE_HINT[fld.type])
    if fld.help:
        extra.append(fld.help)
    return label + (f"（{'；'.join(extra)}）" if extra else "")


def _controls_for(
    fld: FormField,
    name: str,
    label: str,
    *,
    in_cell: bool,
    names: dict[str, tuple[str, ...]],
    radio: bool = False,
) -> tuple[Control, ...]:
    """The controls of one field (or one cell), named `name` by the convention; `radio`: a
    choice cell printed as radio buttons (`cell_radio`)."""
    common = dict(
        label=_tooltip(label, fld),
        type=fld.type,
        required=fld.required,
        font_size=9 if in_cell else 10,
    )
    if fld.type == "multichoice":
        return tuple(
            Control(
                option_name(name, i),
                "checkbox",
                **{**common, "label": f"{label}：{option}"},
                options=(option,),
            )
            for i, option in enumerate(fld.options, 1)
        )
    if fld.type in ("choice", "score"):
        options = fld.options if fld.type == "choice" else tuple(str(n) for n in range(1, 6))
        kind = "combo" if in_cell and not radio else "radio"
        return (Control(name, kind, **common, options=options),)
    compute = None
    if fld.compute:
        operation, ids = fld.compute
        compute = (operation, tuple(n for i in ids for n in names.get(i, ())))
    return (
        Control(
            name,
            "text",
            **common,
            multiline=fld.type == "textarea",
            read_only=fld.compute is not None,
            align=2 if fld.type in ("number", "money") else 0,
            compute=compute,
        ),
    )


def _lines(document: Document, form: Form) -> tuple[tuple[Line, ...], tuple[ApprovalLine, ...]]:
    lines: list[Line] = []
    for fld in form.fields:
        if fld.type != "rows":
            names = _compute_sources(form, fld, None)
            lines.append(
                Line(
                    fld,
                    _controls_for(fld, fld.id, fld.label, in_cell=False, names=names),
                    hint=_hint(fld),
                    suffix="元" if fld.type == "money" else "",
                )
            )
            continue
        rows = []
        for r in range(1, printed_rows(fld) + 1):
            cells = []
            for col in fld.columns:
                names = _compute_sources(form, col, (fld, r))
                cells.append(
                    _controls_for(
                        col,
                        cell_name(fld, r, col),
                        f"{fld.label} 第{r}行 {col.label}",
                        in_cell=True,
                        names=names,
                        radio=cell_radio(fld, col),
                    )
                )
            rows.append(tuple(cells))
        weights = [
            CELL_RADIO_WEIGHT if cell_radio(fld, col) else COLUMN_WEIGHT.get(col.type, 1.5)
            for col in fld.columns
        ]
        total = sum(weights)
        columns = tuple(
            Column(
                col,
                col.type,
                _hint(col) if col.type != "score" else "1—5",
                f"{94 * weight / total:.2f}%",
            )
            for col, weight in zip(fld.columns, weights, strict=True)
        )
        tall = any(col.type in ("textarea", "multichoice") for col in fld.columns)
        lines.append(
            Line(
                fld, grid=True, columns=columns, rows=tuple(rows), row_class="tall" if tall else ""
            )
        )
    approval = tuple(
        ApprovalLine(
            step,
            (
                Control(
                    approval_name(n, "opinion"),
                    "text",
                    f"第{n}级审批（{step.role}）意见",
                    "opinion",
                    multiline=True,
                    font_size=9,
                ),
                Control(
                    approval_name(n, "signature"),
                    "text",
                    f"第{n}级审批（{step.role}）签字",
                    "signature",
                    font_size=9,
                ),
                Control(
                    approval_name(n, "date"),
                    "text",
                    f"第{n}级审批（{step.role}）日期（格式：年-月-日）",
                    "date",
                    font_size=9,
                ),
            ),
        )
        for n, step in enumerate(form.approval_chain, 1)
    )
    return tuple(lines), approval


def _compute_sources(
    form: Form, fld: FormField, row: tuple[FormField, int] | None
) -> dict[str, tuple[str, ...]]:
    """Field id → the names of the fields a computed field reads: a scalar field; a column of the
    computed field's own table in the same row; or every cell of another table's column."""
    if not fld.compute:
        return {}
    names: dict[str, tuple[str, ...]] = {}
    for other in form.fields:
        if other.type != "rows":
            names[other.id] = (other.id,)
            continue
        for col in other.columns:
            if row and row[0] is other:
                names[col.id] = (cell_name(other, row[1], col),)
            elif col.id not in names:
                names[col.id] = tuple(
                    cell_name(other, r, col) for r in range(1, printed_rows(other) + 1)
                )
    return names


def form_controls(document: Document, form: Form) -> tuple[Control, ...]:
    """Every terminal AcroForm field of the form's PDF, in order."""
    lines, approval = _lines(document, form)
    out: list[Control] = []
    for line in lines:
        out.extend(line.controls)
        for row in line.rows:
            for cell in row:
                out.extend(cell)
    for a in approval:
        out.extend(a.controls)
    convert = scripts.document_converter(document)
    if convert is not None:  # the tooltips and options the writer adds, in the branch's script
        out = [
            replace(
                c,
                label=convert.finish(c.label),
                options=tuple(convert.finish(o) for o in c.options),
            )
            for c in out
        ]
    return tuple(out)


def _check_coverage(form: Form, controls, script: str = "zh-Hans") -> None:
    """Stop the build when a field would hold text the field font cannot show."""
    for c in controls:
        for text in c.texts():
            missing = fonts.field_font_missing(text, script)
            if missing:
                chars = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in missing)
                raise BuildError(
                    f"表单“{form.title}”（{form.code}）的字段 {c.name} "
                    f"含有表单字段字体 {fonts.field_font(script)[0]} "
                    f"无法显示的字符 {chars}：“{text}”。请改用其他字符。"
                )


# ---- rendering ----------------------------------------------------------------------------------


def _css(document: Document, folder: Path) -> str:
    variables = (
        ":root {"
        f" --body-font: {fonts.css_stack(document.meta.body_font)};"
        f" --heading-font: {fonts.css_stack(document.meta.heading_font)};"
        f' --control-font: "{fonts.CONTROL_STANDIN}";'
        " }\n"
    )
    return (
        fonts.control_standin_font_face()
        + "\n"
        + variables
        + scripts.regional_css(
            (folder / STYLESHEET).read_text(encoding="utf-8"), document.branch.script
        )
    )


def _folder(folder: Path | None) -> Path:
    """The templates folder: the one given when it has the form templates, else the bundled one."""
    if (
        folder is not None
        and (Path(folder) / TEMPLATE).is_file()
        and (Path(folder) / STYLESHEET).is_file()
    ):
        return Path(folder)
    return templates_dir()


def render_form_html_string(document: Document, form: Form, folder: Path | None = None) -> str:
    folder = _folder(folder)
    lines, approval = _lines(document, form)
    return (
        environment(str(folder), scripts.document_converter(document))
        .get_template(TEMPLATE)
        .render(
            doc=document,
            form=form,
            blocks=_blocks(lines),
            approval=approval,
            props=properties(document, form),
            controlled=CONTROLLED,
            css=_css(document, folder),
        )
    )


def render_form_pdf(document: Document, form: Form, path: Path, folder: Path | None = None) -> None:
    """Write `form` of `document`'s branch to `path` as a fillable PDF."""
    from builder.writers.pdf import acroform

    controls = form_controls(document, form)
    _check_coverage(form, controls, document.branch.script)
    folder = _folder(folder)
    identifier = (
        f"{document.meta.doc_number}-{document.branch.id}-{document.meta.version}-{form.id}"
    )
    html = render_form_html_string(document, form, folder)
    with no_gc_pauses():
        laid_out = weasyprint_html(html, folder).write_pdf(
            pdf_forms=True,
            pdf_identifier=identifier.encode(),
            uncompressed_pdf=True,  # pypdf reads it faster; acroform.finish compresses it
            font_config=shared_font_config(folder, "form"),
            finisher=tagged_finisher,
            **TAGGED,
        )
        finished = acroform.finish(
            laid_out,
            controls,
            info=properties(document, form).pdf_info(),
            standin=fonts.CONTROL_STANDIN,
            script=document.branch.script,
        )
    Path(path).write_bytes(finished)


def write(document: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): the view's one form as a fillable PDF."""
    render_form_pdf(document, document.forms[0], target, options.templates)
