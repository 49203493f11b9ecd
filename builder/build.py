"""The build: for each branch, resolve the manual once and run the writers into a staging
folder, then publish it atomically.

Output layout (PRODUCT.md):
  manifest.json                             sha256 and size of every file (builder.manifest)
  <branch>/handbook.{docx,pdf,html}
  <branch>/forms.xlsx                       every form as a sheet, plus an index sheet
  <branch>/forms/<form-id>.{docx,xlsx,pdf}

Reproducible: nothing depends on the clock, the time zone or the folders involved; dates come
from the manual's effective date, zips are normalised (builder.ziputil), and the same sources
give byte-identical files and manifest.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

import click

from builder.errors import BuildError
from builder.load import Manual
from builder.manifest import MANIFEST, write_manifest
from builder.publish import Staging
from builder.resolve import resolve

log = logging.getLogger("handbook")

HANDBOOK_FORMATS = ("docx", "pdf", "html")
FORM_FORMATS = ("docx", "xlsx", "pdf")
FORMATS = ("docx", "pdf", "html", "xlsx")

# (kind, format) → writer "module:function"
WRITERS = {
    ("handbook", "docx"): "builder.writers.docx:render_docx",
    ("handbook", "pdf"): "builder.writers.pdf:render_pdf",
    ("handbook", "html"): "builder.writers.html:render_html",
    ("form", "docx"): "builder.writers.docx_forms:render_form_docx",
    ("form", "xlsx"): "builder.writers.xlsx:render_form_xlsx",
    ("form", "pdf"): "builder.writers.pdf_forms:render_form_pdf",
    ("workbook", "xlsx"): "builder.writers.xlsx:render_forms_xlsx",
}


def writer(kind: str, fmt: str):
    module, function = WRITERS[(kind, fmt)].split(":")
    return getattr(importlib.import_module(module), function)


@dataclass(frozen=True)
class Job:
    kind: str  # handbook, form or workbook
    fmt: str
    relative: Path  # inside the branch folder
    form_id: str | None = None


def plan(manual: Manual, formats: list[str], forms: list[str] | None, handbook: bool = True) -> list[Job]:
    """What to write for one branch: the handbook (and forms.xlsx) unless `handbook` is false,
    and the forms named in `forms` (None: every form)."""
    jobs: list[Job] = []
    if handbook:
        jobs += [Job("handbook", f, Path(f"handbook.{f}")) for f in HANDBOOK_FORMATS if f in formats]
        if "xlsx" in formats:
            jobs.append(Job("workbook", "xlsx", Path("forms.xlsx")))
    for form in manual.forms:
        if forms is None or form.id in forms:
            jobs += [Job("form", f, Path("forms") / f"{form.id}.{f}", form.id) for f in FORM_FORMATS if f in formats]
    return jobs


def build_outputs(manual: Manual, *, out: Path, branches: list[str], formats: list[str],
                  forms: list[str] | None = None, handbook: bool = True, templates: Path | None = None,
                  progress: bool = True, docx_page_numbers: bool = False,
                  source_revision: str = "", change_marks: bool = True) -> list[Path]:
    """Write every requested output, then manifest.json over the whole output folder; returns
    the paths as published (the manifest last). `source_revision` (builder.vcs) goes into every
    document's properties and into the manifest. change_marks: mark what the newest revision
    lists under `changes` as 本次修订."""
    jobs = plan(manual, formats, forms, handbook)
    written: list[Path] = []
    with Staging(out) as staging:
        bar = click.progressbar(length=len(jobs) * len(branches), label="生成", file=None if progress else _Null(),
                                show_pos=True, item_show_func=lambda j: j or "")
        with bar:
            for branch_id in branches:
                document = resolve(manual, branch_id, source_revision=source_revision, change_marks=change_marks)
                by_id = {f.id: f for f in document.forms}
                for job in jobs:
                    relative = Path(branch_id) / job.relative
                    bar.current_item = str(relative)
                    target = staging.path(relative)
                    render = writer(job.kind, job.fmt)
                    try:
                        if job.kind == "form" and job.fmt == "xlsx":
                            render(document, by_id[job.form_id], target, password=document.meta.xlsx_password)
                        elif job.kind == "form":
                            render(document, by_id[job.form_id], target, **_templates_arg(job, templates))
                        elif job.kind == "workbook":
                            render(document, target, password=document.meta.xlsx_password)
                        elif job.kind == "handbook" and job.fmt == "docx":
                            render(document, target, paginate=docx_page_numbers)
                        else:
                            render(document, target, **_templates_arg(job, templates))
                    except BuildError:
                        raise
                    except OSError as exc:
                        raise BuildError(f"写入 {relative} 时出错：{exc.strerror or exc}") from exc
                    written.append(Path(out) / relative)
                    bar.update(1)
        try:
            write_manifest(staging.root, manual.meta, source_revision, target=staging.path(MANIFEST))
        except OSError as exc:
            raise BuildError(f"写入 {MANIFEST} 时出错：{exc.strerror or exc}") from exc
        written.append(Path(out) / MANIFEST)
        staging.publish()
    return written


def _templates_arg(job: Job, templates: Path | None) -> dict:
    """HTML-based writers take the templates folder; the Office writers do not."""
    if templates is not None and job.fmt in ("pdf", "html"):
        return {"folder": templates}
    return {}


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False
