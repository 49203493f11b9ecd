"""The resolved, format-neutral document: what every writer renders.

`resolve(manual, branch)` (builder.document.resolve) turns the validated source manual and one
branch into a `Document`: conditions applied, placeholders filled, numbers computed. Writers read
only these classes; they never see YAML or the source schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Span:
    """A run of inline text. `ref` is the id of a chapter/section/clause/form it points to;
    `review`: a value marked 待确认 in the sources, set only in a draft (`resolve(draft=True)`),
    which the writers highlight."""

    text: str
    ref: str | None = None
    review: bool = False


Paragraph = tuple[Span, ...]


def plain(paragraph: Paragraph) -> str:
    return "".join(span.text for span in paragraph)


@dataclass(frozen=True)
class Number:
    """A generated number (builder.document.numbering): `level` in the manual's scheme (outline
    1–5 一、（一）1.（1）①; law 1 章 2 节 3 条 4 项 5 目 6 （1）; decimal 1–5), `ordinal` 1-based as
    Word counts it (law: 条 through the whole manual), `label` as printed."""

    level: int
    ordinal: int
    label: str  # e.g. "（二）", "第十二条"
    path: str  # full reference label, e.g. "七（四）2.", "第十二条第（一）项"
    sep: str = ""  # printed between the label and the title or text: "" or "\u3000"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Paragraph, ...], ...]


@dataclass(frozen=True)
class Item:
    number: Number
    text: Paragraph


@dataclass(frozen=True)
class Clause:
    id: str
    number: Number
    title: str | None
    text: tuple[Paragraph, ...]
    items: tuple[Item, ...] = ()
    table: Table | None = None
    note: Paragraph | None = None
    clauses: tuple[Clause, ...] = ()
    changed: bool = False  # added or changed in the current version (marked 本次修订)


@dataclass(frozen=True)
class Section:
    """A chapter (number.level == 1) or a section below it."""

    id: str
    number: Number
    title: str
    title_en: str | None
    intro: tuple[Paragraph, ...]
    sections: tuple[Section, ...] = ()
    clauses: tuple[Clause, ...] = ()
    changed: bool = False  # added or changed in the current version (marked 本次修订)

    @property
    def level(self) -> int:
        return self.number.level


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    # text, textarea, date, datetime, number, money, choice, multichoice, score, person,
    # signature, rows
    type: str
    required: bool = False
    options: tuple[str, ...] = ()
    help: str | None = None
    example: str | None = None
    rows: int = 0  # blank rows printed, for type "rows"
    columns: tuple[FormField, ...] = ()
    row_examples: tuple[
        tuple[str, ...], ...
    ] = ()  # for type "rows": example rows, one value per column
    # A computed field: (operation, field ids), operation one of sum, average, days_between,
    # capitals. Ids name fields of the form, or columns of a rows field (then the whole column, or
    # within a row when the computed field is itself a column of that rows field).
    compute: tuple[str, tuple[str, ...]] | None = None

    @property
    def short_choice(self) -> bool:
        """A choice of at most 3 options of at most 6 characters in all (a checklist's
        是/否/不适用): the form writers print its options in a table cell, so a paper copy can be
        ticked, instead of hiding them in a drop-down list."""
        return (
            self.type == "choice"
            and len(self.options) <= 3
            and sum(len(o) for o in self.options) <= 6
        )


@dataclass(frozen=True)
class Form:
    id: str
    code: str
    title: str
    title_en: str | None
    purpose: Paragraph
    instructions: tuple[Paragraph, ...]
    fields: tuple[FormField, ...]
    clause_id: str | None
    clause_label: str | None  # "七（一）1. 会前准备"
    approval_chain: tuple[ApprovalStep, ...] = ()


@dataclass(frozen=True)
class ApprovalStep:
    role: str
    days: int


@dataclass(frozen=True)
class Revision:
    version: str
    date: date
    author: str
    approver: str
    summary: str


@dataclass(frozen=True)
class BranchInfo:
    id: str
    name: str
    name_en: str | None
    kind: str
    region: str
    address: str
    phone: str
    manager: str
    manager_title: str
    script: str  # zh-Hans, zh-Hant-HK or zh-Hant-TW (builder.document.script)
    approval_chain: tuple[ApprovalStep, ...]


@dataclass(frozen=True)
class Meta:
    title: str
    title_en: str | None
    company: str
    company_en: str | None
    doc_number: str
    version: str
    effective_date: date
    issuer: str
    approver: str
    confidentiality: str
    page_size: str
    margins_mm: tuple[float, float, float, float]  # top, right, bottom, left
    body_font: str
    heading_font: str
    font_size_pt: float
    numbering: str = "outline"  # outline | law | decimal: builder.document.numbering.SCHEMES
    xlsx_password: str | None = (
        None  # sheet protection password of the XLSX forms (None: no password)
    )


@dataclass(frozen=True)
class Document:
    meta: Meta
    branch: BranchInfo
    revisions: tuple[Revision, ...]
    chapters: tuple[Section, ...]
    forms: tuple[Form, ...]
    lang: str = "zh-CN"  # BCP 47 tag for the text as rendered
    source_revision: str = ""  # git commit of the sources, when known
    draft: bool = False  # a draft: values marked 待确认 are highlighted (Span.review)
    # (term, text) of the manual's glossary for a Traditional branch (builder.document.script)
    glossary: tuple[tuple[str, str], ...] = ()

    @property
    def change_marks(self) -> bool:
        """Whether any chapter, section or clause carries the 本次修订 mark."""
        return any(node.changed for node, _ in self.walk() if not isinstance(node, Form))

    def walk(self) -> Iterator[tuple[Section | Clause | Form, Section | Clause | None]]:
        """Every chapter, section, clause and form with its parent (None at the top), in reading
        order: a section, its sections, then its clauses; a clause, then its sub-clauses; the
        forms last. The one walk of the tree that the writers and the comparison use."""

        def under(node, parent):
            yield node, parent
            children = (
                (*node.sections, *node.clauses) if isinstance(node, Section) else node.clauses
            )
            for child in children:
                yield from under(child, node)

        for chapter in self.chapters:
            yield from under(chapter, None)
        for form in self.forms:
            yield form, None

    def walk_sections(self) -> Iterator[Section]:
        """Every chapter and section, depth first, in reading order."""
        return (node for node, _ in self.walk() if isinstance(node, Section))
