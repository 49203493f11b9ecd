"""The writers: each turns a resolved document (or a comparison of two) into one file format.

One interface, one registry (as pandoc's `Writers.hs` and Sphinx's builder registry): a writer
declares what it makes (`kind`, `fmt`), the template files it reads, and a rough cost, and its
entry point renders `(view, target, options)`. The build, the comparison outputs of
`build --compare` and `handbook diff --out` all go through `writer(kind, fmt).render(...)`.

The entry points are named as "module:function" and imported on first use, so `check`, `list`
and a no-op build never import WeasyPrint, python-docx or openpyxl.

Kinds and what their view is:
  handbook    the resolved Document of one branch
  form        the Document cut down to one form (`view.forms[0]`)
  workbook    the Document without its chapters (every form: forms.xlsx)
  comparison  a ChangeSet between two versions of one branch (修订对照表)
  tracked     a ChangeSet, as the new handbook with Word revision marks
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

# A template file a writer reads: ("html", name) in the build's templates folder (--templates),
# ("builtin", name) in the package's own. Part of each output's cache key; a test renders with
# every other file removed to prove the lists complete.
TemplateFile = tuple[str, str]


@dataclass(frozen=True)
class Options:
    """What a writer is told besides its view. `templates`: the HTML/CSS templates folder
    (None: the built-in one); `paginate`: a `paginated` writer fills the page numbers of its
    Word contents from LibreOffice's layout of the file (builder.writers.docx.pagination).
    The build asks none to: it paginates every such file it wrote in one stage at the end.
    `parts`: where the PDF handbook's laid-out chapters are kept between builds
    (builder.writers.pdf.parts.PartStore; None: none kept). A cache only: the file is the
    same either way, so it is not part of any output's key."""

    templates: Path | None = None
    paginate: bool = False
    parts: object = None


@dataclass(frozen=True)
class Writer:
    kind: str
    fmt: str
    entry: str  # "module:function", called as function(view, target, options)
    templates: tuple[TemplateFile, ...] = ()
    cost: float = 0.1  # rough seconds per file, only to hand out the longest tasks first
    paginated: bool = False  # a Word file whose contents' page numbers LibreOffice fills in

    def render(self, view, target: Path, options: Options = Options()) -> bool:
        """Write `view` to `target`. False when the file was written without something it
        should have (the contents' page numbers LibreOffice failed to give): retry next time."""
        module, function = self.entry.split(":")
        return (
            getattr(importlib.import_module(module), function)(view, Path(target), options)
            is not False
        )


_REGISTRY: dict[tuple[str, str], Writer] = {}


def register(entry: Writer) -> Writer:
    """Add a writer; a second writer for the same kind and format is refused."""
    key = (entry.kind, entry.fmt)
    if key in _REGISTRY:
        raise ValueError(f"a writer for {key} is already registered: {_REGISTRY[key].entry}")
    _REGISTRY[key] = entry
    return entry


def writer(kind: str, fmt: str) -> Writer:
    return _REGISTRY[(kind, fmt)]


def writers(kind: str | None = None) -> list[Writer]:
    """Every registered writer (of `kind`), in registration order."""
    return [w for w in _REGISTRY.values() if kind is None or w.kind == kind]


_HANDBOOK_PAGE = (
    ("html", "handbook.html.j2"),
    ("html", "handbook.css"),
    ("html", "handbook-numbering.css"),
)
_REFERENCE = (("builtin", "reference.docx"),)

for _entry in (
    Writer("handbook", "docx", "builder.writers.docx.handbook:write", _REFERENCE, 2.0, True),
    Writer("handbook", "pdf", "builder.writers.pdf.handbook:write", _HANDBOOK_PAGE, 10.0),
    Writer(
        "handbook",
        "html",
        "builder.writers.html:write",
        _HANDBOOK_PAGE + (("html", "handbook-phone.css"),),
        0.05,
    ),
    Writer("form", "docx", "builder.writers.docx.forms:write", _REFERENCE, 0.1),
    Writer("form", "xlsx", "builder.writers.xlsx.workbook:write_form", (), 0.05),
    Writer(
        "form",
        "pdf",
        "builder.writers.pdf.forms:write",
        (("html", "form.html.j2"), ("html", "form.css")),
        0.5,
    ),
    Writer("workbook", "xlsx", "builder.writers.xlsx.workbook:write_workbook", (), 1.5),
    Writer("comparison", "json", "builder.writers.summary:write_comparison_json", (), 0.01),
    Writer("comparison", "docx", "builder.writers.docx.comparison:write", _REFERENCE, 1.0),
    Writer(
        "comparison",
        "pdf",
        "builder.writers.pdf.comparison:write",
        (("html", "comparison.html.j2"), ("html", "comparison.css")),
        1.0,
    ),
    Writer("tracked", "docx", "builder.writers.docx.tracked:write", _REFERENCE, 2.0, True),
):
    register(_entry)
