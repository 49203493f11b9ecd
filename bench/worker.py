"""In-process measurements for bench/bench.py, run by it in a fresh subprocess (so their memory
and imports never mix with the benchmark driver or with each other).

    worker.py renderers --src DIR --branch ID --reps N --workdir DIR
        Our PDF path (builder.writers.pdf.handbook.render_book; render_pdf, in one piece, beside it)
        against raw WeasyPrint on the same HTML
        string, tuned as our path is (one FontConfiguration for the process, the garbage
        collector paused during the render) and untuned (WeasyPrint's defaults: a new
        FontConfiguration per render, the collector on), and our DOCX writer
        (builder.writers.docx.handbook.render_docx); each after a warm-up render, N repetitions, the
        order of the PDF renders rotated. Also writes the branch's handbook.html and
        handbook.docx into DIR for the external baselines. Prints one JSON object.

    worker.py docx --src DIR --branch ID --out FILE
        The whole of making one DOCX in a fresh process: imports, loading the manual, resolving
        the branch, render_docx. bench.py times the process (the cold-process comparison with
        pandoc); prints the phases' wall times as one JSON object.

    worker.py pdf-build --src DIR --out DIR --jobs N
        Builds only the handbook PDFs (no forms, no forms.xlsx) of every branch through the
        Python API, builder.release.build.build_outputs(..., formats=["pdf"], forms=[], jobs=N).
        Prints one JSON object: what was asked and whether `jobs` was honoured.

    worker.py sample --src DIR --branch ID --workdir DIR
        Only writes the branch's handbook.html and handbook.docx into DIR.

    worker.py docx-many --src DIR --branches ID,ID --workdir DIR
        Writes DIR/<ID>.docx, the handbook.docx of each branch (soffice's batch conversion).

Timings are time.perf_counter() wall times and time.process_time() CPU times (every thread of
the process) in seconds. Each timed render ends with gc.collect(), inside the timing: a render
that paused the collector pays there for the cycles it left, not the render after it.
"""
from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _revision() -> str:
    return os.environ.get("HANDBOOK_SOURCE_REVISION", "bench")


def _load(src: Path):
    from builder.sources.load import load_manual

    return load_manual(src)


def _timed(render) -> tuple[float, float]:
    """(wall, CPU) seconds of render() and the full collection after it."""
    wall, cpu = time.perf_counter(), time.process_time()
    render()
    gc.collect()
    return time.perf_counter() - wall, time.process_time() - cpu


