"""The 待确认 (to be confirmed) marks of the sources: `{待确认:30 天}` around a proposed value.

`handbook check --review` lists them with file:line:column, so whoever adopts the manual sees
every value that is ours to confirm. The parsing is builder.document.placeholders' (one parser);
this module only finds where each mark sits in its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.document import placeholders
from builder.errors import Location, display_path
from builder.sources.files import source_files

CONTEXT = 24  # characters of the surrounding text shown on each side


@dataclass(frozen=True, order=True)
class Mark:
    where: Location
    value: str  # the value to confirm, as the published handbook prints it
    context: str  # the text around it, the mark shown as 【value】


def _index(text: str, line: int, column: int) -> int:
    """The offset in `text` of 1-based line:column."""
    offset = 0
    for _ in range(line - 1):
        nl = text.find("\n", offset)
        if nl < 0:
            return len(text)
        offset = nl + 1
    return offset + column - 1


def _location(file: str, text: str, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(file, line, column)


def _context(value: str, part: placeholders.Placeholder, parts) -> str:
    shown = "".join(
        p.text
        if isinstance(p, placeholders.Literal)
        else f"【{p.name}】"
        if p is part
        else p.name
        if p.kind == "review"
        else p.source
        for p in parts
    )
    at = shown.index(f"【{part.name}】")
    start = max(0, at - CONTEXT)
    end = min(len(shown), at + len(part.name) + 2 + CONTEXT)
    return (
        ("…" if start else "")
        + shown[start:end].replace("\n", " ")
        + ("…" if end < len(shown) else "")
    )


def marks(manual) -> list[Mark]:
    """Every review mark in the chapters, forms and branches.yaml, in file order."""
    found: list[Mark] = []
    for path in source_files(manual.root):
        src = manual.sources.get(display_path(path))
        if src is None:
            continue
        try:
            raw = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raw = ""
        for value_path, (line, column) in sorted(src.values.items(), key=lambda kv: kv[1]):
            value = _lookup(src.data, value_path)
            if not isinstance(value, str) or "{" not in value:
                continue
            try:
                parts = placeholders.parse(value)
            except placeholders.PlaceholderError:
                continue  # `check` reports it
            search = _index(raw, line, column)
            for part in parts:
                if not (isinstance(part, placeholders.Placeholder) and part.kind == "review"):
                    continue
                hit = raw.find(part.source, search)
                if hit < 0:  # written across lines (a folded scalar): the value's own place
                    where = Location(src.file, line, column)
                else:
                    where = _location(src.file, raw, hit)
                    search = hit + len(part.source)
                found.append(Mark(where, part.name, _context(value, part, parts)))
    return found


def _lookup(data, path: tuple):
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data
