"""In-process measurements for bench/bench.py, run by it in a fresh subprocess (so their memory
and imports never mix with the benchmark driver or with each other).

    worker.py renderers --src DIR --branch ID --reps N --workdir DIR
        Our PDF path (builder.writers.pdf.handbook.render_pdf) against raw WeasyPrint on the same HTML
        string, and our DOCX writer (builder.writers.docx.handbook.render_docx), each after a warm-up
        render, N repetitions, interleaved. Also writes the branch's handbook.html and
        handbook.docx into DIR for the external baselines. Prints one JSON object.

    worker.py pdf-build --src DIR --out DIR --jobs N
        Builds only the handbook PDFs (no forms, no forms.xlsx) of every branch through the
        Python API, builder.release.build.build_outputs(..., formats=["pdf"], forms=[], jobs=N).
        Prints one JSON object: what was asked and whether `jobs` was honoured.

    worker.py sample --src DIR --branch ID --workdir DIR
        Only writes the branch's handbook.html and handbook.docx into DIR.

Timings are time.perf_counter() wall times in seconds.
"""
from __future__ import annotations

import argparse
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


def renderers(args) -> dict:
    import weasyprint
    from pypdf import PdfReader

    from builder.document.resolve import resolve
    from builder.writers.templates import templates_dir
    from builder.writers.docx.handbook import render_docx
    from builder.writers.html import render_html, render_html_string
    from builder.writers.pdf.handbook import render_pdf

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    manual = _load(Path(args.src))
    doc = resolve(manual, args.branch, source_revision=_revision())
    folder = templates_dir()
    # The same HTML string our PDF writer lays out (render_pdf builds it again inside the
    # timed call: producing it is part of our path, and costs milliseconds).
    html = render_html_string(doc, folder, for_print=True)
    base_url = folder.as_uri() + "/"
    ours_pdf, raw_pdf = work / "ours.pdf", work / "raw.pdf"

    def ours() -> float:
        t = time.perf_counter()
        render_pdf(doc, ours_pdf)
        return time.perf_counter() - t

    def raw() -> float:
        t = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(str(raw_pdf))
        return time.perf_counter() - t

    def docx() -> float:
        t = time.perf_counter()
        render_docx(doc, work / "handbook.docx")
        return time.perf_counter() - t

    warm = {"ours_pdf_s": ours(), "raw_weasyprint_s": raw(), "docx_s": docx()}
    ours_s, raw_s, docx_s = [], [], []
    for i in range(args.reps):
        # Alternate which goes first, so a slow spell on a shared machine hits both alike.
        if i % 2 == 0:
            ours_s.append(ours())
            raw_s.append(raw())
        else:
            raw_s.append(raw())
            ours_s.append(ours())
        docx_s.append(docx())
    render_html(doc, work / "handbook.html")  # the page a branch reads online, for pandoc
    return {
        "branch": args.branch,
        "reps": args.reps,
        "warmup_s": warm,
        "ours_pdf_s": ours_s,
        "raw_weasyprint_s": raw_s,
        "docx_s": docx_s,
        "ours_pdf_pages": len(PdfReader(str(ours_pdf)).pages),
        "raw_pdf_pages": len(PdfReader(str(raw_pdf)).pages),
        "ours_pdf_bytes": ours_pdf.stat().st_size,
        "raw_pdf_bytes": raw_pdf.stat().st_size,
        "html_chars": len(html),
        "html": str(work / "handbook.html"),
        "docx": str(work / "handbook.docx"),
    }


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
    return {"branch": args.branch, "html": str(work / "handbook.html"), "docx": str(work / "handbook.docx")}


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("renderers")
    r.add_argument("--src", required=True)
    r.add_argument("--branch", required=True)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--workdir", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--src", required=True)
    s.add_argument("--branch", required=True)
    s.add_argument("--workdir", required=True)
    p = sub.add_parser("pdf-build")
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, required=True)
    args = parser.parse_args()
    result = {"renderers": renderers, "sample": sample, "pdf-build": pdf_build}[args.mode](args)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
