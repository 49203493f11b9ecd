"""Traditional-script editions (builder.document.script): a Traditional branch's resolved
document, its fonts and tags, the glossary, and what its DOCX, XLSX and PDF forms carry."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import zipfile
from pathlib import Path

import opencc
import pytest

from builder.document.resolve import resolve
from builder.sources.load import load_manual
from tests.tools import POPPLER, require

MANUAL = Path(__file__).resolve().parents[2] / "manual_src"
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def manual():
    return load_manual(MANUAL)


def _with_branch(manual, **changes):
    """The manual with one more branch: the Hong Kong office's data under `changes`."""
    hk = manual.branch("hongkong")
    extra = hk.model_copy(update=changes)
    branches = manual.branches.model_copy(update={"branches": [*manual.branches.branches, extra]})
    return dataclasses.replace(manual, branches=branches)


def _still_simplified(text: str) -> float:
    """The share of Han characters an s2hk conversion would still change (independent of the
    code under test: OpenCC called directly)."""
    converted = opencc.OpenCC("s2hk").convert(text)
    han = [a for a in text if HAN.match(a)]
    changed = sum(1 for a, b in zip(text, converted) if a != b and HAN.match(a))
    return changed / max(1, len(han))


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _texts(v)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name))


def test_hong_kong_document_is_traditional_and_keeps_field_ids(manual):
    hans = resolve(manual, "hq")
    hk = resolve(manual, "hongkong")
    assert hk.lang == "zh-HK" and hk.branch.script == "zh-Hant-HK"  # zh-Hant means HK
    assert hk.meta.title == "運營管理手冊"
    assert hk.meta.body_font.endswith("CJK HK") and hk.meta.heading_font.endswith("CJK HK")
    text = "\n".join(_texts(hk.chapters)) + "\n".join(_texts(hk.forms))
    assert _still_simplified(text) < 0.001
    assert "“" not in text and "「" in text  # HK quotation marks
    ids = {f.id: [x.id for x in f.fields] for f in hans.forms}
    assert {f.id: [x.id for x in f.fields] for f in hk.forms} == ids


def test_simplified_branch_is_untouched(manual):
    hq = resolve(manual, "hq")
    assert hq.lang == "zh-CN" and hq.meta.title == "运营管理手册" and hq.glossary == ()


def test_taipei_gets_taiwan_phrases_and_tc_fonts(manual):
    doc = resolve(_with_branch(manual, id="taipei", script="zh-Hant-TW"), "taipei")
    assert doc.lang == "zh-TW" and doc.meta.body_font == "Noto Serif CJK TC"
    text = "\n".join(_texts(doc.chapters))
    assert "軟體" in text and "軟件" not in text  # s2twp: 软件 → 軟體
    assert "資訊" in text  # 信息 → 資訊


def test_taipei_pdf_form_uses_tc_faces(manual, tmp_path):
    from builder.writers import writer

    pdffonts = require("pdffonts", POPPLER)
    doc = resolve(_with_branch(manual, id="taipei", script="zh-Hant-TW"), "taipei")
    form = next(f for f in doc.forms if f.id == "meeting-minutes")
    target = tmp_path / "f.pdf"
    writer("form", "pdf").render(dataclasses.replace(doc, chapters=(), forms=(form,)), target)
    faces = subprocess.run([pdffonts, str(target)], capture_output=True, text=True).stdout
    assert "Noto-Serif-CJK-TC" in faces and "-SC" not in faces and "-HK" not in faces


def test_glossary_keeps_or_fixes_terms(manual):
    from builder.sources.schema import GlossaryEntry

    meta = manual.meta.model_copy(
        update={
            "glossary": [
                GlossaryEntry(term="运营管理手册"),  # kept as written
                GlossaryEntry(term="总经理", hk="總經理（香港）", tw="總經理（台灣）"),
            ]
        }
    )
    with_glossary = dataclasses.replace(manual, meta=meta)
    hk = resolve(with_glossary, "hongkong")
    assert hk.meta.title == "运营管理手册"
    assert any("總經理（香港）" in t for t in _texts(hk.chapters))
    tw = resolve(_with_branch(with_glossary, id="taipei", script="zh-Hant-TW"), "taipei")
    assert any("總經理（台灣）" in t for t in _texts(tw.chapters))


