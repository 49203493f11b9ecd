"""The source schema: what each YAML file in manual_src/ may hold.

These pydantic models are the validated source manual (before any branch is applied).
`handbook schema` prints their JSON Schema so editors can complete and check the YAML.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

ID_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
VALUE_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"  # names of branch values: {branch.KEY}

FIELD_TYPES = (
    "text",
    "textarea",
    "date",
    "datetime",
    "number",
    "money",
    "choice",
    "multichoice",
    "score",
    "person",
    "signature",
    "rows",
)
BRANCH_KINDS = ("总部", "分公司", "办事处")
# zh-Hant alone means Hong Kong (builder.document.script)
SCRIPTS = ("zh-Hans", "zh-Hant", "zh-Hant-HK", "zh-Hant-TW")
NUMBERING_SCHEMES = ("outline", "law", "decimal")  # builder.document.numbering.SCHEMES


def _scalar_to_str(value):
    """YAML turns 1.2 into a float and 2023-09-05 into a date; text fields want them as written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, dt.date)):
        return str(value)
    return value


Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN, description="稳定的 ASCII 标识：小写字母开头，仅含小写字母、数字和 -"
    ),
]
# A number written where text is expected is taken as written (`version: 1.10`, a 2 in a form's
# example row); the JSON Schema says so, or editors would flag files `check` accepts.
Text = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    Field(min_length=1),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}),
]
TextOrList = Text | list[Text]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """Every key given must match; a list matches when any entry does."""

    branch: list[str] | None = Field(None, description="分支机构 id")
    region: list[str] | None = Field(None, description="区域，如 华东")
    kind: list[Literal[BRANCH_KINDS]] | None = Field(None, description="总部 / 分公司 / 办事处")
    flag: list[str] | None = Field(None, description="branches.yaml 中的标记")


class Conditional(Strict):
    when: Condition | None = Field(None, description="仅当条件成立时包含")
    unless: Condition | None = Field(None, description="条件成立时不包含")


class ListItem(Conditional):
    text: Text


class ApprovalChainTable(Strict):
    from_: Literal["approval_chain"] = Field(alias="from")


class TableSrc(Strict):
    columns: list[Text] = Field(min_length=1)
    rows: list[list[Text]] = Field(default_factory=list)


class Clause(Conditional):
    id: Id
    title: Text | None = Field(None, description="条款的加粗引导语")
    text: TextOrList | None = None
    text_hant: TextOrList | None = Field(
        None, description="手写的繁体文本：繁体分支机构用它代替 text 的自动转换"
    )
    items: list[Text | ListItem] = Field(default_factory=list)
    clauses: list[Clause] = Field(default_factory=list)
    table: TableSrc | ApprovalChainTable | None = None
    note: Text | None = None


class Section(Conditional):
    id: Id
    title: Text
    title_en: Text | None = None
    intro: TextOrList | None = None
    sections: list[Section] = Field(default_factory=list)
    clauses: list[Clause] = Field(default_factory=list)


class Chapter(Section):
    """A chapter file: chapters/NN-<id>.yaml."""


class Compute(Strict):
    """A field the form computes instead of the user typing it (exactly one key)."""

    sum: list[Id] | None = Field(None, description="各字段（或表格列）之和")
    average: list[Id] | None = Field(None, description="各字段（或表格列）的平均值")
    days_between: list[Id] | None = Field(
        None, min_length=2, max_length=2, description="[开始, 结束] 相差天数（结束减开始）"
    )
    capitals: Id | None = Field(None, description="金额的中文大写")


class FormFieldSrc(Strict):
    id: Id
    label: Text
    type: Literal[FIELD_TYPES]
    required: bool = False
    options: list[Text] = Field(default_factory=list, description="choice / multichoice 的选项")
    help: Text | None = None
    example: Text | list[dict[str, Text]] | None = None
    rows: int = Field(0, ge=0, le=100, description="rows 类型打印的空白行数")
    columns: list[FormFieldSrc] = Field(default_factory=list, description="rows 类型的列")
    compute: Compute | None = Field(None, description="由表单计算的字段（不需填写）")


class FormSrc(Strict):
    """A form file: forms/<id>.yaml."""

    id: Id
    code: Text = Field(description="表单编号")
    title: Text
    title_en: Text | None = None
    clause: Id | None = Field(None, description="使用本表单的条款 id")
    purpose: Text
    instructions: list[Text] = Field(default_factory=list)
    approval: bool = Field(False, description="附上本分支机构的审批链")
    fields: list[FormFieldSrc] = Field(min_length=1)


class PageSettings(Strict):
    size: Literal["A4"] = "A4"
    margin_top_mm: float = Field(25, ge=5, le=60)
    margin_bottom_mm: float = Field(22, ge=5, le=60)
    margin_left_mm: float = Field(25, ge=5, le=60)
    margin_right_mm: float = Field(22, ge=5, le=60)


