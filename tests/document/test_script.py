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
