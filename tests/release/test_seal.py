"""The visible signature (电子签章) on a signed handbook's cover, checked with poppler and qpdf:
the signature is valid, its widget sits on page 1 in free space, the seal is drawn (pixels that
were white), and its text is the signer, version and effective date, in the branch's script."""

from __future__ import annotations

import io
import subprocess

import pytest
import yaml

from tests.release.test_sign import make_keys
from tests.tools import POPPLER, QPDF, require

SIGNER = "示例科技电子签章"
BUILD = ("build", "--branch", "hq", "--branch", "xian", "--format", "pdf", "-q", "-j", "1")


@pytest.fixture
def built(run_process, root, tmp_path, monkeypatch):
    """(source folder, unsigned output, signed output): hq (Simplified) and xian, made a
    Traditional (Hong Kong) branch here, built once without and once with --sign."""
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")
    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "pw")
    src = root()
    branches = src / "branches.yaml"
    data = yaml.safe_load(branches.read_text(encoding="utf-8"))
    for branch in data["branches"]:
        if branch["id"] == "xian":
            branch["script"] = "zh-Hant-HK"
    branches.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    keys = make_keys(tmp_path / "keys", SIGNER)
    plain, signed = tmp_path / "plain", tmp_path / "signed"
    for out, extra in ((plain, ()), (signed, ("--sign", str(keys / "KEY.p12")))):
        done = run_process(*BUILD, "--src", str(src), "--out", str(out), *extra)
        assert done.returncode == 0, done.stderr
    return src, plain, signed


def _widget(pdf):
    """(rect, page height, appearance stream) of the signature widget on page 1."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0]
    widgets = [
        a.get_object()
        for a in page.get("/Annots") or []
        if a.get_object().get("/FT") == "/Sig"
        or a.get_object().get("/Parent", {}).get("/FT") == "/Sig"
    ]
    assert len(widgets) == 1, widgets
    widget = widgets[0]
    rect = [float(v) for v in widget["/Rect"]]
    appearance = widget["/AP"]["/N"].get_object()
    return rect, [float(v) for v in page.mediabox], appearance


def _words(pdf):
    """(x1, y1, x2, y2) of each word on page 1, in PDF user space (origin at the bottom)."""
    from lxml import html

    require("pdftotext", POPPLER)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        check=True,
    ).stdout
    doc = html.fromstring(out)
    height = float(doc.xpath("//page")[0].get("height"))
    return [
        (
            float(w.get("xmin")),
            height - float(w.get("ymax")),
            float(w.get("xmax")),
            height - float(w.get("ymin")),
        )
        for w in doc.xpath("//word")
    ]


def _render(pdf, folder):
    from PIL import Image

    require("pdftoppm", POPPLER)
    folder.mkdir(exist_ok=True)
    stem = folder / pdf.parent.name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(pdf), stem],
        check=True,
    )
    return Image.open(f"{stem}.png").convert("RGB")


def _seal_text(pdf, tmp_path):
    """Page 1's text with the annotations' appearances flattened into the page by qpdf, as
    pdftotext reads it (through the seal font's ToUnicode map)."""
    require("qpdf", QPDF)
    flat = tmp_path / f"flat-{pdf.parent.name}.pdf"
    subprocess.run(["qpdf", "--flatten-annotations=all", str(pdf), str(flat)], check=True)
    return subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(flat), "-"], capture_output=True, text=True
    ).stdout


