"""A broken edit is caught with file:line:column and a Chinese message, all problems at once."""

from __future__ import annotations

import re

import pytest

from builder.errors import SourceErrors
from builder.sources.load import load_manual


def errors_of(src) -> list[str]:
    with pytest.raises(SourceErrors) as info:
        load_manual(src)
    return [str(p) for p in info.value.problems]


def replace(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path, needle) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_bundled_manual_is_valid(manual):
    assert len(manual.chapters) >= 11
    assert {f.id for f in manual.forms} >= {
        "meeting-notice",
        "meeting-minutes",
        "project-progress",
        "doc-approval",
        "training-evaluation",
    }
    assert len(manual.branch_ids) >= 6


def test_unknown_key_names_file_line_and_suggests(src):
    chapter = src / "chapters" / "01-general.yaml"
    replace(chapter, "\ntitle: ", "\ntitel: ")
    errs = errors_of(src)
    line = line_of(chapter, "titel:")
    assert any(
        re.search(rf"chapters/01-general\.yaml:{line}:1: 未知的键“titel”，是否想写“title”？", e)
        for e in errs
    ), errs
    assert any("缺少必填项“title”" in e for e in errs), errs


def test_every_problem_in_every_file_is_reported_at_once(src):
    replace(src / "chapters" / "02-organization.yaml", "\ntitle: ", "\ntitel: ")
    replace(src / "forms" / "meeting-notice.yaml", "type: text", "type: txet")
    replace(src / "branches.yaml", "kind: 办事处", "kind: 办公室")
    errs = errors_of(src)
    assert any("02-organization.yaml" in e and "titel" in e for e in errs)
    assert any("meeting-notice.yaml" in e and "txet" in e and "是否想写“text”" in e for e in errs)
    assert any("branches.yaml" in e and "办公室" in e for e in errs)


def test_duplicate_id_points_at_both_places(src):
    chapter = src / "chapters" / "03-planning.yaml"
    replace(chapter, "id: planning\n", "id: general\n")
    errs = errors_of(src)
    assert any(
        "03-planning.yaml" in e and "标识“general”重复" in e and "01-general.yaml" in e
        for e in errs
    ), errs


def test_unknown_placeholder_suggests_the_right_one(src):
    chapter = src / "chapters" / "01-general.yaml"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("{branch.name}", "{branch.nmae}", 1), encoding="utf-8")
    errs = errors_of(src)
    assert any("未知的分支机构字段“{branch.nmae}”，是否想写“name”？" in e for e in errs), errs


def test_template_syntax_in_text_is_rejected(src):
    chapter = src / "chapters" / "01-general.yaml"
    replace(chapter, "{branch.name}", "{{ branch.__class__ }}{% for x in y %}{branch.name.upper}")
    errs = errors_of(src)
    assert any("无法识别的占位符" in e or "单独的" in e for e in errs), errs


def test_reference_to_missing_form_or_clause(src):
    chapter = src / "chapters" / "07-daily-ops.yaml"
    replace(chapter, "{form:meeting-notice}", "{form:meeting-notise}")
    errs = errors_of(src)
    assert any("不存在的表单“meeting-notise”，是否想写“meeting-notice”？" in e for e in errs), errs


def test_yaml_syntax_error_has_position(src):
    path = src / "chapters" / "09-documents.yaml"
    path.write_text("id: documents\ntitle: [文档管理\n", encoding="utf-8")
    errs = errors_of(src)
    assert any(re.search(r"09-documents\.yaml:\d+:\d+: YAML 语法错误", e) for e in errs), errs


def test_tab_indentation_is_explained(src):
    path = src / "chapters" / "09-documents.yaml"
    path.write_text("id: documents\ntitle: 文档管理\nsections:\n\t- id: x\n", encoding="utf-8")
    errs = errors_of(src)
    assert any("09-documents.yaml:4:1" in e and "制表符" in e for e in errs), errs