# A font family name goes into style sheets and Word XML: letters, digits, spaces and . + - only.
FontFamily = Annotated[
    str, Field(pattern=r"^[\w .+-]{1,64}$", description="字体名称，如 Noto Serif CJK SC")
]


class FontSettings(Strict):
    body: FontFamily = "Noto Serif CJK SC"
    heading: FontFamily = "Noto Sans CJK SC"
    size_pt: float = Field(10.5, ge=7, le=16)


# A term without a newline, as it is written in the (Simplified) sources.
Term = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\n\r\t]+$")]


class GlossaryEntry(Strict):
    """A term that must read a given way in Traditional, or must not be converted at all (only
    `term` given): the company's registered name, people's names, legal titles."""

    term: Term = Field(description="源文件中的写法（简体）")
    hant: Term | None = Field(None, description="繁体写法（香港和台湾）；不填则保持原样")
    hk: Term | None = Field(None, description="香港的写法（优先于 hant）")
    tw: Term | None = Field(None, description="台湾的写法（优先于 hant）")


class ManualMeta(Strict):
    """manual.yaml"""

    title: Text
    title_en: Text | None = None
    company: Text
    company_en: Text | None = None
    doc_number: Text = Field(description="文件编号")
    version: Text
    effective_date: dt.date
    issuer: Text = Field(description="发布部门")
    approver: Text
    confidentiality: Text = "内部受控"
    numbering: Literal[NUMBERING_SCHEMES] = Field(
        "outline",
        description=(
            "编号方式：outline 一、（一）1.（1）①；law 第一章、第一节、第一条（条全文连续编号）、"
            "（一）、1.；decimal 1、1.1、1.1.1"
        ),
    )
    page: PageSettings = PageSettings()
    fonts: FontSettings = FontSettings()
    xlsx_password: Text | None = Field(
        None, description="Excel 表单工作表保护的密码；不填则保护但不设密码（防误改，不是保密手段）"
    )
    glossary: list[GlossaryEntry] = Field(
        default_factory=list, description="繁体版的术语表：固定写法或不转换的词语"
    )


class ApprovalStepSrc(Strict):
    role: Text
    days: int = Field(ge=1, le=30, description="时限（工作日）")


class BranchSrc(Strict):
    id: Id
    name: Text
    name_en: Text | None = None
    kind: Literal[BRANCH_KINDS]
    region: Text
    address: Text
    phone: Text
    manager: Text
    manager_title: Text
    script: Literal[SCRIPTS] = "zh-Hans"
    flags: list[Id] = Field(default_factory=list)
    approval_chain: list[ApprovalStepSrc] = Field(min_length=1)
    values: dict[str, Text] = Field(default_factory=dict)


class BranchDefaults(Strict):
    values: dict[Annotated[str, Field(pattern=VALUE_KEY_PATTERN)], Text] = Field(
        default_factory=dict
    )


class BranchesFile(Strict):
    """branches.yaml"""

    defaults: BranchDefaults = BranchDefaults()
    branches: list[BranchSrc] = Field(min_length=1)


class RevisionSrc(Strict):
    version: Text
    date: dt.date
    author: Text
    approver: Text
    summary: Text
    changes: list[Id] = Field(
        default_factory=list,
        description=(
            "本次修订新增或修改的章、节、条款的标识（handbook diff 会列出）；"
            "最新版本的这些内容在手册中标示“本次修订”"
        ),
    )


class RevisionsFile(BaseModel):
    """revisions.yaml: a list, oldest first."""

    model_config = ConfigDict(frozen=True)
    revisions: list[RevisionSrc] = Field(min_length=1)


# The file kinds of manual_src/, for loading and for `handbook schema`.
FILE_MODELS = {
    "manual": ManualMeta,
    "branches": BranchesFile,
    "revisions": RevisionsFile,
    "chapter": Chapter,
    "form": FormSrc,
}


def json_schema() -> dict:
    """One JSON Schema document with a definition per file kind."""
    from pydantic.json_schema import models_json_schema

    _, top = models_json_schema(
        [(model, "validation") for model in FILE_MODELS.values()],
        title="运营管理手册源文件 (manual_src)",
    )
    top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    defs = top.get("$defs", {})
    top["description"] = (
        "manual.yaml → ManualMeta; branches.yaml → BranchesFile; "
        "revisions.yaml → RevisionsList (a list of RevisionSrc, oldest first); "
        "chapters/*.yaml → Chapter; forms/*.yaml → FormSrc"
    )
    # revisions.yaml is a bare list: RevisionsFile only wraps it for validation.
    defs["RevisionsList"] = defs["RevisionsFile"]["properties"]["revisions"] | {
        "title": "RevisionsList",
        "description": "revisions.yaml：修订记录列表，最早的版本在前",
    }
    del defs["RevisionsFile"]
    kinds = ["RevisionsList" if m is RevisionsFile else m.__name__ for m in FILE_MODELS.values()]
    top["oneOf"] = [{"$ref": f"#/$defs/{name}"} for name in kinds if name in defs]
    return top
