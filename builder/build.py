"""The build: for each branch, resolve the manual and run the writers into a staging folder,
then publish it atomically."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path

import click

from builder.errors import BuildError
from builder.load import Manual
from builder.publish import Staging
from builder.resolve import resolve

log = logging.getLogger("handbook")

# format → (module, function, file name)
WRITERS = {
    "docx": ("builder.writers.docx", "render_docx", "handbook.docx"),
    "pdf": ("builder.writers.pdf", "render_pdf", "handbook.pdf"),
    "html": ("builder.writers.html", "render_html", "handbook.html"),
}


def _writer(fmt: str):
    module, function, filename = WRITERS[fmt]
    return getattr(importlib.import_module(module), function), filename


def build_outputs(manual: Manual, *, out: Path, branches: list[str], formats: list[str],
                  templates: Path | None = None, progress: bool = True) -> list[Path]:
    """Write every requested output; returns the paths as published."""
    jobs = [(b, f) for b in branches for f in formats]
    written: list[Path] = []
    with Staging(out) as staging:
        bar = click.progressbar(length=len(jobs), label="生成手册", file=None if progress else _Null(),
                                show_pos=True, item_show_func=lambda j: f"{j[0]} {j[1]}" if j else "")
        with bar:
            for branch_id in branches:
                document = resolve(manual, branch_id)
                for fmt in formats:
                    bar.current_item = (branch_id, fmt)
                    render, filename = _writer(fmt)
                    relative = Path(branch_id) / filename
                    target = staging.path(relative)
                    try:
                        if fmt == "docx":
                            render(document, target)
                        else:
                            render(document, target, templates)
                    except BuildError:
                        raise
                    except OSError as exc:
                        raise BuildError(f"写入 {relative} 时出错：{exc.strerror or exc}") from exc
                    written.append(Path(out) / relative)
                    bar.update(1)
        staging.publish()
    return written


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False
