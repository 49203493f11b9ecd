"""Old and other word-processor formats (.doc, .odt, .rtf, .wps) become DOCX through LibreOffice
(`soffice --headless --convert-to docx`) before they are read."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from builder.readers.package import UnreadableFile

CONVERTIBLE = (".doc", ".odt", ".rtf", ".wps", ".fodt", ".dot", ".wpt")


def to_docx(path: Path, workdir: Path, label: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise UnreadableFile(
            f"{label}：导入 {path.suffix} 文件需要 LibreOffice；请安装 libreoffice-writer"
            "（sudo apt-get install libreoffice-writer），或在 Word/WPS 中另存为 .docx 后再导入"
        )
    source = workdir / ("input" + path.suffix.lower())
    shutil.copyfile(path, source)
    env = dict(os.environ, HOME=str(workdir))
    try:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{workdir}/profile",
                "--headless",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(workdir),
                str(source),
            ],
            env=env,
            capture_output=True,
            timeout=180,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadableFile(f"{label}：LibreOffice 转换超时，文件可能已损坏") from None
    result = workdir / "input.docx"
    if not result.exists() or result.stat().st_size == 0:
        raise UnreadableFile(f"{label}：LibreOffice 无法打开此文件（可能已加密、已损坏或不是文档）")
    return result
