"""Document properties: the one place that decides what every output carries as file metadata.

`properties(document)` (the handbook) and `properties(document, form)` (one form) give a frozen
`Properties`: title, subject, author (the company), keywords, identifier (文件编号, and the form
code for a form), version, effective date, status 受控文件, category, description, language and
`custom`, the ASCII-named properties a document-control system reads:

    DocNumber        文件编号 (HC-YY-MAN-001)
    Version          the manual's version
    EffectiveDate    ISO date the manual takes effect
    ControlStatus    受控文件
    SourceRevision   git commit of the sources (builder.release.vcs), left out when unknown
    Branch           the branch id;  BranchName  its name
    FormCode         forms only
    Confidentiality  the manual's confidentiality level (内部受控)

Each writer maps them onto its format: DOCX core properties + docProps/custom.xml
(builder.writers.docx.handbook, docx_forms via builder.writers.ooxml.core), XLSX document and
custom properties (builder.writers.xlsx.workbook), PDF Info entries (`pdf_info`,
builder.writers.pdf.handbook and pdf_forms) and HTML `<meta>` tags (`html_meta`,
templates/handbook.html.j2).

Reproducible: nothing here reads the clock, the machine or the folder. Every date is the manual's
effective date (`stamp` is that day at 00:00, naive, the same in every time zone), so the same
sources give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from types import MappingProxyType

from builder import __version__
from builder.document.dates import chinese_date
from builder.document.model import Document, Form, plain

CONTROLLED = "受控文件"  # the controlled-document mark, in metadata and printed on every output
DRAFT = "草稿（含待确认取值）"  # the status of a `handbook build --draft` output
DRAFT_NOTICE = (
    "草稿　黄色底纹标示的是待确认的建议取值（源文件中的 {待确认:…} 标记），"
    "确认前不得作为正式版本发布。"
)


@dataclass(frozen=True)
class Properties:
    title: str
    subject: str
    author: str  # the company
    keywords: tuple[str, ...]
    identifier: str  # 文件编号, "/<form code>" for a form
    version: str
    effective_date: date
    status: str  # 受控文件
    category: str  # 手册 or 表单
    description: str
    language: str  # BCP 47
    issuer: str  # 发布部门: Office's "last modified by"
    generator: str  # "handbook builder <version>"
    revision: int  # how many revisions the manual has had (Office's revision count)
    custom: Mapping[str, str]  # ASCII name → text, in a fixed order

    @property
    def stamp(self) -> datetime:
        """Created/modified date-time of every output: the effective date at 00:00."""
        return datetime.combine(self.effective_date, time(0, 0))

    def keyword_text(self, separator: str = "; ") -> str:
        return separator.join(self.keywords)

    def pdf_info(self) -> dict[str, str]:
        """PDF document information entries, names without the leading '/' (Producer is the
        PDF writer's business)."""
        stamp = f"D:{self.effective_date:%Y%m%d}000000Z"
        return {
            "Title": self.title,
            "Subject": self.subject,
            "Author": self.author,
            "Keywords": self.keyword_text(", "),
            "Creator": self.generator,
            "CreationDate": stamp,
            "ModDate": stamp,
            **self.custom,
        }

    def html_meta(self) -> tuple[tuple[str, str], ...]:
        """(name, content) of the `<meta>` tags an HTML page carries, besides <title>."""
        return (
            ("author", self.author),
            ("description", self.description),
            ("keywords", self.keyword_text(", ")),
            ("dcterms.identifier", self.identifier),
            ("dcterms.created", self.effective_date.isoformat()),
            ("dcterms.modified", self.effective_date.isoformat()),
            ("generator", self.generator),
            *self.custom.items(),
        )


def properties(
    document: Document, form: Form | None = None, *, all_forms: bool = False
) -> Properties:
    """The properties of `document`'s handbook, of its form `form`, or (all_forms) of the
    workbook holding every form (forms.xlsx)."""
    meta, branch = document.meta, document.branch
    custom = {
        "DocNumber": meta.doc_number,
        "Version": meta.version,
        "EffectiveDate": meta.effective_date.isoformat(),
        "ControlStatus": CONTROLLED,
        "SourceRevision": document.source_revision,
        "Branch": branch.id,
        "BranchName": branch.name,
        "FormCode": form.code if form is not None else "",
        "Confidentiality": meta.confidentiality,
    }
    custom = {key: value for key, value in custom.items() if value}
    revision = f"，源修订 {document.source_revision}" if document.source_revision else ""
    if all_forms:
        title = f"{meta.title}表单 · {branch.name}"
        subject = f"{meta.title}全部表单（{len(document.forms)} 个）"
        description = (
            f"{meta.company}《{meta.title}》的全部表单，{branch.name}适用，"
            f"文件编号 {meta.doc_number}，版本 {meta.version}，"
            f"{chinese_date(meta.effective_date)}生效{revision}。"
        )
        identifier = meta.doc_number
        extra: tuple[str, ...] = ("表单",)
        category = "表单"
    elif form is None:
        title = f"{meta.title} · {branch.name}"
        subject = f"{meta.company}{meta.title}（{branch.name}）"
        description = (
            f"{meta.company}《{meta.title}》{branch.name}版，文件编号 {meta.doc_number}，"
            f"版本 {meta.version}，{chinese_date(meta.effective_date)}生效，"
            f"{meta.issuer}发布{revision}。"
        )
        identifier = meta.doc_number
        extra = ()
        category = "手册"
    else:
        title = f"{form.title} · {branch.name}"
        subject = f"{meta.title}表单 {form.code}：{plain(form.purpose)}"
        description = (
            f"{meta.company}《{meta.title}》表单 {form.title}（{form.code}），{branch.name}适用，"
            f"文件编号 {meta.doc_number}，版本 {meta.version}，"
            f"{chinese_date(meta.effective_date)}生效{revision}。"
        )
        identifier = f"{meta.doc_number}/{form.code}"
        extra = (form.code, form.title)
        category = "表单"
    keywords = (
        meta.title,
        branch.name,
        *extra,
        meta.doc_number,
        f"版本 {meta.version}",
        CONTROLLED,
        meta.confidentiality,
    )
    if document.draft:
        title = f"【草稿】{title}"
    return Properties(
        title=title,
        subject=subject,
        author=meta.company,
        keywords=tuple(dict.fromkeys(k for k in keywords if k)),
        identifier=identifier,
        version=meta.version,
        effective_date=meta.effective_date,
        status=DRAFT if document.draft else CONTROLLED,
        category=category,
        description=description,
        language=document.lang,
        issuer=meta.issuer,
        generator=f"handbook builder {__version__}",
        revision=max(1, len(document.revisions)),
        custom=MappingProxyType(custom),
    )
