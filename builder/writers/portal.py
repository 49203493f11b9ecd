"""The download portal: `output/index.html` lists every branch (with a filter box), and
`output/<branch>/index.html` offers that branch's handbook (read online, PDF, Word) and every
form in its three formats under Chinese download names, with sizes, purposes and the revision
history.

Plain HTML and CSS from templates/portal-*.html.j2 and portal.css (inlined, so a page works on
its own), plus the few lines of script the filter needs. Everything is relative and local: the
pages work from file:// and from any static server, offline, with no CDN, web font or outside
script. The writer is given the resolved document and the files the build published with their
sizes, and links only files that exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from builder.document import script as scripts
from builder.document.model import BranchInfo, Document, Meta
from builder.writers.templates import environment, templates_dir

# (relative path in the branch folder, label) of the handbook's files, in the order offered.
HANDBOOK_FILES = (("handbook.pdf", "PDF"), ("handbook.docx", "Word"))
FORM_FORMATS = (("pdf", "PDF"), ("docx", "Word"), ("xlsx", "Excel"))
COMPARISON_FILES = (
    ("comparison.pdf", "PDF"),
    ("comparison.docx", "Word"),
)  # written by build --compare
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class Download:
    label: str  # "PDF", "Word", "Excel"
    href: str  # relative to the page
    name: str  # the name the browser saves it under, e.g. 会议通知表.docx
    size: str  # "123 KB"
    signer: str = ""  # who signed it (a signed PDF), shown as 已签名


def download_name(title: str, suffix: str) -> str:
    """A file name from a Chinese title: characters no file system takes become "_"; leading
    and trailing spaces and dots go; a title with nothing left is called 文件."""
    stem = _UNSAFE.sub("_", title.strip()).strip(" ._")
    return (stem or "文件") + suffix


def human_size(size: int) -> str:
    """1023 B, 150 KB, 1.4 MB: as rounded, so 1,048,000 bytes is 1.0 MB rather than 1023 KB."""
    if size < 1024:
        return f"{size} B"
    if round(size / 1024) < 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _download(
    files: dict[str, int], relative: str, label: str, title: str, signers: dict[str, str]
) -> Download | None:
    if relative not in files:
        return None
    return Download(
        label,
        relative,
        download_name(title, Path(relative).suffix),
        human_size(files[relative]),
        signers.get(relative, ""),
    )


def branch_page_html(
    document: Document,
    files: dict[str, int],
    folder: Path | None = None,
    comparison: dict | None = None,
    signers: dict[str, str] | None = None,
) -> str:
    """The page of one branch. `files`: size of every file in the branch's folder, by POSIX
    path relative to it. `comparison`: what its 修订对照表 compared (comparison.json), if it
    has one. `signers`: the signer's name of each signed file (release.sign.pdf_signer), by the
    same paths: those are marked 已签名, and the page says how to check a signature."""
    meta, branch = document.meta, document.branch
    signers = signers or {}
    handbook = [
        d
        for d in (
            _download(files, rel, label, f"{meta.title}（{branch.name}）", signers)
            for rel, label in HANDBOOK_FILES
        )
        if d
    ]
    workbook = _download(
        files, "forms.xlsx", "Excel", f"{meta.title}表单（{branch.name}）", signers
    )
    forms = []
    for form in document.forms:
        downloads = [
            d
            for d in (
                _download(files, f"forms/{form.id}.{ext}", label, form.title, signers)
                for ext, label in FORM_FORMATS
            )
            if d
        ]
        forms.append((form, downloads))
    changes = None
    if comparison:
        versions = f"{comparison['old'].get('version', '')}→{comparison['new'].get('version', '')}"
        downloads = [
            d
            for d in (
                _download(files, rel, label, f"修订对照表（{branch.name}，{versions}）", signers)
                for rel, label in COMPARISON_FILES
            )
            if d
        ]
        if downloads:
            changes = {
                "old": comparison["old"],
                "new": comparison["new"],
                "downloads": downloads,
                "counts": {k: v for k, v in (comparison.get("counts") or {}).items() if v},
            }
    env = environment(str(folder or templates_dir()), scripts.document_converter(document))
    return env.get_template("portal-branch.html.j2").render(
        doc=document,
        meta=meta,
        branch=branch,
        handbook=handbook,
        workbook=workbook,
        forms=forms,
        changes=changes,
        read_online="handbook.html" if "handbook.html" in files else None,
        signed_by=sorted({name for name in signers.values() if name}),
        css=scripts.regional_css(_css(folder), branch.script),
    )


def index_html(
    meta: Meta,
    branches: list[tuple[BranchInfo, bool]],
    folder: Path | None = None,
    own: dict[str, dict[str, str]] | None = None,
) -> str:
    """The list of branches; (branch, has a page) each: a branch not built yet is listed, not
    linked. `own`: by branch id, a Traditional branch's name, region, kind and lang in its own
    script, shown instead (the filter box finds both)."""
    env = environment(str(folder or templates_dir()))
    return env.get_template("portal-index.html.j2").render(
        meta=meta, branches=branches, css=_css(folder), own=own or {}
    )


def _css(folder: Path | None) -> str:
    return (Path(folder or templates_dir()) / "portal.css").read_text(encoding="utf-8")


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` unless the file already holds exactly it (then its inode and mtime stay, and
    the build cache sees nothing new). True when written."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    if path.exists() or path.is_symlink():
        path.unlink()  # never write through a hard link into the previous output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True
