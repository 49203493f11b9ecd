"""Schema validation with pydantic, every error told in Chinese at the file:line:column of
the value (enumerations as “总部”“分公司”或“办事处”, did-you-mean for unknown keys)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from pydantic import ValidationError

from builder.errors import Problem, did_you_mean
from builder.sources import schema

if TYPE_CHECKING:
    from builder.sources.load import Located


_ALL_KEYS = sorted(
    {
        name if not info.alias else info.alias
        for model in (
            schema.ManualMeta,
            schema.PageSettings,
            schema.FontSettings,
            schema.BranchesFile,
            schema.BranchDefaults,
            schema.BranchSrc,
            schema.ApprovalStepSrc,
            schema.RevisionSrc,
            schema.Chapter,
            schema.Clause,
            schema.ListItem,
            schema.TableSrc,
            schema.ApprovalChainTable,
            schema.Condition,
            schema.FormSrc,
            schema.FormFieldSrc,
        )
        for name, info in model.model_fields.items()
    }
)

_NUMBER = "应为数字（如 25 或 10.5）"
_DATE = "应为日期，格式 YYYY-MM-DD（如 2026-12-01）"
_MAPPING = "应为映射（“键: 值”，每项一行）"
# pydantic's error types, in Chinese; {ge}, {min_length} and the like come from its context.
# Only the first few can come from the source schema today; the rest keep a change to the schema
# (a new field type) from printing pydantic's English.
_TYPE_MESSAGES = {
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "过长：最多 {max_length} 个字符",
    "string_unicode": "应为文本",
    "string_not_ascii": "只能包含 ASCII 字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数部分",
    "int_parsing_size": "数字过大",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": "应为有限的数字",
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（每项以“- ”开头，或写成 [甲, 乙]）",
    "tuple_type": "应为列表（每项以“- ”开头，或写成 [甲, 乙]）",
    "set_type": "应为列表（每项以“- ”开头，或写成 [甲, 乙]）",
    "frozen_set_type": "应为列表（每项以“- ”开头，或写成 [甲, 乙]）",
    "iterable_type": "应为列表（每项以“- ”开头，或写成 [甲, 乙]）",
    "dict_type": _MAPPING,
    "mapping_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
    "dataclass_type": _MAPPING,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期，不含时间，格式 YYYY-MM-DD",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": "应为日期和时间，格式 YYYY-MM-DD HH:MM",
    "datetime_parsing": "应为日期和时间，格式 YYYY-MM-DD HH:MM",
    "datetime_from_date_parsing": "应为日期和时间，格式 YYYY-MM-DD HH:MM",
    "time_type": "应为时间，格式 HH:MM",
    "time_parsing": "应为时间，格式 HH:MM",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "none_required": "此处不应有值",
    "union_tag_invalid": "取值无效",
    "union_tag_not_found": "取值无效",
    "recursion_loop": "内容循环引用了自己（别名“*”指向了包含它的部分）",
}
_NUMERIC_CONTEXT = ("ge", "gt", "le", "lt", "multiple_of")


_ID_MAX = int(re.search(r"\{0,(\d+)\}", schema.ID_PATTERN).group(1)) + 1
_ID_TOO_LONG = re.compile(rf"^[a-z][a-z0-9-]{{{_ID_MAX},}}$")


def _walk(data, loc: tuple) -> tuple:
    """Keep only the parts of a pydantic error location that exist in the data (drops union
    tags)."""
    path: list = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif (
            isinstance(current, dict)
            and isinstance(part, str)
            and part not in current
            and part.isidentifier()
            and not any(c in part for c in "[]")
        ):
            path.append(part)  # a missing or unknown key: reported at its parent
            current = None
    return tuple(path)


def _shown(value, limit: int = 30) -> str:
    """A value as the user wrote it, cut to `limit` characters."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _one_of(choices: list[str]) -> str:
    """“总部”“分公司”或“办事处”之一 (or just “A4” for one choice)."""
    quoted = [f"“{c}”" for c in choices]
    if len(quoted) == 1:
        return quoted[0]
    return "".join(quoted[:-1]) + "或" + quoted[-1] + "之一"


def _empty(value) -> bool:
    return value is None or value == ""