def test_gbk_file_is_recognised(src):
    path = src / "chapters" / "09-documents.yaml"
    path.write_bytes("id: documents\ntitle: 文档管理\n".encode("gbk"))
    errs = errors_of(src)
    assert any("09-documents.yaml:2:1: 文件不是 UTF-8 编码" in e and "GBK" in e for e in errs), errs


def test_duplicate_key_is_an_error(src):
    path = src / "manual.yaml"
    replace(path, "\nversion:", "\nissuer: 行政部\nversion:")
    errs = errors_of(src)
    assert any("manual.yaml" in e and "重复的键“issuer”" in e for e in errs), errs


def test_manual_version_must_be_newest_revision(src):
    replace(src / "manual.yaml", 'version: "1.3"', 'version: "1.4"')
    errs = errors_of(src)
    assert any("manual.yaml" in e and "1.4" in e and "最新的版本 1.3" in e for e in errs), errs


def test_condition_with_unknown_branch(src):
    chapter = src / "chapters" / "04-business.yaml"
    replace(chapter, "flag: [production]", "branch: [shenzen]")
    errs = errors_of(src)
    assert any("04-business.yaml" in e and "未知的分支机构“shenzen”" in e for e in errs), errs


def test_non_ascii_id_is_rejected(src):
    chapter = src / "chapters" / "01-general.yaml"
    replace(chapter, "id: general\n", "id: 总则\n")
    errs = errors_of(src)
    assert any("01-general.yaml:" in e and "标识“总则”格式不对" in e for e in errs), errs


def test_bom_and_crlf_are_accepted(src, manual):
    """A file saved by Windows Notepad (byte order mark, CRLF line ends) reads as the same file
    saved on Linux, and its problems are placed on the same line and column."""
    path = src / "manual.yaml"
    text = path.read_text(encoding="utf-8")

    def save(content: str) -> None:
        path.write_bytes(b"\xef\xbb\xbf" + content.replace("\n", "\r\n").encode("utf-8"))

    save(text)
    assert load_manual(src).meta == manual.meta
    # a problem on the first line, right after the mark, and one further down
    assert text.startswith("# The manual"), text[:20]
    save(text.replace("# The", "#\a The", 1))
    errs = errors_of(src)
    assert len(errs) == 1 and errs[0].endswith(
        "manual.yaml:1:2: 文件含有不可用的控制字符 U+0007，请删除（常见于从其他软件粘贴的文字）"
    ), errs
    save(text.replace("\nissuer:", "\nissuers:", 1))
    line = line_of(path, "issuers:")
    errs = errors_of(src)
    assert len(errs) == 2, errs  # and 缺少必填项“issuer”
    assert errs[1].endswith(f"manual.yaml:{line}:1: 未知的键“issuers”，是否想写“issuer”？"), errs


# --- every problem at once (issue 13) ------------------------------------------------------------


def column_of(path, line: int, after: str) -> int:
    """The column (1-based) just after `after` on `line` of path: where a value starts."""
    text = path.read_text(encoding="utf-8").split("\n")[line - 1]
    return text.index(after) + len(after) + 1


def test_check_reports_a_schema_problem_and_a_broken_reference_in_another_file_at_once(run, src):
    """An unknown key in one chapter no longer hides a mistyped form reference in another: both
    come in the same run, each with its file:line:column, and nothing follows from the first."""
    general = src / "chapters" / "01-general.yaml"
    planning = src / "chapters" / "03-planning.yaml"
    replace(general, "\ntitle: ", "\ntitel: ")
    replace(planning, "{form:meeting-notice}", "{form:meeting-notise}")
    line = line_of(planning, "{form:meeting-notise}")
    column = column_of(planning, line, "text: ")

    result = run("check", "--src", str(src))

    assert result.exit_code == 1, result.output
    printed = result.stderr.splitlines()
    assert printed == [
        "manual_src/chapters/01-general.yaml:1:1: 缺少必填项“title”",
        "manual_src/chapters/01-general.yaml:2:1: 未知的键“titel”，是否想写“title”？",
        (
            f"manual_src/chapters/03-planning.yaml:{line}:{column}: "
            "引用了不存在的表单“meeting-notise”，是否想写“meeting-notice”？"
        ),
        "共发现 3 个问题，未生成任何文件。",
    ], result.stderr


