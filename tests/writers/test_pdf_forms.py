"""The fillable PDF forms, as a person filling them in (and a script reading them) sees them.

Every bundled form is built once for the 成都办事处 (a branch whose approval forms carry its
approval chain); the checks then read those files.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from builder.document.resolve import resolve
from builder.errors import BuildError
from builder.writers.pdf.forms import render_form_pdf
from tests.form_names import field_names, form_sources
from tests.tools import NODE, POPPLER, POPPLER_DATA, POPPLER_GB1_CMAP, QPDF, require, require_file

FORM_IDS = sorted(form_sources())
BRANCH = "chengdu"


@pytest.fixture(scope="module")
def doc(manual):
    return resolve(manual, BRANCH)


@pytest.fixture(scope="module")
def built(doc, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("forms")
    paths = {}
    for form in doc.forms:
        paths[form.id] = out / f"{form.id}.pdf"
        render_form_pdf(doc, form, paths[form.id])
    return paths


def form_of(doc, form_id):
    return next(f for f in doc.forms if f.id == form_id)


# ---- reading the AcroForm ------------------------------------------------------------------------


def terminal_fields(reader: PdfReader) -> dict[str, dict]:
    """Fully qualified name → field dictionary, for every terminal field (one that has no child
    fields: its kids, if any, are widgets without a /T)."""
    out: dict[str, dict] = {}

    def walk(refs, prefix):
        for ref in refs:
            node = ref.get_object()
            name = f"{prefix}{node['/T']}"
            kids = node.get("/Kids", [])
            if kids and any("/T" in k.get_object() for k in kids):
                walk(kids, name + ".")
            else:
                assert name not in out, f"two fields named {name}"
                out[name] = node

    walk(reader.trailer["/Root"]["/AcroForm"]["/Fields"], "")
    return out


def export_values(field) -> list[str]:
    """A button field's export values in widget order: its /Opt entries when present (ISO 32000,
    12.7.4.2.3), else the widgets' on-state names."""
    if "/Opt" in field:
        return [str(o) for o in field["/Opt"]]
    widgets = [k.get_object() for k in field["/Kids"]] if "/Kids" in field else [field]
    return [next(str(k)[1:] for k in w["/AP"]["/N"] if k != "/Off") for w in widgets]