def test_hand_written_traditional_text_wins(manual):
    chapter = manual.chapters[0]
    clause = next(c for s in chapter.sections for c in s.clauses)
    mine = clause.model_copy(update={"text_hant": "本條由人手撰寫，不經轉換：裡面"})
    section = chapter.sections[0].model_copy(
        update={"clauses": [mine if c.id == clause.id else c for c in chapter.sections[0].clauses]}
    )
    chapters = [
        chapter.model_copy(update={"sections": [section, *chapter.sections[1:]]}),
        *manual.chapters[1:],
    ]
    doc = resolve(dataclasses.replace(manual, chapters=chapters), "hongkong")
    found = next(
        c for node, _ in doc.walk() if getattr(node, "id", None) == clause.id for c in [node]
    )
    assert "".join(s.text for p in found.text for s in p) == "本條由人手撰寫，不經轉換：裡面"


def test_check_reports_a_bad_glossary_entry(root, run_process):
    src = root()
    manual_yaml = src / "manual.yaml"
    manual_yaml.write_text(
        manual_yaml.read_text(encoding="utf-8") + "glossary:\n  - term: 瀚川\n    hant2: 瀚川\n",
        encoding="utf-8",
    )
    result = run_process("check", "--src", str(src))
    assert result.returncode == 1
    lines = manual_yaml.read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "hant2" in t)
    assert f"manual.yaml:{line}:" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_hong_kong_docx_and_xlsx_forms(manual, tmp_path):
    from builder.writers import writer

    hk = resolve(manual, "hongkong")
    form = next(
        f for f in hk.forms if any(x.compute and x.compute[0] == "capitals" for x in f.fields)
    )
    view = dataclasses.replace(hk, chapters=(), forms=(form,))
    writer("form", "docx").render(view, tmp_path / "f.docx")
    writer("form", "xlsx").render(view, tmp_path / "f.xlsx")
    with zipfile.ZipFile(tmp_path / "f.docx") as z:
        styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
    assert 'w:eastAsia="zh-HK"' in styles and "CJK SC" not in styles and "CJK HK" in styles
    assert _still_simplified(re.sub(r"<[^>]+>", "", body)) < 0.005
    with zipfile.ZipFile(tmp_path / "f.xlsx") as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert "[$-C04]" in xml and "[$-804]" not in xml  # capitals in Traditional (貳, 參)
    assert "CJK SC" not in xml and 'val="136"' in xml
    assert _still_simplified(re.sub(r"<[^>]+>", "", xml)) < 0.005


def test_hong_kong_pdf_form_fonts_and_text(manual, tmp_path):
    from builder.writers import writer

    pdffonts = require("pdffonts", POPPLER)
    pdftotext = require("pdftotext", POPPLER)
    hk = resolve(manual, "hongkong")
    form = next(f for f in hk.forms if f.id == "meeting-minutes")
    view = dataclasses.replace(hk, chapters=(), forms=(form,))
    target = tmp_path / "f.pdf"
    writer("form", "pdf").render(view, target)
    fonts = subprocess.run([pdffonts, str(target)], capture_output=True, text=True).stdout
    assert "CJK SC" not in fonts and "STSong" not in fonts
    assert "NotoSerifCJKHK" in fonts.replace("-", "")
    text = subprocess.run([pdftotext, str(target), "-"], capture_output=True, text=True).stdout
    assert _still_simplified(text) < 0.005


