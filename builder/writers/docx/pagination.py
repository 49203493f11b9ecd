"""Page numbers for the Word contents, from a LibreOffice layout of the very file.

The contents of a Word handbook is a TOC field whose entries end in PAGEREF fields. Word, WPS
and LibreOffice all show a field's cached result as it is when a file opens, so the numbers
have to be in the file: asking Word to refresh the fields on opening (w:updateFields) makes it
ask every reader 「此文档包含的域可能引用了其他文件。是否更新此文档中的域？」, and LibreOffice
and WPS do not refresh them at all. The fields stay fields: a reader who edits a copy can still
update the contents in Word (右键 → 更新域).

`paginate(paths)` fills them in place:
1. a copy of each file has every PAGEREF result set to PLACEHOLDER, as wide as the page number
   of a long handbook, so its contents lines lay out as they will with their numbers;
2. one LibreOffice process (`soffice --headless --convert-to pdf`, a private profile) converts
   all the copies, writing each bookmark as a PDF named destination;
3. the page of each PAGEREF's bookmark is read back from the PDF (pypdf) and written into the
   original's result, and the file is rewritten as a normalised zip: the same file and the same
   LibreOffice give the same bytes.
So the numbers are LibreOffice's pagination of the DOCX (what LibreOffice and WPS readers see),
not the PDF handbook's, which WeasyPrint lays out.

Only the standard library is imported here at first: the build asks `layout_engine()` before
deciding that nothing needs doing, without loading lxml or pypdf.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

DOCUMENT = "word/document.xml"
PLACEHOLDER = "000"  # what a PAGEREF shows while LibreOffice lays the contents out
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PAGEREF = re.compile(r"\s*PAGEREF\s+(\S+)")
_FLD_CHAR, _INSTR, _TEXT = f"{{{W}}}fldChar", f"{{{W}}}instrText", f"{{{W}}}t"
_FIELD_TYPE = f"{{{W}}}fldCharType"


def layout_engine() -> str:
    """The LibreOffice that would paginate (`soffice` on the PATH): its real path, size and
    mtime, which go into the cache keys of the files it paginates; "" when there is none."""
    path = shutil.which("soffice")
    try:
        real = os.path.realpath(path) if path else ""
        st = os.stat(real) if real else None
        return f"{real}:{st.st_size}:{st.st_mtime_ns}" if st else ""
    except OSError:
        return ""


# -- the PAGEREF fields of a document ---------------------------------------------------------


def pageref_results(root) -> list[tuple[str, list]]:
    """(bookmark, the w:t elements of its cached result) of every complex PAGEREF field in a
    w:document element, in document order; fields nested in fields (PAGEREFs in a TOC) too."""
    found = []
    stack: list[tuple[list[str], list | None]] = []  # per open field: instruction, result
    for node in root.iter(_FLD_CHAR, _INSTR, _TEXT):
        if node.tag == _FLD_CHAR:
            kind = node.get(_FIELD_TYPE)
            if kind == "begin":
                stack.append(([], None))
            elif kind == "separate" and stack:
                stack[-1] = (stack[-1][0], [])
            elif kind == "end" and stack:
                instruction, result = stack.pop()
                match = _PAGEREF.match("".join(instruction))
                if match and result is not None:
                    found.append((match.group(1), result))
        elif not stack:
            continue
        elif node.tag == _INSTR:
            if stack[-1][1] is None:
                stack[-1][0].append(node.text or "")
        elif stack[-1][1] is not None:
            stack[-1][1].append(node)
    return found


def with_page_numbers(
    data: bytes, number: Callable[[str], str | None]
) -> tuple[bytes, list[str], list[str]]:
    """The .docx `data` with each PAGEREF result set to number(bookmark) (left as it is where
    that is None), as a normalised zip; the bookmarks of its PAGEREFs, and those that got no
    number."""
    from lxml import etree

    from builder.writers.ooxml.package import normalized_zip_bytes

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read(DOCUMENT)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(xml, parser)
    bookmarks, missing = [], []
    for bookmark, result in pageref_results(root):
        bookmarks.append(bookmark)
        text = number(bookmark)
        if text is None or not result:
            missing.append(bookmark)
            continue
        result[0].text = text
        for extra in result[1:]:
            extra.text = ""
    # serialised as python-docx does, so a file that needs no change keeps its bytes
    xml = etree.tostring(root, encoding="UTF-8", standalone=True)
    return normalized_zip_bytes(data, {DOCUMENT: xml}), bookmarks, missing


def pdf_destination_name(bookmark: str) -> str:
    """LibreOffice writes bookmark "a_b" as PDF destination "a5Fb" (hex for non-alphanumerics)."""
    return re.sub(r"[^A-Za-z0-9]", lambda m: f"{ord(m.group()):02X}", bookmark)


def destination_pages(pdf: Path) -> dict[str, int]:
    """The page (from 1) of every named destination of a PDF, by name."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    pages = {}
    for name, destination in reader.named_destinations.items():
        try:
            page = reader.get_destination_page_number(destination)
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
        if page is not None and page >= 0:
            pages[name[1:] if name.startswith("/") else name] = page + 1
    return pages


