"""`handbook apply`: bring the edits made in a handbook.docx back into the YAML sources."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from builder.cli.common import src_option
from builder.errors import HandbookError, SourceErrors


@click.command()
@click.argument("edited", metavar="EDITED.docx", type=click.Path(path_type=Path))
@src_option
@click.option("--dry-run", is_flag=True, help="只显示将做的修改，不写入 / print, write nothing")
def apply(edited: Path, src: Path, dry_run: bool) -> None:
    """把在 Word 中修订过的手册（handbook.docx）中的修改写回源文件。 / Apply a Word edit.

    \b
    修订（插入、删除）按“全部接受”处理，未开修订的直接修改同样生效；
    条款被整段删除时从源文件中删除该条款。批注逐条列出（连同所在条款），不作修改。
    占位符生成的文字、封面、目录、编号、更新记录表和表单附录中的修改只报告、不应用。
    文件生成后源文件中又被修改的条款视为冲突：不写入任何修改，退出码 1。
    """
    from builder.document.changes import compare
    from builder.document.resolve import resolve
    from builder.readers.apply import apply_edits
    from builder.sources.load import load_manual
    from builder.writers.summary import summary_lines

    if not edited.is_file():
        click.echo(f"应用失败：找不到文件 {edited}", err=True)
        sys.exit(1)
    try:
        outcome, _, now = apply_edits(edited, src)
    except SourceErrors as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"源文件有 {len(exc.problems)} 个问题，请先修正后再应用。", err=True)
        sys.exit(1)
    except HandbookError as exc:
        click.echo(f"应用失败：{exc}", err=True)
        sys.exit(1)

    for line in outcome.comments:
        click.echo(line)
    for line in outcome.reported:
        click.echo(f"未应用：{line}")
    for line in outcome.applied:
        click.echo(f"已应用：{line}")
    if outcome.changed_branches:
        click.echo(
            "以下分支机构的手册中相同的文字随之改变：" + "、".join(sorted(outcome.changed_branches))
        )
    if not outcome.files:
        click.echo("没有可写回源文件的修改。")
        return

    # the edited sources are checked in a copy first: the summary and check run on it
    with tempfile.TemporaryDirectory(prefix="handbook-apply-") as temporary:
        copy = Path(temporary) / "src"
        shutil.copytree(src, copy)
        for relative, text in outcome.files.items():
            (copy / relative).write_text(text, encoding="utf-8")
        try:
            after = load_manual(copy)
        except SourceErrors as exc:
            for problem in exc.problems:
                click.echo(str(problem).replace(str(copy), str(src)), err=True)
            if not outcome.removed or dry_run:
                click.echo(
                    f"修改后的源文件有 {len(exc.problems)} 个问题（见上），未写入。", err=True
                )
                sys.exit(1)
            # a deleted clause: removed as asked; what still refers to it is listed to fix
            _write(src, outcome.files)
            click.echo(
                f"已写入：{'、'.join(str(src / r) for r in outcome.files)}；删除条款后检查发现"
                f" {len(exc.problems)} 个问题（见上，多为对已删除条款的引用），请修改后再生成。",
                err=True,
            )
            sys.exit(1)
        changes = compare(
            now, resolve(after, now.branch.id, ""), old_name="当前", new_name="修订后"
        )
    for line in summary_lines(changes, color=sys.stdout.isatty()):
        click.echo(line)
    if changes.changes:
        click.echo(
            f"可写入 revisions.yaml 版本 {after.meta.version} 的 changes："
            f"[{', '.join(changes.changed_ids())}]"
        )
    if dry_run:
        click.echo(f"（--dry-run：未写入；将修改 {len(outcome.files)} 个文件）")
        return
    _write(src, outcome.files)
    click.echo("已写入：" + "、".join(str(src / r) for r in outcome.files))
    click.echo(f"检查通过：{len(after.chapters)} 章，{len(after.forms)} 个表单。")


def _write(src: Path, files: dict[str, str]) -> None:
    """Each changed source file replaced whole (a reader never sees half a file)."""
    for relative, text in files.items():
        target = src / relative
        temporary = target.with_name(f".{target.name}.apply-tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
