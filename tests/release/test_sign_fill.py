"""Issue 19: a signed form (certification signature, DocMDP P=2) filled in PDFium and saved
incrementally still validates as form filling only, with pyhanko's validator and with
`handbook verify`'s PDF check (builder.release.sign.verify_pdf); an update that changes anything
outside the fields is refused. The form is the fixture manual's 费用报销单 with a check-box field
and a drop-down column added, built and signed by `handbook build --sign`."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOTS, handbook_process
from tests.readers.fill import pdfium_fill
from tests.release.test_sign import make_keys
from tests.tools import POPPLER, require

# what a branch types, ticks and picks (field names as builder.document.fieldnames makes them)
TEXTS = {"applicant": "张三", "items.1.what": "出租车", "items.1.amount": "35.50"}
CLICKS = {"kind": 1, "attachments.2": 0}  # the radio group's 2nd option, the 2nd check box
PICKS = {"items.1.sort": 2}  # the drop-down's 3rd option


@pytest.fixture(scope="module")
def signed_form(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signed-form")
    keys = make_keys(folder / "keys", "示例科技电子签章")
    src = folder / "src"
    shutil.copytree(ROOTS / "minimal", src)
    path = src / "forms/expense.yaml"
    form = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = next(f for f in form["fields"] if f["id"] == "items")
    items["columns"].insert(
        1,
        {
            "id": "sort",
            "label": "类别",
            "type": "choice",
            "options": ["交通", "住宿", "办公用品", "其他"],
        },
    )
    form["fields"].append(
        {"id": "attachments", "label": "附件", "type": "multichoice", "options": ["发票", "行程单"]}
    )
    path.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plain = {  # text fields only: no radio group, no computed field
        **{k: form[k] for k in ("clause", "purpose")},
        "id": "plain",
        "code": "SL-YY-F09",
        "title": "费用说明单",
        "fields": [
            {"id": "applicant", "label": "报销人", "type": "person"},
            {"id": "note", "label": "说明", "type": "textarea"},
        ],
    }
    (src / "forms/plain.yaml").write_text(
        yaml.safe_dump(plain, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    out = folder / "out"
    done = handbook_process(
        *("build", "--src", str(src), "--out", str(out), "--branch", "hq", "--format", "pdf"),
        *("--form", "expense", "--form", "plain", "-q", "-j", "1"),
        *("--sign", str(keys / "KEY.p12")),
        cwd=folder,
        HANDBOOK_SOURCE_REVISION="test",
        HANDBOOK_SIGN_PASSWORD="pw",
    )
    assert done.returncode == 0, done.stderr
    return out / "hq/forms/expense.pdf", keys


@pytest.fixture(scope="module")
def filled(signed_form, tmp_path_factory):
    """The signed form as a branch saves it from a PDFium-based reader."""
    signed, keys = signed_form
    target = tmp_path_factory.mktemp("filled") / "expense.pdf"
    pdfium_fill(signed, target, TEXTS, CLICKS, picks=PICKS, incremental=True)
    return target, keys


def _trust(keys):
    from asn1crypto import pem, x509

    return x509.Certificate.load(pem.unarmor((keys / "ca.pem").read_bytes())[2])


def _status(data: bytes, keys, policy=None):
    """pyhanko's validation of the first signature (the form's certification signature)."""
    from concurrent.futures import ThreadPoolExecutor

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sig = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    context = ValidationContext(trust_roots=[_trust(keys)], allow_fetching=False)
    kwargs = {"diff_policy": policy} if policy is not None else {}
    with ThreadPoolExecutor(1) as pool:  # pyhanko's sync API runs asyncio.run()
        return pool.submit(validate_pdf_signature, sig, context, **kwargs).result()


def _values(data: bytes) -> dict[str, str]:
    from pypdf import PdfReader

    return {k: str(f.get("/V")) for k, f in PdfReader(io.BytesIO(data)).get_fields().items()}


def test_form_filled_in_pdfium_validates_as_form_filling_only(signed_form, filled):
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    from builder.release.sign import form_fill_policy, verify_pdf

    signed_bytes = signed_form[0].read_bytes()
    path, keys = filled
    data = path.read_bytes()
    assert data.startswith(signed_bytes) and len(data) > len(signed_bytes)  # incremental
    values = _values(data)
    assert values["applicant"] == "张三" and values["items.1.amount"] == "35.50"
    assert values["kind"] == "/1"  # the 2nd option's on state (its label in /Opt)
    assert values["attachments.2"] != "/Off" and values["attachments.1"] == "/Off"
    assert values["items.1.sort"] == "办公用品"

    status = _status(data, keys, form_fill_policy())
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level <= ModificationLevel.FORM_FILLING
    assert status.docmdp_ok
    signer = _status(signed_bytes, keys).signing_cert
    assert verify_pdf(data, signer) == ""
    assert verify_pdf(data, signer, _trust(keys)) == ""

    report = subprocess.run(
        [require("pdfsig", POPPLER), str(path)], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid." in report and "Not total document signed" in report, report


def test_text_typed_in_pdfium_passes_pyhanko_default_policy(signed_form, tmp_path):
    """On a form without radio groups or computed fields, pyhanko's own default policy accepts
    PDFium's update as form filling: every object PDFium writes back unchanged is identical to
    the signed one (acroform._pdfium_stable_numbers)."""
    from pyhanko.sign.diff_analysis import ModificationLevel

    signed, keys = signed_form
    plain = signed.with_name("plain.pdf")
    target = tmp_path / "typed.pdf"
    pdfium_fill(plain, target, {"applicant": "李四", "note": "差旅"}, {}, incremental=True)
    data = target.read_bytes()
    assert data.startswith(plain.read_bytes()) and _values(data)["note"] == "差旅"
    status = _status(data, keys)  # pyhanko's DEFAULT_DIFF_POLICY
    assert status.intact and status.valid and status.docmdp_ok
    assert status.modification_level == ModificationLevel.FORM_FILLING


def _page_text(page, writer):
    """Add a line of text to the page's content: what a forger adds to a signed form."""
    from pyhanko.pdf_utils import generic

    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )
    stream = generic.StreamObject(stream_data=b"BT /Forged 12 Tf 72 72 Td (APPROVED) Tj ET")
    contents = page["/Contents"]
    refs = (
        list(contents) if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]
    )
    page["/Contents"] = generic.ArrayObject([*refs, writer.add_object(stream)])
    resources = page["/Resources"]
    resources["/Font"]["/Forged"] = writer.add_object(font)
    writer.update_container(resources["/Font"])


