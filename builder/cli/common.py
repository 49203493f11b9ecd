"""What every command shares: warnings printed in Chinese, loading the sources with every
problem reported at once, the --src option."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from builder.errors import SourceErrors

log = logging.getLogger("handbook")


class _Echo(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"警告：{record.getMessage()}", err=True)


def _setup_logging() -> None:
    if not any(isinstance(h, _Echo) for h in log.handlers):
        log.addHandler(_Echo())
        log.setLevel(logging.INFO)
        log.propagate = False


def load_sources(src: Path):
    from builder.sources.load import load_manual

    try:
        return load_manual(src)
    except SourceErrors as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"共发现 {len(exc.problems)} 个问题，未生成任何文件。", err=True)
        sys.exit(1)


src_option = click.option(
    "--src",
    "src",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("manual_src"),
    show_default=True,
    help="手册源文件夹 / the manual's YAML sources",
)
templates_option = click.option(
    "--templates",
    "templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="模板文件夹（默认 ./templates） / templates folder",
)
out_option = click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="输出文件夹 / output folder",
)