@pytest.mark.slow
def test_signed_handbook_shows_the_seal_on_its_cover(built, tmp_path):
    require("pdfsig", POPPLER)
    src, plain, signed = built
    meta = yaml.safe_load((src / "manual.yaml").read_text(encoding="utf-8"))
    day = meta["effective_date"]
    date_text = f"生效日期：{day.year}年{day.month}月{day.day}日"
    labels = {"hq": ("受控文件签章", "签章人"), "xian": ("受控文件簽章", "簽章人")}
    for branch, (heading, who) in labels.items():
        pdf = signed / branch / "handbook.pdf"
        report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in report, report
        assert f"CN={SIGNER}" in report

        (x1, y1, x2, y2), (mx1, my1, mx2, my2), appearance = _widget(pdf)
        assert mx1 <= x1 < x2 <= mx2 and my1 <= y1 < y2 <= my2, (x1, y1, x2, y2)
        assert x2 - x1 > 100 and y2 - y1 > 40  # room for four lines of text
        assert appearance.get_data(), "the widget has an empty appearance"

        # free space: no word of the cover (unsigned, same layout) touches the seal
        for wx1, wy1, wx2, wy2 in _words(plain / branch / "handbook.pdf"):
            assert wx2 <= x1 or wx1 >= x2 or wy2 <= y1 or wy1 >= y2, (wx1, wy1, wx2, wy2)

        # poppler draws the appearance: red pixels inside the rectangle, white before signing
        before = _render(plain / branch / "handbook.pdf", tmp_path / "before")
        after = _render(pdf, tmp_path / "after")
        box = (round(x1), round(my2 - y2), round(x2), round(my2 - y1))  # pixels at 72 dpi
        assert set(before.crop(box).tobytes()) == {255}
        rgb = after.crop(box).tobytes()
        pixels = (rgb[i : i + 3] for i in range(0, len(rgb), 3))
        red = [p for p in pixels if p[0] > 120 and p[1] < 90 and p[2] < 90]
        assert len(red) > 500, len(red)
        outside = (0, 0, after.width, round(my2 - y2) - 2)  # the cover above it is unchanged
        assert before.crop(outside).tobytes() == after.crop(outside).tobytes()

        text = _seal_text(pdf, tmp_path)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        seal = lines[lines.index(heading) :]
        assert seal[:4] == [heading, f"{who}：{SIGNER}", f"版本：{meta['version']}", date_text]


@pytest.fixture(scope="module")
def small_pdf():
    import weasyprint

    return weasyprint.HTML(string="<html lang=zh-CN><p>运营管理手册</p></html>").write_pdf()


def test_seal_is_deterministic_and_embeds_only_a_subset(small_pdf, monkeypatch, tmp_path):
    """Two signings are byte-identical (no clock time, no random subset prefix), and the seal
    adds kilobytes, not the megabytes of a whole Noto CJK face."""
    import datetime as dt

    from builder.release.sign import Seal, load_key, sign_pdf

    keys = make_keys(tmp_path / "keys", SIGNER)
    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "pw")
    key = load_key(keys / "KEY.p12")
    unsigned = small_pdf
    when = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    seal = Seal("2.0", dt.date(2026, 1, 15))
    sealed = sign_pdf(unsigned, key, kind="handbook", when=when, seal=seal)
    assert sealed == sign_pdf(unsigned, key, kind="handbook", when=when, seal=seal)
    invisible = sign_pdf(unsigned, key, kind="handbook", when=when)
    assert 0 < len(sealed) - len(invisible) < 20_000, len(sealed) - len(invisible)


def test_missing_font_is_a_chinese_message(small_pdf, monkeypatch, tmp_path):
    import datetime as dt

    from builder.errors import HandbookError
    from builder.release import sign

    keys = make_keys(tmp_path / "keys", SIGNER)
    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "pw")
    key = sign.load_key(keys / "KEY.p12")
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-match
    caches = (sign._face, sign._face_metrics, sign._subset)  # a worker reads the face once
    for cached in caches:
        cached.cache_clear()
    try:
        with pytest.raises(HandbookError, match="找不到签章所需的字体“Noto Sans CJK SC”"):
            sign.sign_pdf(
                small_pdf,
                key,
                kind="handbook",
                when=dt.datetime(2026, 1, 15, tzinfo=dt.UTC),
                seal=sign.Seal("2.0", dt.date(2026, 1, 15)),
            )
    finally:
        for cached in caches:
            cached.cache_clear()
