"""`handbook diff`: a temporary git repository with two revisions of the bundled manual; each
change is reported and nothing else, and renumbering is never reported."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from builder.document.changes import compare, inline_diff
from builder.document.model import Span
from builder.document.resolve import resolve
from builder.sources.load import load_manual
from tests.conftest import ROOT, SRC
from tests.revise import EXPECTED, revise
from tests.tools import GIT, require

ACTIONS = {"新增": "added", "删除": "removed", "移动": "moved", "修改": "changed"}
LINE = re.compile(r"^\s+(新增|删除|移动|修改)(?:并修改)?\s+\S+\s+.*\[([\w.-]+)\]$")


def git(repo: Path, *args: str) -> str:
    config = ["-c", "user.name=测试", "-c", "user.email=t@example.com"]
    return subprocess.run(
        [require("git", GIT), "-C", str(repo), *config, *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """v1.2: the bundled manual; v1.3: the revision of tests/revise.py, committed on top."""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(SRC, repo / "manual_src")
    shutil.copytree(ROOT / "templates", repo / "templates")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "手册 1.2")
    git(repo, "tag", "v1.2")
    revise(repo / "manual_src")
    git(repo, "commit", "-qam", "手册 1.3 草稿")
    git(repo, "tag", "v1.3")
    return repo


@pytest.fixture(scope="module")
def revised(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("revised") / "manual_src"
    shutil.copytree(SRC, dest)
    revise(dest)
    return dest


def reported(output: str) -> set[tuple[str, str]]:
    return {(ACTIONS[m.group(1)], m.group(2)) for m in map(LINE.match, output.splitlines()) if m}


def test_git_revisions_report_each_change_and_nothing_else(repo, run, monkeypatch):
    monkeypatch.chdir(repo)
    result = run("diff", "v1.2", "v1.3")
    assert result.exit_code == 0, result.output
    assert reported(result.output) == EXPECTED
    assert "共 5 处变更：新增 2、删除 1、移动 1、修改 1。" in result.output
    commit = git(repo, "rev-parse", "--short=12", "v1.2")
    assert f"v1.2（{commit}）" in result.output
    # the changed words, old and new
    assert "[-90-]" in result.output and "{+60+}" in result.output


@pytest.mark.parametrize("branch", [b.id for b in load_manual(SRC).branches.branches])
def test_every_branch_sees_the_same_changes(manual, revised, branch):
    changes = compare(resolve(manual, branch), resolve(load_manual(revised), branch))
    assert {(c.action, c.id) for c in changes.changes} == EXPECTED


def test_renumbering_is_not_a_change(manual, revised):
    old, new = resolve(manual, "hq"), resolve(load_manual(revised), "hq")
    changes = compare(old, new)

    def labels(doc):
        from builder.document.changes import nodes

        return {nid: node.label for nid, node in nodes(doc).items()}

    before, after = labels(old), labels(new)
    renumbered = {nid for nid in before.keys() & after.keys() if before[nid] != after[nid]}
    # the inserted clause renumbers 审批层级与时限 (referred to by 填写审批单), and the move
    # renumbers the later 会议管理 sections with all their clauses
    assert {"daily-approval-chain", "daily-meeting-before", "daily-meeting-goal"} <= renumbered
    assert not renumbered & {c.id for c in changes.changes} - {
        "daily-meeting-types",
        "daily-meeting-opening",
    }
    assert (
        "daily-approval-apply" not in changes.by_id
    )  # its reference's label changed, its target did not


def test_same_sources_no_changes(run):
    result = run("diff", str(SRC), str(SRC))
    assert result.exit_code == 0
    assert "两个版本内容一致" in result.output


def test_two_folders_without_git(run, revised, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(SRC, old)
    result = run("diff", str(old), str(revised), "--branch", "wuhan")
    assert result.exit_code == 0, result.output
    assert reported(result.output) == EXPECTED
    assert "武汉办事处" in result.output


def test_working_tree_is_the_default_new_side(repo, run, monkeypatch):
    monkeypatch.chdir(repo)
    result = run("diff", "v1.3")
    assert result.exit_code == 0
    assert "两个版本内容一致" in result.output
    assert "-dirty" not in result.output


def test_unknown_revision_and_branch(repo, run_process):
    for args, said in (
        (("v9.9", "v1.3"), "git 仓库中没有版本“v9.9”"),
        (("v1.2", "v1.3", "--branch", "shenzhen"), "没有分支机构“shenzhen”"),
    ):
        result = run_process("diff", *args, cwd=repo)
        assert result.returncode == 1, result.stdout + result.stderr
        assert said in result.stderr
        assert "Traceback" not in result.stderr


def test_broken_old_version_names_the_version(repo, run, monkeypatch, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(SRC, broken)
    (broken / "manual.yaml").write_text("title: [未闭合\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    result = run("diff", str(broken), "v1.3")
    assert result.exit_code == 1
    assert "manual.yaml:" in result.output and "无法比较" in result.output


def test_outside_git_a_revision_is_an_error(run, tmp_path):
    src = tmp_path / "manual_src"
    shutil.copytree(SRC, src)
    result = run("diff", "HEAD", "--src", str(src))
    assert result.exit_code == 1
    assert "不在 git 仓库中" in result.output


def test_inline_diff_keeps_numbers_and_references_whole():
    old = (Span("报销应在费用发生后60日内提交，按"), Span("六（三）", ref="fin"), Span("执行。"))
    new = (Span("报销应在费用发生后30日内提交，按"), Span("六（四）", ref="fin"), Span("执行。"))
    pieces = inline_diff(old, new)
    assert (-1, Span("60")) in pieces and (1, Span("30")) in pieces
    # a renumbered reference is the same reference: unchanged, shown with its new label
    assert (0, Span("六（四）", ref="fin")) in pieces
    assert [s for _, s in pieces if s.ref] == [Span("六（四）", ref="fin")]


def test_out_writes_the_three_files_but_not_into_a_build_output(run, revised, tmp_path):
    out = tmp_path / "changes"
    result = run("diff", str(SRC), str(revised), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "hq").iterdir()) == [
        "comparison.docx",
        "comparison.pdf",
        "handbook-tracked.docx",
    ]
    built = tmp_path / "output"
    built.mkdir()
    (built / "manifest.json").write_text("{}", encoding="utf-8")
    result = run("diff", str(SRC), str(revised), "--out", str(built))
    assert result.exit_code == 1
    assert "是 handbook build 的输出文件夹" in result.output
    assert sorted(p.name for p in built.iterdir()) == ["manifest.json"]
