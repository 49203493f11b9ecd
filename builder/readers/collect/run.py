"""Walking the given paths, identifying each filled form and checking it."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from builder.document import fieldnames
from builder.document.model import Document, Form, FormField
from builder.errors import HandbookError, display_path, os_error_text
from builder.readers.collect import check
from builder.readers.collect.raw import RawForm

log = logging.getLogger("handbook")
READERS = {".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx"}


@dataclass
class Record:
    source: str
    format: str
    form: str  # form id
    code: str
    title: str
    branch: str
    version: str
    revision: str
    fields: dict[str, object]
    rows: dict[str, list[dict]]  # rows field id → its filled rows (column id → value)
    problems: list[dict] = field(default_factory=list)  # {"field", "message"}
    definition: Form | None = None  # the form definition it was read by

    def json(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "form": self.form,
            "branch": self.branch,
            "version": self.version,
            "fields": self.fields,
            "problems": self.problems,
        }


@dataclass
class Collection:
    records: list[Record] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"source", "message"}
    skipped: int = 0
    duplicates: list[str] = field(default_factory=list)

    def json(self) -> dict:
        return {"records": [r.json() for r in self.records], "errors": self.errors}


def _files(paths: list[Path]):
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def _read(path: Path, fmt: str) -> RawForm:
    if fmt == "pdf":
        from builder.readers.collect.pdf import read_pdf

        return read_pdf(path)
    if fmt == "docx":
        from builder.readers.collect.docx import read_docx

        return read_docx(path)
    from builder.readers.collect.xlsx import read_xlsx

    return read_xlsx(path)


class Collector:
    def __init__(self, manual, source_revision: str = "", src: Path | None = None):
        self.manual = manual
        self.revision = source_revision
        self.src = src
        self._documents: dict[str, Document] = {}
        self._older: dict[str, object] = {}  # commit → that revision's Manual (or None)

    def older(self, raw: RawForm, document: Document, form: Form) -> tuple[Form, str] | None:
        """The form as the file's own manual version defined it, when the file's fields differ
        from the current definition and git has that version (the SourceRevision property):
        (that form, what changed), else None."""
        revision = raw.properties.get("SourceRevision", "").removesuffix("-dirty")
        version = raw.properties.get("Version", "")
        if not self.src or not version or version == document.meta.version:
            return None
        if not re.fullmatch(r"[0-9a-f]{7,40}", revision) or _fields_match(raw, form):
            return None
        if revision not in self._older:
            self._older[revision] = _load_revision(revision, self.src)
        manual = self._older[revision]
        if manual is None or document.branch.id not in manual.branch_ids:
            return None
        from builder.document.resolve import resolve

        old = next(
            (f for f in resolve(manual, document.branch.id).forms if f.code == form.code), None
        )
        if old is None:
            return None
        return old, _changes(old, form)

    def document(self, branch: str) -> Document:
        from builder.document.resolve import resolve

        if branch not in self._documents:
            self._documents[branch] = resolve(self.manual, branch, self.revision)
        return self._documents[branch]

    def identify(self, raw: RawForm, label: str) -> tuple[Document, Form, list[str]]:
        notes: list[str] = []
        branch = raw.properties.get("Branch", "")
        if branch not in self.manual.branch_ids:
            if branch:
                notes.append(f"文件属性中的分支机构“{branch}”在当前手册中不存在")
            branch = ""
        code = raw.properties.get("FormCode", "")
        document = self.document(branch or self.manual.branch_ids[0])
        form = next((f for f in document.forms if f.code == code), None)
        if form is None:
            form = self._by_fields(raw, document)
            if form is None:
                raise HandbookError(f"{label}：不是本手册的表单（文件属性和字段都无法识别）")
            notes.append("文件属性已丢失，按字段名识别为表单" + f"“{form.title}”（{form.code}）")
        if not branch:
            notes.append("文件属性中没有分支机构，无法确定来自哪个分支机构")
        return document, form, notes

    def _by_fields(self, raw: RawForm, document: Document) -> Form | None:
        present = set(raw.values) | set(raw.by_label)
        best, score = None, 0.0
        for form in document.forms:
            if raw.format == "xlsx":
                names = {"f_" + f.id.replace("-", "_") for f in form.fields}
            elif raw.by_label and not raw.values:
                names = set(fieldnames.input_labels(form).values())
            else:
                names = set(fieldnames.form_field_names(form))
            names = {n for n in names if not n.startswith(fieldnames.APPROVAL)}
            if not names:
                continue
            overlap = len(names & present) / len(names | (present - {"approval"}))
            if overlap > score:
                best, score = form, overlap
        return best if score >= 0.5 else None


def _names(raw: RawForm, form: Form) -> tuple[set[str], set[str]]:
    """The input names the file has and those the form defines, in the file format's terms."""
    if raw.format == "xlsx":
        defined = {"f_" + f.id.replace("-", "_") for f in form.fields}
        return {n for n in raw.values if n.startswith("f_") and "." not in n}, defined
    defined = set(fieldnames.form_field_names(form))
    return set(raw.values), defined


