"""Incremental, parallel and sharded builds (builder.release.cache, builder.release.build): a
rebuild writes exactly the files whose inputs changed, whatever the number of workers, and never a
stale one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from builder.release.cache import STATE
from tests.conftest import ROOT, SRC

# Formats cheap enough to build every branch in a test: the handbook as HTML, the forms as XLSX.
CHEAP = ("-f", "html", "-f", "xlsx")


@pytest.fixture(autouse=True)
def fixed_revision(monkeypatch):
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Every published file with its inode and mtime: a file rewritten gets a new inode."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            st = path.stat()
            found[path.relative_to(out).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return found


def changed(before: dict, after: dict) -> set[str]:
    return {p for p in after if before.get(p) != after[p]} | (set(before) - set(after))


def outputs(paths: set[str]) -> set[str]:
    return {p for p in paths if p not in ("manifest.json", STATE)}


def build(run, src: Path, *args: str):
    result = run("build", "--src", str(src), "--out", "output", "-q", *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Every branch built once per module (HTML handbook, XLSX forms and workbook)."""
    from click.testing import CliRunner

    from builder.cli import main

    home = tmp_path_factory.mktemp("base")
    shutil.copytree(SRC, home / "manual_src")
    cwd = os.getcwd()
    os.chdir(home)
    try:
        result = CliRunner().invoke(
            main,
            ["build", "--src", "manual_src", "--out", "output", "-q", *CHEAP, "-j", "2"],
            env={"HANDBOOK_SOURCE_REVISION": "test"},
            catch_exceptions=False,
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def built(base, src, tmp_path):
    """A private copy of the base build, made of hard links: as fast as a copy can be, and safe,
    because a build never writes into a file (it unlinks and writes anew). The links keep the
    inodes and mtimes, so the cache sees the files as its own."""
    shutil.copytree(base / "output", tmp_path / "output", copy_function=os.link)
    return tmp_path / "output"


def test_noop_rebuild_writes_nothing(run, src, built):
    before = snapshot(built)
    result = build(run, src, *CHEAP)
    assert "无变化" in result.output and "144 个文件都是最新的" in result.output
    assert snapshot(built) == before


def test_one_branch_edit_rebuilds_only_that_branch(run, src, built):
    before = snapshot(built)
    text = (src / "branches.yaml").read_text(encoding="utf-8")
    (src / "branches.yaml").write_text(text.replace("武汉市", "武汉市江岸区", 1), encoding="utf-8")
    result = build(run, src, *CHEAP)
    touched = outputs(changed(before, snapshot(built)))
    assert touched and {p.split("/")[0] for p in touched} == {"wuhan"}
    assert len(touched) == 24  # handbook.html, forms.xlsx and 22 form workbooks
    assert "重新生成 24 个文件" in result.output and "120 个未变" in result.output
    assert "江岸区" in (built / "wuhan" / "handbook.html").read_text(encoding="utf-8")
    assert run("verify", "output", "--strict").exit_code == 0


def test_form_edit_rebuilds_that_form_and_what_includes_it(run, src, built):
    before = snapshot(built)
    path = src / "forms" / "meeting-notice.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("label: 会议主题", "label: 会议名称", 1),
        encoding="utf-8",
    )
    build(run, src, *CHEAP)
    touched = outputs(changed(before, snapshot(built)))
    branches = json.loads(run("list", "--src", str(src), "--json").output)["branches"]
    expected = {
        f"{b['id']}/{name}"
        for b in branches
        for name in ("forms/meeting-notice.xlsx", "forms.xlsx", "handbook.html")
    }
    assert touched == expected


def test_clause_edit_rebuilds_handbooks_but_no_form(run, src, built):
    before = snapshot(built)
    chapter = next((src / "chapters").glob("07-*.yaml"))
    text = chapter.read_text(encoding="utf-8")
    edited = re.sub(r"(text: )(\S)", r"\1（修订）\2", text, count=1)
    assert edited != text
    chapter.write_text(edited, encoding="utf-8")
    build(run, src, *CHEAP)
    touched = outputs(changed(before, snapshot(built)))
    assert touched == {
        f"{p.split('/')[0]}/handbook.html" for p in before if p.endswith("handbook.html")
    }


