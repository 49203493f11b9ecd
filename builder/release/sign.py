"""PAdES signatures for the PDFs a release writes, and a detached CMS signature of manifest.json.

The key is a PKCS#12 file (``--sign KEY.p12`` or ``HANDBOOK_SIGN_P12``) with its password in
``HANDBOOK_SIGN_PASSWORD``. Signing is a step after a PDF is written, so no cache key, output
file or log line ever holds the key or its password.

Deterministic: the signing time is the manual's effective date (a fixed instant, passed in by the
caller), the trailer's second /ID is derived from the unsigned file's bytes instead of
``os.urandom``, and the document's modification date is left as WeasyPrint wrote it. RSA
PKCS#1 v1.5 signatures are deterministic, so two signings of the same bytes with the same key give
byte-identical files (tests/release/test_sign.py checks it).

Three kinds (``kind``):
- ``handbook``: an approval signature (not yet visible: pyhanko's stamp fonts need a single
  OTF/TTF, and the installed Noto CJK faces are collections),
- ``form``: a certification signature allowing form filling only (DocMDP P=2),
- anything else (comparison tables): an invisible approval signature.

Filled forms (issue 19): a branch fills a signed form in its PDF reader and saves incrementally;
`verify_pdf` accepts the update when pyhanko's difference analysis, under `form_fill_policy()`,
rates it as form filling only. What PDFium's incremental save holds and why pyhanko's default
policy refused it: (1) re-serialised copies of every object PDFium loaded, with its own float
formatting, so they were not identical to the signed ones: fixed where the form is written
(builder.writers.pdf.acroform, `_pdfium_stable_numbers`); (2) /AS of the ticked radio widget
(a kid without /T, which pyhanko's form rule never looks at); (3) a new appearance of each
computed field, which is also reachable through the AcroForm's /CO, a path pyhanko does not
clear; (4) /I of a combo box whose option was picked, not among pyhanko's value keys. (2)-(4) are
ISO 32000 form filling; `form_fill_policy` allows exactly those, see its rules below.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import RawPdfPath
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FieldComparisonSpec,
    FieldMDPRule,
    FormUpdate,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.constants import VALUE_UPDATE_KEYS
from pyhanko.sign.diff_analysis.rules_api import Context
from pyhanko.sign.signers.pdf_signer import PdfSigner

from builder.errors import HandbookError

P12_ENV = "HANDBOOK_SIGN_P12"
PASSWORD_ENV = "HANDBOOK_SIGN_PASSWORD"
FIELD = "受控文件签章"


class SignError(HandbookError):
    """The signing key cannot be used (missing file, wrong password, not a PKCS#12)."""


class _Writer(IncrementalPdfFileWriter):
    """pyhanko's incremental writer without its two sources of randomness and clock time."""

    def __init__(self, data: bytes):
        self._seed = hashlib.sha256(data).digest()[:16]
        super().__init__(io.BytesIO(data), strict=False)
        self._set_second_id()

    def _set_second_id(self) -> None:
        try:  # the original's first /ID is kept, as ISO 32000 asks
            first = self.prev.trailer["/ID"][0]
        except KeyError:
            first = generic.ByteStringObject(self._seed)
        self._document_id = generic.ArrayObject([first, generic.ByteStringObject(self._seed)])

    def _update_meta(self) -> None:  # keep /ModDate and the XMP as written (no "now")
        return None


class _Signer(PdfSigner):
    """A PdfSigner whose session uses a fixed system time (the manual's effective date)."""

    def __init__(self, *args, when: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._when = when

    def init_signing_session(self, *args, **kwargs):
        session = super().init_signing_session(*args, **kwargs)
        session.system_time = self._when
        return session


def signing_time(meta) -> datetime:
    """The signing time written into every signature: the manual's effective date, 00:00
    China Standard Time, so two builds of the same sources sign identically."""
    from datetime import timedelta, timezone

    day = meta.effective_date
    return datetime(day.year, day.month, day.day, tzinfo=timezone(timedelta(hours=8)))


@dataclass(frozen=True)
class Key:
    signer: signers.SimpleSigner

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (public): what the cache keys hold when signing."""
        return self.signer.signing_cert.sha256.hex()

    @property
    def subject(self) -> str:
        """The signer's common name (or the whole subject), as shown on the portal."""
        name = self.signer.signing_cert.subject.native
        return name.get("common_name") or self.signer.signing_cert.subject.human_friendly


def load_key(path: Path | str | None = None) -> Key:
    """The PKCS#12 key from ``path`` or ``HANDBOOK_SIGN_P12``; password from the environment."""
    path = path or os.environ.get(P12_ENV)
    if not path:
        raise SignError(f"未指定签名证书：请使用 --sign KEY.p12 或设置环境变量 {P12_ENV}")
    path = Path(path)
    if not path.is_file():
        raise SignError(f"{path}：签名证书文件不存在")
    password = os.environ.get(PASSWORD_ENV, "")
    quiet = logging.getLogger("pyhanko.sign.signers.pdf_cms")  # logs a wrong password's traceback
    level, quiet.disabled = quiet.disabled, True
    try:
        signer = signers.SimpleSigner.load_pkcs12(
            str(path), passphrase=password.encode() if password else None
        )
    except Exception:  # wrong password or not PKCS#12; the password itself is never echoed
        signer = None
    finally:
        quiet.disabled = level
    if signer is None:
        raise SignError(
            f"{path}：无法读取签名证书（不是 PKCS#12 文件，或 {PASSWORD_ENV} 密码不对）"
        )
    return Key(signer)


def _off_loop(function, *args, **kwargs):
    """Call one of pyhanko's synchronous functions, which run their coroutines with
    asyncio.run(). That refuses to start inside a running event loop (a caller that has one in
    this thread, e.g. Playwright's synchronous API): then the call gets a thread of its own."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(
    data: bytes,
    key: Key,
    *,
    kind: str,
    when: datetime,
) -> bytes:
    """``data`` signed; ``when`` (timezone-aware) is the signing time written into it."""
    writer = _Writer(data)
    meta_args = dict(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason="受控文件")
    new_field = None
    if kind == "form":
        meta_args.update(
            certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS, reason="受控表单"
        )
    else:
        new_field = fields.SigFieldSpec(FIELD)
    if new_field is not None:
        fields.append_signature_field(writer, new_field)
    signer = _Signer(signers.PdfSignatureMetadata(**meta_args), signer=key.signer, when=when)
    out = io.BytesIO()
    _off_loop(signer.sign_pdf, writer, output=out)
    return out.getvalue()


def sign_bytes(data: bytes, key: Key, when: datetime) -> bytes:
    """A detached CMS (DER) signature of ``data``, e.g. manifest.json's."""
    return _sign_general(data, key, when).dump()


def _sign_general(data: bytes, key: Key, when: datetime) -> cms.ContentInfo:
    import asyncio

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    return _off_loop(
        asyncio.run,
        key.signer.async_sign_general_data(
            data,
            "sha256",
            detached=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=when),
        ),
    )


def _context(anchor):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[anchor], allow_fetching=False)


