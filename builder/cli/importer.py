"""`handbook import`: a Word or text manual in, a source folder out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from builder.errors import HandbookError


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="写入源文件的文件夹（须为空，或加 --force） / the folder to write the sources to",
)
@click.option("--company", default=None, help="公司名称：原文中的公司名替换为 {manual.company}")
@click.option("--doc-number", "doc_number", default=None, help="文件编号 / document number")
@click.option("--force", is_flag=True, help="覆盖非空的输出文件夹 / replace a non-empty folder")
def import_(files: tuple[Path, ...], out: Path, company, doc_number, force: bool) -> None:
    """导入现有手册（.docx、.txt、.md；.doc/.odt/.rtf/.wps 经 LibreOffice 转换）为源文件。

    Import an existing manual (Word or text) as a validated source folder.
    """
    from builder.readers.importer import import_manual, write_output

    try:
        result = import_manual(list(files), company=company, doc_number=doc_number)
        write_output(result, out, force)
    except HandbookError as exc:
        click.echo(f"错误：{exc}", err=True)
        click.echo("未写入任何文件。", err=True)
        sys.exit(1)
    for line in result.summary:
        click.echo(line)
    click.echo(f"已写入 {out}（{len(result.files)} 个文件）；请先阅读 {out}/import-report.md。")
