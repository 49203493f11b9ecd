"""Reproducible zip packages (.xlsx, .docx): the same content always gives the same bytes.

Office libraries stamp each zip member with the current time and may write members in any order.
`normalize_zip` rewrites a package with every member dated 1980-01-01 00:00 (the earliest date a
zip can hold), `[Content_Types].xml` first (Office reads it first) and the rest sorted by name,
with fixed permissions and deflate compression. Member contents are copied unchanged: dates
*inside* the XML (document properties) are the writer's business.

Also here, the package of a python-docx Document: `package_bytes` (its parts, stored rather than
deflated, for `normalized_zip_bytes` to compress), its custom properties (docProps/custom.xml)
and `core_text`, a core property's text cut to the length python-docx accepts.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from lxml import etree

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
CONTENT_TYPES = "[Content_Types].xml"


def _order(name: str) -> tuple[int, str]:
    return (0 if name == CONTENT_TYPES else 1, name)


def normalized_zip_bytes(
    data: bytes, replace: Mapping[str, bytes] | None = None, convert=None
) -> bytes:
    """The package `data` with fixed member dates, a stable member order and fixed attributes;
    the members named in `replace` with those contents instead. `convert` (a
    builder.document.script Converter, for a Traditional branch): the text the writer added
    itself (its labels, the template's style names) converted too (`convert_xml`)."""
    replace = dict(replace or {})
    if convert is not None:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            for name in source.namelist():
                if name.endswith((".xml", ".rels")):
                    content = replace.get(name, source.read(name))
                    converted = convert_xml(content, convert)
                    if converted is not content:
                        replace[name] = converted
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in sorted(source.namelist(), key=_order):
            member = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # Unix, whatever the building machine
            member.external_attr = 0o644 << 16
            content = replace[name] if name in replace else source.read(name)
            target.writestr(member, content, compresslevel=6)
    return out.getvalue()


def convert_xml(content: bytes, convert) -> bytes:
    """An XML part with every text and attribute value that still holds Simplified converted
    (convert.finish); `content` itself when nothing needed converting."""
    text = content.decode("utf-8", errors="replace")
    if not convert.office_needs(text):
        return content
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(content, parser)
    for element in root.iter():
        if isinstance(element.tag, str):
            for key, value in element.attrib.items():
                element.set(key, convert.office_value(value))
            if etree.QName(element).localname == "charset" and element.get("val") == "134":
                element.set("val", "136")  # a font's character set: GB2312 → Big5
        if element.text:
            element.text = convert.office_value(element.text)
        if element.tail:
            element.tail = convert.office_value(element.tail)
    standalone = root.getroottree().docinfo.standalone
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=standalone)


def normalize_zip(path: str | Path) -> None:
    """Rewrite the zip file at `path` in place so its bytes depend on its contents only."""
    path = Path(path)
    path.write_bytes(normalized_zip_bytes(path.read_bytes()))


# -- the package of a python-docx Document ----------------------------------------------------


class _StoredPartsWriter:
    """python-docx's physical package writer interface, into an uncompressed zip."""

    def __init__(self, zip_file: zipfile.ZipFile):
        self.zip_file = zip_file

    def write(self, pack_uri, blob: bytes) -> None:
        self.zip_file.writestr(pack_uri.membername, blob)


def package_bytes(document) -> bytes:
    """The bytes of document.save(), the same members in the same order, but stored rather
    than deflated: the writers hand them to `normalized_zip_bytes`, which compresses every
    member itself. (Falls back on document.save() should python-docx's package writer change.)"""
    from docx.opc.pkgwriter import PackageWriter

    steps = [
        getattr(PackageWriter, name, None)
        for name in ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")
    ]
    buffer = io.BytesIO()
    if None in steps:
        document.save(buffer)
        return buffer.getvalue()
    package = document.part.package
    parts = package.parts
    for part in parts:  # as OpcPackage.save
        part.before_marshal()
    write_content_types, write_package_rels, write_parts = steps
    try:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zip_file:
            target = _StoredPartsWriter(zip_file)
            write_content_types(target, parts)
            write_package_rels(target, package.rels)
            write_parts(target, parts)
    except (TypeError, AttributeError):  # those private steps changed their signatures
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


# -- document properties ----------------------------------------------------------------------

CUSTOM_PROPERTIES_PART = "/docProps/custom.xml"
CUSTOM_PROPERTIES_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_RT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_CUSTOM_PROPERTIES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VARIANT_TYPES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_USER_DEFINED_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # user-defined properties

CORE_TEXT_MAX = 255  # python-docx (like Word) refuses a longer core property


def core_text(value: str | None) -> str | None:
    """A core property's text, cut (with …) to the 255 characters python-docx accepts."""
    if value is None or len(value) <= CORE_TEXT_MAX:
        return value
    return value[: CORE_TEXT_MAX - 1] + "…"


def custom_properties_xml(values: Iterable[tuple[str, str]]) -> bytes:
    """docProps/custom.xml: one text property (vt:lpwstr) per (name, value), pids from 2."""
    root = etree.Element(
        f"{{{_CUSTOM_PROPERTIES_NS}}}Properties",
        nsmap={None: _CUSTOM_PROPERTIES_NS, "vt": _VARIANT_TYPES_NS},
    )
    for pid, (name, value) in enumerate(values, start=2):
        prop = etree.SubElement(
            root,
            f"{{{_CUSTOM_PROPERTIES_NS}}}property",
            fmtid=_USER_DEFINED_FMTID,
            pid=str(pid),
            name=name,
        )
        etree.SubElement(prop, f"{{{_VARIANT_TYPES_NS}}}lpwstr").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def set_custom_properties(document, values: Iterable[tuple[str, str]]) -> None:
    """Give a python-docx Document a custom-properties part (python-docx has no API for one),
    replacing any the template brought along."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    blob = custom_properties_xml(values)
    for rel in package.rels.values():
        if rel.reltype == CUSTOM_PROPERTIES_RT and not rel.is_external:
            rel.target_part._blob = blob
            return
    part = Part(PackURI(CUSTOM_PROPERTIES_PART), CUSTOM_PROPERTIES_CT, blob, package)
    package.relate_to(part, CUSTOM_PROPERTIES_RT)
