"""The programs and data files some tests need, and what to install when one is missing.

A test that needs a tool FAILS when it is missing, with a message naming the Debian package to
install (`make setup-test` installs them all); it is never skipped, so a machine without the
tools cannot pass the suite by testing less.

    pdftotext = require("pdftotext", POPPLER)      # the tool's path, or the test fails
    require_file(POPPLER_GB1_CMAP, POPPLER_DATA)  # a data file, likewise
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

POPPLER = "poppler-utils"  # pdftotext, pdftoppm, pdffonts
POPPLER_DATA = "poppler-data"  # the CMaps of CJK fonts that poppler draws
QPDF = "qpdf"
WRITER = "libreoffice-writer-nogui"  # soffice, for .docx
CALC = "libreoffice-calc-nogui"  # soffice, for .xlsx
NODE = "nodejs"
GIT = "git"

# poppler draws the reader-supplied form font (STSong-Light, Adobe-GB1) only with this CMap.
POPPLER_GB1_CMAP = Path("/usr/share/poppler/cMap/Adobe-GB1/UniGB-UCS2-H")


def _missing(what: str, package: str) -> None:
    pytest.fail(f"{what}：请安装 Debian 软件包 {package}（make setup-test 会安装）", pytrace=False)


def require(command: str, package: str) -> str:
    """The path of `command` on the PATH; fails the test, naming `package`, when it is missing."""
    path = shutil.which(command)
    if path is None:
        _missing(f"{command} 未安装", package)
    return path


def require_file(path: Path, package: str) -> Path:
    """`path`, a data file a tool reads; fails the test, naming `package`, when it is missing."""
    if not Path(path).is_file():
        _missing(f"{path} 不存在", package)
    return Path(path)


def pdf_layout_text(pdf) -> str:
    """The PDF's text as poppler lays it out (pdftotext -layout), pages separated by form feeds."""
    import subprocess

    return subprocess.run(
        [require("pdftotext", POPPLER), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def script_result(code: str, *args: str, timeout: int = 300):
    """Run `code` in a fresh Python (`python -c code args`, this checkout importable from the
    working directory) and return the JSON its last line prints; the test fails with its stderr
    if it fails. For what must not share this process: a patch applied once per process, or
    the process's own peak memory."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
