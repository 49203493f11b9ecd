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
- ``handbook``: an approval signature, visible on the cover when the caller passes a ``Seal``:
  a seal-red bordered box in the empty lower part of page 1 (``seal_box``: from the MediaBox)
  showing 受控文件签章, the signer (the certificate's common name), the manual's version and its
  effective date, in the branch's script. The stamp text never holds the current time (pyhanko's
  default ``%(ts)s`` is replaced), so signing stays deterministic.
- ``form``: a certification signature allowing form filling only (DocMDP P=2),
- anything else (comparison tables): an invisible approval signature.

The seal's font: pyhanko's own OpenType engine (``GlyphAccumulatorFactory``) needs uharfbuzz,
which is not installed, and a single OTF/TTF, while the Noto CJK faces are .ttc collections. So
``_SealFont`` is a small pyhanko ``FontEngine``: it reads one face of the Noto Sans CJK
collection (SC, or HK/TC for a Traditional branch; located by fontconfig's ``fc-match``) with
fontTools, maps each character through the face's cmap (Chinese needs no shaping), and embeds a
fontTools subset of only the glyphs used as a CID-keyed CFF font (Identity-H, with a ToUnicode
CMap so readers can copy the text). The seal adds about 6 KB to a handbook.

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
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
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

    def _enforce_certification_constraints(self, reader) -> None:
        """pyhanko checks here that a certification signature comes first and that an earlier
        author signature allows another, by walking every form field of the document: 40 ms
        for a form with a hundred fields. The build signs only PDFs it has just written
        (WeasyPrint's, never signed), so there is nothing to find."""
        return None


class _KeySigner(signers.SimpleSigner):
    """pyhanko's SimpleSigner with its private key parsed once. SimpleSigner turns the key's DER
    into a `cryptography` key for every signature, and for RSA that runs the key's consistency
    checks: 45 ms per PDF, more than the rest of signing a form."""

    def __init__(self, loaded: signers.SimpleSigner):
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
        )
        self._private = None  # parsed on first use, in the process that signs

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko_certvalidator.util import get_pyca_cryptography_hash

        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        if algorithm not in ("rsassa_pkcs1v15", "ecdsa"):  # PSS, EdDSA, DSA…: pyhanko's way
            return super().sign_raw(data, digest_algorithm)
        if self._private is None:
            self._private = serialization.load_der_private_key(self.signing_key.dump(), None)
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if algorithm == "ecdsa" and isinstance(self._private, ec.EllipticCurvePrivateKey):
            return self._private.sign(data, ec.ECDSA(digest))
        if algorithm == "rsassa_pkcs1v15" and isinstance(self._private, rsa.RSAPrivateKey):
            return self._private.sign(data, PKCS1v15(), digest)
        return super().sign_raw(data, digest_algorithm)


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
    return Key(_KeySigner(signer))


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


# ---- The visible seal on a handbook's cover ------------------------------------------------------

SEAL_RED = (0.75, 0.0, 0.0)  # #c00000
SEAL_SIZE = (230.0, 92.0)  # width, height in points
# The box's bottom edge, as a fraction of the page height: the cover's text ends above 30 % of
# the page on every bundled branch (the table grows with a long address), and the footer's
# margin is below 10 %.
SEAL_BOTTOM = 0.14
SEAL_FONT_SIZE = 11

_LABELS = ("受控文件签章", "签章人", "版本", "生效日期")  # heading, signer, version, date


@dataclass(frozen=True)
class Seal:
    """What a handbook's visible seal shows besides the signer: the manual's version and
    effective date, and the branch's script (zh-Hans, zh-Hant-HK, zh-Hant-TW)."""

    version: str
    effective_date: date
    script: str = "zh-Hans"
    glossary: tuple[tuple[str, str], ...] = ()  # the manual's glossary for that script

    def text(self, signer: str) -> str:
        from builder.document import script as scripts

        conv = scripts.converter(self.script, self.glossary)  # 簽章人 in Hong Kong
        heading, who, version, effective = (conv.convert(x) if conv else x for x in _LABELS)
        day = self.effective_date
        return "\n".join(
            (
                heading,
                f"{who}：{signer}",
                f"{version}：{self.version}",
                f"{effective}：{day.year}年{day.month}月{day.day}日",
            )
        )


