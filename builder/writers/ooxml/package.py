"""Reproducible zip packages (.xlsx, .docx): the same content always gives the same bytes.

Office libraries stamp each zip member with the current time and may write members in any order.
`normalize_zip` rewrites a package with every member dated 1980-01-01 00:00 (the earliest date a
zip can hold), `[Content_Types].xml` first (Office reads it first) and the rest sorted by name,
with fixed permissions and deflate compression. Member contents are copied unchanged: dates
*inside* the XML (document properties) are the writer's business.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
CONTENT_TYPES = "[Content_Types].xml"


def _order(name: str) -> tuple[int, str]:
    return (0 if name == CONTENT_TYPES else 1, name)


def normalized_zip_bytes(data: bytes) -> bytes:
    """The package `data` with fixed member dates, a stable member order and fixed attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(source.namelist(), key=_order):
            member = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # Unix, whatever the building machine
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(name), compresslevel=6)
    return out.getvalue()


def normalize_zip(path: str | Path) -> None:
    """Rewrite the zip file at `path` in place so its bytes depend on its contents only."""
    path = Path(path)
    path.write_bytes(normalized_zip_bytes(path.read_bytes()))
