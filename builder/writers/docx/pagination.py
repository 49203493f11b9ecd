"""Page numbers for the Word contents: a LibreOffice layout of the .docx, read back from its PDF."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger("handbook")


def layout_pages(docx_bytes: bytes, timeout: float = 300) -> dict[str, int]:
    """The page of every bookmark as LibreOffice lays the document out ({} if that fails)."""
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    if not (soffice and pdfinfo):
        return {}
    with tempfile.TemporaryDirectory(prefix="handbook-docx-") as tmp:
        work = Path(tmp)
        (work / "layout.docx").write_bytes(docx_bytes)
        options = {"ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"}}
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",  # private: runs in parallel
            "--headless",
            "--convert-to",
            "pdf:writer_pdf_Export:" + json.dumps(options),
            "--outdir",
            str(work),
            str(work / "layout.docx"),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=True)
            listing = subprocess.run(
                [pdfinfo, "-dests", str(work / "layout.pdf")],
                capture_output=True,
                timeout=60,
                check=True,
                text=True,
            ).stdout
        except (subprocess.SubprocessError, OSError):
            return {}
    pages: dict[str, int] = {}
    for line in listing.splitlines():
        match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
        if match:
            pages.setdefault(match.group(2), int(match.group(1)))
    return pages


def pdf_destination_name(bookmark: str) -> str:
    """LibreOffice writes bookmark "a_b" as PDF destination "a5Fb" (hex for non-alphanumerics)."""
    return re.sub(r"[^A-Za-z0-9]", lambda m: f"{ord(m.group()):02X}", bookmark)