def load_trust(path: Path) -> object:
    """The certificate of --trust CERT.pem (PEM or DER), as asn1crypto wants it."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    try:
        data = Path(path).read_bytes()
        if pem.detect(data):
            data = pem.unarmor(data)[2]
        cert = asn1_x509.Certificate.load(data)
        _ = cert.subject.native  # parse now: a broken file fails here, not later
        return cert
    except (OSError, ValueError, TypeError) as exc:
        raise SignError(f"{path}：无法读取证书（应为 PEM 或 DER 格式）") from exc


def signature_cert(signature: bytes):
    """The signer's certificate in a detached signature (SignError when it is unreadable)."""
    try:
        return _signer_cert(cms.ContentInfo.load(signature)["content"])
    except Exception as exc:
        raise SignError("manifest.json 的签名文件已损坏") from exc


def verify_manifest(data: bytes, signature: bytes, trust=None):
    """The manifest signature's certificate when `signature` is a valid detached signature of
    `data` (by a certificate that chains to `trust` when given); SignError otherwise."""
    import asyncio

    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    cert = signature_cert(signature)
    signed = cms.ContentInfo.load(signature)["content"]
    context = _context(trust or cert)
    status = _off_loop(
        asyncio.run, async_validate_detached_cms(data, signed, signer_validation_context=context)
    )
    if not (status.intact and status.valid):
        raise SignError("manifest.json 在签名之后被修改过（签名与内容不符）")
    if not status.trusted:
        raise SignError(f"manifest.json 的签名者“{_name(cert)}”不是 --trust 指定的证书")
    return cert


