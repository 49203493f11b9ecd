"""Load and validate manual_src/: YAML → the validated source manual.

Knows YAML and the source schema, nothing of output formats. Every problem in every file is
collected and raised at once as SourceErrors, each with file:line:column.
"""

from __future__ import annotations

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

from builder.errors import Location, Problem, SourceErrors, display_path
from builder.sources import files as layout
from builder.sources import schema
from builder.sources.schema_messages import validate_model
from builder.sources.validate import check_manual
from builder.sources.yaml_problems import yaml_problem

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


class _Written:
    """A plain number that prints as it was written: `version: 1.10` is 1.1 to arithmetic but
    "1.10" where a text is expected (sources/schema.py turns numbers into text with str()); the
    same for integers written with a leading zero or separators (007, 1_000)."""

    def __new__(cls, value, written: str):
        self = super().__new__(cls, value)
        self.written = written
        return self

    def __str__(self) -> str:
        return self.written

    def __reduce__(self):
        return (type(self), (self._base(self), self.written))


class _WrittenFloat(_Written, float):
    _base = float


class _WrittenInt(_Written, int):
    _base = int


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
    if (
        not node.style  # plain (libyaml says '', PyYAML None)
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and str(value) != node.value
    ):
        value = (_WrittenFloat if isinstance(value, float) else _WrittenInt)(value, node.value)
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
        mark, message = yaml_problem(exc, text)
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
