"""Opening untrusted ZIP packages (DOCX, XLSX) and their XML: the one place with the limits.

A file from outside (an imported manual, an edited handbook, a filled form from a branch) may be
a zip bomb, carry an XML entity bomb or external entities, or not be a package at all. Everything
is checked before anything is inflated: the member count, each member's declared size, the total,
and the compression ratio; inflating then reads at most the declared size. XML is parsed by lxml
with entities left unresolved, no network, no DTD loading and without lxml's huge-tree mode, and
a document that declares a DTD is refused outright (OOXML never needs one).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from builder.errors import HandbookError, display_path


class UnreadableFile(HandbookError):
    """The file cannot be read as what it claims to be; the message says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    members: int = 5_000
    member_bytes: int = 200 * 1024 * 1024  # one inflated part
    total_bytes: int = 500 * 1024 * 1024  # all parts inflated
    ratio: int = 200  # inflated / compressed, for parts over 1 MB


LIMITS = Limits()

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


class Package:
    """A checked ZIP package; `read(name)` inflates one member within the limits."""

    def __init__(self, path: Path, limits: Limits = LIMITS):
        self.path = Path(path)
        self.label = display_path(self.path)
        self.limits = limits
        if _is_ole(self.path):
            raise UnreadableFile(
                f"{self.label}：这是加密的 Office 文件或旧版 Word/Excel 格式（.doc/.xls），"
                "请先取消密码保护，或另存为 .docx/.xlsx 后再试"
            )
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise UnreadableFile(
                f"{self.label}：不是有效的 Office 文件（ZIP 包已损坏：{exc}）"
            ) from None
        except OSError as exc:
            raise UnreadableFile(f"{self.label}：无法读取（{exc.strerror or exc}）") from None
        self._check()

    def _check(self) -> None:
        infos = self._zip.infolist()
        if len(infos) > self.limits.members:
            self._refuse(f"包含 {len(infos)} 个部件，超过上限 {self.limits.members}")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                self._refuse("文件已加密，请先在 Office 中取消密码保护再试")
            if info.file_size > self.limits.member_bytes:
                self._refuse(f"部件 {info.filename} 解压后过大（{info.file_size} 字节）")
            if info.file_size > 1024 * 1024 and info.file_size > self.limits.ratio * max(
                info.compress_size, 1
            ):
                self._refuse(f"部件 {info.filename} 的压缩比异常（疑似 ZIP 炸弹）")
            total += info.file_size
        if total > self.limits.total_bytes:
            self._refuse(f"解压后总大小 {total} 字节，超过上限")

    def _refuse(self, why: str):
        self._zip.close()
        raise UnreadableFile(f"{self.label}：{why}")

    def names(self) -> list[str]:
        return self._zip.namelist()

    def __contains__(self, name: str) -> bool:
        try:
            self._zip.getinfo(name)
        except KeyError:
            return False
        return True

    def read(self, name: str) -> bytes:
        """The inflated bytes of one member (never more than its declared size)."""
        info = self._zip.getinfo(name)
        try:
            with self._zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise UnreadableFile(f"{self.label}：部件 {name} 已损坏（{exc}）") from None
        except RuntimeError as exc:  # encrypted members
            raise UnreadableFile(f"{self.label}：部件 {name} 无法读取（{exc}）") from None
        if len(data) > info.file_size:
            raise UnreadableFile(f"{self.label}：部件 {name} 的实际大小与声明不符")
        return data

    def xml(self, name: str) -> etree._Element:
        """One XML member, parsed safely (see `parse_xml`)."""
        return parse_xml(self.read(name), f"{self.label}：{name}")

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _is_ole(path: Path) -> bool:
    """Office writes password-protected files (and old .doc/.xls) as an OLE compound file."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse untrusted XML: a DTD (the carrier of entity bombs and external entities) is refused,
    entities are never expanded, nothing is fetched."""
    head = data[:4096].lstrip().lower()
    if b"<!doctype" in head or b"<!entity" in data[:65536].lower():
        raise UnreadableFile(f"{where}：含有 DTD 或实体声明，出于安全原因拒绝读取")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableFile(f"{where}：XML 格式错误（{exc}）") from None


def check_ooxml(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a DOCX/XLSX that is no safe package before python-docx or openpyxl opens it: the
    ZIP limits above, and every XML part free of DTDs."""
    with Package(path, limits) as package:
        for name in package.names():
            if name.endswith((".xml", ".rels")):
                package.xml(name)