def _field_crop(path: Path, field: str, text: str):
    """Page 1 of the PDF at `path` as PDFium draws it after a user typed `text` into `field`
    (PDFium's form-filling API: focus, replace the selection, leave the field), cut to the
    field's rectangle, in grey."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()
    page = pdf[0]
    formenv = pdf.formenv.raw
    found = None
    for i in range(raw.FPDFPage_GetAnnotCount(page.raw)):
        annot = raw.FPDFPage_GetAnnot(page.raw, i)
        size = raw.FPDFAnnot_GetFormFieldName(formenv, annot, None, 0)
        buffer = ctypes.create_string_buffer(size)
        raw.FPDFAnnot_GetFormFieldName(
            formenv, annot, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)), size
        )
        if buffer.raw[: size - 2].decode("utf-16-le") == field:
            found = annot
            break
        raw.FPDFPage_CloseAnnot(annot)
    assert found is not None, f"no field {field}"
    rect = raw.FS_RECTF()
    raw.FPDFAnnot_GetRect(found, ctypes.byref(rect))
    assert raw.FORM_SetFocusedAnnot(formenv, found)
    typed = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
    raw.FORM_ReplaceSelection(formenv, page.raw, ctypes.cast(typed, raw.FPDF_WIDESTRING))
    raw.FORM_ForceToKillFocus(formenv)
    raw.FPDFPage_CloseAnnot(found)
    scale, height = 2, page.get_height()
    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("L")
    low, high = sorted((rect.top, rect.bottom))  # PDF y grows upwards; PIL's down
    box = (rect.left, height - high, rect.right, height - low)
    crop = image.crop(tuple(round(v * scale) for v in box))
    pdf.close()
    return crop


def _ink(image) -> int:
    return sum(1 for value in image.tobytes() if value < 128)


def test_hong_kong_pdf_form_filled_in_traditional_shows_every_glyph(manual, tmp_path):
    """PDFium draws what a user types with the reader-supplied field font (MSung-Light): every
    character of a Traditional (HK) text, HK forms such as 説 and 裏 included, has ink; a
    character no font has (U+E000) draws nothing, so the test can tell. (PDFium falls back on
    an installed font by Unicode for what the field font lacks: this checks what the reader
    shows, the fields' font itself is checked by the next test.)"""
    from builder.writers import writer

    hk = resolve(manual, "hongkong")
    form = next(f for f in hk.forms if f.id == "meeting-minutes")
    view = dataclasses.replace(hk, chapters=(), forms=(form,))
    target = tmp_path / "f.pdf"
    writer("form", "pdf").render(view, target)
    assert _ink(_field_crop(target, "topic", "")) == 0
    assert _ink(_field_crop(target, "topic", "\ue000")) == 0
    sample = "會議紀要：説明裏面的資料與綫路，衞生檢查後歸檔。"
    assert _ink(_field_crop(target, "topic", sample)) > 0
    for ch in dict.fromkeys(c for c in sample if HAN.match(c)):
        assert _ink(_field_crop(target, "topic", ch)) > 0, f"{ch} (U+{ord(ch):04X}) not drawn"


def test_hong_kong_pdf_form_fields_name_a_traditional_reader_font(manual, tmp_path):
    """The fields' font is MSung-Light through UniCNS-UTF16-H (Adobe-CNS1-7), which Acrobat-style
    readers supply for Traditional; its coverage (from poppler-data's CMap) has the HK forms
    (説, 裏, 衞, 綫) that the older UniCNS-UCS2-H (CNS1-3) lacks."""
    from pypdf import PdfReader

    from builder.document import fonts
    from builder.writers import writer
    from tests.tools import POPPLER_DATA, require_file

    require_file(Path("/usr/share/poppler/cMap/Adobe-CNS1/UniCNS-UTF16-H"), POPPLER_DATA)
    cmap = Path("/usr/share/poppler/cMap/Adobe-CNS1/UniCNS-UTF16-H").read_text(encoding="latin-1")
    for ch in "説裏衞綫":  # each mapped to a CID by the CMap itself
        assert re.search(rf"<{ord(ch):04x}>\s+\d+", cmap, re.I) or any(
            int(lo, 16) <= ord(ch) <= int(hi, 16)
            for lo, hi in re.findall(r"<([0-9a-f]{4})>\s*<([0-9a-f]{4})>\s*\d+", cmap, re.I)
        )
    assert fonts.field_font_missing("説裏衞綫會議", "zh-Hant-HK") == []

    hk = resolve(manual, "hongkong")
    form = next(f for f in hk.forms if f.id == "meeting-minutes")
    target = tmp_path / "f.pdf"
    writer("form", "pdf").render(dataclasses.replace(hk, chapters=(), forms=(form,)), target)
    font = next(iter(PdfReader(target).trailer["/Root"]["/AcroForm"]["/DR"]["/Font"].values()))
    font = font.get_object()
    assert font["/Encoding"] == "/UniCNS-UTF16-H"
    info = font["/DescendantFonts"][0].get_object()["/CIDSystemInfo"]
    assert info["/Ordering"] == "CNS1"
    assert font["/DescendantFonts"][0].get_object()["/BaseFont"] == "/MSung-Light"


def test_check_reports_a_repeated_term_and_a_simplified_fixed_text(root, run_process):
    src = root()
    manual_yaml = src / "manual.yaml"
    before = manual_yaml.read_text(encoding="utf-8")
    manual_yaml.write_text(
        before + "glossary:\n  - term: 文件\n  - term: 文件\n  - term: 软件\n    hk: 软件\n",
        encoding="utf-8",
    )
    first = len(before.splitlines()) + 2  # the line of the first "- term: 文件"
    result = run_process("check", "--src", str(src))
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert f"manual.yaml:{first + 1}:11: 术语表中的“文件”重复：已在" in said
    assert f"manual.yaml:{first}:11" in said
    assert f"manual.yaml:{first + 3}:9: 术语“软件”的 hk 写法“软件”含有简体字“软”" in said


@pytest.mark.slow
def test_every_file_of_the_hong_kong_build_is_traditional(run_process, tmp_path):
    """The issue's measure: in every file of output/hongkong, under 0.5% of the Han characters
    would still change under s2hk (PDF text, DOCX/XLSX XML, HTML); its PDFs use only HK faces."""
    pdftotext = require("pdftotext", POPPLER)
    pdffonts = require("pdffonts", POPPLER)
    out = tmp_path / "out"
    result = run_process(
        "build",
        "--src",
        str(MANUAL),
        "--out",
        str(out),
        "-b",
        "hongkong",
        "-q",
        "-j",
        "1",
        "--no-docx-page-numbers",
    )
    assert result.returncode == 0, result.stderr
    files = sorted(
        p for p in (out / "hongkong").rglob("*") if p.suffix in {".pdf", ".docx", ".xlsx", ".html"}
    )
    forms = len(list((MANUAL / "forms").glob("*.yaml")))
    assert len(files) == 1 + 3 + 1 + 3 * forms  # portal page, handbook, forms.xlsx, the forms
    for path in files:
        if path.suffix == ".pdf":
            text = subprocess.run(
                [pdftotext, str(path), "-"], capture_output=True, text=True
            ).stdout
            faces = subprocess.run([pdffonts, str(path)], capture_output=True, text=True).stdout
            assert "CJK-SC" not in faces and "CJK-JP" not in faces, path.name
        elif path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                text = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
        else:
            text = path.read_text(encoding="utf-8")
        assert _still_simplified(text) < 0.005, path.name
    handbook = subprocess.run(
        [pdffonts, str(out / "hongkong" / "handbook.pdf")], capture_output=True, text=True
    ).stdout
    assert "Noto-Serif-CJK-HK" in handbook and "Noto-Sans-CJK-HK" in handbook


def test_diff_of_a_traditional_branch_speaks_its_script(run_process, tmp_path):
    import shutil

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MANUAL, old)
    shutil.copytree(MANUAL, new)
    chapter = new / "chapters" / "01-general.yaml"
    chapter.write_text(chapter.read_text("utf-8").replace("行业标准", "行业规范", 1), "utf-8")
    result = run_process("diff", str(old), str(new), "-b", "hongkong")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.replace(str(tmp_path), "")
    # the summary's own words as well as the document's text (OpenCC called here, not ours)
    assert "共 1 處變更：新增 0、刪除 0、移動 0、修改 1。" in printed
    assert "行業{+規範+}" in printed and "分支機構：香港辦事處" in printed
    assert _still_simplified(printed) == 0, printed
    # a Simplified branch is printed as before
    assert "共 1 处变更" in run_process("diff", str(old), str(new), "-b", "beijing").stdout
