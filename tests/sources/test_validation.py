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
    assert {f.id for f in manual.forms} >= {"meeting-notice", "meeting-minutes", "project-progress", "doc-approval", "training-evaluation"}
    assert len(manual.branch_ids) >= 6


def test_unknown_key_names_file_line_and_suggests(src):
    chapter = src / "chapters" / "01-general.yaml"
    replace(chapter, "\ntitle: ", "\ntitel: ")
    errs = errors_of(src)
    line = line_of(chapter, "titel:")
    assert any(re.search(rf"chapters/01-general\.yaml:{line}:1: 未知的键“titel”，是否想写“title”？", e) for e in errs), errs
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
    assert any("03-planning.yaml" in e and "标识“general”重复" in e and "01-general.yaml" in e for e in errs), errs


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
    replace(src / "manual.yaml", 'version: "1.2"', 'version: "1.3"')
    errs = errors_of(src)
    assert any("manual.yaml" in e and "1.3" in e and "最新的版本 1.2" in e for e in errs), errs


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


def test_bom_and_crlf_are_accepted(src):
    path = src / "manual.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    load_manual(src)
