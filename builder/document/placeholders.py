"""Placeholders in manual text: the one parser for `{branch.x}`, `{manual.x}`, `{form:id}`,
`{clause:id}`.

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


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Placeholder:
    kind: str  # "branch", "manual", "form" or "clause"
    name: str  # field name or id
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
            name = _NAME.match(inner)
            if not name:
                raise PlaceholderError(
                    f"无法识别的占位符“{token}”：只允许 {{branch.字段}}、{{manual.字段}}、"
                    f"{{form:表单id}}、{{clause:条款id}}",
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
