"""Untrusted packages (readers/package.py): bombs and broken files are refused in Chinese."""

import io
import zipfile

import pytest

from builder.readers.package import Limits, Package, UnreadableFile, check_ooxml, parse_xml


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_a_plain_package_reads(tmp_path):
    path = _zip(tmp_path / "a.docx", {"word/document.xml": b"<a><b>\xe6\x96\x87</b></a>"})
    check_ooxml(path)
    with Package(path) as package:
        assert package.xml("word/document.xml")[0].text == "文"


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = _zip(tmp_path / "bomb.docx", {"word/document.xml": b"<a>" + b"0" * 20_000_000 + b"</a>"})
    with pytest.raises(UnreadableFile, match="压缩比异常"):
        Package(path)
    with pytest.raises(UnreadableFile, match="解压后过大"):
        Package(path, Limits(member_bytes=1_000_000, ratio=10**9))


def test_entity_bomb_and_external_entity_are_refused():
    lol = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><a>&x;&x;</a>'
    with pytest.raises(UnreadableFile, match="DTD"):
        parse_xml(lol, "f.xml")
    xxe = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    with pytest.raises(UnreadableFile, match="DTD"):
        parse_xml(xxe, "f.xml")


def test_not_a_package_and_bad_xml(tmp_path):
    path = tmp_path / "x.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(UnreadableFile, match="不是有效的 Office 文件"):
        Package(path)
    with pytest.raises(UnreadableFile, match="XML 格式错误"):
        parse_xml(b"<a><b></a>", "f.xml")


def test_encrypted_office_file_is_named(tmp_path):
    # Office encrypts into an OLE file, not a ZIP: that must read as "not a valid Office file".
    path = tmp_path / "enc.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(UnreadableFile, match="加密的 Office 文件"):
        Package(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.xml", b"<a/>")
    raw = bytearray(buf.getvalue())
    raw[6] |= 1  # the local header's "encrypted" flag
    i = raw.find(b"PK\x01\x02")
    raw[i + 8] |= 1  # and the central directory's
    (tmp_path / "flag.docx").write_bytes(bytes(raw))
    with pytest.raises(UnreadableFile, match="已加密"):
        Package(tmp_path / "flag.docx")
