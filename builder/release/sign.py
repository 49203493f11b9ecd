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
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
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


@dataclass(frozen=True)
class Key:
    signer: signers.SimpleSigner

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
    try:
        signer = signers.SimpleSigner.load_pkcs12(
            str(path), passphrase=password.encode() if password else None
        )
    except Exception:  # wrong password or not PKCS#12; the password itself is never echoed
        signer = None
    if signer is None:
        raise SignError(
            f"{path}：无法读取签名证书（不是 PKCS#12 文件，或 {PASSWORD_ENV} 密码不对）"
        )
    return Key(signer)


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
    signer.sign_pdf(writer, output=out)
    return out.getvalue()


def sign_bytes(data: bytes, key: Key, when: datetime) -> bytes:
    """A detached CMS (DER) signature of ``data``, e.g. manifest.json's."""
    return _sign_general(data, key, when).dump()


def _sign_general(data: bytes, key: Key, when: datetime) -> cms.ContentInfo:
    import asyncio

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    return asyncio.run(
        key.signer.async_sign_general_data(
            data,
            "sha256",
            detached=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=when),
        )
    )