def seal_box(mediabox) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) of the seal on a page with this MediaBox: centred, SEAL_SIZE, its bottom
    edge at SEAL_BOTTOM of the page's height."""
    x0, y0, x1, y1 = (float(v) for v in mediabox)
    width, height = SEAL_SIZE
    left = x0 + (x1 - x0 - width) / 2
    bottom = y0 + (y1 - y0) * SEAL_BOTTOM
    return round(left), round(bottom), round(left + width), round(bottom + height)


@cache
def _face(region: str) -> tuple[str, int]:
    """(collection file, face index) of Noto Sans CJK for a region (SC, HK, TC), by fontconfig."""
    import subprocess

    family = f"Noto Sans CJK {region}"
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", f"{family}:style=Regular"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        path, index, families = found.split("|", 2)
    except (OSError, subprocess.CalledProcessError, ValueError):
        path, index, families = "", "0", ""
    if family not in families.split(","):
        raise SignError(f"找不到签章所需的字体“{family}”（请安装 fonts-noto-cjk 和 fontconfig）")
    return path, int(index)


@dataclass(frozen=True)
class _FaceMetrics:
    ps_name: str
    cmap: dict[int, str]  # code point: glyph name
    advances: dict[str, int]  # glyph name: advance width, font units
    upem: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int


@cache
def _face_metrics(region: str) -> _FaceMetrics:
    """What shaping and the font dictionaries need of a Noto CJK face, read once per process
    (the face's 65,000-glyph metrics take 0.2 s to read, as long as signing a handbook)."""
    from fontTools.ttLib import TTFont

    path, index = _face(region)
    with TTFont(path, fontNumber=index, lazy=True) as tt:
        head, hhea = tt["head"], tt["hhea"]
        return _FaceMetrics(
            ps_name=tt["name"].getDebugName(6) or f"NotoSansCJK{region}-Regular",
            cmap=dict(tt.getBestCmap()),
            advances={g: m[0] for g, m in tt["hmtx"].metrics.items()},
            upem=head.unitsPerEm,
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            ascent=hhea.ascent,
            descent=hhea.descent,
        )


