"""Load and validate manual_src/: YAML → the validated source manual.

Knows YAML and the source schema, nothing of output formats. Every problem in every file is
collected and raised at once as SourceErrors, each with file:line:column.
"""

from __future__ import annotations

import ast
import datetime as dt
import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml
import yaml.constructor
from pydantic import ValidationError

from builder.errors import Location, Problem, SourceErrors, did_you_mean, display_path
from builder.sources import files as layout
from builder.sources import schema
from builder.sources.validate import check_manual

MAX_FILE_BYTES = layout.MAX_FILE_BYTES
MAX_DEPTH = 40  # nesting of mappings and lists in one file (the deepest manual needs about 15)
MAX_VALUES = (
    200_000  # values in one file after aliases are expanded (a "billion laughs" stops here)
)
# Characters XML 1.0 cannot hold (so neither can DOCX, XLSX or the PDF's metadata): C0 controls
# other than tab/newline/return, lone surrogates, U+FFFE/U+FFFF. YAML's reader refuses them
# written raw, but a double-quoted "\0" or "\x1b" escape makes them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
# What PyYAML's constructors raise for a scalar they cannot read: ValueError for 2026-13-01 or
# "!!int x", OverflowError, and, with an explicit tag, KeyError ("!!bool x"), IndexError
# ("!!int" with no value) and AttributeError ("!!timestamp x").
_SCALAR_ERRORS = (ValueError, OverflowError, KeyError, IndexError, AttributeError, TypeError)