def _fields_match(raw: RawForm, form: Form) -> bool:
    present, defined = _names(raw, form)
    if not present:
        return True  # nothing to compare by (a LibreOffice-saved Word form of the old kind)
    strip = {n for n in present | defined if n.startswith((fieldnames.APPROVAL, "approval."))}
    return present - strip == defined - strip


def _load_revision(revision: str, src: Path):
    from builder.release import vcs
    from builder.sources.load import load_manual

    try:
        with vcs.export(revision, src) as exported:
            return load_manual(exported.folder)
    except HandbookError:
        return None


def _changes(old: Form, new: Form) -> str:
    before = {f.id: f for f in old.fields}
    after = {f.id: f for f in new.fields}
    parts = []
    removed = [before[i].label for i in before if i not in after]
    added = [after[i].label for i in after if i not in before]
    changed = [
        after[i].label
        for i in after
        if i in before
        and (before[i].type, before[i].options, before[i].columns)
        != (after[i].type, after[i].options, after[i].columns)
    ]
    if removed:
        parts.append("现已删除：" + "、".join(removed))
    if added:
        parts.append("现已新增：" + "、".join(added))
    if changed:
        parts.append("现已修改：" + "、".join(changed))
    return "；".join(parts) or "字段定义有变化"


def _inputs(raw: RawForm, form: Form) -> dict[str, object]:
    """Raw values by input name (fieldnames), whatever the format wrote."""
    if raw.format == "xlsx":
        return _xlsx_inputs(raw, form)
    values = dict(raw.values)
    if raw.by_label:
        by_label = {label: name for name, label in fieldnames.input_labels(form).items()}
        for label, value in raw.by_label.items():
            if label in by_label:
                values.setdefault(by_label[label], value)
    return values


def _xlsx_inputs(raw: RawForm, form: Form) -> dict[str, object]:
    def cells(key: str) -> list:
        return raw.values.get("f_" + key.replace("-", "_"), [])

    out: dict[str, object] = {}
    for f in form.fields:
        if f.type != "rows":
            found = cells(f.id)
            out[f.id] = found[0] if found else None
            continue
        for column in f.columns:
            for row, value in enumerate(cells(f"{f.id}.{column.id}"), 1):
                out[fieldnames.cell_name(f, row, column)] = value
    for part in fieldnames.APPROVAL_INPUTS:
        for step, value in enumerate(raw.values.get(f"approval.{part}", []), 1):
            out[fieldnames.approval_name(step, part)] = value
    return out


def _value(values: dict, field: FormField, name: str):
    """One field's or cell's raw value: a multichoice from its option boxes (or one cell)."""
    if field.type == "multichoice" and name not in values:
        ticked = [
            option
            for number, option in enumerate(field.options, 1)
            if values.get(fieldnames.option_name(name, number)) is True
        ]
        return ticked or None
    return values.get(name)


