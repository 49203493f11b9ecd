"""`handbook diff`: what changed between two versions, and the 修订对照表 and tracked-changes
Word handbook it writes with --out."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from builder.cli.common import src_option, templates_option
from builder.errors import BuildError, HandbookError, SourceErrors

log = logging.getLogger("handbook")


@click.command()
@click.argument("old", metavar="A")
@click.argument("new", metavar="[B]", required=False)
@src_option
@click.option(
    "--branch",
    "-b",
    "branch",
    metavar="ID",
    default=None,
    help="按哪个分支机构的手册比较（默认第一个，通常为总部） / "
    "the branch whose handbook is compared",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="同时生成修订对照表（DOCX、PDF）和修订模式的 Word 手册到此文件夹 / "
    "also write the comparison table and a tracked-changes DOCX here",
)
@templates_option
def diff(
    old: str,
    new: str | None,
    src: Path,
    branch: str | None,
    out: Path | None,
    templates: Path | None,
) -> None:
    """比较两个版本的手册：新增、删除、移动和修改的章节、条款、表单与字段。 / Compare two revisions.

    \b
    A、B 为 git 版本（提交号、标签、分支，如 v1.1、HEAD~1）或手册源文件夹；
    省略 B 时与 --src 文件夹的当前内容比较。按编号以外的稳定 id 比较，仅编号变化不算修订。
    A and B are git revisions or source folders; B defaults to the --src folder as it is now.

    \b
    --out DIR 写出：
    DIR/<分支机构>/comparison.docx|pdf   修订对照表（条款 / 原条文 / 修订后条文）
    DIR/<分支机构>/handbook-tracked.docx  修订模式的手册（可在 Word 中接受或拒绝修订）
    """
    from builder.document.changes import compare
    from builder.document.resolve import resolve
    from builder.release import vcs
    from builder.writers.summary import in_branch_script, summary_lines

    try:
        with (
            vcs.export(old, src) as a,
            vcs.export(new, src) if new else vcs.export(str(src), src) as b,
        ):
            old_manual, new_manual = load_version(a), load_version(b)
            branch = branch or new_manual.branch_ids[0]
            for manual, version in ((old_manual, a), (new_manual, b)):
                if branch not in manual.branch_ids:
                    from builder.errors import did_you_mean

                    click.echo(
                        f"错误：版本“{version.label}”中没有分支机构“{branch}”"
                        f"{did_you_mean(branch, manual.branch_ids)}"
                        f"（可用：{', '.join(manual.branch_ids)}）",
                        err=True,
                    )
                    sys.exit(1)
            changes = compare(
                resolve(old_manual, branch, a.revision),
                resolve(new_manual, branch, b.revision),
                old_name=a.label,
                new_name=b.label,
                old_revision=a.revision,
                new_revision=b.revision,
            )
            for line in summary_lines(changes, color=sys.stdout.isatty()):
                click.echo(line)
            if changes.changes:
                [line] = in_branch_script(
                    changes,
                    [
                        f"可写入 revisions.yaml 版本 {new_manual.meta.version} 的 changes："
                        f"[{', '.join(changes.changed_ids())}]"
                    ],
                )
                click.echo(line)
            if out is not None:
                if templates is None:
                    templates = (
                        Path("templates")
                        if Path("templates/comparison.html.j2").is_file()
                        else None
                    )
                written = _write_diff(changes, out, templates)
                [line] = in_branch_script(changes, [f"已写入 {len(written)} 个文件："])
                click.echo(line + "、".join(str(p) for p in written))
    except HandbookError as exc:
        click.echo(f"比较失败：{exc}", err=True)
        sys.exit(1)


def load_version(version):
    """Load one side of a diff; problems name the version
    ("v1.1:chapters/07-daily-ops.yaml:3:5")."""
    from builder.sources.load import load_manual

    try:
        return load_manual(version.folder)
    except SourceErrors as exc:
        prefix = str(version.folder).rstrip("/") + "/"
        for problem in exc.problems:
            click.echo(str(problem).replace(prefix, f"{version.label}:"), err=True)
        click.echo(f"版本“{version.label}”有 {len(exc.problems)} 个问题，无法比较。", err=True)
        sys.exit(1)


def _write_diff(changes, out: Path, templates: Path | None) -> list[Path]:
    from builder.release.manifest import MANIFEST
    from builder.release.publish import Staging
    from builder.writers import Options, writer

    if (out / MANIFEST).exists():  # would leave a published build's manifest.json out of date
        raise BuildError(
            f"{out} 是 handbook build 的输出文件夹（含 {MANIFEST}），"
            "请把比较结果写到别的文件夹，如 --out changes"
        )
    from builder.release.build import NO_LAYOUT_WARNING
    from builder.writers.docx.pagination import layout_engine

    branch = changes.new.branch.id
    files = [
        ("comparison.docx", writer("comparison", "docx")),
        ("comparison.pdf", writer("comparison", "pdf")),
        ("handbook-tracked.docx", writer("tracked", "docx")),
    ]
    # handbook-tracked.docx gets its contents' page numbers as a build's handbook.docx does
    options = Options(templates=templates, paginate=bool(layout_engine()))
    if not options.paginate:
        log.warning(NO_LAYOUT_WARNING.replace("handbook.docx", "handbook-tracked.docx"))
    with Staging(out) as staging:
        for name, file_writer in files:
            file_writer.render(changes, staging.path(Path(branch) / name), options)
        staging.publish()
    return [out / branch / name for name, _ in files]