def test_references_into_a_file_that_fails_the_schema_still_resolve(src):
    """A chapter with an unknown key still defines its ids: the references of other files to
    them are not reported, while a mistyped one elsewhere is."""
    daily = src / "chapters" / "07-daily-ops.yaml"
    replace(daily, "\ntitle_en: ", "\ntitle_e: ")
    # the ids below this key, one of them the clause of the form meeting-notice, are read too
    replace(
        daily,
        "id: daily-meeting-before\n        title: 会前准备\n        clauses:",
        "id: daily-meeting-before\n        title: 会前准备\n        claus:",
    )
    replace(src / "chapters" / "05-management.yaml", "{clause:daily-ops}", "{clause:daily-opz}")
    errs = [e.split(": ", 1)[1] for e in errors_of(src)]
    assert sorted(errs) == sorted(
        [
            "未知的键“title_e”，是否想写“title_en”？",
            "未知的键“claus”，是否想写“clause”？",
            "引用了不存在的条款“daily-opz”，是否想写“daily-ops”？",
        ]
    ), errs


def test_references_are_not_reported_while_a_chapter_cannot_be_read(src):
    """A chapter with a YAML syntax error has no ids to offer: references to clauses that are
    not found may point into it, so only the syntax error is reported (the rest after it is
    fixed); other checks of the other files still run."""
    daily = src / "chapters" / "07-daily-ops.yaml"
    replace(daily, "\ntitle: 日常运营标准流程", "\ntitle: [日常运营标准流程")
    replace(src / "forms" / "meeting-notice.yaml", "type: text", "type: txet")
    errs = errors_of(src)
    assert len(errs) == 2, errs
    assert re.fullmatch(
        r".*07-daily-ops\.yaml:2:8: YAML 语法错误：方括号列表“\[ \]”没有正确结束.*", errs[0]
    )
    assert "meeting-notice.yaml" in errs[1] and "取值“txet”无效" in errs[1], errs


def test_a_broken_branch_list_does_not_hide_placeholder_problems(src):
    replace(src / "branches.yaml", "kind: 办事处", "kind: 总部门")
    replace(src / "chapters" / "01-general.yaml", "{branch.name}", "{branch.nmae}")
    errs = errors_of(src)
    assert any("branches.yaml" in e and "取值“总部门”无效" in e for e in errs), errs
    assert any("01-general.yaml" in e and "未知的分支机构字段“{branch.nmae}”" in e for e in errs), (
        errs
    )


# --- messages in Chinese (issue 13) -------------------------------------------------------------

PYYAML_WORDS = re.compile(
    r"\b(expected|found|while|scanning|parsing|allowed|could|not|alias|"
    r"token|block|end|stream|scalar|mapping|character|cannot|here|but)\b"
)
PYDANTIC_WORDS = re.compile(
    r"Input should|Field required|Extra inputs|valid|should|literal|"
    r"Value error|got|parsing|permitted"
)