def _widget(writer, name, nth=0):
    """The nth widget of the field `name` (dotted), from the page's annotations."""
    page = writer.root["/Pages"]["/Kids"][0]
    found = []
    for annot in page["/Annots"]:
        widget = annot.get_object()
        field, parts = widget, []
        while field is not None:
            if "/T" in field:
                parts.append(str(field["/T"]))
            field = field["/Parent"] if "/Parent" in field else None
        if ".".join(reversed(parts)) == name:
            found.append(annot)
    return found[nth]


def _edit_text(writer):
    page = writer.root["/Pages"]["/Kids"][0]
    _page_text(page, writer)
    writer.update_container(page)


def _move_radio(writer):
    from pyhanko.pdf_utils import generic

    ref = _widget(writer, "kind", 1)  # the option PDFium ticked, moved elsewhere
    widget = ref.get_object()
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    widget["/Rect"] = generic.ArrayObject(
        generic.FloatObject(v) for v in (x1 + 200, y1, x2 + 200, y2)
    )
    writer.mark_update(ref)


def _tick_radio_unknown_state(writer):
    from pyhanko.pdf_utils import generic

    ref = _widget(writer, "kind", 0)  # a state the widget has no signed appearance for
    ref.get_object()["/AS"] = generic.NameObject("/Forged")
    writer.mark_update(ref)


def _change_calculation(writer):
    from pyhanko.pdf_utils import generic

    ref = _widget(writer, "total")  # the computed field, listed in /CO
    total = ref.get_object()
    total["/AA"]["/C"]["/JS"] = generic.TextStringObject("event.value='9999';")
    writer.mark_update(ref)


@pytest.mark.parametrize(
    "edit", [_edit_text, _move_radio, _tick_radio_unknown_state, _change_calculation]
)
def test_update_beyond_form_filling_is_refused(edit, filled, signed_form):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.diff_analysis import ModificationLevel

    from builder.release.sign import form_fill_policy, verify_pdf

    path, keys = filled
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    status = _status(data, keys, form_fill_policy())
    assert status.intact and status.valid  # the signed bytes are untouched ...
    assert not status.docmdp_ok  # ... but the update is more than form filling
    assert status.modification_level > ModificationLevel.FORM_FILLING
    signer = _status(signed_form[0].read_bytes(), keys).signing_cert
    assert verify_pdf(data, signer) == "签名之后有不允许的修改"
