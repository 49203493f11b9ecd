"""Filling forms as the programs people use do: PDFium typing into a PDF's fields, and content
controls edited as Word writes them. Independent of builder.readers."""

from __future__ import annotations

import ctypes
import shutil
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _field_name(form, annot) -> str:
    import pypdfium2.raw as raw

    size = raw.FPDFAnnot_GetFormFieldName(form, annot, None, 0)
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFAnnot_GetFormFieldName(
        form, annot, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)), size
    )
    return buffer.raw[: size - 2].decode("utf-16-le")


def pdfium_fill(
    source: Path,
    target: Path,
    texts: dict[str, str],
    clicks: dict[str, int],
    *,
    picks: dict[str, int] | None = None,
    incremental: bool = False,
):
    """Type `texts` into the named text fields (click, select all, type), click the
    clicks[name]-th widget (from 0) of a button field and pick option picks[name] (from 0) of a
    combo box, through PDFium's form-filling API; save (`incremental`: as an update appended to
    the original bytes, as a PDF reader saves a signed file)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(str(source))
    pdf.init_forms()
    form = pdf.formenv.raw
    seen: dict[str, int] = {}
    for index in range(len(pdf)):
        page = pdf[index]
        for i in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annot = raw.FPDFPage_GetAnnot(page.raw, i)
            name = _field_name(form, annot)
            nth = seen.get(name, 0)
            seen[name] = nth + 1
            rect = raw.FS_RECTF()
            raw.FPDFAnnot_GetRect(annot, rect)
            x, y = (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2
            if name in texts or clicks.get(name) == nth or name in (picks or {}):
                raw.FORM_OnLButtonDown(form, page.raw, 0, x, y)
                raw.FORM_OnLButtonUp(form, page.raw, 0, x, y)
            if name in (picks or {}):
                assert raw.FORM_SetIndexSelected(form, page.raw, picks[name], True), name
            if name in texts:
                raw.FORM_SelectAllText(form, page.raw)
                typed = ctypes.create_string_buffer((texts[name] + "\0").encode("utf-16-le"))
                raw.FORM_ReplaceSelection(form, page.raw, ctypes.cast(typed, raw.FPDF_WIDESTRING))
            raw.FORM_ForceToKillFocus(form)
            raw.FPDFPage_CloseAnnot(annot)
    pdf.save(str(target), **({"flags": raw.FPDF_INCREMENTAL} if incremental else {}))
    pdf.close()


def word_fill(source: Path, target: Path, texts: dict[str, str], ticks: set[str]) -> None:
    """Edit content controls as Word does when a user types: the placeholder run replaced by a
    plain run with the text, w:showingPlcHdr removed; a ticked w14 check box gets
    w14:checked=1 and the ☒ glyph."""
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    for sdt in root.iter(f"{{{W}}}sdt"):
        pr = sdt.find(f"{{{W}}}sdtPr")
        tag = pr.find(f"{{{W}}}tag").get(f"{{{W}}}val")
        content = sdt.find(f"{{{W}}}sdtContent")
        box = pr.find(f"{{{W14}}}checkbox")
        if box is not None and tag in ticks:
            box.find(f"{{{W14}}}checked").set(f"{{{W14}}}val", "1")
            content.find(f".//{{{W}}}t").text = "\u2612"
        elif tag in texts:
            placeholder = pr.find(f"{{{W}}}showingPlcHdr")
            if placeholder is not None:
                pr.remove(placeholder)
            for run in list(content):
                content.remove(run)
            run = etree.SubElement(content, f"{{{W}}}r")
            etree.SubElement(run, f"{{{W}}}t").text = texts[tag]
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


def soffice_resave(source: Path, folder: Path, filter_name: str) -> Path:
    """Open and save `source` in LibreOffice (headless), as a user's Save does."""
    import subprocess

    from tests.tools import WRITER, require

    soffice = require("soffice", WRITER)
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            f"{source.suffix[1:]}:{filter_name}",
            "--outdir",
            str(folder / "saved"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = folder / "saved" / source.name
    assert saved.exists(), "LibreOffice wrote nothing"
    shutil.rmtree(profile, ignore_errors=True)
    return saved


def control_texts(path: Path) -> list[str]:
    """The text each content control of a Word file shows, in document order."""
    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read("word/document.xml"))
    return [
        "".join(t.text or "" for t in sdt.iter(f"{{{W}}}t")) for sdt in root.iter(f"{{{W}}}sdt")
    ]