@pytest.mark.parametrize(
    "text, where, message",
    [
        (
            "id: documents\ntitle: 文档管理\nsections:\n\t- id: x\n",
            "4:1",
            "不能用制表符（Tab）缩进，请改用空格",
        ),
        (
            "id: documents\ntitle: 会议: 纪要\n",
            "2:10",
            (
                "此处不能出现“: ”（冒号加空格）：若是文本内容，请用引号括起来；"
                "若是新的一项，请检查缩进"
            ),
        ),
        (
            "id: documents\ntitle 文档管理\nclauses: []\n",
            "2:1",
            "这一行缺少“:”：映射中的每一行应写成“键: 值”（冒号后有空格）",
        ),
        (
            "id: documents\ntitle: *x\n",
            "2:8",
            "别名“*x”没有对应的锚点“&x”；若是文本内容，请用引号括起来",
        ),
        (
            'id: documents\ntitle: "文档管理\nclauses: []\n',
            "2:8",
            "引号没有闭合：从这里开始的引号文本直到文件末尾也没有结束引号",
        ),
        (
            "id: documents\ntitle: 文档管理\nclauses:\n  - id: a\n    text: x\n   note: y\n",
            "6:4",
            "缩进不一致：这一行与同级的上一项没有对齐，或同一级混用了列表项“- ”和“键: 值”",
        ),
        (
            'id: documents\ntitle: "文档"管理\n',
            "2:12",
            (
                "值后面多出了文字：一个值（如引号中的文本）结束后，同一行不能再写别的；"
                "若整段都是文本，请把整段用引号括起来（单引号文本中的单引号写成两个“''”）"
            ),
        ),
        (
            "id: documents\ntitle: [文档管理\nclauses: []\n",
            "2:8",
            (
                "方括号列表“[ ]”没有正确结束：直到第 3 行第 8 列还没有“]”，各项之间应以“,”分隔；"
                "若“[”是文本内容，请把整个值用引号括起来"
            ),
        ),
        (
            "id: documents\ntitle: @文档\n",
            "2:8",
            "值不能以“@”开头（YAML 的保留字符）；若是文本内容，请用引号括起来",
        ),
        (
            'id: documents\ntitle: "C:\\文档"\n',
            "2:12",
            "双引号文本中有无效的转义“\\文”：要写反斜杠本身，请写成“\\\\”或改用单引号",
        ),
    ],
    ids=[
        "tab",
        "colon",
        "no-colon",
        "alias",
        "unclosed-quote",
        "indent",
        "after-quote",
        "bracket",
        "at",
        "escape",
    ],
)
def test_yaml_syntax_errors_are_explained_in_chinese(run, src, text, where, message):
    (src / "chapters" / "09-documents.yaml").write_text(text, encoding="utf-8")
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"manual_src/chapters/09-documents.yaml:{where}: YAML 语法错误：{message}", (
        lines
    )
    assert lines[1:] == ["共发现 1 个问题，未生成任何文件。"], lines
    assert not PYYAML_WORDS.search(result.stderr), result.stderr


def test_schema_errors_are_explained_in_chinese(run, src):
    """pydantic's English never reaches the user: choices, numbers, booleans, dates, types."""
    replace(src / "branches.yaml", "kind: 办事处", "kind: 总部门")
    replace(src / "branches.yaml", "script: zh-Hans", "script: zh")
    replace(src / "branches.yaml", "days: 2}", "days: 1.5}")
    replace(src / "forms/meeting-notice.yaml", "type: text", "type: txet")
    replace(src / "forms/meeting-notice.yaml", "required: true", "required: maybe")
    replace(src / "manual.yaml", "effective_date: 2027-01-01", "effective_date: 明年元旦")
    replace(src / "manual.yaml", "size_pt: 10.5", "size_pt: 大号")
    replace(src / "chapters/01-general.yaml", "\ntitle: 总则", "\ntitle: yes")
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    branches, form = "manual_src/branches.yaml", "manual_src/forms/meeting-notice.yaml"

    def at(name, written):
        """Where the value of `written` ("key: value") is, as file:line:column."""
        path = src / name
        line = line_of(path, written)
        return f"manual_src/{name}:{line}:{column_of(path, line, written.split(': ')[0] + ': ')}"

    expected = [
        (
            f"{at('branches.yaml', 'kind: 总部门')}: "
            "取值“总部门”无效，应为“总部”“分公司”或“办事处”之一，是否想写“总部”？"
        ),
        (
            f"{at('branches.yaml', 'script: zh')}: "
            "取值“zh”无效，应为“zh-Hans”“zh-Hant”“zh-Hant-HK”或“zh-Hant-TW”之一"
        ),
        f"{at('branches.yaml', 'days: 1.5')}: 取值“1.5”无效：应为整数，不能有小数部分",
        (
            f"{at('forms/meeting-notice.yaml', 'type: txet')}: "
            "取值“txet”无效，应为“text”“textarea”“date”"
            "“datetime”“number”“money”“choice”“multichoice”“score”“person”“signature”或“rows”之一，"
            "是否想写“text”？"
        ),
        (
            f"{at('forms/meeting-notice.yaml', 'required: maybe')}: "
            "取值“maybe”无效：应为 true 或 false"
        ),
        (
            f"{at('manual.yaml', 'effective_date: 明年')}: "
            "取值“明年元旦”无效：应为日期，格式 YYYY-MM-DD（如 2026-12-01）"
        ),
        f"{at('manual.yaml', 'size_pt: 大号')}: 取值“大号”无效：应为数字（如 25 或 10.5）",
        (
            f"{at('chapters/01-general.yaml', 'title: yes')}: "
            "应为文本：yes、no、on、off、true、false 会被读作是或否，作为文本时请用引号括起来"
        ),
    ]
    printed = result.stderr.splitlines()
    for line in expected:
        assert line in printed, (line, printed)
    assert branches in result.stderr and form in result.stderr
    assert not PYDANTIC_WORDS.search(result.stderr), result.stderr


