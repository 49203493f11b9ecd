"""`handbook build --compare REV`: each branch's 修订对照表 is built with the handbook, kept by
the cache, and offered on the branch's download page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.revise import revise

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fixed_revision(monkeypatch):
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")


@pytest.fixture
def versions(tmp_path):
    """manual_src as it is (the earlier version) and revised (tests/revise.py) as version 1.4."""
    old, new = tmp_path / "v1.3", tmp_path / "manual_src"
    shutil.copytree(ROOT / "manual_src", old)
    shutil.copytree(ROOT / "manual_src", new)
    revise(new)
    manual = new / "manual.yaml"
    manual.write_text(
        re.sub(r"(?m)^version: .*$", 'version: "1.4"', manual.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    revisions = new / "revisions.yaml"
    revisions.write_text(
        revisions.read_text(encoding="utf-8")
        + (
            '- version: "1.4"\n  date: 2027-03-01\n  author: 运营管理部\n'
            "  approver: 总经理 周启明\n"
            "  summary: 会议时长缩短为60分钟。\n"
        ),
        encoding="utf-8",
    )
    return old, new


def _build(run, new, out, *extra):
    return run(
        "build",
        "--src",
        str(new),
        "--out",
        str(out),
        "-b",
        "hq",
        "-f",
        "html",
        "-q",
        "--templates",
        str(ROOT / "templates"),
        *extra,
    )


def test_the_comparison_is_built_kept_and_offered_on_the_branch_page(run, versions, tmp_path):
    old, new = versions
    out = tmp_path / "output"
    result = _build(run, new, out, "--compare", str(old))
    assert result.exit_code == 0, result.output
    hq = out / "hq"
    summary = json.loads((hq / "comparison.json").read_text(encoding="utf-8"))
    assert summary["old"]["version"] == "1.3" and summary["new"]["version"] == "1.4"
    # tests/revise.py's five changes, and three clauses that quote the version number
    assert summary["counts"] == {"新增": 2, "删除": 1, "移动": 1, "修改": 4}
    assert (hq / "comparison.pdf").read_bytes().startswith(b"%PDF")
    assert (hq / "comparison.docx").read_bytes().startswith(b"PK")

    page = (hq / "index.html").read_text(encoding="utf-8")
    assert "最新修订对照表：版本 1.3 → 1.4" in page
    assert 'href="comparison.pdf" download="修订对照表（瀚川科技总部，1.3→1.4）.pdf"' in page
    assert 'href="comparison.docx" download="修订对照表（瀚川科技总部，1.3→1.4）.docx"' in page
    assert "新增 2 处，删除 1 处，移动 1 处，修改 4 处" in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = json.dumps(manifest, ensure_ascii=False)
    for name in (
        "hq/comparison.pdf",
        "hq/comparison.docx",
        "hq/comparison.json",
        "hq/index.html",
        "index.html",
    ):
        assert name in listed
    assert run("verify", str(out), "--strict").exit_code == 0

    # Again: nothing to redo. Without --compare: the last comparison stays, and stays offered.
    stamps = {p.name: p.stat().st_mtime_ns for p in hq.glob("comparison.*")}
    assert _build(run, new, out, "--compare", str(old)).exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in hq.glob("comparison.*")} == stamps
    (new / "chapters" / "01-general.yaml").write_text(
        (new / "chapters" / "01-general.yaml")
        .read_text(encoding="utf-8")
        .replace("特制定本手册。", "特制定本手册（修订）。"),
        encoding="utf-8",
    )
    assert _build(run, new, out).exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in hq.glob("comparison.*")} == stamps
    assert "最新修订对照表：版本 1.3 → 1.4" in (hq / "index.html").read_text(encoding="utf-8")


def test_a_branch_page_without_a_comparison_offers_none(run, versions, tmp_path):
    _, new = versions
    out = tmp_path / "output"
    assert _build(run, new, out).exit_code == 0
    page = (out / "hq" / "index.html").read_text(encoding="utf-8")
    assert "修订对照表" not in page and "comparison" not in page


def test_compare_with_an_unknown_revision_or_with_form_is_refused(
    run, run_process, versions, tmp_path
):
    _, new = versions
    out = tmp_path / "output"
    result = _build(run_process, new, out, "--compare", "no-such-tag")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("错误：--compare no-such-tag："), result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    result = run(
        "build", "--src", str(new), "--out", str(out), "--form", "meeting-notice", "--compare", "v1"
    )
    assert result.exit_code == 2 and "--compare 与 --form 不能同时使用" in result.output


def test_a_broken_earlier_version_names_its_file_and_line(run, versions, tmp_path):
    old, new = versions
    (old / "chapters" / "01-general.yaml").write_text("id: general\ntitle: [\n", encoding="utf-8")
    result = _build(run, new, tmp_path / "output", "--compare", str(old))
    assert result.exit_code == 1
    assert re.search(r"chapters/01-general\.yaml:\d+:\d+", result.output), result.output
