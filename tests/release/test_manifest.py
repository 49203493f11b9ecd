"""manifest.json and `handbook verify`; the same sources give the same bytes; the source
revision."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.release.cache import STATE
from builder.release.vcs import source_revision
from tests.conftest import ROOT, SRC
from tests.tools import GIT, require

BRANCH = "wuhan"


def digests(folder: Path) -> dict[str, str]:
    """Every published file's SHA-256, but the build cache's state (its inodes and mtimes are
    this machine's, not part of the output)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != STATE
    }


@pytest.fixture(scope="module")
def twin_builds(tmp_path_factory) -> tuple[Path, Path]:
    """One branch built twice, by the CLI, from two copies of the sources in two different
    folders, started at two different times in two different time zones."""
    processes, outputs = [], []
    for name, tz in (("first", "Asia/Shanghai"), ("second", "America/Los_Angeles")):
        home = tmp_path_factory.mktemp(f"{name}-checkout")
        shutil.copytree(SRC, home / "manual_src")
        shutil.copytree(ROOT / "templates", home / "templates")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("HANDBOOK_SOURCE_REVISION", "SOURCE_DATE_EPOCH")
        }
        env.update(TZ=tz, PYTHONPATH=str(ROOT))
        out = tmp_path_factory.mktemp(f"{name}-out") / "output"
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "builder",
                    "build",
                    "--branch",
                    BRANCH,
                    "--out",
                    str(out),
                    "-q",
                ],
                cwd=home,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        outputs.append(out)
        if name == "first":
            time.sleep(2.5)  # the second build starts seconds later, on a different clock reading
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stdout + stderr
    return outputs[0], outputs[1]


@pytest.fixture
def output(twin_builds, tmp_path) -> Path:
    """A private copy of a built output folder that a test may damage."""
    copy = tmp_path / "copy" / "output"
    shutil.copytree(twin_builds[0], copy)
    return copy


def test_same_sources_give_identical_bytes(twin_builds):
    first, second = (digests(folder) for folder in twin_builds)
    assert "manifest.json" in first and f"{BRANCH}/handbook.pdf" in first
    assert {path for path in first if path.endswith((".docx", ".xlsx", ".pdf", ".html"))}, first
    assert first.keys() == second.keys()
    differ = [path for path in first if first[path] != second[path]]
    assert not differ, differ


def test_manifest_lists_every_file_with_its_hash(twin_builds):
    folder = twin_builds[0]
    raw = (folder / "manifest.json").read_bytes()
    assert raw.endswith(b"}\n") and "运营管理手册".encode() in raw  # UTF-8, not \u escapes
    data = json.loads(raw)
    assert data["manual"] == "运营管理手册" and data["company"] == "瀚川科技股份有限公司"
    assert (data["doc_number"], data["version"], data["effective_date"]) == (
        "HC-YY-MAN-001",
        "1.3",
        "2027-01-01",
    )
    assert data["source_revision"] == ""  # the copies are not in git
    assert data["generator"].startswith("handbook ")
    paths = [entry["path"] for entry in data["files"]]
    assert paths == sorted(paths)
    on_disk = digests(folder)
    del on_disk["manifest.json"]
    assert {e["path"]: e["sha256"] for e in data["files"]} == on_disk
    assert all(e["size"] == (folder / e["path"]).stat().st_size for e in data["files"])
    assert f"{BRANCH}/forms/meeting-notice.pdf" in paths and f"{BRANCH}/forms.xlsx" in paths


def test_verify_passes_on_a_fresh_build(run, output):
    result = run("verify", str(output))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("校验通过") and len(result.output.strip().splitlines()) == 1


def test_verify_names_a_changed_file(run_process, output):
    target = output / BRANCH / "forms" / "meeting-notice.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    result = run_process("verify", str(output))
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert f"不一致：{BRANCH}/forms/meeting-notice.pdf" in said
    assert "校验失败：1 个文件不一致" in said and "Traceback" not in result.stderr


def test_verify_reports_a_missing_file_unless_partial(run, output):
    (output / BRANCH / "handbook.html").unlink()
    result = run("verify", str(output))
    assert result.exit_code == 1 and f"缺失：{BRANCH}/handbook.html" in result.output
    partial = run("verify", "--partial", str(output))
    assert partial.exit_code == 0, partial.output
    assert "校验通过" in partial.output and "1 个文件不在此文件夹" in partial.output