@lru_cache(maxsize=8)
def _subset(region: str, glyphs: tuple[str, ...]) -> tuple[bytes, tuple[str, str, int]]:
    """A CFF program of only these glyphs of the region's face, and its (Registry, Ordering,
    Supplement). Every seal of a script shows the same characters but for the signer and the
    version, so a worker subsets once per script and reuses it."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path, index = _face(region)
    options = subset.Options(layout_closure=False, name_IDs=[], notdef_outline=True)
    options.drop_tables += ["GPOS", "GDEF", "GSUB", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(glyphs=list(glyphs))
    with TTFont(path, fontNumber=index, lazy=True) as tt:
        subsetter.subset(tt)
        cff = tt["CFF "].cff
        program = io.BytesIO()
        cff.compile(program, tt)
        return program.getvalue(), tuple(cff[0].ROS)


class _SealFont(FontEngine):
    """A pyhanko font engine over one face of a Noto CJK collection, embedded as a subset.

    Characters map one to one to glyphs through the face's cmap; the glyphs of a CID-keyed CFF
    font are named cidNNNNN, and the subset keeps those CIDs, so the content stream shows CIDs
    through Identity-H."""

    def __init__(self, writer, region: str, font_size: int, obj_stream=None):
        self.face = _face_metrics(region)
        # embedded_subset=False: pyhanko's subset prefix is random; ours derives from the glyphs
        super().__init__(
            writer, self.face.ps_name, False, obj_stream=obj_stream, font_size=font_size
        )
        self.region = region
        self.glyphs: dict[int, tuple[str, int, str]] = {}  # cid: (glyph name, advance, text)
        self.ref = writer.allocate_placeholder()
        self.written = False

    @property
    def uses_complex_positioning(self):
        return False

    def shape(self, txt: str) -> ShapeResult:
        codes = bytearray()
        advance = 0
        face = self.face
        for ch in txt:
            name = face.cmap.get(ord(ch)) or ".notdef"
            cid = int(name[3:]) if name.startswith("cid") else 0
            width = face.advances[name]
            self.glyphs.setdefault(cid, (name, width, ch))
            codes += cid.to_bytes(2, "big")
            advance += width
        ops = b"<" + codes.hex().encode() + b"> Tj" if codes else b""
        return ShapeResult(graphics_ops=ops, x_advance=advance / face.upem, y_advance=0)

    def as_resource(self):
        return self.ref

    def prepare_write(self):
        if self.written:
            return
        self.written = True
        cids = sorted(self.glyphs)
        prefix = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(cids).encode()).digest()[:6])
        name = f"{prefix}+{self.face.ps_name}"
        program, (registry, ordering, supplement) = _subset(
            self.region, tuple(self.glyphs[c][0] for c in cids)
        )
        face = self.face
        writer, n = self.writer, generic.NameObject
        font_file = generic.StreamObject({n("/Subtype"): n("/CIDFontType0C")}, program)
        font_file.compress()
        scale = 1000 / face.upem
        descriptor = generic.DictionaryObject(
            {
                n("/Type"): n("/FontDescriptor"),
                n("/FontName"): n("/" + name),
                n("/Flags"): generic.NumberObject(4),  # symbolic (glyphs outside Latin)
                n("/FontBBox"): generic.ArrayObject(
                    generic.NumberObject(round(v * scale)) for v in face.bbox
                ),
                n("/ItalicAngle"): generic.NumberObject(0),
                n("/Ascent"): generic.NumberObject(round(face.ascent * scale)),
                n("/Descent"): generic.NumberObject(round(face.descent * scale)),
                n("/CapHeight"): generic.NumberObject(round(face.ascent * scale)),
                n("/StemV"): generic.NumberObject(80),
                n("/FontFile3"): writer.add_object(font_file),
            }
        )
        widths = generic.ArrayObject()
        for cid in cids:
            widths += [
                generic.NumberObject(cid),
                generic.ArrayObject([generic.NumberObject(round(self.glyphs[cid][1] * scale))]),
            ]
        cidfont = generic.DictionaryObject(
            {
                n("/Type"): n("/Font"),
                n("/Subtype"): n("/CIDFontType0"),
                n("/BaseFont"): n("/" + name),
                n("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        n("/Registry"): generic.TextStringObject(registry),
                        n("/Ordering"): generic.TextStringObject(ordering),
                        n("/Supplement"): generic.NumberObject(supplement),
                    }
                ),
                n("/FontDescriptor"): writer.add_object(descriptor),
                n("/W"): widths,
            }
        )
        to_unicode = generic.StreamObject(stream_data=self._to_unicode(cids))
        to_unicode.compress()
        font = generic.DictionaryObject(
            {
                n("/Type"): n("/Font"),
                n("/Subtype"): n("/Type0"),
                n("/BaseFont"): n(f"/{name}-Identity-H"),
                n("/Encoding"): n("/Identity-H"),
                n("/DescendantFonts"): generic.ArrayObject([writer.add_object(cidfont)]),
                n("/ToUnicode"): writer.add_object(to_unicode),
            }
        )
        writer.add_object(font, self.obj_stream, idnum=self.ref.idnum)

    def _to_unicode(self, cids) -> bytes:
        pairs = [
            f"<{cid:04x}> <{self.glyphs[cid][2].encode('utf-16-be').hex()}>" for cid in cids if cid
        ]
        body = "".join(
            f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n"
            for chunk in (pairs[i : i + 100] for i in range(0, len(pairs), 100))
        )
        return (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode("ascii")


@dataclass(frozen=True)
class _SealFontFactory(FontEngineFactory):
    region: str = "SC"
    font_size: int = SEAL_FONT_SIZE

    def create_font_engine(self, writer, obj_stream=None):
        return _SealFont(writer, self.region, self.font_size, obj_stream=obj_stream)


def _seal_style(seal: Seal, signer: str):
    from pyhanko.pdf_utils.layout import AxisAlignment, SimpleBoxLayoutRule
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    from builder.document import script as scripts

    return TextStampStyle(
        stamp_text=seal.text(signer).replace("%", "%%"),  # no %(ts)s: no clock time
        border_width=2,
        border_color=SEAL_RED,
        text_box_style=TextBoxStyle(
            font=_SealFontFactory(scripts.font_region(seal.script)),
            font_size=SEAL_FONT_SIZE,
            leading=round(SEAL_FONT_SIZE * 1.6),
            text_color=SEAL_RED,
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID
        ),
    )


def sign_pdf(
    data: bytes,
    key: Key,
    *,
    kind: str,
    when: datetime,
    seal: Seal | None = None,
) -> bytes:
    """``data`` signed; ``when`` (timezone-aware) is the signing time written into it. A
    handbook with a ``seal`` gets its signature shown on page 1 (the cover)."""
    writer = _Writer(data)
    meta_args = dict(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason="受控文件")
    new_field = None
    style = None
    if kind == "form":
        meta_args.update(
            certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS, reason="受控表单"
        )
    elif kind == "handbook" and seal is not None:
        node = writer.find_page_for_modification(0)[0].get_object()
        while "/MediaBox" not in node:  # inherited from the page tree
            node = node["/Parent"].get_object()
        new_field = fields.SigFieldSpec(FIELD, on_page=0, box=seal_box(node["/MediaBox"]))
        style = _seal_style(seal, key.subject)
    else:
        new_field = fields.SigFieldSpec(FIELD)

    def prepared(writer):
        if new_field is not None:
            fields.append_signature_field(writer, new_field)
        return writer

    signer = _Signer(
        signers.PdfSignatureMetadata(**meta_args),
        signer=key.signer,
        when=when,
        stamp_style=style,
    )
    size = (key.fingerprint, kind, style is not None, when)
    if size not in _RESERVED:  # the first of its kind: signed once to measure the signature
        out = io.BytesIO()
        _off_loop(signer.sign_pdf, prepared(_Writer(data)), output=out)
        _RESERVED[size] = _reserve(out.getvalue(), len(data))
    out = io.BytesIO()
    _off_loop(signer.sign_pdf, prepared(writer), output=out, bytes_reserved=_RESERVED[size])
    return out.getvalue()


# The room reserved for the signature (/Contents, in hex digits), by (certificate, kind,
# visible, signing time). pyhanko works it out by making a dummy signature first, a third of the
# time of signing a form, and reserves a few KB more than it needs. The signature's length
# depends only on the certificates, the signing time and the kind of signature, never on the
# document, so the first signing of each kind measures it and every signing reserves that plus
# SLACK (an ECDSA signature's length varies by a few bytes): the same bytes whichever file came
# first (tests/release/test_sign.py checks), and 2 KB less per PDF than pyhanko's estimate.
_RESERVED: dict[tuple[str, str, bool, datetime], int] = {}
_CONTENTS = re.compile(rb"/Contents <([0-9a-fA-F]+)>")
SLACK = 32  # bytes


def _reserve(signed: bytes, start: int) -> int:
    """Hex digits to reserve for a signature like the last one in `signed` (DER: a SEQUENCE
    whose header gives its length)."""
    contents = _CONTENTS.findall(signed, start)[-1]
    der = bytes.fromhex(contents.decode())
    head = der[1]
    if head == 0x80:  # an indefinite length (BER, not DER): keep pyhanko's own estimate
        return len(contents)
    size = head & 0x7F
    length = 2 + head if head < 0x80 else 2 + size + int.from_bytes(der[2 : 2 + size])
    return 2 * (length + SLACK)


def sign_file(path: Path, key: Key, kind: str, document) -> None:
    """Sign the PDF at `path` in place, a file of the resolved `document`'s branch: a
    handbook's cover shows the seal (signer, version, effective date, in the branch's script and
    glossary), dated by the manual's effective date. The build's workers call it right after
    rendering, so signing runs in parallel with the other files; the build process for each
    修订对照表."""
    from builder.writers.pdf.handbook import no_gc_pauses

    meta, branch = document.meta, document.branch
    seal = Seal(meta.version, meta.effective_date, branch.script, document.glossary)
    path = Path(path)
    # The collector paused, as during a render: the worker has just rendered the PDF, whose
    # million objects are garbage in reference cycles, and signing's few allocations would set
    # off the full collection the next render pays for anyway (0.8 s per handbook)
    with no_gc_pauses():
        signed = sign_pdf(path.read_bytes(), key, kind=kind, when=signing_time(meta), seal=seal)
    path.write_bytes(signed)


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


def pdf_signer(path: Path) -> str:
    """The signer's name of the PDF at `path` ('' when it carries no readable signature). Read,
    not validated (that is verify_pdf's business): what the download portal shows. The name
    comes from the certificate in the last signature's CMS (/Contents); parsing the whole PDF
    with pyhanko to find it cost the portal some 40 ms a file."""
    try:
        data = Path(path).read_bytes()
        if b"/ByteRange" not in data:  # every signature dictionary has one: unsigned, quickly
            return ""
        found = _CONTENTS.findall(data)
        return _name(signature_cert(bytes.fromhex(found[-1].decode()))) if found else ""
    except (OSError, ValueError, SignError):  # an unreadable file is simply not shown as signed
        return ""


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
