"""What a user sees at the terminal: exit codes and Chinese messages."""

from __future__ import annotations

import json
import re

import pytest

from tests.sources.test_validation import replace


def test_check_passes_on_the_bundled_manual(run, src):
    result = run("check", "--src", str(src))
    assert result.exit_code == 0
    assert "检查通过" in result.output


def assert_clean_failure(result) -> None:
    """A refused command as the user sees it in a terminal: exit 1, Chinese on stderr, no
    traceback and no internal error."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "程序内部错误" not in result.stdout + result.stderr


def test_check_fails_with_file_line_and_exit_1(run_process, src):
    replace(src / "chapters" / "01-general.yaml", "\ntitle: ", "\ntitel: ")
    result = run_process("check", "--src", str(src))
    assert_clean_failure(result)
    assert "manual_src/chapters/01-general.yaml:2:1: 未知的键“titel”" in result.stderr
    assert "共发现 2 个问题" in result.stderr


def test_list_json_has_branches_chapters_and_form_fields(run, src):
    result = run("list", "--json", "--src", str(src))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {
        "id": "chengdu",
        "name": "成都办事处",
        "kind": "办事处",
        "region": "西南",
        "script": "zh-Hans",
    } in data["branches"]
    # branches.yaml says zh-Hant: Hong Kong's Traditional
    assert next(b for b in data["branches"] if b["id"] == "hongkong")["script"] == "zh-Hant-HK"
    assert any(c["id"] == "daily-ops" for c in data["chapters"])
    notice = next(f for f in data["forms"] if f["id"] == "meeting-notice")
    assert notice["title"] == "会议通知表"
    assert all({"id", "type"} <= set(fld) for fld in notice["fields"])


def test_schema_is_json_schema_for_every_file_kind(run):
    result = run("schema")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["$schema"].startswith("https://json-schema.org/")
    for name in ("ManualMeta", "BranchesFile", "Chapter", "Clause", "FormSrc"):
        assert name in data["$defs"]


def test_schema_validates_a_chapter_file(run, src):
    import jsonschema
    import yaml

    data = json.loads(run("schema").output)
    chapter = yaml.safe_load((src / "chapters" / "07-daily-ops.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        {**data, "$ref": "#/$defs/Chapter", "oneOf": None}
        | {"oneOf": [{"$ref": "#/$defs/Chapter"}]}
    )
    validator.validate(chapter)
    chapter["titel"] = "x"
    assert list(validator.iter_errors(chapter))


def test_build_unknown_branch_suggests(run_process, src, tmp_path):
    result = run_process("build", "--src", str(src), "--branch", "chengdou", "--format", "html")
    assert_clean_failure(result)
    assert "未知的分支机构“chengdou”，是否想写“chengdu”？" in result.stderr
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize(
    "out, said",
    [
        ("notes.txt/output", "无法写入 notes.txt：已存在同名的文件或文件夹"),
        ("notes.txt/sub/output", "无法写入 notes.txt/sub：路径中的某一级不是文件夹"),
    ],
)
def test_an_output_folder_that_cannot_be_made_is_a_clean_failure(
    run_process, src, tmp_path, out, said
):
    """--out below a file: the folder cannot be made (root too cannot, unlike a folder's mode)."""
    (tmp_path / "notes.txt").write_text("一个文件，不是文件夹", encoding="utf-8")
    result = run_process("build", "--src", str(src), "-b", "hq", "-f", "html", "--out", out)
    assert_clean_failure(result)
    assert result.stderr == f"构建失败：{said}；原有输出保持不变。\n"
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "一个文件，不是文件夹"


def test_build_html_for_one_branch(run, src, tmp_path):
    result = run("build", "--src", str(src), "--branch", "chengdu", "--format", "html", "-q")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "output" / "chengdu" / "handbook.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "成都办事处" in page
    assert not (tmp_path / "output" / "hq").exists()


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "error, said",
    [
        (
            OSError(28, "No space left on device"),
            r"构建失败：写入 \w+/handbook\.html 时出错：磁盘空间不足；原有输出保持不变。",
        ),
        (RuntimeError("boom"), r"构建失败（程序内部错误：RuntimeError: boom）；原有输出保持不变。"),
    ],
    ids=["disk-full", "bug"],
)
def test_failed_build_leaves_previous_output_untouched(
    run, src, tmp_path, monkeypatch, error, said
):
    """A full disk is the user's to fix: said plainly. A bug of ours is called one."""
    assert run("build", "--src", str(src), "--format", "html", "-q").exit_code == 0
    before = snapshot(tmp_path / "output")

    import builder.writers.html as html_writer

    calls = []

    def broken(doc, path, folder=None):
        calls.append(doc.branch.id)
        if len(calls) == 3:
            raise error
        path.write_text("half-written", encoding="utf-8")

    monkeypatch.setattr(html_writer, "render_html", broken)
    result = run("build", "--src", str(src), "--format", "html", "-q", "--force", "-j", "1")
    assert result.exit_code == 1
    assert re.match(said, result.stderr), result.stderr
    assert ("程序内部错误" in result.output) == isinstance(error, RuntimeError)
    assert snapshot(tmp_path / "output") == before
    assert not list(tmp_path.glob(".output.staging-*"))


def test_invalid_source_leaves_previous_output_untouched(run, run_process, src, tmp_path):
    assert (
        run("build", "--src", str(src), "--branch", "hq", "--format", "html", "-q").exit_code == 0
    )
    before = snapshot(tmp_path / "output")
    replace(src / "branches.yaml", "kind: 总部", "kind: 总布")
    result = run_process("build", "--src", str(src), "--branch", "hq", "--format", "html")
    assert_clean_failure(result)
    assert re.search(r"^manual_src/branches\.yaml:\d+:\d+: .*总布", result.stderr, re.M), (
        result.stderr
    )
    assert snapshot(tmp_path / "output") == before


def test_partial_build_keeps_other_branches(run, src, tmp_path):
    assert (
        run("build", "--src", str(src), "--branch", "hq", "--format", "html", "-q").exit_code == 0
    )
    assert (
        run("build", "--src", str(src), "--branch", "wuhan", "--format", "html", "-q").exit_code
        == 0
    )
    assert (tmp_path / "output" / "hq" / "handbook.html").is_file()
    assert (tmp_path / "output" / "wuhan" / "handbook.html").is_file()


def test_schema_accepts_every_bundled_file_as_written(run, src):
    # An editor pointed at `handbook schema` must not flag a correct file, revisions.yaml (a bare
    # list) included; and a wrong key in it is found.
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(run("schema").output))
    files = [src / "manual.yaml", src / "branches.yaml", src / "revisions.yaml"]
    files += sorted((src / "chapters").glob("*.yaml")) + sorted((src / "forms").glob("*.yaml"))
    for path in files:
        # as an editor sees it: dates are strings in JSON
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, (path.name, errors[:3])
    revisions = yaml.safe_load((src / "revisions.yaml").read_text(encoding="utf-8"))
    revisions[0]["auther"] = "x"
    assert list(validator.iter_errors(revisions))
