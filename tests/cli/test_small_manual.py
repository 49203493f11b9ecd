"""The whole loop on the small fixture manual (tests/roots/minimal): check, build every format,
verify, and what a branch's own values and conditions do to its documents."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def handbook(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {"HANDBOOK_SOURCE_REVISION": "test", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=240,
    )


@pytest.mark.slow
def test_check_build_and_verify_a_small_manual(root, tmp_path):
    src = root("minimal")
    checked = handbook("check", "--src", str(src), cwd=tmp_path)
    assert checked.returncode == 0 and "2 章，1 个表单，2 个分支机构，版本 2.0" in checked.stdout
    built = handbook("build", "--src", str(src), "--out", "out", "-q", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    out = tmp_path / "out"
    for branch in ("hq", "xian"):
        names = {
            p.relative_to(out / branch).as_posix() for p in (out / branch).rglob("*") if p.is_file()
        }
        assert names == {
            "handbook.docx",
            "handbook.pdf",
            "handbook.html",
            "forms.xlsx",
            "index.html",
            "forms/expense.docx",
            "forms/expense.pdf",
            "forms/expense.xlsx",
        }
    assert handbook("verify", "out", "--strict", cwd=tmp_path).returncode == 0
    listed = json.loads(handbook("list", "--src", str(src), "--json", cwd=tmp_path).stdout)
    assert [b["id"] for b in listed["branches"]] == ["hq", "xian"]


def test_branch_values_and_conditions_reach_the_page(root, tmp_path):
    src = root("minimal")
    built = handbook("build", "--src", str(src), "--out", "out", "-q", "-f", "html", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    hq = (tmp_path / "out" / "hq" / "handbook.html").read_text(encoding="utf-8")
    xian = (tmp_path / "out" / "xian" / "handbook.html").read_text(encoding="utf-8")
    # reimburse_days: 30 by default, 15 for 西安办事处 (branches.yaml)
    assert "费用应在发生后 30 日内" in hq and "费用应在发生后 15 日内" in xian
    # the 仓库 clause is only for branches with the warehouse flag (hq)
    assert "仓库管理员负责出入库登记" in hq and "仓库管理员负责出入库登记" not in xian
    assert "本手册适用于示例科技总部全体员工" in hq and "本手册适用于西安办事处全体员工" in xian