def text_of(path: Path, *args: str) -> str:
    pdftotext = require("pdftotext", POPPLER)
    return subprocess.run(
        [pdftotext, *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def ink_in(path: Path, rect, dpi: int = 100) -> int:
    """How many dark pixels page 1 has inside `rect` (PDF points, [x1, y1, x2, y2])."""
    page_height = float(PdfReader(path).pages[0].mediabox.height)
    x1, x2 = sorted(float(v) for v in (rect[0], rect[2]))
    y1, y2 = sorted(float(v) for v in (rect[1], rect[3]))
    scale = dpi / 72
    crop = [
        str(round(v))
        for v in (
            x1 * scale + 2,
            (page_height - y2) * scale + 2,
            (x2 - x1) * scale - 4,
            (y2 - y1) * scale - 4,
        )
    ]
    pdftoppm = require("pdftoppm", POPPLER)
    pgm = subprocess.run(
        [
            pdftoppm,
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            str(dpi),
            "-x",
            crop[0],
            "-y",
            crop[1],
            "-W",
            crop[2],
            "-H",
            crop[3],
            str(path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    pixels = pgm[header.end() :]
    return sum(1 for p in pixels if p < 128)


# ---- names, counts, values -----------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_field_names_are_the_field_ids(built, form_id):
    fields = terminal_fields(PdfReader(built[form_id]))
    expected = field_names(form_id, BRANCH)  # from the YAML, by the README's convention
    assert sorted(fields) == sorted(expected)
    assert len(fields) == len(expected)  # the field count: one terminal field per name


def test_the_meeting_notice_has_a_fillable_topic_field(built):
    fields = terminal_fields(PdfReader(built["meeting-notice"]))
    assert fields["topic"]["/FT"] == "/Tx"
    assert fields["topic"]["/TU"] == "会议主题"


def test_a_table_cell_is_a_field_inside_its_row_inside_its_table(built):
    reader = PdfReader(built["meeting-minutes"])
    names = set(reader.get_fields())
    assert {
        "decisions",
        "decisions.1",
        "decisions.1.content",
        "decisions.5.due",
        "tasks.5.owner",
    } <= names
    assert reader.get_fields()["decisions.1.content"]["/FT"] == "/Tx"


def test_choice_export_values_are_their_labels(built, doc):
    checked = 0
    for form in doc.forms:
        fields = terminal_fields(PdfReader(built[form.id]))
        for fld in form.fields:
            cells = (
                [(f"{fld.id}.{r}.{c.id}", c) for r in range(1, fld.rows + 1) for c in fld.columns]
                if fld.type == "rows"
                else [(fld.id, fld)]
            )
            for name, f in cells:
                labels = list(f.options) if f.type == "choice" else [str(n) for n in range(1, 6)]
                if f.type in ("choice", "score"):
                    field = fields[name]
                    if field["/FT"] == "/Btn":  # a radio group
                        assert export_values(field) == labels, name
                    else:  # a combo box in a table cell
                        assert (
                            field["/FT"] == "/Ch" and [str(o) for o in field["/Opt"]] == labels
                        ), name
                    checked += 1
                elif f.type == "multichoice":
                    for i, label in enumerate(f.options, 1):
                        assert export_values(fields[f"{name}.{i}"]) == [label]
                    checked += 1
    assert checked >= 5


def test_training_evaluation_choices(built):
    fields = terminal_fields(PdfReader(built["training-evaluation"]))
    assert export_values(fields["mode"]) == ["线下", "线上"]
    assert export_values(fields["methods.2"]) == ["实操考核"]
    assert export_values(fields["score-content"]) == ["1", "2", "3", "4", "5"]


def test_computed_fields_are_read_only_and_calculated(built):
    fields = terminal_fields(PdfReader(built["expense-claim"]))
    for name in ("total", "total-capitals"):
        assert int(fields[name]["/Ff"]) & 1, name  # ReadOnly
        assert "/C" in fields[name]["/AA"]
    assert "items.8.amount" in fields["total"]["/AA"]["/C"]["/JS"]
    assert (
        int(terminal_fields(PdfReader(built["project-progress"]))["milestones.3.deviation"]["/Ff"])
        & 1
    )


def test_calculation_scripts_compute(built):
    """The reader's scripts, run against a stand-in for Acrobat's `this.getField` and `event`."""
    fields = {
        **terminal_fields(PdfReader(built["expense-claim"])),
        **terminal_fields(PdfReader(built["project-progress"])),
        **terminal_fields(PdfReader(built["training-evaluation"])),
    }
    cases = [
        (
            "total",
            {"items.1.amount": "1860.00", "items.2.amount": "126", "items.3.amount": "480"},
            "2466.00",
        ),
        ("total-capitals", {"total": "2466.00"}, "贰仟肆佰陆拾陆元整"),
        ("total-capitals", {"total": "100000001.05"}, "壹亿零壹元零伍分"),
        ("total-capitals", {"total": "10010.5"}, "壹万零壹拾元伍角整"),
        (
            "milestones.2.deviation",
            {"milestones.2.planned": "2023-09-20", "milestones.2.actual": "2023-09-22"},
            "2",
        ),
        (
            "sub-average",
            {"score-content": "4", "score-trainer": "Off", "score-organisation": "5"},
            "4.50",
        ),
    ]
    script = (
        "const cases="
        + json.dumps([(str(fields[n]["/AA"]["/C"]["/JS"]), v) for n, v, _ in cases])
        + """;
    for (const [src, vals] of cases) {
      const doc = {getField: n => (n in vals) ? {value: vals[n], valueAsString: vals[n]} : null};
      const event = {};
      new Function("event", src).call(doc, event);
      console.log(event.value);
    }"""
    )
    node = require("node", NODE)
    out = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [want for _, _, want in cases]


# ---- filling in Chinese --------------------------------------------------------------------------


def test_chinese_typed_into_a_field_displays_and_prints(built, tmp_path):
    require_file(POPPLER_GB1_CMAP, POPPLER_DATA)  # to draw the field font, STSong-Light
    source = built["meeting-notice"]
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.update_page_form_field_values(
        writer.pages[0], {"topic": "季度销售目标分解会议"}, auto_regenerate=False
    )
    filled = tmp_path / "filled.pdf"
    writer.write(filled)

    assert "季度销售目标分解会议" in text_of(filled)
    rect = terminal_fields(PdfReader(filled))["topic"]["/Rect"]
    assert ink_in(source, rect) == 0  # blank before
    assert ink_in(filled, rect) > 200  # the characters' strokes after


def test_a_reader_that_draws_the_field_itself_shows_chinese(built, tmp_path):
    """Only the value set, no appearance stream: the reader draws it (NeedAppearances)."""
    require_file(POPPLER_GB1_CMAP, POPPLER_DATA)  # to draw the field font, STSong-Light
    writer = PdfWriter(clone_from=PdfReader(built["meeting-minutes"]))
    for annot in writer.pages[0]["/Annots"]:
        widget = annot.get_object()
        row = widget.get("/Parent")
        if (
            widget.get("/T") == "content"
            and row["/T"] == "1"
            and row["/Parent"]["/T"] == "decisions"
        ):
            widget[NameObject("/V")] = TextStringObject("确定第三季度销售目标")
            rect = widget["/Rect"]
    filled = tmp_path / "value-only.pdf"
    writer.write(filled)
    assert "确定第三季度销售目标" in text_of(filled)
    assert ink_in(filled, rect) > 200


def test_a_character_the_field_font_lacks_stops_the_build(doc, tmp_path):
    form = form_of(doc, "training-evaluation")
    fields = tuple(
        dataclasses.replace(f, options=("线下", "온라인")) if f.id == "mode" else f
        for f in form.fields
    )
    with pytest.raises(BuildError) as error:
        render_form_pdf(doc, dataclasses.replace(form, fields=fields), tmp_path / "x.pdf")
    assert "“온”（U+C628）" in str(error.value) and "培训效果评估表" in str(error.value)
    assert not (tmp_path / "x.pdf").exists()


# ---- the file ------------------------------------------------------------------------------------


def test_every_form_is_at_most_150_kb(built):
    # A one-page form embeds only the glyphs it shows (builder/writers/pdf/fontpack.py); before
    # that, three CJK subsets made every form 410–520 KB.
    sizes = {form_id: path.stat().st_size for form_id, path in built.items()}
    assert max(sizes.values()) <= 150_000, sizes


def test_qpdf_check_is_clean(built):
    qpdf = require("qpdf", QPDF)
    for form_id, path in built.items():
        result = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and "No syntax or stream encoding errors" in result.stdout, (
            form_id
        )


def test_fields_use_the_reader_supplied_chinese_font(built):
    reader = PdfReader(built["doc-approval"])
    acroform = reader.trailer["/Root"]["/AcroForm"]
    fonts = acroform["/DR"]["/Font"]
    assert list(fonts) == ["/STSong"]
    font = fonts["/STSong"].get_object()
    assert font["/Encoding"] == "/UniGB-UCS2-H"
    descendant = font["/DescendantFonts"][0].get_object()
    assert descendant["/BaseFont"] == "/STSong-Light"
    assert descendant["/CIDSystemInfo"]["/Ordering"] == "GB1"
    assert not {"/FontFile", "/FontFile2", "/FontFile3"} & set(
        descendant["/FontDescriptor"]
    )  # not embedded
    for name, field in terminal_fields(reader).items():
        if field["/FT"] in ("/Tx", "/Ch"):
            assert field["/DA"].startswith("/STSong "), name


def test_printed_text_is_embedded_noto_cjk_sc_subsets(built):
    pdffonts = require("pdffonts", POPPLER)
    out = subprocess.run(
        [pdffonts, str(built["meeting-minutes"])], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5:-3] == ["yes", "yes"] for row in rows), out
    assert all("Noto" in row[0] and "CJK-SC" in row[0] for row in rows), out


def test_printed_chinese_is_extractable_and_names_the_branch(built, doc):
    text = text_of(built["meeting-notice"])
    for words in (
        "瀚川科技股份有限公司",
        "会议通知表",
        "成都办事处",
        "HC-YY-F01",
        "会议主题",
        "参会人员",
        "2027年1月1日",
    ):
        assert words in text
    assert doc.branch.name == "成都办事处"


def test_the_approval_block_is_the_branch_chain(built):
    text = re.sub(r"\s+", "", text_of(built["doc-approval"]))
    assert "审批（成都办事处审批链）" in text
    assert "办事处主任" in text and "西南区域总监" in text


def test_same_input_same_bytes(built, doc, tmp_path):
    again = tmp_path / "again.pdf"
    render_form_pdf(doc, form_of(doc, "doc-approval"), again)
    assert again.read_bytes() == built["doc-approval"].read_bytes()


def test_metadata(built):
    info = PdfReader(built["project-progress"]).metadata
    assert info.title == "项目进度跟踪表 · 成都办事处"
    assert info.author == "瀚川科技股份有限公司"
    assert "HC-YY-F03" in info.subject
    assert "版本 1.3" in info["/Keywords"] and "HC-YY-MAN-001" in info["/Keywords"]
    assert info["/CreationDate"] == info["/ModDate"] == "D:20270101000000Z"


def test_a4(built):
    box = PdfReader(built["meeting-notice"]).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