def build_record(
    raw: RawForm, document: Document, form: Form, label: str, notes, older: str | None = None
) -> Record:
    values = _inputs(raw, form)
    placeholders = _placeholders(form) if raw.format == "docx" else frozenset()
    problems = [{"field": "", "message": n} for n in notes]
    fields: dict[str, object] = {}
    typed_values: dict[str, object] = {}
    rows: dict[str, list[dict]] = {}

    def read(f: FormField, name: str, where: str):
        value = _value(values, f, name)
        if isinstance(value, str) and value.strip() in placeholders:
            value = None
        try:
            return check.typed(f, value)
        except check.Problem as exc:
            problems.append({"field": name, "message": f"{where}：{exc}"})
            return value if not isinstance(value, bool) else None

    for f in form.fields:
        if f.type == "rows":
            table = []
            for row in range(1, fieldnames.printed_rows(f) + 1):
                cells = {
                    c.id: read(c, fieldnames.cell_name(f, row, c), f"{f.label}第{row}行{c.label}")
                    for c in f.columns
                }
                if any(v is not None for v in cells.values()):
                    table.append(cells)
                    for c in f.columns:
                        fields[fieldnames.cell_name(f, row, c)] = cells[c.id]
            rows[f.id] = table
            if f.required and not table:
                problems.append({"field": f.id, "message": f"必填项“{f.label}”未填写"})
            continue
        value = read(f, f.id, f.label)
        typed_values[f.id] = fields[f.id] = value
        if f.required and value is None and not f.compute:
            problems.append({"field": f.id, "message": f"必填项“{f.label}”未填写"})
    for step in range(1, len(form.approval_chain) + 1):
        for part in fieldnames.APPROVAL_INPUTS:
            name = fieldnames.approval_name(step, part)
            kind = FormField(id=name, label=name, type="date" if part == "date" else "text")
            value = read(kind, name, f"第{step}级审批")
            if value is not None:
                fields[name] = value
    for f in form.fields:
        if not f.compute or f.type == "rows":
            continue
        expected = check.recompute(form, f, typed_values, rows)
        shown = typed_values.get(f.id)
        if expected is not None and shown is not None and not _same(expected, shown):
            problems.append(
                {
                    "field": f.id,
                    "message": f"计算项“{f.label}”填写为 {shown}，按明细计算应为 {expected}",
                }
            )
        elif expected is not None and shown is None:
            fields[f.id] = typed_values[f.id] = expected  # later computed fields build on it
    version = raw.properties.get("Version", "")
    if version and version != document.meta.version:
        how = (
            f"已按版本 {version} 的表单定义读取（与当前版本相比，{older}）"
            if older
            else "已按当前版本的定义读取"
        )
        problems.append(
            {
                "field": "",
                "message": f"表单来自手册版本 {version}，当前版本为 {document.meta.version}，{how}",
            }
        )
    return Record(
        source=label,
        format=raw.format,
        form=form.id,
        code=form.code,
        title=form.title,
        branch=document.branch.id if raw.properties.get("Branch") else "",
        version=version,
        revision=raw.properties.get("SourceRevision", ""),
        fields=fields,
        rows=rows,
        problems=problems,
        definition=form,
    )


def _same(expected, shown) -> bool:
    """Whether a computed field shows its recomputed value: numbers to the cent; amounts in
    capitals with or without the closing 整 (Excel's formula writes 捌角整, others 捌角)."""
    if isinstance(shown, int | float) and isinstance(expected, int | float):
        return abs(float(expected) - float(shown)) < 0.005
    return str(expected).rstrip("整正") == str(shown).strip().rstrip("整正")


_PLACEHOLDER_CACHE: dict[str, frozenset[str]] = {}


def _placeholders(form: Form) -> frozenset[str]:
    if form.id not in _PLACEHOLDER_CACHE:
        from builder.writers.docx.forms import placeholder_texts

        _PLACEHOLDER_CACHE[form.id] = placeholder_texts(form)
    return _PLACEHOLDER_CACHE[form.id]


FILE_SECONDS = 20  # one file may take this long to read (a PDF built to make the parser spin)


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int):
    """Interrupt the reading of one file after `seconds` (SIGALRM; only in the main thread of a
    Unix process, elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def collect(
    paths: list[Path], manual, source_revision: str = "", src: Path | None = None
) -> Collection:
    """Read every form under `paths`; `src`, the sources' folder in git, lets a form of an older
    version be read by that version's definition."""
    collector = Collector(manual, source_revision, src)
    result = Collection()
    seen: dict[str, str] = {}
    for path in _files(paths):
        fmt = READERS.get(path.suffix.lower())
        label = display_path(path)
        if not path.exists():
            result.errors.append({"source": label, "message": f"{label}：文件或文件夹不存在"})
            continue
        if fmt is None or path.name.startswith("~$"):
            result.skipped += 1
            continue
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            result.errors.append(
                {"source": label, "message": f"{label}：{os_error_text(exc, '读取')}"}
            )
            continue
        if digest in seen:
            result.duplicates.append(f"{label}（与 {seen[digest]} 相同）")
            continue
        seen[digest] = label
        try:
            with _deadline(FILE_SECONDS):
                raw = _read(path, fmt)
            document, form, notes = collector.identify(raw, label)
            older = collector.older(raw, document, form)
            if older is not None:
                form, changes = older
                result.records.append(build_record(raw, document, form, label, notes, changes))
            else:
                result.records.append(build_record(raw, document, form, label, notes))
        except HandbookError as exc:
            result.errors.append({"source": label, "message": str(exc)})
        except _TooSlow:
            result.errors.append(
                {
                    "source": label,
                    "message": f"{label}：读取超过 {FILE_SECONDS} 秒，已放弃（文件可能已损坏）",
                }
            )
        except RecursionError:
            result.errors.append({"source": label, "message": f"{label}：文件结构嵌套过深"})
        except Exception as exc:  # noqa: BLE001 - untrusted input: one file never stops the rest
            log.debug("collect %s", label, exc_info=True)
            result.errors.append(
                {"source": label, "message": f"{label}：无法读取（{type(exc).__name__}：{exc}）"}
            )
    return result
