"""Placeholders in manual text: the one parser for `{branch.x}`, `{manual.x}`, `{form:id}`,
`{clause:id}` and the review mark `{待确认:value}`.

A review mark wraps a value the company still has to confirm (a proposed deadline, limit or
weight that is not in the seed manuals): the published handbook prints the value plainly, a
`handbook build --draft` highlights it, and `handbook check --review` lists every mark.

Text is never rendered as a template: it is split into literal runs and placeholders, and only
the documented names are allowed. `{{` and `}}` stand for literal braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BRANCH_FIELDS = (
    "id",
    "name",
    "name_en",
    "kind",
    "region",
    "address",
    "phone",
    "manager",
    "manager_title",
    "approval_chain",
    "approval_levels",
)
MANUAL_FIELDS = (
    "company",
    "company_en",
    "title",
    "title_en",
    "version",
    "doc_number",
    "issuer",
    "approver",
    "effective_date",
)

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^(branch|manual)\.([a-z][a-z0-9_]*)$|^(form|clause):([a-z][a-z0-9-]*)$")
REVIEW = "待确认"  # the review mark's keyword: {待确认:30 天}
_REVIEW = re.compile(rf"^{REVIEW}\s*[:：](.*)$", re.S)


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Placeholder:
    kind: str  # "branch", "manual", "form", "clause" or "review"
    name: str  # field name or id; for "review", the value to confirm
    source: str  # as written, with braces
    offset: int  # position in the text


class PlaceholderError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def parse(text: str) -> list[Literal | Placeholder]:
    """Split text into literal runs and placeholders. Raises PlaceholderError on bad syntax."""
    parts: list[Literal | Placeholder] = []
    pos = 0
    buffer = ""
    for match in _TOKEN.finditer(text):
        buffer += text[pos : match.start()]
        token = match.group(0)
        if token in ("{{", "}}"):
            buffer += token[0]
        elif token in ("{", "}"):
            raise PlaceholderError(
                f"单独的“{token}”：占位符应写成 {{branch.name}} 这样的形式；"
                f"如需输入花括号本身，请写“{token * 2}”",
                match.start(),
            )
        else:
            inner = match.group(1).strip()
            review = _REVIEW.match(inner)
            if review:
                value = review.group(1).strip()
                if not value:
                    raise PlaceholderError(
                        f"待确认标记“{token}”中没有内容：应写成 {{{REVIEW}:30 天}} 这样的形式，"
                        "冒号后是待确认的取值",
                        match.start(),
                    )
                if buffer:
                    parts.append(Literal(buffer))
                    buffer = ""
                parts.append(Placeholder("review", value, token, match.start()))
                pos = match.end()
                continue
            name = _NAME.match(inner)
            if not name:
                raise PlaceholderError(
                    f"无法识别的占位符“{token}”：只允许 {{branch.字段}}、{{manual.字段}}、"
                    f"{{form:表单id}}、{{clause:条款id}}、{{{REVIEW}:待确认的取值}}",
                    match.start(),
                )
            if buffer:
                parts.append(Literal(buffer))
                buffer = ""
            kind = name.group(1) or name.group(3)
            ident = name.group(2) or name.group(4)
            parts.append(Placeholder(kind, ident, token, match.start()))
        pos = match.end()
    buffer += text[pos:]
    if buffer:
        parts.append(Literal(buffer))
    return parts


def review_parts(value: str) -> list[tuple[str, bool]]:
    """A value printed as it is (a branch's value): (text, is a review mark) runs. Only review
    marks are special here: a value without `{待确认` is literal, braces and all; in one with a
    mark, anything else (or text that does not parse) is literal too."""
    if "{" + REVIEW not in value:
        return [(value, False)]
    try:
        parts = parse(value)
    except PlaceholderError:
        return [(value, False)]
    return [
        (part.name, True)
        if isinstance(part, Placeholder) and part.kind == "review"
        else (part.text if isinstance(part, Literal) else part.source, False)
        for part in parts
    ]