def _pdf_variants(doc, work: Path) -> tuple[dict, str]:
    """The three PDF renders compared, by name, each a function of no argument; and the HTML."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from builder.writers.html import render_html_string
    from builder.writers.pdf.handbook import render_book, render_pdf
    from builder.writers.pdf.tags import ARCHIVAL
    from builder.writers.templates import templates_dir

    folder = templates_dir()
    # The same HTML string our PDF writer lays out (render_pdf builds it again inside the
    # timed call: producing it is part of our path, and costs milliseconds).
    html = render_html_string(doc, folder, for_print=True)
    base_url = folder.as_uri() + "/"
    fonts = []  # the tuned baseline's one FontConfiguration, made by its first (warm-up) render

    def ours() -> None:  # what a build from nothing does: every part laid out, none kept
        render_book(doc, work / "ours.pdf")

    def ours_whole() -> None:  # the same handbook laid out in one piece (informational)
        render_pdf(doc, work / "whole.pdf")

    def tuned() -> None:  # what builder/writers/pdf.py does to WeasyPrint, and nothing else
        if not fonts:
            fonts.append(FontConfiguration())
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            weasyprint.HTML(string=html, base_url=base_url).write_pdf(
                str(work / "tuned.pdf"), font_config=fonts[0], **ARCHIVAL)
        finally:
            if was_enabled:
                gc.enable()

    def untuned() -> None:  # WeasyPrint's defaults, asked for the same tagged PDF/A
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(str(work / "untuned.pdf"),
                                                                  **ARCHIVAL)

    return {"ours_pdf": ours, "weasyprint_tuned": tuned, "weasyprint_untuned": untuned,
            "ours_whole_pdf": ours_whole}, html


def renderers(args) -> dict:
    from pypdf import PdfReader

    from builder.document.resolve import resolve
    from builder.writers.docx.handbook import render_docx
    from builder.writers.html import render_html

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    doc = resolve(_load(Path(args.src)), args.branch, source_revision=_revision())
    variants, html = _pdf_variants(doc, work)
    variants["docx"] = lambda: render_docx(doc, work / "handbook.docx")
    names = list(variants)
    pdfs = [name for name in names if name != "docx"]
    warm = {name: _timed(variants[name]) for name in names}
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for i in range(args.reps):
        # Rotate which PDF render goes first, so a slow spell on a shared machine hits all alike.
        for name in pdfs[i % len(pdfs):] + pdfs[:i % len(pdfs)] + ["docx"]:
            w, c = _timed(variants[name])
            wall[name].append(w)
            cpu[name].append(c)
    render_html(doc, work / "handbook.html")  # the page a branch reads online, for pandoc
    files = {"ours_pdf": "ours.pdf", "weasyprint_tuned": "tuned.pdf",
             "weasyprint_untuned": "untuned.pdf", "ours_whole_pdf": "whole.pdf"}
    return {
        "branch": args.branch,
        "reps": args.reps,
        "warmup": {name: {"wall_s": w, "cpu_s": c} for name, (w, c) in warm.items()},
        "wall_s": wall,
        "cpu_s": cpu,
        "pdf_pages": {name: len(PdfReader(str(work / f)).pages) for name, f in files.items()},
        "pdf_bytes": {name: (work / f).stat().st_size for name, f in files.items()},
        "html_chars": len(html),
        "html": str(work / "handbook.html"),
        "docx": str(work / "handbook.docx"),
    }


def docx(args) -> dict:
    """One DOCX from the sources, as a process that makes only that would."""
    started = time.perf_counter()
    from builder.document.resolve import resolve
    from builder.writers.docx.handbook import render_docx

    imported = time.perf_counter()
    manual = _load(Path(args.src))
    loaded = time.perf_counter()
    doc = resolve(manual, args.branch, source_revision=_revision())
    resolved = time.perf_counter()
    render_docx(doc, Path(args.out))
    done = time.perf_counter()
    return {"branch": args.branch, "docx": args.out, "import_s": imported - started,
            "load_s": loaded - imported, "resolve_s": resolved - loaded,
            "render_s": done - resolved}


def docx_many(args) -> dict:
    """Each branch's handbook.docx as DIR/<branch>.docx."""
    from builder.document.resolve import resolve
    from builder.writers.docx.handbook import render_docx

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    manual = _load(Path(args.src))
    paths = []
    for branch in args.branches.split(","):
        doc = resolve(manual, branch, source_revision=_revision())
        paths.append(str(work / f"{branch}.docx"))
        render_docx(doc, Path(paths[-1]))
    return {"docx": paths}


def sample(args) -> dict:
    """Only the branch's handbook.html and handbook.docx, for the external baselines."""
    from builder.document.resolve import resolve
    from builder.writers.docx.handbook import render_docx
    from builder.writers.html import render_html

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    doc = resolve(_load(Path(args.src)), args.branch, source_revision=_revision())
    render_html(doc, work / "handbook.html")
    render_docx(doc, work / "handbook.docx")
    return {"branch": args.branch, "html": str(work / "handbook.html"),
            "docx": str(work / "handbook.docx")}


def pdf_build(args) -> dict:
    from builder.release.build import build_outputs

    manual = _load(Path(args.src))
    kwargs = dict(out=Path(args.out), branches=list(manual.branch_ids), formats=["pdf"], forms=[],
                  progress=False, source_revision=_revision())
    accepted = inspect.signature(build_outputs).parameters
    jobs_supported = "jobs" in accepted
    if jobs_supported:
        kwargs["jobs"] = args.jobs
    if "force" in accepted:
        kwargs["force"] = True
    result = build_outputs(manual, **kwargs)
    written = getattr(result, "written", result)  # a Result, or the list of paths of older versions
    return {
        "branches": len(manual.branch_ids),
        "jobs_requested": args.jobs,
        "jobs_supported": jobs_supported,
        "files_written": len([p for p in written if Path(p).suffix == ".pdf"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("renderers")
    r.add_argument("--src", required=True)
    r.add_argument("--branch", required=True)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--workdir", required=True)
    d = sub.add_parser("docx")
    d.add_argument("--src", required=True)
    d.add_argument("--branch", required=True)
    d.add_argument("--out", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--src", required=True)
    s.add_argument("--branch", required=True)
    s.add_argument("--workdir", required=True)
    m = sub.add_parser("docx-many")
    m.add_argument("--src", required=True)
    m.add_argument("--branches", required=True)
    m.add_argument("--workdir", required=True)
    p = sub.add_parser("pdf-build")
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, required=True)
    args = parser.parse_args()
    modes = {"renderers": renderers, "docx": docx, "sample": sample, "docx-many": docx_many,
             "pdf-build": pdf_build}
    print(json.dumps(modes[args.mode](args), ensure_ascii=False))

if __name__ == "__main__":
    main()