# -- laying out with LibreOffice --------------------------------------------------------------


def paginate(paths: Sequence[Path], *, timeout: float | None = None) -> dict[Path, str]:
    """Fill the contents' page numbers of these .docx files in place, from LibreOffice's layout
    of each, all laid out by one LibreOffice process. Returns the files it could not give every
    number, each with the reason in Chinese (they are left as they were, or with the numbers
    found); {} when all went well. A file without PAGEREF fields is left alone."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return {Path(p): "未安装 LibreOffice（soffice）" for p in paths}
    from pypdf.errors import PyPdfError

    failed: dict[Path, str] = {}
    with tempfile.TemporaryDirectory(prefix="handbook-pages-") as tmp:
        work = Path(tmp)
        copies: dict[Path, Path] = {}
        for index, path in enumerate(map(Path, paths)):
            data = path.read_bytes()
            copy, bookmarks, _ = with_page_numbers(data, lambda _: PLACEHOLDER)
            if not bookmarks:
                continue
            copies[path] = work / f"{index}.docx"  # the files may share a name (handbook.docx)
            copies[path].write_bytes(copy)
        if not copies:
            return {}
        reason = _convert(soffice, list(copies.values()), work, timeout)
        for path, copy in copies.items():
            pdf = copy.with_suffix(".pdf")
            if not pdf.is_file():
                failed[path] = reason or "LibreOffice 未生成 PDF"
                continue
            try:
                pages = destination_pages(pdf)
            except (OSError, ValueError, KeyError, PyPdfError) as exc:
                failed[path] = f"读取 LibreOffice 生成的 PDF 失败：{exc}"
                continue
            data = path.read_bytes()
            filled, bookmarks, missing = with_page_numbers(data, partial(_page_text, pages))
            if len(missing) < len(bookmarks) and filled != data:
                # a new file in its place: never writes into a (linked) file
                fresh = path.with_name(path.name + ".pages")
                fresh.write_bytes(filled)
                os.replace(fresh, path)
            if missing:
                failed[path] = f"LibreOffice 的排版中找不到 {len(missing)} 个目录项的位置"
    return failed


def _page_text(pages: dict[str, int], bookmark: str) -> str | None:
    page = pages.get(bookmark, pages.get(pdf_destination_name(bookmark)))
    return None if page is None else str(page)


def _convert(soffice: str, files: list[Path], outdir: Path, timeout: float | None) -> str:
    """Convert `files` to PDF in `outdir` with one LibreOffice process and a private profile
    (so it runs beside any other LibreOffice). "" when it ended normally, else why not."""
    options = {"ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"}}
    command = [
        soffice,
        f"-env:UserInstallation={(outdir / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf:writer_pdf_Export:" + json.dumps(options),
        "--outdir",
        str(outdir),
        *map(str, files),
    ]
    if timeout is None:
        timeout = 120 + 60 * len(files)
    with open(outdir / "soffice.log", "wb") as output:
        # In the build's process group: Ctrl+C, or a kill of the whole build, ends it too.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return f"LibreOffice 超过 {timeout:.0f} 秒未完成排版"
        finally:
            if process.poll() is None:
                _kill_tree(process.pid)
                process.wait()
    if process.returncode != 0:
        tail = (outdir / "soffice.log").read_text(errors="replace").strip().splitlines()[-1:]
        return f"LibreOffice 退出码 {process.returncode}" + (f"：{tail[0]}" if tail else "")
    return ""


def _kill_tree(pid: int) -> None:
    """SIGKILL a process we started and its descendants (soffice is a launcher that runs
    soffice.bin as its child), children first found through /proc."""
    for child in _descendants(pid):
        _kill(child)
    _kill(pid)


def _descendants(pid: int) -> Iterable[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                children = [int(c) for c in listing.read().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            found += [*_descendants(child), child]
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