def verify_pdf(data: bytes, signer, trust=None) -> str:
    """'' when the PDF carries a valid signature by `signer` (the manifest's certificate) that
    covers the whole file, or whose later changes are form filling only; else what is wrong."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:
        return "无法读取 PDF"
    if not signatures:
        return "没有签名"
    sig = signatures[0]
    if sig.signer_cert.sha256 != signer.sha256:
        return f"签名者“{_name(sig.signer_cert)}”与清单的签名者“{_name(signer)}”不同"
    status = _off_loop(
        validate_pdf_signature, sig, _context(trust or signer), diff_policy=form_fill_policy()
    )
    if not (status.intact and status.valid):
        return "签名无效（签名之后内容被修改）"
    if not status.trusted:
        return "签名者不是 --trust 指定的证书"
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return ""
    level = status.modification_level
    if (
        status.docmdp_ok
        and level is not None
        and level <= ModificationLevel.FORM_FILLING
        and len(signatures) == 1
    ):
        return ""
    return "签名之后有不允许的修改"


class RadioWidgetStateRule(FieldMDPRule):
    """Filling a radio group: its widgets (its /Kids without a /T of their own) change /AS.

    ISO 32000-1 12.7.4.2.4: a radio button field's value /V names the on state of one of its
    widgets, and each widget's /AS selects which of its own appearances it shows. PDFium (and any
    reader) writes both when a branch ticks an option. pyhanko 0.38's form rule lists fields by
    their /T and never looks at kid widgets, so such an update stays "unexplained" and the whole
    revision is rated as other modifications.

    Approved here, at form filling, only this: a widget of a button field, listed at the same
    place in the field's /Kids in both revisions, whose dictionary is unchanged but for /AS, and
    whose new /AS is /Off or the field's new value, an appearance state the signed revision
    already defines in the widget's own /AP /N. Its rectangle, flags and appearances are signed, so
    the widget can only show one of the appearances it was signed with, inside its own rectangle.
    The field's own change (/V) is still vetted by pyhanko's GenericFieldModificationRule."""

    def apply(self, context):
        for fq_name, spec in context.field_specs.items():
            if spec.field_type != "/Btn" or not (spec.old_field_ref and spec.new_field_ref):
                continue
            old_kids = spec.old_field.get("/Kids")
            new_kids = spec.new_field.get("/Kids")
            if not old_kids or not new_kids:
                continue
            refs = [kid.reference for kid in old_kids]
            if refs != [kid.reference for kid in new_kids] or spec.old_canonical_path is None:
                continue
            value = spec.new_field.get("/V")
            for ix, ref in enumerate(refs):
                old_widget, new_widget = context.old(ref), context.new(ref)
                if not self._only_state_changed(old_widget, new_widget, value):
                    continue
                widget = FieldComparisonSpec(
                    field_type=spec.field_type,
                    old_field_ref=ref,
                    new_field_ref=ref,
                    old_canonical_path=spec.old_canonical_path + "/Kids" + ix,
                )
                for expected in widget.expected_contexts():
                    yield (
                        ModificationLevel.FORM_FILLING,
                        FormUpdate(updated_ref=ref, field_name=fq_name, context_checked=expected),
                    )

    @staticmethod
    def _only_state_changed(old_widget, new_widget, value) -> bool:
        if not all(isinstance(w, generic.DictionaryObject) for w in (old_widget, new_widget)):
            return False
        if "/T" in old_widget or "/T" in new_widget:  # a field, vetted by pyhanko's own rules
            return False
        if not compare_dicts(old_widget, new_widget, frozenset({"/AS"}), raise_exc=False):
            return False
        state = new_widget.get("/AS")
        if state == old_widget.get("/AS"):
            return True
        try:
            states = old_widget["/AP"]["/N"]
        except (KeyError, TypeError):
            return False
        return state == "/Off" or (state == value and state in states)


class CalculationOrderRule(FieldMDPRule):
    """A filled field that is also listed in the AcroForm's calculation order (/CO).

    pyhanko clears an overwritten object only when every path to it in the signed revision is
    explained; for a field those are its place in /Fields and its page's /Annots, but a computed
    field (合计, 天数, 大写金额) is also referenced from /CO (ISO 32000-1 12.7.2, the order in
    which calculate scripts run), which pyhanko does not know, so filling it, or a reader running
    its script, is rated as other modifications.

    Approved here: that one extra path, /Root/AcroForm/CO[i], when /CO lists the same fields in
    the same order in both revisions (pyhanko already refuses any other change to the AcroForm
    dictionary). Nothing else: the field's own change must still pass pyhanko's
    GenericFieldModificationRule (value and appearance only), or it stays unexplained."""

    def apply(self, context):
        try:
            old_order = context.old.root["/AcroForm"]["/CO"]
            new_order = context.new.root["/AcroForm"]["/CO"]
        except KeyError:
            return
        refs = [field.reference for field in old_order]
        if refs != [field.reference for field in new_order]:
            return
        for fq_name, spec in context.field_specs.items():
            ref = spec.old_field_ref
            if ref is None or ref != spec.new_field_ref or ref not in refs:
                continue
            path = RawPdfPath("/Root", "/AcroForm", "/CO", refs.index(ref))
            # valid_when_locked: this clears a path only; the change itself is the field rule's
            yield (
                ModificationLevel.FORM_FILLING,
                FormUpdate(
                    updated_ref=ref,
                    field_name=fq_name,
                    valid_when_locked=True,
                    context_checked=Context.from_absolute(context.old, path),
                ),
            )


def form_fill_policy() -> StandardDiffPolicy:
    """pyhanko's default difference policy (its global rules, and its form rule's three field
    rules) with three additions for form filling as PDFium does it:

    - a choice field's /I (the selected option's index, ISO 32000-1 12.7.4.4, table 231; PDFium
      writes it when an option is picked in a combo box) counts as part of the field's value, as
      /V, /AS and /AP already do: it selects an option of the field and shows nowhere else;
    - RadioWidgetStateRule and CalculationOrderRule, above.
    """
    return StandardDiffPolicy(
        global_rules=DEFAULT_DIFF_POLICY.global_rules,
        form_rule=FormUpdatingRule(
            field_rules=[
                SigFieldCreationRule(),
                SigFieldModificationRule(),
                GenericFieldModificationRule(value_update_keys=VALUE_UPDATE_KEYS | {"/I"}),
                RadioWidgetStateRule(),
                CalculationOrderRule(),
            ]
        ),
    )


def _signer_cert(signed):
    sid = signed["signer_infos"][0]["sid"]
    for choice in signed["certificates"]:
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    raise ValueError("no signer certificate")


def _name(cert) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly
