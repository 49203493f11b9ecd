"""`handbook import`: a Word or text manual in, a validated source folder out.

read (text.py, docx.py, convert.py) → lines → structure.py (the hierarchy from the sequence of
numbers) → model.py (chapters, sections, clauses, tables) and forms.py → emit.py (YAML) and
report.py (import-report.md: every source line accounted for).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from builder.document.ids import IdMaker
from builder.errors import HandbookError, display_path
from builder.readers.importer import emit
from builder.readers.importer.structure import Node, Outline, is_document_title, scheme_of
from builder.readers.importer.text import Line, has_han, simplified

PLACEHOLDER_COMPANY = "（待填写）公司名称"
PLACEHOLDER_DOC_NUMBER = "待定-001"


class ImportRefused(HandbookError):
    """The output folder cannot be used; the message says why."""


@dataclass
class Result:
    files: dict[str, str]
    summary: list[str]
    report: str
    counts: dict = field(default_factory=dict)
    scheme: str = "outline"
    script: str = "zh-Hans"


def read_any(path: Path) -> list[Line]:
    """The cleaned lines (or Word paragraphs) of one input file."""
    from builder.readers.importer import convert, docx, text

    label = display_path(path)
    if not path.is_file():
        raise ImportRefused(f"{label}：文件不存在")
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md", ".text", ".markdown"):
        return text.read_text(path, label)
    if suffix in (".docx", ".docm"):
        return docx.read_docx(path, label)
    if suffix in convert.CONVERTIBLE:
        with tempfile.TemporaryDirectory(prefix="handbook-convert-") as tmp:
            converted = convert.to_docx(path, Path(tmp), label)
            return docx.read_docx(converted, label)
    raise ImportRefused(
        f"{label}：不支持的文件类型“{path.suffix or '无扩展名'}”"
        "（支持 .docx、.txt、.md，以及经 LibreOffice 转换的 .doc、.odt、.rtf、.wps）"
    )


def _detect_script(lines: list[Line]) -> tuple[str, str | None]:
    """zh-Hans or zh-Hant, and for Traditional text the regional variant its words suggest."""
    body = "".join(line.text for line in lines if line.text)
    han = [c for c in body if has_han(c)]
    if not han:
        return "zh-Hans", None
    sample = "".join(han[:20000])
    changed = sum(1 for a, b in zip(sample, simplified(sample)) if a != b)
    if changed < max(5, len(sample) // 100):
        return "zh-Hans", None
    import opencc

    plain = simplified(body[:20000])
    scores = {}
    for region, config in (("zh-Hant-TW", "s2twp"), ("zh-Hant-HK", "s2hk")):
        back = opencc.OpenCC(config).convert(plain)
        scores[region] = sum(1 for a, b in zip(back, body[:20000]) if a == b)
    return "zh-Hant", max(sorted(scores), key=lambda k: scores[k])


_META = [
    (
        "doc_number",
        re.compile(r"(?:文件编号|文件編號|编号|編號)\s*[：:]\s*([A-Za-z0-9][A-Za-z0-9\-_/.]*)"),
    ),
    ("version", re.compile(r"(?:版本号?|版本號?|版次)\s*[：:]\s*[Vv]?([0-9][0-9.]*)")),
    (
        "effective_date",
        re.compile(
            r"(?:生效日期|實施日期|实施日期|施行日期)\s*[：:]\s*(\d{4})[-年./](\d{1,2})[-月./](\d{1,2})"
        ),
    ),
]


def import_manual(
    paths: list[Path], company: str | None = None, doc_number: str | None = None
) -> Result:
    lines: list[Line] = []
    for path in paths:
        lines.extend(read_any(path))
    outline = Outline()
    preamble: list[Line] = []
    titles: list[str] = []  # Word paragraphs in the Title style
    styled = any(line.style_level is not None for line in lines)
    # a Word file with headings or automatic numbering has one unit per paragraph; one without
    # (text pasted into Word) may run numbers in, as text files do
    structured = styled or any(n.startswith("Word 自动编号") for line in lines for n in line.notes)
    appendix = False  # in the forms appendix of a Word handbook
    appendix_lines: list[Line] = []
    for line in lines:
        if line.dropped or line.merged:
            continue
        if appendix and not (line.style_level == 0 and not is_appendix(line.text)):
            appendix_lines.append(line)
            continue
        appendix = False
        source = f"{line.source}:{line.number}"
        if line.table is not None:
            if not outline.root.children:
                preamble.append(line)
            from builder.readers.importer import forms as _forms

            if not _forms.is_revision_table(line.table):
                outline.add_table(line.table)
            continue
        if "注" in line.notes:
            outline.add_note(line.text)
            continue
        if line.style_level is not None:
            if line.style_level == 0 and is_appendix(line.text):
                appendix = True
            if appendix:
                appendix_lines.append(line)
                continue
            node = outline.open_styled(
                line.style_level, line.notes[0] if line.notes else "", line.text, source
            )
            node.title_en = next((n[9:] for n in line.notes if n.startswith("title_en:")), None)
            continue
        if "文档标题" in line.notes:
            titles.append(line.text)
            if not outline.root.children:
                preamble.append(line)
                continue
        if is_document_title(line.text) and line.style_level is None and not styled:
            outline.open_document(line.text.strip(), source)
            continue
        if not outline.root.children and not _starts_unit(line.text, outline):
            preamble.append(line)
        opened = outline.add_paragraph(line.text, source, run_in=not (line.word and structured))
        for node in opened:
            node.explicit = line.word
        if opened and line.bold_title:
            opened[0].bold_title = line.bold_title
    root = outline.root
    tops = root.children
    while len(tops) == 1 and tops[0].children and tops[0].kind in ("doc", "part"):
        # one unit holding everything (a part, or a manual title numbered 一、): its children
        # are the chapters
        root.blocks = [("p", tops[0].head)] + tops[0].blocks if tops[0].head else tops[0].blocks
        tops = tops[0].children
    scheme = scheme_of(root)
    script, region = _detect_script(lines)
    if titles:
        root.head, root.blocks = (
            titles[0],
            [("p", root.head)] + root.blocks if root.head else root.blocks,
        )
    return _assemble(
        lines, outline, root, tops, scheme, script, region, company, doc_number, appendix_lines
    )


def _starts_unit(text: str, outline: Outline) -> bool:
    from builder.readers.importer.structure import match_marker

    return match_marker(text) is not None


def is_appendix(title: str) -> bool:
    return bool(re.match(r"^附[录錄件]", title.strip()))


def _assemble(
    lines, outline, root, tops, scheme, script, region, company, doc_number, appendix_lines
) -> Result:
    from builder.readers.importer import forms, report
    from builder.readers.importer.model import Mapper

    ids = IdMaker()
    mapper = Mapper(scheme, ids)
    preface = [root.head] + [b[1] for b in root.blocks if b[0] == "p"]
    preface = [p for p in preface if p]
    title = _manual_title(preface, lines)
    meta_found: dict[str, str] = {}
    cover = [line.text for line in lines[:40] if line.text]
    cover += [" ".join(row) for line in lines[:40] if line.table for row in line.table]
    for text in preface + cover:
        for key, pattern in _META:
            m = pattern.search(text)
            if m and key not in meta_found:
                meta_found[key] = (
                    "-".join(f"{int(g):02d}" if i else g for i, g in enumerate(m.groups()))
                    if key == "effective_date"
                    else m.group(1)
                )
    if not tops:
        tops = [Node("root", 1, "", head=title, blocks=[("p", p) for p in preface])]
    chapters = [mapper.chapter(node, i) for i, node in enumerate(tops, 1)]
    found_number = doc_number or meta_found.get("doc_number")
    base = f"{found_number}-" if found_number else ""  # form codes: HC-YY-001-F01, or F01
    found_forms = forms.find_forms(lines, chapters, ids, base)
    found_forms += forms.find_text_forms(chapters, ids, base, len(found_forms))
    found_forms += forms.appendix_forms(appendix_lines, ids, base, len(found_forms))
    revisions = forms.find_revisions(lines)
    placeholders = []
    company_name = company or PLACEHOLDER_COMPANY
    if not company:
        placeholders.append("manual.yaml 的 company（公司名称）：用 --company 指定或手工填写")
    manual = {
        "title": title,
        "company": company_name,
        "doc_number": doc_number or meta_found.get("doc_number") or PLACEHOLDER_DOC_NUMBER,
        "version": meta_found.get("version", "1.0"),
        "effective_date": meta_found.get("effective_date", "2000-01-01"),
        "issuer": "（待填写）发布部门",
        "approver": "（待填写）批准人",
    }
    if scheme != "outline":
        manual["numbering"] = scheme
    for key, label in (
        ("doc_number", "文件编号"),
        ("version", "版本"),
        ("effective_date", "生效日期"),
    ):
        if key not in meta_found and not (key == "doc_number" and doc_number):
            placeholders.append(f"manual.yaml 的 {key}（{label}）：原文未写明，暂填“{manual[key]}”")
    placeholders += [
        "manual.yaml 的 issuer（发布部门）和 approver（批准人）",
        "branches.yaml 的地址、电话、负责人和审批链",
    ]
    branches = {
        "branches": [
            {
                "id": "hq",
                "name": "总部",
                "kind": "总部",
                "region": "（待填写）",
                "address": "（待填写）",
                "phone": "（待填写）",
                "manager": "（待填写）",
                "manager_title": "总经理",
                "script": script,
                "approval_chain": [
                    {"role": "部门负责人", "days": 1},
                    {"role": "总经理", "days": 2},
                ],
            }
        ]
    }
    if revisions:
        unique = {}
        for revision in revisions:  # the same table may be printed twice (cover, appendix)
            unique.setdefault(revision["version"], revision)
        revisions = list(unique.values())
        # oldest first, as revisions.yaml wants; the manual is at the newest version
        revisions.sort(
            key=lambda r: (r["date"], [int(x) for x in re.findall(r"\d+", r["version"])])
        )
        manual["version"] = revisions[-1]["version"]
        meta_found.setdefault("version", manual["version"])
        if "effective_date" not in meta_found:
            manual["effective_date"] = revisions[-1]["date"]
            meta_found["effective_date"] = manual["effective_date"]
    if not revisions:
        revisions = [
            {
                "version": manual["version"],
                "date": manual["effective_date"],
                "author": "（待填写）",
                "approver": "（待填写）",
                "summary": "由 handbook import 导入原有手册",
            }
        ]

    def fix(value):
        if isinstance(value, str):
            value = value.replace("{", "{{").replace("}", "}}")
            if company:
                value = value.replace(company, "{manual.company}")
            return value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k in ("id", "clause", "type") else fix(v)) for k, v in value.items()}
        return value

    files: dict[str, str] = {}
    head = "# 由 handbook import 生成；请核对 import-report.md 中列出的待填写项。\n"
    files["manual.yaml"] = head + emit.dump(manual).replace(
        f"effective_date: '{manual['effective_date']}'",
        f"effective_date: {manual['effective_date']}",
    )
    files["branches.yaml"] = head + emit.dump(branches)
    rev_text = emit.dump(revisions)
    rev_text = re.sub(r"date: '(\d{4}-\d{2}-\d{2})'", r"date: \1", rev_text)
    files["revisions.yaml"] = head + rev_text
    for i, chapter in enumerate(chapters, 1):
        files[f"chapters/{i:02d}-{chapter['id']}.yaml"] = emit.dump(fix(chapter))
    for form in found_forms:
        files[f"forms/{form['id']}.yaml"] = emit.dump(fix(form))
    counts = dict(mapper.counts)
    counts["forms"] = len(found_forms)
    result = Result(files, [], "", counts, scheme, script)
    result.report, result.summary = report.write(
        lines, outline, mapper, found_forms, placeholders, scheme, script, region, counts
    )
    files["import-report.md"] = result.report
    return result


def _manual_title(preface: list[str], lines: list[Line]) -> str:
    for text in preface:
        t = text.strip()
        if 2 <= len(t) <= 40 and not re.search(r"[，。；]", t):
            return t
    for line in lines:
        if line.dropped and "页面标记" in line.dropped:
            return re.sub(r"_第\d+[頁页]$", "", line.raw.strip()).split("(")[0] or "运营管理手册"
    return "运营管理手册"


def write_output(result: Result, out: Path, force: bool) -> None:
    """Write the sources into `out` through a temporary folder beside it, so a failure leaves
    nothing half-written."""
    out = Path(out)
    label = display_path(out)
    if out.exists() and not out.is_dir():
        raise ImportRefused(f"{label}：已存在同名文件，不是文件夹")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ImportRefused(f"{label}：文件夹不是空的；确认要覆盖其中的内容请加 --force")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=out.parent))
    try:
        emit.write_tree(tmp, result.files)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=".import-old-", dir=out.parent))
            out.rename(old / "x")
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
