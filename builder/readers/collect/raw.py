"""What a format reader returns: the file's properties and its inputs' raw values."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawForm:
    format: str  # pdf, docx, xlsx
    properties: dict[str, str]  # FormCode, Branch, Version, SourceRevision, … (may be empty)
    # input name (builder.document.fieldnames) → text, bool (a check box) or a typed cell value
    values: dict[str, object] = field(default_factory=dict)
    # A Word control with neither tag nor form bookmark (written before the bookmarks, saved
    # by LibreOffice): its label → text; named through fieldnames.input_labels.
    by_label: dict[str, str] = field(default_factory=dict)