def test_comment_edit_rebuilds_nothing(run, src, built):
    before = snapshot(built)
    with open(
        src / "chapters" / sorted(os.listdir(src / "chapters"))[0], "a", encoding="utf-8"
    ) as stream:
        stream.write("# 只是注释\n")
    result = build(run, src, *CHEAP)
    assert "无变化" in result.output
    assert outputs(changed(before, snapshot(built))) == set()


def test_force_and_a_hand_edited_file(run, src, built):
    target = built / "beijing" / "handbook.html"
    target.write_text("被人改过", encoding="utf-8")
    before = snapshot(built)
    build(run, src, *CHEAP)
    assert outputs(changed(before, snapshot(built))) == {"beijing/handbook.html"}
    assert "被人改过" not in target.read_text(encoding="utf-8")
    before = snapshot(built)
    result = build(run, src, *CHEAP, "--force", "-b", "hq")
    # every file of hq rendered again; its download page is rewritten only if what it shows changed
    assert outputs(changed(before, snapshot(built))) == {
        p for p in outputs(set(before)) if p.startswith("hq/") and p != "hq/index.html"
    }
    assert "重新生成 24 个文件" in result.output


def test_template_edit_rebuilds_what_uses_it(run, src, built, tmp_path):
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    build(run, src, *CHEAP, "--templates", "templates")  # the templates folder is an input too
    before = snapshot(built)
    css = tmp_path / "templates" / "form.css"  # only the form PDFs use it: not built here
    css.write_text(css.read_text(encoding="utf-8") + "\n/* x */\n", encoding="utf-8")
    build(run, src, *CHEAP, "--templates", "templates")
    assert outputs(changed(before, snapshot(built))) == set()
    css = tmp_path / "templates" / "handbook-phone.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* x */\n", encoding="utf-8")
    build(run, src, *CHEAP, "--templates", "templates")
    assert outputs(changed(before, snapshot(built))) == {
        p for p in before if p.endswith("handbook.html")
    }


def test_bad_or_foreign_state_only_costs_a_rebuild(run, src, built):
    for content in ("{", '{"format": 1, "files": {"hq/handbook.html": [1]}, "requests": {}}', "[]"):
        (built / STATE).write_text(content, encoding="utf-8")
        result = build(run, src, *CHEAP, "-b", "hq")
        assert "重新生成 24 个文件" in result.output
    assert run("verify", "output", "--strict").exit_code == 0  # the state is not an extra file


