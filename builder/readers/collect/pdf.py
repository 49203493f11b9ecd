"""Reading a filled PDF form: the AcroForm fields' values by their full names."""

from __future__ import annotations

from pathlib import Path

from builder.errors import display_path
from builder.readers.collect.raw import RawForm
from builder.readers.package import UnreadableFile

MAX_FIELDS = 3_000  # the largest bundled form has a few hundred
MAX_BYTES = 50 * 1024 * 1024


def read_pdf(path: Path) -> RawForm:
    import pypdf
    from pypdf.errors import PdfReadError

    label = display_path(path)
    if path.stat().st_size > MAX_BYTES:
        raise UnreadableFile(f"{label}：PDF 文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）")
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise UnreadableFile(f"{label}：PDF 已加密，请取消密码保护后再发送")
        catalog = reader.trailer["/Root"]
        acroform = catalog.get("/AcroForm")
        fields = acroform.get_object().get("/Fields", []) if acroform is not None else []
        if len(fields) > MAX_FIELDS:
            raise UnreadableFile(f"{label}：PDF 含有 {len(fields)} 个表单域，超过上限 {MAX_FIELDS}")
        info = reader.metadata or {}
        properties = {str(k).lstrip("/"): str(v) for k, v in info.items() if v is not None}
        values: dict[str, object] = {}
        count = 0
        stack = [(f.get_object(), "") for f in fields]
        while stack:
            field, parent = stack.pop()
            count += 1
            if count > MAX_FIELDS * 4:
                raise UnreadableFile(f"{label}：PDF 表单域过多，超过上限")
            part = field.get("/T")
            name = f"{parent}.{part}" if parent and part else str(part or parent)
            kids = [k.get_object() for k in field.get("/Kids", []) if "/T" in k.get_object()]
            if kids:
                stack.extend((kid, name) for kid in kids)
                continue
            kind = field.get("/FT") or field.get("/Parent", {}).get("/FT")
            value = field.get("/V")
            if kind == "/Btn" and int(field.get("/Ff", 0)) & (1 << 15):  # a radio group
                values[name] = _radio(field, value)
            elif kind == "/Btn":
                values[name] = value is not None and str(value) != "/Off"
            else:
                values[name] = "" if value is None else str(value)
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise UnreadableFile(f"{label}：PDF 文件已损坏，无法读取（{exc}）") from None
    return RawForm("pdf", properties, values)


def _radio(field, value) -> str:
    """The chosen option of a radio group: its on-state name, or the /Opt entry it indexes."""
    if value is None or str(value) == "/Off":
        return ""
    state = str(value).lstrip("/")
    options = field.get("/Opt")
    if options is not None and state.isdigit() and int(state) < len(options):
        return str(options[int(state)].get_object())
    return state