def test_verify_partial_checks_what_is_there(run, output):
    (output / BRANCH / "handbook.html").unlink()
    (output / BRANCH / "handbook.docx").write_bytes(b"not the handbook")
    result = run("verify", "--partial", str(output))
    assert result.exit_code == 1 and f"不一致：{BRANCH}/handbook.docx" in result.output


def test_verify_warns_about_extra_files(run, output):
    (output / BRANCH / "notes.txt").write_text("本地笔记", encoding="utf-8")
    result = run("verify", str(output))
    assert result.exit_code == 0, result.output
    assert f"警告：{BRANCH}/notes.txt 不在清单中" in result.output
    strict = run("verify", "--strict", str(output))
    assert strict.exit_code == 1 and f"{BRANCH}/notes.txt" in strict.output


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: m.unlink(), "manifest.json 不存在"),
        (lambda m: m.write_text("{ 不是 JSON", encoding="utf-8"), "不是有效的 JSON"),
        (
            lambda m: m.write_text(
                '{"files": [{"path": "../etc/passwd", "sha256": "0", "size": 1}]}', encoding="utf-8"
            ),
            "第 1 个文件条目无效",
        ),
        (lambda m: m.write_text("[]", encoding="utf-8"), "缺少文件列表"),
    ],
)
def test_verify_explains_a_bad_manifest(run_process, output, damage, message):
    damage(output / "manifest.json")
    result = run_process("verify", str(output))
    assert result.returncode == 1
    assert message in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_verify_of_a_missing_folder(run, tmp_path):
    result = run("verify", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "不存在" in result.output


def test_partial_build_keeps_other_branches_in_the_manifest(run, src, tmp_path):
    assert (
        run("build", "--src", str(src), "--branch", "hq", "--format", "html", "-q").exit_code == 0
    )
    first = json.loads((tmp_path / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in first["files"]] == [
        "hq/handbook.html",
        "hq/index.html",
        "index.html",
    ]
    assert (
        run("build", "--src", str(src), "--branch", BRANCH, "--format", "html", "-q").exit_code == 0
    )
    second = json.loads((tmp_path / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in second["files"]] == [
        "hq/handbook.html",
        "hq/index.html",
        "index.html",
        f"{BRANCH}/handbook.html",
        f"{BRANCH}/index.html",
    ]
    assert (
        second["files"][:2] == first["files"][:2]
    )  # hq's files untouched; index.html now links both
    result = run("verify")  # DIR defaults to ./output
    assert result.exit_code == 0 and "5 个文件与清单一致" in result.output


# -- the source revision ---------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    config = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
    ]
    return subprocess.run(
        [require("git", GIT), "-C", str(repo), *config, *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_source_revision_from_git(tmp_path, monkeypatch):
    monkeypatch.delenv("HANDBOOK_SOURCE_REVISION", raising=False)
    repo = tmp_path / "repo"
    (repo / "manual_src").mkdir(parents=True)
    (repo / "templates").mkdir()
    (repo / "manual_src" / "manual.yaml").write_text("title: 手册\n", encoding="utf-8")
    (repo / "templates" / "handbook.css").write_text("p {}\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "sources")
    head = git(repo, "rev-parse", "--short=12", "HEAD")
    paths = [repo / "manual_src", repo / "templates"]

    assert source_revision(paths) == head and len(head) == 12 and int(head, 16) >= 0
    (repo / "manual_src" / "manual.yaml").write_text("title: 手册（修订）\n", encoding="utf-8")
    assert source_revision(paths) == f"{head}-dirty"
    (repo / "manual_src" / "manual.yaml").write_text("title: 手册\n", encoding="utf-8")
    (repo / "templates" / "handbook.css").write_text("p { color: red }\n", encoding="utf-8")
    assert source_revision(paths) == f"{head}-dirty"  # templates count too

    outside = tmp_path / "plain" / "manual_src"
    outside.mkdir(parents=True)
    assert source_revision([outside]) == ""

    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "release-1.2")
    assert source_revision(paths) == "release-1.2"
