"""handbook build --sign and handbook verify: signed PDFs and manifest (checked by poppler's
pdfsig), reproducible bytes, and the three forgeries verify must refuse."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from tests.release.test_sign import make_keys
from tests.tools import require

BUILD = ("build", "--src", "{src}", "--out", "{out}", "--branch", "hq", "--format", "pdf", "-q")


def _build(run_process, src, out, p12):
    args = [a.format(src=src, out=out) for a in BUILD]
    return run_process(*args, "--sign", str(p12))


@pytest.fixture
def signed(run_process, root, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")
    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "pw")
    keys = make_keys(tmp_path / "keys", "示例科技电子签章")
    src = root()
    out = tmp_path / "out"
    done = _build(run_process, src, out, keys / "KEY.p12")
    assert done.returncode == 0, done.stderr
    return src, out, keys


def _pdfs(out):
    return sorted(out.rglob("*.pdf"))


def test_every_pdf_signed_valid_for_pdfsig_and_build_reproducible(signed, run_process, tmp_path):
    require("pdfsig", "poppler-utils")
    src, out, keys = signed
    pdfs = _pdfs(out)
    assert {p.relative_to(out).as_posix() for p in pdfs} == {
        "hq/handbook.pdf",
        "hq/forms/expense.pdf",
    }
    for pdf in pdfs:
        report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in report, (pdf, report)
        assert "CN=示例科技电子签章" in report
    assert (out / "manifest.json.p7s").is_file()
    again = tmp_path / "again"
    assert _build(run_process, src, again, keys / "KEY.p12").returncode == 0
    for name in ("hq/handbook.pdf", "hq/forms/expense.pdf", "manifest.json", "manifest.json.p7s"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    ok = run_process("verify", str(out), "--strict", "--trust", str(keys / "ca.pem"))
    assert ok.returncode == 0, ok.stderr
    assert "清单与 2 个 PDF 的签名有效（签名者：示例科技电子签章）" in ok.stdout


def test_pdf_rewritten_with_manifest_hash_updated_fails(signed, run_process):
    from pypdf import PdfReader, PdfWriter

    _, out, _ = signed
    target = out / "hq/handbook.pdf"
    writer = PdfWriter(clone_from=PdfReader(target))
    writer.add_metadata({"/Title": "伪造"})
    with open(target, "wb") as stream:
        writer.write(stream)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == "hq/handbook.pdf":
            entry["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
            entry["size"] = target.stat().st_size
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    # the forger can keep the manifest's signature file; verify still refuses both files
    done = run_process("verify", str(out))
    assert done.returncode == 1
    assert "不一致：manifest.json（manifest.json 在签名之后被修改过" in done.stderr
    assert "不一致：hq/handbook.pdf（签名：" in done.stderr


def test_manifest_edited_after_signing_fails(signed, run_process):
    _, out, _ = signed
    text = (out / "manifest.json").read_text(encoding="utf-8")
    (out / "manifest.json").write_text(text.replace('"version": "2.0"', '"version": "2.1"'))
    done = run_process("verify", str(out))
    assert done.returncode == 1
    assert "manifest.json 在签名之后被修改过（签名与内容不符）" in done.stderr


def test_output_signed_by_another_key_fails_with_trust(signed, run_process, tmp_path):
    src, out, keys = signed
    other_keys = make_keys(tmp_path / "other", "示例科技电子签章")  # same name, other CA
    other = tmp_path / "other-out"
    assert _build(run_process, src, other, other_keys / "KEY.p12").returncode == 0
    assert run_process("verify", str(other)).returncode == 0  # valid, but by whom?
    done = run_process("verify", str(other), "--trust", str(keys / "ca.pem"))
    assert done.returncode == 1
    assert "不是 --trust 指定的证书" in done.stderr
    # one PDF swapped in from the other output: its signer differs from the manifest's
    shutil.copy(other / "hq/handbook.pdf", out / "hq/handbook.pdf")
    done = run_process("verify", str(out))
    assert done.returncode == 1
    assert "hq/handbook.pdf" in done.stderr


def test_wrong_password_is_refused_before_building(signed, run_process, monkeypatch, tmp_path):
    src, _, keys = signed
    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "nicht")
    done = _build(run_process, src, tmp_path / "x", keys / "KEY.p12")
    assert done.returncode == 1
    assert "无法读取签名证书" in done.stderr and "nicht" not in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


def _fill_in_pdfium(path, text):
    """Type `text` into the form's first text field as a reader does (PDFium's form-fill API:
    click, type, leave the field) and save incrementally, as a branch's PDF reader does."""
    import ctypes
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as c

    pdf = pdfium.PdfDocument(path.read_bytes())
    pdf.init_forms()
    page = pdf[0]
    form = pdf.formenv.raw
    for i in range(c.FPDFPage_GetAnnotCount(page.raw)):
        annot = c.FPDFPage_GetAnnot(page.raw, i)
        if c.FPDFAnnot_GetFormFieldType(form, annot) == c.FPDF_FORMFIELD_TEXTFIELD:
            rect = c.FS_RECTF()
            c.FPDFAnnot_GetRect(annot, rect)
            x, y = (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2
            break
    else:
        raise AssertionError("no text field")
    c.FORM_OnLButtonDown(form, page.raw, 0, x, y)
    c.FORM_OnLButtonUp(form, page.raw, 0, x, y)
    typed = ctypes.c_char_p((text + "\0").encode("utf-16-le"))
    c.FORM_ReplaceSelection(form, page.raw, ctypes.cast(typed, c.FPDF_WIDESTRING))
    c.FORM_ForceToKillFocus(form)
    out = io.BytesIO()
    pdf.save(out, flags=c.FPDF_INCREMENTAL)
    path.write_bytes(out.getvalue())


def test_form_filled_in_pdfium_keeps_its_signed_revision(signed):
    """A form filled and saved incrementally in PDFium: poppler still finds the certification
    signature valid for the signed revision, and verify_pdf accepts the update as form filling
    (tests/release/test_sign_fill.py checks pyhanko's verdict in detail). A change beyond form
    filling is refused by verify_pdf."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pypdf import PdfReader

    from builder.release.sign import signature_cert, verify_pdf

    require("pdfsig", "poppler-utils")
    _, out, _ = signed
    form = out / "hq/forms/expense.pdf"
    signed_bytes = form.read_bytes()
    _fill_in_pdfium(form, "张三")
    filled = form.read_bytes()
    assert filled.startswith(signed_bytes) and len(filled) > len(signed_bytes)
    assert "张三" in {str(f.get("/V")) for f in PdfReader(form).get_fields().values()}
    report = subprocess.run(["pdfsig", str(form)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Not total document signed" in report, report

    signer = signature_cert((out / "manifest.json.p7s").read_bytes())
    assert verify_pdf(signed_bytes, signer) == ""
    assert verify_pdf(filled, signer) == ""
    writer = IncrementalPdfFileWriter(io_bytes(signed_bytes))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    edited = io_bytes(b"")
    writer.write(edited)
    assert verify_pdf(edited.getvalue(), signer) == "签名之后有不允许的修改"


def io_bytes(data):
    import io

    return io.BytesIO(data)


def test_turning_sign_off_and_on_rewrites_the_pdfs(signed, run_process):
    require("pdfsig", "poppler-utils")
    src, out, keys = signed
    args = [a.format(src=src, out=out) for a in BUILD]
    assert run_process(*args).returncode == 0  # unsigned now
    report = subprocess.run(
        ["pdfsig", str(out / "hq/handbook.pdf")], capture_output=True, text=True
    )
    assert "does not contain any signatures" in report.stdout + report.stderr
    assert not (out / "manifest.json.p7s").exists()
    page = (out / "hq/index.html").read_text(encoding="utf-8")
    assert "已签名" not in page and "电子签章" not in page  # the portal no longer claims it
    assert _build(run_process, src, out, keys / "KEY.p12").returncode == 0  # signed again
    report = subprocess.run(
        ["pdfsig", str(out / "hq/handbook.pdf")], capture_output=True, text=True
    )
    assert "Signature is Valid." in report.stdout
    assert run_process("verify", str(out), "--strict").returncode == 0


def test_portal_marks_each_signed_pdf_and_says_how_to_check(signed):
    from lxml import html

    _, out, _ = signed
    page = html.fromstring((out / "hq/index.html").read_text(encoding="utf-8"))
    marks = page.xpath('//span[@class="signed"]')
    # one mark per signed PDF (the handbook and the form), beside its link, naming the signer
    links = sorted(m.getprevious().get("href") for m in marks)
    assert links == ["forms/expense.pdf", "handbook.pdf"]
    assert {m.text for m in marks} == {"已签名"}
    assert {m.get("title") for m in marks} == {"电子签章：示例科技电子签章"}
    card = page.xpath('//div[@id="signature"]')[0].text_content()
    assert "示例科技电子签章" in card and "签名有效" in card
    assert "handbook verify" in card and "--trust" in card


def test_comparison_table_is_signed_too(signed, run_process):
    require("pdfsig", "poppler-utils")
    src, out, keys = signed
    args = [a.format(src=src, out=out) for a in BUILD]
    done = run_process(*args, "--compare", str(src), "--sign", str(keys / "KEY.p12"))
    assert done.returncode == 0, done.stderr
    report = subprocess.run(
        ["pdfsig", str(out / "hq/comparison.pdf")], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid." in report and "CN=示例科技电子签章" in report
    ok = run_process("verify", str(out), "--strict", "--trust", str(keys / "ca.pem"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