# --- placeholders in titles and options (issue 13) --------------------------------------------


def test_a_reference_in_a_title_is_refused(run, src):
    """Titles take {branch.*} and {manual.*} (filled, see test_resolve.py), not references."""
    path = src / "chapters" / "06-information.yaml"
    replace(path, "title: 报销时限", "title: 报销时限（见{clause:info-reimb-apply}）")
    replace(
        src / "forms" / "meeting-notice.yaml",
        "title: 会议通知表",
        "title: 会议通知表（{form:meeting-minutes}）",
    )
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    line = line_of(path, "title: 报销时限")
    form_line = line_of(src / "forms" / "meeting-notice.yaml", "title: 会议通知表")
    assert result.stderr.splitlines() == [
        (
            f"manual_src/chapters/06-information.yaml:{line}:{column_of(path, line, 'title: ')}: "
            "标题中不能引用条款“{clause:info-reimb-apply}”：标题还用于目录、书签和其他条款对它的引用；"
            "请把引用写在正文（text、intro、note 等）中"
        ),
        (
            f"manual_src/forms/meeting-notice.yaml:{form_line}:8: "
            "标题中不能引用表单“{form:meeting-minutes}”：标题还用于目录、书签和其他条款对它的引用；"
            "请把引用写在正文（text、intro、note 等）中"
        ),
        "共发现 2 个问题，未生成任何文件。",
    ], result.stderr


def test_a_placeholder_in_an_option_is_refused(run, src):
    """An option is the value a filled-in form keeps: the same in every branch's copy."""
    path = src / "forms" / "project-change.yaml"
    replace(path, "options: [一般, 紧急]", 'options: [一般, "紧急（报{branch.manager_title}）"]')
    result = run("check", "--src", str(src))
    assert result.exit_code == 1
    line = line_of(path, 'options: [一般, "紧急')
    column = column_of(path, line, "options: [一般, ")
    assert result.stderr.splitlines() == [
        (
            f"manual_src/forms/project-change.yaml:{line}:{column}: "
            "选项中不能使用占位符“{branch.manager_title}”："
            "选项的文字就是表单中保存的取值，各分支机构必须相同；"
            "请写成固定的文字（如需说明，可写在 help 中）"
        ),
        "共发现 1 个问题，未生成任何文件。",
    ], result.stderr


def test_an_unquoted_version_keeps_its_written_digits(src):
    # YAML reads `1.10` as the number 1.1; a version is text, and 1.10 comes after 1.9.
    current = re.search(r'^version: "([0-9.]+)"', (src / "manual.yaml").read_text("utf-8"), re.M)
    written = current.group(1) + "0"  # "1.3" → 1.30, which YAML alone would read as 1.3
    replace(src / "manual.yaml", f'version: "{current.group(1)}"', f"version: {written}")
    replace(src / "revisions.yaml", f'version: "{current.group(1)}"', f"version: {written}")
    manual = load_manual(src)
    assert manual.meta.version == written
    assert manual.revisions[-1].version == written
    import pickle

    assert pickle.loads(pickle.dumps(manual)).meta.version == written