def test_manifest_and_state_stay_consistent(run, src, built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert STATE not in {f["path"] for f in manifest["files"]}
    (src / "branches.yaml").write_text(
        (src / "branches.yaml").read_text(encoding="utf-8").replace("成都市", "成都市高新区", 1),
        encoding="utf-8",
    )
    build(run, src, *CHEAP, "-b", "chengdu")
    verified = run("verify", "output", "--strict")
    assert verified.exit_code == 0, verified.output


def test_files_of_a_removed_branch_or_form_are_removed(run, src, built):
    branches = src / "branches.yaml"
    original = branches.read_text(encoding="utf-8")
    record = original[original.index("  - id: wuhan") : original.index("  - id: hongkong")]
    extra = record.replace("id: wuhan", "id: xian").replace("武汉办事处", "西安办事处")
    branches.write_text(original + "\n" + extra, encoding="utf-8")
    build(run, src, *CHEAP)
    assert (built / "xian" / "handbook.html").is_file()
    branches.write_text(original, encoding="utf-8")
    result = build(run, src, *CHEAP, "-b", "hq")  # any build: xian is no longer in the sources
    assert (
        "删除 25 个已不存在的分支机构或表单的文件" in result.output
    )  # its 24 files and its download page
    assert "西安办事处" not in (built / "index.html").read_text(encoding="utf-8")
    assert not (built / "xian").exists()
    assert run("verify", "output", "--strict").exit_code == 0
    # A form: the bundled chapters refer to every form, so add one and take it away again.
    form = (src / "forms" / "meeting-notice.yaml").read_text(encoding="utf-8")
    (src / "forms" / "zz-extra.yaml").write_text(
        form.replace("id: meeting-notice", "id: zz-extra").replace("code: ", "code: Z", 1),
        encoding="utf-8",
    )
    build(run, src, *CHEAP, "-b", "hq")
    assert (built / "hq" / "forms" / "zz-extra.xlsx").is_file()
    (src / "forms" / "zz-extra.yaml").unlink()
    result = build(run, src, *CHEAP, "-b", "hq")
    assert "删除 1 个" in result.output and not (built / "hq" / "forms" / "zz-extra.xlsx").exists()


def test_jobs_do_not_change_a_byte(run, src, tmp_path):
    manifests = []
    for jobs in ("1", "2"):
        result = run(
            "build",
            "--src",
            str(src),
            "--out",
            f"out{jobs}",
            "-q",
            "-j",
            jobs,
            "-b",
            "hongkong",
            "-b",
            "hq",
            "-f",
            "html",
            "-f",
            "xlsx",
            "-f",
            "docx",
        )
        assert result.exit_code == 0, result.output
        manifests.append((tmp_path / f"out{jobs}" / "manifest.json").read_bytes())
    assert manifests[0] == manifests[1]


@pytest.mark.parametrize(
    "spec, error",
    [("0/3", "K 应在 1 到 N 之间"), ("4/3", "K 应在 1 到 N 之间"), ("a/b", "K/N"), ("1", "K/N")],
)
def test_bad_shard(run, spec, error):
    result = run("build", "--shard", spec)
    assert result.exit_code == 2 and error in result.output


def test_shards_cover_every_branch_once(run, src, tmp_path):
    ids = [b["id"] for b in json.loads(run("list", "--src", str(src), "--json").output)["branches"]]
    seen = []
    for k in (1, 2, 3, 4):
        result = run(
            "build",
            "--src",
            str(src),
            "--out",
            f"shard{k}",
            "-q",
            "--shard",
            f"{k}/4",
            "-f",
            "html",
        )
        assert result.exit_code == 0, result.output
        folders = sorted(p.name for p in (tmp_path / f"shard{k}").iterdir() if p.is_dir())
        assert 1 <= len(folders) <= 2
        seen += folders
    assert sorted(seen) == sorted(ids)
    from builder.release.plan import shard

    assert shard(ids, 1, 4) == [ids[0], ids[4]]
    result = run("build", "--shard", "1/2", "-b", "hq")
    assert result.exit_code == 2


def test_writers_see_only_their_view(manual):
    """What a writer is given is all its cache key covers: rendering a form or the workbook from
    the cut-down view gives the same bytes as from the whole document."""
    import tempfile

    from builder.document.resolve import resolve
    from builder.release.plan import Job, view
    from builder.writers import writer

    document = resolve(manual, "guangzhou")
    whole = replace(document, forms=(document.forms[3],))  # every chapter, one form
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("docx", "xlsx", "pdf"):
            job = Job("form", fmt, Path(f"f.{fmt}"), whole.forms[0].id)
            a, b = Path(folder) / f"a.{fmt}", Path(folder) / f"b.{fmt}"
            writer("form", fmt).render(whole, a)
            writer("form", fmt).render(view(job, document), b)
            assert a.read_bytes() == b.read_bytes()
        a, b = Path(folder) / "a.xlsx", Path(folder) / "b.xlsx"
        writer("workbook", "xlsx").render(document, a)
        writer("workbook", "xlsx").render(
            view(Job("workbook", "xlsx", Path("forms.xlsx")), document), b
        )
        assert a.read_bytes() == b.read_bytes()


def test_html_writers_need_only_their_declared_templates(manual, tmp_path):
    """Every writer declares the template files it reads (they are in its key, builder.writers):
    with only those files in the folder, the writers that read the templates folder still give
    the same bytes."""
    from builder.document.resolve import resolve
    from builder.release.plan import Job, view
    from builder.writers import Options, writers

    document = resolve(manual, "hq")
    form = document.forms[0]
    checked = 0
    for entry in writers():
        if entry.kind not in ("handbook", "form") or not any(
            where == "html" for where, _ in entry.templates
        ):
            continue
        if entry.fmt == "pdf" and entry.kind == "handbook":
            continue  # the same HTML as the html writer's, laid out: too slow to render twice here
        folder = tmp_path / f"{entry.kind}-{entry.fmt}"
        folder.mkdir()
        for where, name in entry.templates:
            assert where == "html"
            shutil.copy(ROOT / "templates" / name, folder / name)
        job = Job(
            entry.kind, entry.fmt, Path(f"x.{entry.fmt}"), form.id if entry.kind == "form" else None
        )
        part = view(job, document)
        entry.render(part, tmp_path / f"full.{entry.fmt}", Options(templates=ROOT / "templates"))
        entry.render(part, tmp_path / f"only.{entry.fmt}", Options(templates=folder))
        assert (tmp_path / f"full.{entry.fmt}").read_bytes() == (
            tmp_path / f"only.{entry.fmt}"
        ).read_bytes()
        checked += 1
    assert checked == 2  # handbook.html and the form PDF


def _modules_after(*args: str, cwd: Path) -> set[str]:
    code = (
        "import sys; from builder.cli import main\n"
        f"try:\n    main({list(args)!r}, standalone_mode=False)\nfinally:\n"
        "    print('MODULES', ' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HANDBOOK_SOURCE_REVISION": "test"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES"))
    return set(line.split()[1:])


def test_heavy_libraries_are_not_imported_for_check_list_or_a_noop(tmp_path):
    heavy = {"weasyprint", "docx", "openpyxl", "fontTools", "pypdf", "jinja2", "pydyf"}
    assert not heavy & _modules_after("check", "--src", str(SRC), cwd=tmp_path)
    assert not heavy & _modules_after("list", "--src", str(SRC), cwd=tmp_path)
    build = ["build", "--src", str(SRC), "--out", "out", "-q", "-b", "hq", "-f", "html"]
    _modules_after(*build, cwd=tmp_path)
    noop = _modules_after(*build, cwd=tmp_path)
    assert not (heavy | {"yaml", "pydantic"}) & noop


@pytest.mark.parametrize(
    "error, said",
    [
        (
            OSError(28, "No space left on device"),
            "构建失败：写入 chengdu/handbook.html 时出错：磁盘空间不足；原有输出保持不变。",
        ),
        (RuntimeError("boom"), "构建失败（程序内部错误：RuntimeError: boom）；原有输出保持不变。"),
    ],
    ids=["disk-full", "bug"],
)
def test_a_worker_failing_fails_the_build_cleanly(run, src, built, monkeypatch, error, said):
    """A full disk is said as such (the user can fix it); only a bug of ours is 程序内部错误."""
    import builder.writers.html as html_writer

    before = snapshot(built)

    def broken(doc, path, folder=None):
        if doc.branch.id == "chengdu":
            raise error
        path.write_text("written", encoding="utf-8")

    monkeypatch.setattr(html_writer, "render_html", broken)  # inherited by the forked workers
    result = run(
        "build", "--src", str(src), "--out", "output", "-q", "-f", "html", "--force", "-j", "2"
    )
    assert result.exit_code == 1
    assert said in result.stderr, result.stderr
    assert ("程序内部错误" in result.output) == isinstance(error, RuntimeError)
    assert snapshot(built) == before


def test_merged_shards_get_the_manifest_of_a_whole_build(run, src, tmp_path):
    """The CI recipe: build the shards apart, merge the folders, `handbook manifest` — the
    result verifies, and its manifest is the one a single whole build writes."""
    assert run("build", "--src", str(src), "--out", "whole", "-q", "-f", "html").exit_code == 0
    merged = tmp_path / "merged"
    for k in (1, 2):
        assert (
            run(
                "build",
                "--src",
                str(src),
                "--out",
                f"part{k}",
                "-q",
                "-f",
                "html",
                "--shard",
                f"{k}/2",
            ).exit_code
            == 0
        )
        shutil.copytree(tmp_path / f"part{k}", merged, dirs_exist_ok=True)
    assert (
        run("verify", "merged", "--strict").exit_code == 1
    )  # the last shard's manifest lists only its files
    result = run("manifest", "merged", "--src", str(src))
    assert result.exit_code == 0, result.output
    assert (merged / "manifest.json").read_bytes() == (
        tmp_path / "whole" / "manifest.json"
    ).read_bytes()
    assert run("verify", "merged", "--strict").exit_code == 0