class _TooMuch(Exception):
    """A file nests too deep, expands to too many values, or has a tag we do not construct."""

    def __init__(self, node, message: str):
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass
class Located:
    """Plain data from one YAML file plus where each value and key sits in it."""

    file: str
    data: object
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    refused: set[tuple] = field(
        default_factory=set
    )  # values already reported (schema errors there are not repeated)
    digest: str = (
        ""  # SHA-256 of the bytes read (builder.release.cache keys outputs on exactly these)
    )

    def where(self, path: tuple, key: bool = False) -> Location:
        """The location of `path`, or of its nearest ancestor we know."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return Location(self.file, *table[p])
            if p in self.values:
                return Location(self.file, *self.values[p])
            p = p[:-1]
        line, col = self.values.get((), (1, 1))
        return Location(self.file, line, col)


@dataclass
class Manual:
    """The validated source manual: everything in manual_src/, with where each thing came from."""

    root: Path
    meta: schema.ManualMeta
    branches: schema.BranchesFile
    revisions: list[schema.RevisionSrc]
    chapters: list[schema.Chapter]
    forms: list[schema.FormSrc]
    sources: dict[str, Located]  # by display file name
    origin: dict[str, Location]  # id → where it is defined

    def source_digests(self) -> list[tuple[str, str]]:
        """(path relative to the root, SHA-256 of the bytes the loader read) of every source
        file, in the order of builder.sources.files.source_files."""
        return [
            (path.relative_to(self.root).as_posix(), self.sources[display_path(path)].digest)
            for path in layout.source_files(self.root)
            if display_path(path) in self.sources
        ]

    def branch(self, branch_id: str) -> schema.BranchSrc:
        for b in self.branches.branches:
            if b.id == branch_id:
                return b
        raise KeyError(branch_id)

    @property
    def branch_ids(self) -> list[str]:
        return [b.id for b in self.branches.branches]


_constructor = yaml.constructor.SafeConstructor()


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _to_data(
    node, path: tuple, located: Located, problems: list[Problem], budget: list[int] | None = None
):
    budget = budget if budget is not None else [MAX_VALUES]
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooMuch(
            node, f"内容过多：展开别名（*锚点）后超过 {MAX_VALUES} 个值，请减少别名的使用"
        )
    if len(path) > MAX_DEPTH:
        raise _TooMuch(node, f"嵌套过深：超过 {MAX_DEPTH} 层")
    located.values[path] = _mark(node)
    if node.tag not in _PLAIN_TAGS:  # !!python/object and friends: refused, never constructed
        raise _TooMuch(
            node,
            f"不支持的 YAML 标签“{node.tag.replace('tag:yaml.org,2002:', '!!')}”："
            "源文件只能包含文本、数字、日期、列表和映射",
        )
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(Location(located.file, *_mark(key_node)), "键必须是简单文本")
                )
                continue
            if (
                key_node.tag.endswith(":merge") or key_node.value == "<<"
            ):  # merge keys are not supported
                problems.append(
                    Problem(
                        Location(located.file, *_mark(key_node)), "不支持合并键“<<”，请直接写出各项"
                    )
                )
                continue
            if key_node.tag not in _PLAIN_TAGS:
                raise _TooMuch(
                    key_node,
                    f"不支持的 YAML 标签“{key_node.tag.replace('tag:yaml.org,2002:', '!!')}”："
                    "键只能是文本",
                )
            try:
                key = _constructor.construct_object(key_node)
            except _SCALAR_ERRORS:  # a key like 2026-13-01: kept as written
                key = key_node.value
            key = str(key)
            if key in out:
                problems.append(
                    Problem(
                        Location(located.file, *_mark(key_node)),
                        f"重复的键“{key}”：同一映射中每个键只能出现一次"
                        f"（第 {located.keys[path + (key,)][0]} 行已有）",
                    )
                )
                continue
            located.keys[path + (key,)] = _mark(key_node)
            out[key] = _to_data(value_node, path + (key,), located, problems, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_data(child, path + (i,), located, problems, budget)
            for i, child in enumerate(node.value)
        ]
    try:
        value = _constructor.construct_object(node)
    except _SCALAR_ERRORS as exc:  # 2026-13-01, 2026-02-30, a 5000-digit number, "!!bool x"
        problems.append(Problem(Location(located.file, *_mark(node)), _bad_scalar(node, exc)))
        located.refused.add(path)
        return node.value
    if isinstance(value, str):
        bad = _XML_INVALID.search(value)
        if bad:
            problems.append(
                Problem(
                    Location(located.file, *_mark(node)),
                    f"文本含有不可用的控制字符 U+{ord(bad.group()):04X}"
                    "（无法写入 Word、Excel 或 PDF），请删除"
                    "（常见于从其他软件粘贴的文字，或双引号中的“\\0”“\\x..”转义）",
                )
            )
            return _XML_INVALID.sub("", value)
    return value


_OS_ERRORS = {
    errno.EACCES: "没有读取权限（请检查文件权限）",
    errno.EPERM: "没有读取权限（请检查文件权限）",
    errno.ENOENT: "文件不存在（可能是指向不存在文件的符号链接）",
    errno.ELOOP: "符号链接形成了循环",
    errno.EISDIR: "这是一个文件夹，不是 YAML 文件（请改名，不要以 .yaml 结尾）",
}


def _read_source(path: Path, root: Path | None) -> bytes:
    """The bytes of one source file, refusing what is not a regular file inside `root`.
    Raises _Unreadable with a message for the user."""
    if root is not None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a loop of symbolic links
            raise _Unreadable(_OS_ERRORS[errno.ELOOP]) from None
        if not real.is_relative_to(root.resolve()):
            raise _Unreadable(
                f"符号链接指向手册源文件夹以外（{real}）：不读取源文件夹以外的文件，请把文件本身放进源文件夹"
            )
    try:
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise _Unreadable(_OS_ERRORS[errno.EISDIR])
            if not stat.S_ISREG(info.st_mode):
                raise _Unreadable("不是普通文件（可能是管道或设备），请换成普通的 YAML 文件")
            if info.st_size > MAX_FILE_BYTES:
                raise _Unreadable(f"文件过大（{info.st_size} 字节），上限为 {MAX_FILE_BYTES} 字节")
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(
            _OS_ERRORS.get(exc.errno) or f"无法读取文件（{exc.strerror or exc}）"
        ) from None
    if len(raw) > MAX_FILE_BYTES:  # grew while we read it
        raise _Unreadable(f"文件过大，上限为 {MAX_FILE_BYTES} 字节")
    return raw


class _Unreadable(Exception):
    pass


def _utf16(raw: bytes) -> bool:
    """A UTF-16 file (with a byte order mark, or plain text with a NUL beside every ASCII byte)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    head = raw[:400]
    if len(head) < 4 or b"\x00" not in head:
        return False
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            if "\x00" not in head[: len(head) // 2 * 2].decode(encoding):
                return True
        except UnicodeDecodeError:
            pass
    return False


_DATE_PROBLEMS = {
    "day": "该月没有这一天",
    "year": "年份超出范围",
    "month": "月份应为 1–12",
    "hour": "小时应为 0–23",
    "minute": "分钟应为 0–59",
    "second": "秒应为 0–59",
}


def _bad_scalar(node, exc: Exception) -> str:
    if node.tag.endswith(":timestamp"):
        reason = next((v for k, v in _DATE_PROBLEMS.items() if k in str(exc)), "不是有效的日期")
        return f"日期“{node.value}”无效：{reason}（格式 YYYY-MM-DD）"
    if node.tag.endswith(":bool"):
        return f"“{node.value[:20]}”不是 true 或 false；如是文本，请去掉“!!bool”标签"
    if node.tag.endswith((":int", ":float")):
        return (
            f"数字“{node.value[:20]}{'…' if len(node.value) > 20 else ''}”过长或无效；"
            "如是文本，请用引号括起来"
        )
    return f"无法识别的值“{node.value[:20]}”"


def read_yaml(path: Path, problems: list[Problem], root: Path | None = None) -> Located | None:
    """Parse one YAML file safely, keeping positions; problems are appended, never raised.
    With `root`, a file whose real path lies outside it (a symbolic link) is refused."""
    name = display_path(path)
    try:
        raw = _read_source(path, root)
    except _Unreadable as exc:
        problems.append(Problem(Location(name, 1, 1), str(exc)))
        return None
    if _utf16(raw):
        problems.append(
            Problem(
                Location(name, 1, 1),
                "文件是 UTF-16 编码（Windows 记事本的“Unicode”），请另存为 UTF-8"
                "（如：iconv -f UTF-16 -t UTF-8）",
            )
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "；看起来是 GBK/GB18030 编码，请另存为 UTF-8（如：iconv -f GBK -t UTF-8）"
        except UnicodeDecodeError:
            pass
        problems.append(Problem(Location(name, line, 1), f"文件不是 UTF-8 编码{hint}"))
        return None
    located = Located(name, None, digest=hashlib.sha256(raw).hexdigest())
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark, message = _yaml_problem(exc, text)
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        problems.append(Problem(where, f"YAML 语法错误：{message}"))
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. NUL or ESC
        before = text[: exc.position]
        where = Location(name, before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        problems.append(
            Problem(
                where,
                f"文件含有不可用的控制字符 U+{exc.character:04X}，请删除"
                "（常见于从其他软件粘贴的文字）",
            )
        )
        return None
    except RecursionError:
        problems.append(Problem(Location(name, 1, 1), f"嵌套过深：超过 {MAX_DEPTH} 层"))
        return None
    except yaml.YAMLError as exc:  # not raised by compose today; kept as a net
        problems.append(Problem(Location(name, 1, 1), f"YAML 语法错误：无法解析此文件（{exc}）"))
        return None
    if node is None:
        problems.append(Problem(Location(name, 1, 1), "文件为空：应包含 YAML 内容"))
        return None
    try:
        located.data = _to_data(node, (), located, problems)
    except _TooMuch as exc:
        problems.append(Problem(Location(name, *_mark(exc.node)), exc.message))
        return None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        problems.append(
            Problem(
                Location(name, mark.line + 1, mark.column + 1),
                "无法识别的值：YAML 标签与内容不符（如“!!map”“!!seq”用在了单个值上）；"
                "源文件不需要标签，请删除",
            )
        )
        return None
    finally:
        # The shared constructor remembers every node it built (or failed on) by identity. A
        # node comes back only within its file (an alias), so forget them after each file: kept,
        # they held every node and mark of every file a long-lived process ever read.
        _constructor.constructed_objects.clear()
        _constructor.recursive_objects.clear()
    return located


_C_SAFE_DEPTH = 2000


def _compose(text: str):
    """yaml.compose through libyaml where PyYAML has it (ten times faster). A file libyaml finds
    fault with, or one nesting deeper than MAX_DEPTH (libyaml's composer recurses in C and would
    overflow the stack), goes through the pure-Python loader instead, whose errors and limits the
    messages here are written for. Both give the same nodes, tags and positions."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            # Every level of nesting starts with one of these characters ([ { for flow
            # collections, - for a sequence item, : for a key, ? for an explicit key; aliases
            # are not composed twice), so a file with few of them cannot nest deeply, and needs
            # no scan first. libyaml's composer survives some 20,000 levels; 2,000 keeps it safe
            # on small thread stacks too.
            if sum(text.count(c) for c in "[{-:?") <= _C_SAFE_DEPTH:
                return yaml.compose(text, Loader=fast)
            depth = 0
            for event in yaml.parse(text, Loader=fast):
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                    if depth > MAX_DEPTH:
                        break
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
            else:
                return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


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


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str):
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


# --- schema validation -----------------------------------------------------------------------

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


def _branch_parts(branches: schema.BranchesFile | None, src: Located | None):
    """(defaults, list of branches) of branches.yaml, each None when it fails the schema (its
    problems are reported by validate_model): the checks of the other files use what is good."""
    if branches is not None:
        return branches.defaults, list(branches.branches)
    data = src.data if src is not None and isinstance(src.data, dict) else None
    if data is None:
        return None, None
    try:
        defaults = schema.BranchDefaults.model_validate(data.get("defaults", {}))
    except ValidationError:
        defaults = None
    try:
        branch_list = [schema.BranchSrc.model_validate(b) for b in data.get("branches")]
    except (ValidationError, TypeError):  # TypeError: not a list
        branch_list = None
    return defaults, branch_list


def load_manual(root: Path) -> Manual:
    """Read, parse and validate every file of manual_src/. Raises SourceErrors with all problems."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise SourceErrors([Problem(Location(display_path(root)), "找不到手册源文件夹")])

    def required(name: str) -> Located | None:
        path = root / name
        if not path.exists() and not path.is_symlink():
            problems.append(Problem(Location(display_path(path)), f"缺少文件 {name}"))
            return None
        return read_yaml(path, problems, root)

    meta_src = required("manual.yaml")
    branches_src = required("branches.yaml")
    revisions_src = required("revisions.yaml")
    chapter_srcs = [read_yaml(p, problems, root) for p in layout.chapter_files(root)]
    form_srcs = [read_yaml(p, problems, root) for p in layout.form_files(root)]
    if not (root / "chapters").is_dir() or not chapter_srcs:
        problems.append(
            Problem(
                Location(display_path(root / "chapters")),
                "缺少章节文件：chapters/ 下应至少有一个 .yaml 文件",
            )
        )

    meta = validate_model(meta_src, schema.ManualMeta, problems) if meta_src else None
    branches = validate_model(branches_src, schema.BranchesFile, problems) if branches_src else None
    revisions = (
        validate_model(revisions_src, schema.RevisionsFile, problems, wrap="revisions")
        if revisions_src
        else None
    )

    # A file that fails the schema still takes part in the checks across files with what can be
    # read of it (validate.check_manual), so that problems in independent files are reported in
    # one run. What cannot be read, a file that does not parse or an id that fails the schema,
    # turns off the "no such chapter/form" checks it could have answered.
    def validated(srcs, model, id_paths):
        out, every_id_read = [], all(src is not None for src in srcs)
        for src in srcs:
            if src is None:
                continue
            failed: list[tuple] = []
            out.append((src, validate_model(src, model, problems, failed=failed)))
            if failed and (not isinstance(src.data, dict) or any(id_paths(loc) for loc in failed)):
                every_id_read = False
        return out, every_id_read

    chapters, chapter_ids_read = validated(
        chapter_srcs, schema.Chapter, lambda loc: loc[-1:] == ("id",)
    )
    forms, form_ids_read = validated(form_srcs, schema.FormSrc, lambda loc: loc == ("id",))
    defaults, branch_list = _branch_parts(branches, branches_src)
    origin = check_manual(
        meta=meta,
        branch_defaults=defaults,
        branch_list=branch_list,
        revisions=list(revisions.revisions) if revisions else None,
        chapter_files=chapters,
        form_files=forms,
        meta_src=meta_src,
        branches_src=branches_src,
        revisions_src=revisions_src,
        chapter_ids_read=chapter_ids_read,
        form_ids_read=form_ids_read,
        problems=problems,
    )

    sources = {
        s.file: s for s in [meta_src, branches_src, revisions_src, *chapter_srcs, *form_srcs] if s
    }
    if (
        problems
        or not (meta and branches and revisions)
        or any(c is None for _, c in chapters)
        or any(f is None for _, f in forms)
    ):
        raise SourceErrors(problems)
    return Manual(
        root=root,
        meta=meta,
        branches=branches,
        revisions=list(revisions.revisions),
        chapters=[c for _, c in chapters],
        forms=sorted((f for _, f in forms), key=lambda f: f.code),
        sources=sources,
        origin=origin,
    )
