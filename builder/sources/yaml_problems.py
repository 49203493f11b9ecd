"""PyYAML's syntax errors told in Chinese, at the place where the fix belongs (the opening
quote or bracket never closed, the line missing its ":"), never in PyYAML's English."""

from __future__ import annotations

import ast
import re

import yaml
import yaml.constructor

# PyYAML's tokens as its messages name them ("but found '<scalar>'"), for the user.
_YAML_TOKENS = {
    "<scalar>": "文字",
    "<block mapping start>": "“键: 值”",
    "<block sequence start>": "列表项“- ”",
    "<block end>": "缩进的结束",
    "<alias>": "别名“*”",
    "<anchor>": "锚点“&”",
    "<tag>": "标签“!”",
    "<stream end>": "文件结尾",
    "<document start>": "“---”",
    "<document end>": "“...”",
    "<directive>": "“%”指令",
    "?": "“? ”",
    "-": "列表项“- ”",
    ":": "“:”",
    ",": "“,”",
    "[": "“[”",
    "]": "“]”",
    "{": "“{”",
    "}": "“}”",
}
_QUOTE = "若是文本内容，请用引号括起来"
_TAGS = "YAML 标签（以“!”开头）写法有误：源文件不需要标签，请删除；" + _QUOTE
_DIRECTIVE = "YAML 指令（以“%”开头的行）有误：源文件不需要指令，请删除这一行；" + _QUOTE
_BLOCK_SCALAR = "多行文本标记“|”或“>”后面只能跟“-”“+”或 1–9 的数字，文本从下一行开始写；" + _QUOTE
_ESCAPE = "要写反斜杠本身，请写成“\\\\”或改用单引号"


def _token(found: str) -> str:
    """A token or character from PyYAML's message ("'<scalar>'", "'\\t'"), named in Chinese."""
    try:
        value = ast.literal_eval(found)
    except (ValueError, SyntaxError):
        value = found
    value = str(value)
    return _YAML_TOKENS.get(value, f"“{value}”")


def _at_line_start(text: str, mark) -> bool:
    """Whether only spaces stand before `mark` on its line."""
    line_start = text.rfind("\n", 0, mark.index) + 1
    return not text[line_start : mark.index].strip(" ")


def yaml_problem(exc: yaml.MarkedYAMLError, text: str):
    """(mark, message in Chinese) for a syntax error from PyYAML's pure-Python parser (the one
    whose errors we report, see _compose). The mark is where the user should look: the opening
    quote or bracket that was never closed, the line that lacks its ":", else PyYAML's own."""
    problem, context = exc.problem or "", exc.context or ""
    mark, start = exc.problem_mark or exc.context_mark, exc.context_mark or exc.problem_mark
    if "directive" in context or problem.startswith(
        (
            "found duplicate YAML directive",
            "found incompatible YAML document",
            "duplicate tag handle",
        )
    ):
        return mark, _DIRECTIVE
    if "tag" in context or problem.startswith(("found undefined tag handle", "expected URI")):
        return mark, _TAGS
    if context.startswith(("while scanning an anchor", "while scanning an alias")):
        return mark, "锚点“&”或别名“*”后面应紧跟名字（字母、数字）；" + _QUOTE
    if context.startswith("while scanning a block scalar"):
        return mark, _BLOCK_SCALAR
    found = re.match(r"found character (.+) that cannot start any token$", problem)
    if found:
        char = _token(found.group(1))
        if char == "“\t”":
            return mark, "不能用制表符（Tab）缩进，请改用空格"
        return mark, f"值不能以{char}开头（YAML 的保留字符）；{_QUOTE}"
    if problem == "mapping values are not allowed here":
        return mark, f"此处不能出现“: ”（冒号加空格）：{_QUOTE}；若是新的一项，请检查缩进"
    if problem == "could not find expected ':'":
        return start, "这一行缺少“:”：映射中的每一行应写成“键: 值”（冒号后有空格）"
    found = re.match(r"found undefined alias (.+)$", problem)
    if found:
        name = _token(found.group(1)).strip("“”")
        return mark, f"别名“*{name}”没有对应的锚点“&{name}”；{_QUOTE}"
    if problem == "found unexpected end of stream" and "quoted" in context:
        return start, "引号没有闭合：从这里开始的引号文本直到文件末尾也没有结束引号"
    if problem == "found unexpected document separator" and "quoted" in context:
        return start, "引号没有闭合：从这里开始的引号文本中出现了“---”或“...”行"
    found = re.match(r"expected ',' or '([\]}])', but got (.+)$", problem)
    if found:
        close = found.group(1)
        kind = "方括号列表“[ ]”" if close == "]" else "花括号映射“{ }”"
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "此后"
        return start, (
            f"{kind}没有正确结束：直到{where}还没有“{close}”，各项之间应以“,”分隔；"
            f"若“{'[' if close == ']' else '{'}”是文本内容，请把整个值用引号括起来"
        )
    found = re.match(r"expected <block end>, but found (.+)$", problem)
    if found:
        if mark and _at_line_start(text, mark):
            return (
                mark,
                "缩进不一致：这一行与同级的上一项没有对齐，或同一级混用了列表项“- ”和“键: 值”",
            )
        return mark, (
            f"值后面多出了{_token(found.group(1))}：一个值（如引号中的文本）结束后，同一行不能再写别的；"
            "若整段都是文本，请把整段用引号括起来（单引号文本中的单引号写成两个“''”）"
        )
    found = re.match(r"expected the node content, but found (.+)$", problem)
    if found:
        return mark, f"此处缺少内容：值不能以{_token(found.group(1))}开头；{_QUOTE}"
    if problem == "but found another document":
        return (
            mark,
            "一个文件只能有一个 YAML 文档：请删除多余的“---”及其后的内容，或把它移到单独的文件",
        )
    if problem.startswith("expected '<document start>'"):
        return mark, _DIRECTIVE
    found = re.match(r"found duplicate anchor (.+); first occurrence$", context)
    if found:
        name = _token(found.group(1)).strip("“”")
        first = f"（第一次在第 {exc.context_mark.line + 1} 行）" if exc.context_mark else ""
        return mark, f"锚点“&{name}”重复定义{first}：请换一个名字"
    found = re.match(r"found unknown escape character (.+)$", problem)
    if found:
        return mark, f"双引号文本中有无效的转义“\\{_token(found.group(1)).strip('“”')}”：{_ESCAPE}"
    found = re.match(r"expected escape sequence of (\d+) hexadecimal numbers", problem)
    if found:
        return (
            mark,
            f"双引号文本中的这个转义后应有 {found.group(1)} 位十六进制数字（如“\\x41”）：{_ESCAPE}",
        )
    if problem == "sequence entries are not allowed here":
        return mark, f"此处不能出现列表项“- ”：列表项应另起一行并缩进；{_QUOTE}"
    if problem == "mapping keys are not allowed here":
        return mark, f"此处不能出现“? ”：{_QUOTE}"
    # Not one PyYAML 6 raises today: a Chinese sentence, and PyYAML's words for the details.
    return mark, f"无法解析此处（{problem or context or exc}）"
