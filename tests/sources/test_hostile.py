"""Hostile and broken sources (issue 5): each case is one realistic bad edit to a private copy of
manual_src/, built with `handbook build` into an output folder that already holds a previous
build. A refused edit exits 1 with a Chinese `file:line:column: message` and no traceback, and
leaves the output folder byte for byte as it was. An accepted edit builds cleanly and renders
the text safely: escaped in HTML, never evaluated as a template, never a spreadsheet formula.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SRC

BRANCH = "wuhan"
CHAPTER = "chapters/01-general.yaml"
# gen-purpose-status, printed for every branch
CLAUSE_TEXT = "text: 本手册是公司内部规范运营管理的纲领性文件，"
FORM = "forms/meeting-notice.yaml"


# --- the previous output and how to compare it ----------------------------------------------


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A complete previous build (one branch, HTML and Excel), made once for the module."""
    from builder.release.build import build_outputs
    from builder.sources.load import load_manual

    out = tmp_path_factory.mktemp("previous") / "output"
    build_outputs(
        load_manual(SRC), out=out, branches=[BRANCH], formats=["html", "xlsx"], progress=False
    )
    return out


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`: sha256 of each file, "dir" for each folder."""
    return {
        str(p.relative_to(folder)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def output(previous, tmp_path) -> Path:
    out = tmp_path / "output"
    shutil.copytree(previous, out)
    return out


# --- the cases -------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    edit: Callable[[Path], None]  # applied to the private copy of manual_src/
    file: str  # the file the message names, relative to manual_src/
    phrase: str  # what the message must say
    at: str | None = None  # a needle on the line the message must name

    def __str__(self) -> str:
        return self.id


def replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        path = src / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write(rel: str, data: bytes | str) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return apply


def encode(rel: str, encoding: str) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        path = src / rel
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return apply


def then(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        for e in edits:
            e(src)

    return apply


def symlink(rel: str, target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        (src / rel).symlink_to(target(src))

    return apply


def outside_file(src: Path) -> Path:
    secret = src.parent / "secret.yaml"
    secret.write_text("id: secret\ntitle: 外部文件\nsections: []\n", encoding="utf-8")
    return secret


def mkdir(rel: str) -> Callable[[Path], None]:
    return lambda src: (src / rel).mkdir()


def fifo(rel: str) -> Callable[[Path], None]:
    return lambda src: os.mkfifo(src / rel)


def unreadable(rel: str) -> Callable[[Path], None]:
    def apply(src: Path) -> None:
        (src / rel).chmod(0)
        try:  # root (with CAP_DAC_OVERRIDE) reads a file with mode 000 anyway
            (src / rel).open("rb").close()
        except PermissionError:
            return
        pytest.skip(f"running as uid {os.geteuid()}, which can read a file with mode 000")

    return apply


def billion_laughs() -> str:
    lines = ['a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "id: bomb\ntitle: 炸弹\n" + "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return "id: deep\ntitle: 嵌套\nintro: " + "[" * depth + "深" + "]" * depth + "\n"


def big_chapter() -> str:
    line = (
        "  - 这是一条很长的说明文字，用来把文件撑到两兆字节以上，模拟误把导出的数据粘贴进源文件。\n"
    )
    return "id: huge\ntitle: 超大文件\nintro:\n" + line * (
        2 * 1024 * 1024 // len(line.encode()) + 10
    )


REFUSED = [
    # the file itself: encoding, characters, YAML features the loader refuses
    Case(
        "tab-indent",
        replace(CHAPTER, "\n      - id: gen-purpose-basis", "\n\t- id: gen-purpose-basis"),
        CHAPTER,
        "制表符",
        at="\t- id: gen-purpose-basis",
    ),
    Case("gbk-file", encode(CHAPTER, "gbk"), CHAPTER, "看起来是 GBK/GB18030 编码，请另存为 UTF-8"),
    Case("utf16-file", encode(CHAPTER, "utf-16"), CHAPTER, "UTF-16 编码"),
    Case("empty-file", write(CHAPTER, b""), CHAPTER, "文件为空"),
    Case("only-a-comment", write(CHAPTER, "# 本章待补充\n"), CHAPTER, "文件为空"),
    Case(
        "nul-raw",
        replace(CHAPTER, "纲领性文件，", "纲领性文件\0，"),
        CHAPTER,
        "控制字符 U+0000",
        at="纲领性文件",
    ),
    Case(
        "esc-escape",
        replace(
            CHAPTER,
            CLAUSE_TEXT,
            'text: "\\x1b[31m本手册是公司内部规范运营管理的纲领性文件"\n        note: ',
        ),
        CHAPTER,
        "控制字符 U+001B",
        at="\\x1b[31m",
    ),
    Case(
        "lone-surrogate-escape",
        replace(CHAPTER, CLAUSE_TEXT, 'text: "\\ud800"\n        note: '),
        CHAPTER,
        "控制字符 U+D800",
        at="\\ud800",
    ),
    Case(
        "u-fffe-raw",
        replace(CHAPTER, "纲领性文件，", "纲领性文件\ufffe，"),
        CHAPTER,
        "控制字符 U+FFFE",
        at="纲领性文件",
    ),
    Case(
        "python-tag",
        replace(
            FORM,
            "example: Q3销售目标分解",
            'example: !!python/object/apply:os.system ["touch pwned"]',
        ),
        FORM,
        "不支持的 YAML 标签“!!python/object/apply:os.system”",
        at="!!python",
    ),
    Case(
        "python-name-tag",
        replace(FORM, "example: Q3销售目标分解", "example: !!python/name:os.system"),
        FORM,
        "不支持的 YAML 标签",
        at="!!python",
    ),
    Case(
        "binary-tag",
        replace(FORM, "example: Q3销售目标分解", "example: !!binary 5Lya6K6u5Li76aKY"),
        FORM,
        "不支持的 YAML 标签“!!binary”",
        at="!!binary",
    ),
    Case(
        "custom-tag",
        replace(FORM, "example: Q3销售目标分解", "example: !foo Q3销售目标分解"),
        FORM,
        "不支持的 YAML 标签“!foo”",
        at="!foo",
    ),
    Case(
        "billion-laughs",
        write("chapters/99-bomb.yaml", billion_laughs()),
        "chapters/99-bomb.yaml",
        "内容过多",
    ),
    Case(
        "nesting-10000",
        write("chapters/99-deep.yaml", nested(10000)),
        "chapters/99-deep.yaml",
        "嵌套过深",
    ),
    Case(
        "nesting-50",
        write("chapters/99-deep.yaml", nested(50)),
        "chapters/99-deep.yaml",
        "嵌套过深",
        at="intro:",
    ),
    Case(
        "file-over-2mb",
        write("chapters/99-huge.yaml", big_chapter()),
        "chapters/99-huge.yaml",
        "文件过大",
    ),
    Case(
        "duplicate-key",
        replace("manual.yaml", "\nversion:", "\nissuer: 行政部\nversion:"),
        "manual.yaml",
        "重复的键“issuer”",
        at="issuer: 运营管理部",
    ),
    Case(
        "merge-key",
        replace(
            CHAPTER,
            "      - id: gen-purpose-basis\n",
            "      - <<: {note: 合并}\n        id: gen-purpose-basis\n",
        ),
        CHAPTER,
        "不支持合并键“<<”",
        at="<<:",
    ),
    Case(
        "yaml-syntax",
        replace(CHAPTER, "title: 制定依据", "title: [制定依据"),
        CHAPTER,
        "YAML 语法错误",
    ),
    # the schema
    Case(
        "unknown-key-did-you-mean",
        replace(CHAPTER, "\ntitle: 总则", "\ntitel: 总则"),
        CHAPTER,
        "未知的键“titel”，是否想写“title”？",
        at="titel:",
    ),
    Case(
        "list-where-text",
        replace(CHAPTER, "title: 制定依据", "title: [制定, 依据]"),
        CHAPTER,
        "应为文本",
        at="[制定, 依据]",
    ),
    Case(
        "bad-month",
        replace("manual.yaml", "effective_date: 2027-01-01", "effective_date: 2026-13-01"),
        "manual.yaml",
        "日期“2026-13-01”无效：月份应为 1–12",
        at="effective_date",
    ),
    Case(
        "no-such-day",
        replace("revisions.yaml", "date: 2025-09-15", "date: 2025-02-30"),
        "revisions.yaml",
        "日期“2025-02-30”无效：该月没有这一天",
        at="2025-02-30",
    ),
    Case(
        "unknown-kind",
        replace("branches.yaml", "kind: 办事处", "kind: 办公室"),
        "branches.yaml",
        "取值“办公室”无效",
        at="办公室",
    ),
    Case(
        "id-uppercase",
        replace(CHAPTER, "id: gen-purpose-aim", "id: Gen-Purpose-Aim"),
        CHAPTER,
        "标识“Gen-Purpose-Aim”格式不对",
        at="Gen-Purpose",
    ),
    Case(
        "id-chinese",
        replace(CHAPTER, "id: gen-purpose-aim", "id: 制定目的"),
        CHAPTER,
        "标识“制定目的”格式不对",
        at="id: 制定目的",
    ),
    Case(
        "id-dotdot",
        replace(FORM, "id: meeting-notice", "id: .."),
        FORM,
        "标识“..”格式不对",
        at="id: ..",
    ),
    Case(
        "id-slash",
        replace(FORM, "id: meeting-notice", "id: ../../etc/passwd"),
        FORM,
        "格式不对",
        at="../../etc",
    ),
    Case(
        "id-too-long",
        replace(FORM, "id: meeting-notice", "id: meeting-notice" + "-x" * 30),
        FORM,
        "过长（74 个字符）：最多 63 个字符",
        at="-x-x",
    ),
    Case(
        "form-id-con",
        replace(FORM, "id: meeting-notice", "id: con"),
        FORM,
        "Windows 的保留设备名",
        at="id: con",
    ),
    Case(
        "form-id-nul",
        replace(FORM, "id: meeting-notice", "id: nul"),
        FORM,
        "Windows 的保留设备名",
        at="id: nul",
    ),
    Case(
        "form-id-com1",
        replace(FORM, "id: meeting-notice", "id: com1"),
        FORM,
        "Windows 的保留设备名",
        at="id: com1",
    ),
    Case(
        "branch-id-lpt1",
        replace("branches.yaml", "id: wuhan", "id: lpt1"),
        "branches.yaml",
        "保留设备名，不能用作分支机构的文件夹名",
        at="id: lpt1",
    ),
    Case(
        "branch-id-aux",
        replace("branches.yaml", "id: wuhan", "id: aux"),
        "branches.yaml",
        "Windows 的保留设备名",
        at="id: aux",
    ),
    Case(
        "branch-id-prn",
        replace("branches.yaml", "id: wuhan", "id: prn"),
        "branches.yaml",
        "Windows 的保留设备名",
        at="id: prn",
    ),
    Case(
        "font-css-injection",
        replace(
            "manual.yaml",
            "body: Noto Serif CJK SC",
            'body: "x; } body{background:url(http://evil)}"',
        ),
        "manual.yaml",
        "含有不允许的字符",
        at="http://evil",
    ),
    # references across files
    Case(
        "duplicate-id-across-files",
        replace("chapters/03-planning.yaml", "id: planning\n", "id: general\n"),
        "chapters/03-planning.yaml",
        "标识“general”重复：已在 manual_src/chapters/01-general.yaml:1:5 定义",
        at="id: general",
    ),
    Case(
        "unknown-placeholder",
        replace(CHAPTER, "{branch.name}", "{branch.nme}"),
        CHAPTER,
        "未知的分支机构字段“{branch.nme}”，是否想写“name”？",
        at="{branch.nme}",
    ),
    Case(
        "attribute-access",
        replace(CHAPTER, "{branch.name}", "{branch.name.__class__}"),
        CHAPTER,
        "无法识别的占位符“{branch.name.__class__}”",
        at="__class__",
    ),
    Case(
        "filter",
        replace(CHAPTER, "{branch.name}", "{branch.name|upper}"),
        CHAPTER,
        "无法识别的占位符“{branch.name|upper}”",
        at="|upper",
    ),
    Case(
        "jinja-block",
        replace(CHAPTER, "{branch.name}", "{% if x %}{branch.name}{% endif %}"),
        CHAPTER,
        "无法识别的占位符“{% if x %}”",
        at="{% if x %}",
    ),
    Case(
        "lone-brace",
        replace(CHAPTER, "{branch.name}", "{branch.name"),
        CHAPTER,
        "单独的“{”",
        at="{branch.name使用",
    ),
    Case(
        "missing-clause",
        replace(CHAPTER, "{branch.name}", "{clause:missing}"),
        CHAPTER,
        "引用了不存在的条款“missing”",
        at="{clause:missing}",
    ),
    Case(
        "missing-form",
        replace(CHAPTER, "{branch.name}", "{form:missing}"),
        CHAPTER,
        "引用了不存在的表单“missing”",
        at="{form:missing}",
    ),
    Case(
        "condition-unknown-branch",
        replace(CHAPTER, "when: {flag: [overseas]}", "when: {branch: [shenzen]}"),
        CHAPTER,
        "条件中未知的分支机构“shenzen”",
        at="shenzen",
    ),
    Case(
        "revisions-out-of-order",
        replace("revisions.yaml", 'version: "1.1"', 'version: "0.9"'),
        "revisions.yaml",
        "修订记录应按版本从旧到新排列：0.9 不应排在 1.0 之后",
        at='version: "0.9"',
    ),
    Case(
        "version-not-newest",
        replace("manual.yaml", 'version: "1.3"', 'version: "1.4"'),
        "manual.yaml",
        "手册版本 1.4 与修订记录中最新的版本 1.3 不一致",
        at="version:",
    ),
    # the file system
    Case(
        "symlink-outside-tree",
        symlink("chapters/99-link.yaml", outside_file),
        "chapters/99-link.yaml",
        "符号链接指向手册源文件夹以外",
    ),
    Case(
        "dangling-symlink",
        symlink("chapters/99-link.yaml", lambda src: src / "chapters" / "gone.yaml"),
        "chapters/99-link.yaml",
        "文件不存在",
    ),
    Case(
        "directory-named-yaml", mkdir("chapters/99-x.yaml"), "chapters/99-x.yaml", "这是一个文件夹"
    ),
    Case("fifo-named-yaml", fifo("chapters/99-pipe.yaml"), "chapters/99-pipe.yaml", "不是普通文件"),
    Case("unreadable-file", unreadable(CHAPTER), CHAPTER, "没有读取权限"),
]


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_hostile_source_is_refused(case: Case, src: Path, output: Path, run, tmp_path):
    before = snapshot(output)
    beside = sorted(p.name for p in tmp_path.iterdir())
    case.edit(src)

    result = run(
        "build",
        "--src",
        str(src),
        "--out",
        str(output),
        "-b",
        BRANCH,
        "-f",
        "html",
        "-f",
        "xlsx",
        "-q",
    )

    assert result.exit_code == 1, result.output  # (an uncaught exception fails the test itself)
    assert "程序内部错误" not in result.output, result.output
    name = re.escape(f"manual_src/{case.file}")
    found = re.findall(rf"^{name}:(\d+):(\d+): (.*)$", result.stderr, re.M)
    hits = [(int(line), message) for line, _, message in found if case.phrase in message]
    assert hits, result.stderr
    if case.at is not None:
        path = src / case.file
        text = path.read_bytes().decode("utf-8", "replace")
        expected = next(n for n, line in enumerate(text.split("\n"), 1) if case.at in line)
        assert any(line == expected for line, _ in hits), (expected, result.stderr)
    assert "未生成任何文件" in result.stderr
    assert snapshot(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == beside + ["secret.yaml"] * (
        case.id == "symlink-outside-tree"
    )
    assert not (tmp_path / "pwned").exists()


# --- accepted edits: a clean build that renders the text safely ------------------------------


def html_of(out: Path) -> str:
    return (out / BRANCH / "handbook.html").read_text(encoding="utf-8")


def check_literal_braces(out: Path) -> None:
    page = html_of(out)
    assert "计算{ 7*7 }结果" in page
    assert "计算49结果" not in page


def check_script_escaped(out: Path) -> None:
    page = html_of(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def check_img_escaped(out: Path) -> None:
    page = html_of(out)
    assert "&lt;img src=http://evil/x.png&gt;" in page
    assert "<img src=http://evil" not in page and 'src="http://evil' not in page


def check_bom_crlf(out: Path) -> None:
    assert "武汉办事处" in html_of(out)


def xlsx_strings(out: Path, text: str, workbooks=("forms/meeting-notice.xlsx",)) -> None:
    """`text` is in the workbooks as text; no formula was made of it."""
    import openpyxl

    for path in (out / BRANCH / name for name in workbooks):
        book = openpyxl.load_workbook(path)
        cells = [
            c
            for ws in book.worksheets
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str)
        ]
        assert any(c.value == text and c.data_type == "s" for c in cells), (path, text)
        for c in cells:
            if c.value.startswith(("=", "+", "-", "@")) and c.data_type == "f":
                assert "evil" not in c.value and "cmd|" not in c.value and text not in c.value, (
                    path,
                    c.coordinate,
                    c.value,
                )


def check_xlsx(text: str) -> Callable[[Path], None]:
    return lambda out: xlsx_strings(out, text)


def check_sheet_title(out: Path) -> None:
    import openpyxl

    names = openpyxl.load_workbook(out / BRANCH / "forms.xlsx").sheetnames
    assert any(n.startswith("会议_通知_") for n in names), names
    xlsx_strings(out, '=HYPERLINK("http://evil","x")', ("forms.xlsx",))


def bom_crlf(src: Path) -> None:
    for path in (src / "manual.yaml", src / CHAPTER):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def label_and_example(text: str) -> Callable[[Path], None]:
    quoted = "'" + text.replace("'", "''") + "'"
    return then(
        replace(FORM, "label: 会议主题", f"label: {quoted}"),
        replace(FORM, "example: 上半年业绩回顾；Q3目标分解；资源需求讨论", f"example: {quoted}"),
    )


@dataclass
class Accepted:
    id: str
    edit: Callable[[Path], None]
    args: tuple[str, ...]  # what to build
    check: Callable[[Path], None]  # on the output folder after the build

    def __str__(self) -> str:
        return self.id


HTML = ("-f", "html")
FORM_XLSX = ("--form", "meeting-notice", "-f", "xlsx")
ACCEPTED = [
    Accepted(
        "double-braces-are-literal",
        replace(CHAPTER, "纲领性文件，", "纲领性文件，计算{{ 7*7 }}结果，"),
        HTML,
        check_literal_braces,
    ),
    Accepted(
        "script-tag-in-text",
        replace(CHAPTER, "纲领性文件，", "纲领性文件，<script>alert(1)</script>"),
        HTML,
        check_script_escaped,
    ),
    Accepted(
        "img-tag-in-text",
        replace(CHAPTER, "纲领性文件，", "纲领性文件，<img src=http://evil/x.png>"),
        HTML,
        check_img_escaped,
    ),
    Accepted("bom-and-crlf", bom_crlf, HTML, check_bom_crlf),
    Accepted(
        "formula-hyperlink",
        label_and_example('=HYPERLINK("http://evil","x")'),
        FORM_XLSX,
        check_xlsx('=HYPERLINK("http://evil","x")'),
    ),
    Accepted(
        "formula-dde",
        label_and_example("=cmd|' /C calc'!A0"),
        FORM_XLSX,
        check_xlsx("=cmd|' /C calc'!A0"),
    ),
    Accepted(
        "formula-plus",
        label_and_example("+1+cmd|' /C calc'!A0"),
        FORM_XLSX,
        check_xlsx("+1+cmd|' /C calc'!A0"),
    ),
    Accepted(
        "formula-minus",
        label_and_example("-2+3+cmd|' /C calc'!A0"),
        FORM_XLSX,
        check_xlsx("-2+3+cmd|' /C calc'!A0"),
    ),
    Accepted(
        "formula-at",
        label_and_example("@SUM(1+9)*cmd|' /C calc'!A0"),
        FORM_XLSX,
        check_xlsx("@SUM(1+9)*cmd|' /C calc'!A0"),
    ),
    Accepted(
        "sheet-name-characters",
        then(
            replace(FORM, "title: 会议通知表", "title: 会议[通知]/表:*?"),
            label_and_example('=HYPERLINK("http://evil","x")'),
        ),
        ("-f", "xlsx"),
        check_sheet_title,
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=str)
def test_hostile_text_is_rendered_safely(case: Accepted, src: Path, output: Path, run, tmp_path):
    case.edit(src)

    result = run("build", "--src", str(src), "--out", str(output), "-b", BRANCH, *case.args, "-q")

    assert result.exit_code == 0, result.output
    assert "警告" not in result.output, result.output
    case.check(output)
    assert run("verify", str(output), "--strict").exit_code == 0
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name]