def _message(err: dict, key: str | None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return f"缺少必填项“{key}”"
    if kind == "extra_forbidden":
        return f"未知的键“{key}”{did_you_mean(key, [k for k in _ALL_KEYS if k != key])}"
    if kind in ("literal_error", "enum"):
        choices = _literal_choices(str(ctx.get("expected", "")))
        if isinstance(value, (dict, list)):
            kind_of = "映射" if isinstance(value, dict) else "列表"
            return f"应为{_one_of(choices)}，不能是{kind_of}"
        if _empty(value):
            return f"缺少取值：应为{_one_of(choices)}"
        return f"取值“{_shown(value)}”无效，应为{_one_of(choices)}{did_you_mean(value, choices)}"
    if kind == "string_pattern_mismatch":
        text = str(value)
        if ctx.get("pattern") == schema.ID_PATTERN and _ID_TOO_LONG.match(text):
            return f"标识“{text[:20]}…”过长（{len(text)} 个字符）：最多 {_ID_MAX} 个字符"
        if ctx.get("pattern") == schema.ID_PATTERN:
            return (
                f"标识“{_shown(text)}”格式不对：应以小写字母开头，只含小写字母、数字和“-”（ASCII）"
            )
        if ctx.get("pattern") == schema.VALUE_KEY_PATTERN:
            return (
                f"取值名“{_shown(text)}”格式不对："
                "应以小写字母开头，只含小写字母、数字和“_”（ASCII）"
            )
        return f"“{_shown(text)}”含有不允许的字符：只能包含文字、数字、空格和 . + -，最长 64 个字符"
    if kind == "too_short" and isinstance(value, str):
        return "不能为空"
    if kind == "string_type" and isinstance(value, bool):
        return "应为文本：yes、no、on、off、true、false 会被读作是或否，作为文本时请用引号括起来"
    template = _TYPE_MESSAGES.get(kind)
    if kind == "date_from_datetime_inexact" and not isinstance(value, dt.datetime):
        template = _DATE  # a number: not a date at all
    if template is None:  # a type of error the schema cannot raise today: no English either way
        return f"取值“{_shown(value)}”无效" if isinstance(value, (str, int, float)) else "取值无效"
    values = {
        k: (f"{v:g}" if k in _NUMERIC_CONTEXT and isinstance(v, float) else v)
        for k, v in ctx.items()
    }
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        text = template.split("{")[0].rstrip("：:") or "取值无效"
    if _empty(value) and not kind.startswith(("too_", "string_too")):
        return f"缺少内容：{text}"
    shown = isinstance(value, (str, int, float))
    if kind.endswith(("_parsing", "_from_float", "_inexact")) and shown:
        return f"取值“{_shown(value)}”无效：{text}"
    return text


def _literal_choices(expected: str) -> list[str]:
    """The choices of pydantic's "'总部', '分公司' or '办事处'"."""
    return [
        part.strip().strip("'\"")
        for part in expected.replace(" or ", ",").split(",")
        if part.strip()
    ]


def validate_model(
    located: Located,
    model,
    problems: list[Problem],
    wrap: str | None = None,
    failed: list[tuple] | None = None,
):
    """The model of one file, or None with its problems appended. `failed` (when given) gets
    the location of every error in the data (pydantic's, without `wrap`)."""
    data = {wrap: located.data} if wrap else located.data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen = set()
        for err in exc.errors():
            loc = tuple(err["loc"])[1:] if wrap else tuple(err["loc"])
            if failed is not None:
                failed.append(loc)
            path = _walk(located.data, loc)
            if path in located.refused:
                continue
            key = loc[-1] if loc and isinstance(loc[-1], str) else None
            if err["type"] == "missing":
                where = located.where(path[:-1] if path and path[-1] == key else path)
            elif err["type"] == "extra_forbidden" or key == "[key]":
                where = located.where(path, key=True)
            else:
                where = located.where(path)
            # unions report one error per alternative; keep the first per place
            if (where, err["type"] == "missing") in seen and err["type"] not in (
                "missing",
                "extra_forbidden",
            ):
                continue
            seen.add((where, err["type"] == "missing"))
            problems.append(Problem(where, _message(err, key)))
        return None
