"""`handbook collect`: read the forms filled at the branches into summary.xlsx (or JSON)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from builder.cli.common import load_sources, src_option
from builder.errors import HandbookError, display_path, os_error_text


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("summary.xlsx"),
    show_default=True,
    help="汇总表 / the summary workbook",
)
@click.option("--json", "as_json", is_flag=True, help="在标准输出打印 JSON / print JSON")
@src_option
def collect(paths: tuple[Path, ...], out: Path, as_json: bool, src: Path) -> None:
    """汇总各分支机构交回的已填表单（PDF、Word、Excel）。 / Collect filled forms.

    逐个读取 PATH（文件或文件夹，递归）中的本手册表单，按文件属性识别表单、分支机构和版本，
    按字段名读取填写内容并对照当前手册的表单定义检查，写入汇总表 summary.xlsx。
    """
    from builder.readers.collect import collect as run
    from builder.readers.collect.summary import write_summary
    from builder.release.vcs import source_revision

    manual = load_sources(src)
    try:
        revision = source_revision([src])
    except Exception:  # noqa: BLE001 - the revision is informative only
        revision = ""
    result = run(list(paths), manual, revision, src)
    try:
        from builder.document.resolve import resolve

        document = resolve(manual, manual.branch_ids[0])
        forms = {f.id: f for f in document.forms}
        write_summary(result, forms, out)
    except OSError as exc:
        click.echo(f"错误：无法写入 {display_path(out)}（{os_error_text(exc)}）", err=True)
        sys.exit(1)
    except HandbookError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.json(), ensure_ascii=False, indent=2))
    problems = sum(len(r.problems) for r in result.records)
    click.echo(
        f"已读取 {len(result.records)} 份表单，{problems} 个问题，"
        f"{len(result.errors)} 个文件无法读取，跳过 {result.skipped} 个其他文件"
        + (f"，{len(result.duplicates)} 个重复文件" if result.duplicates else "")
        + f"；汇总表：{display_path(out)}",
        err=True,
    )
    for duplicate in result.duplicates:
        click.echo(f"重复文件（只计一次）：{duplicate}", err=True)
    for error in result.errors:
        click.echo(f"无法读取：{error['message']}", err=True)
    sys.exit(1 if result.errors else 0)
