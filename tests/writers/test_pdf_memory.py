"""builder/writers/pdf/handbook._lazy_font_files: WeasyPrint no longer holds a copy of every
CJK font file through the drawing of a handbook, and the PDF stays byte for byte the same."""

from __future__ import annotations

import subprocess

# The peak is VmHWM, this process's own: getrusage's ru_maxrss survives execve, so a child of
# a large pytest process would start with pytest's peak.
RENDER = """
import json, re, sys
from pathlib import Path
from builder.document.resolve import resolve
from builder.sources.load import load_manual
import builder.writers.pdf.handbook as handbook
def peak():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
handbook.LAZY_FONT_FILES = sys.argv[1] == "lazy"
manual = load_manual(Path(sys.argv[2]))
doc = resolve(manual, manual.branches.branches[0].id)
before = peak()
handbook.render_pdf(doc, Path(sys.argv[3]))
print(json.dumps({"grew_kb": peak() - before}))
"""


def _render(mode: str, src, out) -> int:
    from tests.tools import script_result

    return script_result(RENDER, mode, str(src), str(out))["grew_kb"]


def _font_files(pdf) -> set[str]:
    """The font files poppler says the PDF embeds, by family: what WeasyPrint had to read."""
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return {line.split()[0].split("+", 1)[-1] for line in listed.stdout.splitlines()[2:]}


def test_lazy_font_files_same_pdf_less_memory(root, tmp_path):
    from tests.tools import require

    require("pdffonts", "poppler-utils")
    src = root()
    eager, lazy = tmp_path / "eager.pdf", tmp_path / "lazy.pdf"
    eager_kb = _render("eager", src, eager)
    lazy_kb = _render("lazy", src, lazy)
    assert lazy.read_bytes() == eager.read_bytes()
    # The handbook shows Noto Sans CJK and Noto Serif CJK, each in two weights: four collection
    # files of 19-27 MB that WeasyPrint copied whole. Not copying them is at least 60 MB less.
    assert len(_font_files(eager)) >= 4, _font_files(eager)
    assert eager_kb - lazy_kb >= 60 * 1024, (eager_kb, lazy_kb)
