"""builder/release/sign.py: PAdES signatures checked by poppler's pdfsig (an independent reader),
form-fill permissions (DocMDP P=2), determinism, and the detached manifest signature."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.tools import require

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, public, private, *, ca):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1))
        .not_valid_after(dt.datetime(2040, 1, 1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    return builder.sign(private, hashes.SHA256())


def make_keys(folder, name="某某公司电子签章"):
    """A throwaway CA (folder/ca.pem) and a signer under it (folder/KEY.p12, password 'pw')."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("测试根证书", "测试根证书", ca_key.public_key(), ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert(name, "测试根证书", key.public_key(), ca_key, ca=False)
    data = pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca], serialization.BestAvailableEncryption(b"pw")
    )
    (folder / "KEY.p12").write_bytes(data)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture(scope="module")
def p12(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def unsigned_pdf(tmp_path_factory):
    import weasyprint

    return weasyprint.HTML(string="<html lang=zh-CN><p>运营管理手册</p></html>").write_pdf()


def _key(p12, monkeypatch):
    from builder.release.sign import load_key

    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "pw")
    return load_key(p12 / "KEY.p12")


def _pdfsig(path):
    require("pdfsig", "poppler-utils")
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.mark.parametrize("kind", ["handbook", "form", "comparison"])
def test_signed_pdf_is_valid_for_pdfsig_and_deterministic(
    kind, p12, unsigned_pdf, monkeypatch, tmp_path
):
    from builder.release.sign import sign_pdf

    key = _key(p12, monkeypatch)
    signed = sign_pdf(unsigned_pdf, key, kind=kind, when=WHEN)
    assert signed == sign_pdf(unsigned_pdf, key, kind=kind, when=WHEN)
    assert signed.startswith(unsigned_pdf)  # an incremental update of WeasyPrint's file
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    report = _pdfsig(path)
    assert "Signature is Valid." in report, report
    assert "某某公司电子签章" in report
    assert "Total document signed" in report
    # a changed byte inside the signed range breaks it
    tampered = bytearray(signed)
    tampered[200] ^= 1
    path.write_bytes(bytes(tampered))
    assert "Signature is Valid." not in _pdfsig(path)


def test_form_is_certified_for_form_filling(p12, unsigned_pdf, monkeypatch):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from builder.release.sign import sign_pdf

    key = _key(p12, monkeypatch)
    signed = sign_pdf(unsigned_pdf, key, kind="form", when=WHEN)
    reader = PdfFileReader(io.BytesIO(signed))
    sig = reader.embedded_signatures[0]
    assert sig.docmdp_level == MDPPerm.FILL_FORMS
    ca = x509.load_pem_x509_certificate((p12 / "ca.pem").read_bytes())
    from asn1crypto import x509 as a509

    context = ValidationContext(
        trust_roots=[a509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))]
    )
    # in a thread of its own: pyhanko's synchronous validator calls asyncio.run(), which a
    # running event loop in this thread (Playwright's, from the browser tests) would refuse
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        status = pool.submit(validate_pdf_signature, sig, context).result()
    assert status.intact and status.valid and status.trusted
    assert status.signer_reported_dt == WHEN


def test_signing_and_verifying_work_inside_a_running_event_loop(p12, unsigned_pdf, monkeypatch):
    # A caller with an event loop of its own in this thread (the browser tests' Playwright
    # keeps one running for the rest of a test session) must still be able to sign and verify.
    import asyncio

    from builder.release.sign import sign_bytes, sign_pdf, verify_manifest, verify_pdf

    key = _key(p12, monkeypatch)

    async def inside():
        signed = sign_pdf(unsigned_pdf, key, kind="handbook", when=WHEN)
        signature = sign_bytes(b"{}", key, WHEN)
        cert = verify_manifest(b"{}", signature)
        return signed, verify_pdf(signed, cert)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # a thread without a loop, whatever this one runs
        signed, problem = pool.submit(asyncio.run, inside()).result()
    assert signed == sign_pdf(unsigned_pdf, key, kind="handbook", when=WHEN)
    assert problem == ""


def test_manifest_signature_is_detached_cms_over_the_bytes(p12, monkeypatch, tmp_path):
    from builder.release.sign import sign_bytes

    require("openssl", "openssl")
    key = _key(p12, monkeypatch)
    data = '{"files": {"总部/handbook.pdf": "abc"}}'.encode()
    sig = sign_bytes(data, key, WHEN)
    assert sig == sign_bytes(data, key, WHEN)
    (tmp_path / "manifest.json").write_bytes(data)
    (tmp_path / "manifest.json.p7s").write_bytes(sig)

    def verify():
        return subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(tmp_path / "manifest.json.p7s"),
                "-content",
                str(tmp_path / "manifest.json"),
                "-CAfile",
                str(p12 / "ca.pem"),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            capture_output=True,
            text=True,
        ).returncode

    assert verify() == 0
    (tmp_path / "manifest.json").write_bytes(data.replace(b"abc", b"abd"))
    assert verify() != 0


def test_wrong_password_is_a_chinese_message(p12, monkeypatch):
    from builder.release.sign import SignError, load_key

    monkeypatch.setenv("HANDBOOK_SIGN_PASSWORD", "wrong")
    with pytest.raises(SignError) as info:
        load_key(p12 / "KEY.p12")
    assert "无法读取签名证书" in str(info.value)
    assert "wrong" not in str(info.value)
    monkeypatch.delenv("HANDBOOK_SIGN_P12", raising=False)
    with pytest.raises(SignError, match="未指定签名证书"):
        load_key(None)


def test_the_room_for_the_signature_is_tight_and_the_same_whichever_file_comes_first(
    p12, unsigned_pdf, monkeypatch
):
    import re

    import weasyprint

    from builder.release import sign

    key = _key(p12, monkeypatch)
    other = weasyprint.HTML(string="<html lang=zh-CN><h1>表单</h1><p>借阅登记</p></html>")
    other = other.write_pdf()
    monkeypatch.setattr(sign, "_RESERVED", {})
    sign.sign_pdf(unsigned_pdf, key, kind="form", when=WHEN)
    second = sign.sign_pdf(other, key, kind="form", when=WHEN)
    monkeypatch.setattr(sign, "_RESERVED", {})
    first = sign.sign_pdf(other, key, kind="form", when=WHEN)
    assert first == second  # reproducible whatever a worker signed before
    contents = re.findall(rb"/Contents <([0-9a-fA-F]+)>", first)[-1]
    padding = len(contents) - len(contents.rstrip(b"0"))
    assert padding <= 2 * 64, padding  # pyhanko's own estimate leaves 1 KB and more unused


def test_the_largest_bundled_forms_stay_within_150_kb_signed(manual, p12, monkeypatch, tmp_path):
    # Issue 20's size goal holds for the forms a signed build publishes: 香港's 借阅登记表 and
    # 修订记录表 (120 fields, every tooltip in Traditional script) are the largest.
    from builder.document.resolve import resolve
    from builder.release.sign import sign_file
    from builder.writers.pdf.forms import render_form_pdf

    key = _key(p12, monkeypatch)
    doc = resolve(manual, "hongkong")
    for form in doc.forms:
        if form.id not in ("manual-borrow-log", "manual-update-log"):
            continue
        path = tmp_path / f"{form.id}.pdf"
        render_form_pdf(doc, form, path)
        sign_file(path, key, "form", doc)
        assert path.stat().st_size <= 150 * 1024, (form.id, path.stat().st_size)
        assert "Signature is Valid." in _pdfsig(path)
