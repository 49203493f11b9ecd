"""The diff stage: two resolved Documents of one branch → the changes between them, by stable id.

Chapters, sections, clauses, forms and form fields are matched by id, never by number, so
renumbering alone is not a change: numbers are left out of every comparison, and a reference
to another clause or form is compared as the id it points to (its printed label "七（四）2."
changes when the target is renumbered; the reference has not).

- added / removed: the id is only in the new / only in the old document;
- moved: the id is under another parent, or its order among the siblings both versions share
  has changed (a sibling inserted before it is not a move);
- changed: its own content differs (a clause's title, text, items, table or note; a section's
  title and intro; a form's title, code, purpose, instructions, clause or approval; a field's
  label, type, options, help …). A clause's sub-clauses are compared on their own.

A move can come with a change (`Change.also_changed`). `inline_diff` marks the changed words
of a paragraph (diff-match-patch with its semantic clean-up, so the highlights are whole
phrases rather than scattered single characters); writers use it to highlight and to track.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from diff_match_patch import diff_match_patch

from builder.document.dates import chinese_date
from builder.document.model import Clause, Document, Form, FormField, Paragraph, Section, Span

KIND_NAMES = {
    "chapter": "章",
    "section": "节",
    "clause": "条款",
    "form": "表单",
    "field": "表单字段",
}
ACTION_NAMES = {"added": "新增", "removed": "删除", "moved": "移动", "changed": "修改"}


@dataclass(frozen=True)
class Node:
    """One comparable thing of a document, with where it sits."""

    kind: str  # chapter, section, clause, form, field
    id: str
    obj: object  # the model object: Section, Clause, Form or FormField
    parent: str | None  # id of the parent (a form for a field; None for chapters and forms)
    label: (
        str  # as printed: "七（四）2.“逐级审批”", "《会议纪要》（HC-YY-F03）", "《会议纪要》· 抄送"
    )
    key: tuple  # the content compared, free of numbers


@dataclass(frozen=True)
class Change:
    kind: str
    id: str
    action: str  # added, removed, moved, changed
    old: Node | None
    new: Node | None
    also_changed: bool = False  # a move whose content changed too

    @property
    def node(self) -> Node:
        return self.new or self.old

    @property
    def content_changed(self) -> bool:
        return self.action == "changed" or self.also_changed

    @property
    def title(self) -> str:
        """「修改 条款」"""
        action = ACTION_NAMES[self.action] + ("并修改" if self.also_changed else "")
        return f"{action} {KIND_NAMES[self.kind]}"


@dataclass
class ChangeSet:
    old: Document
    new: Document
    changes: list[Change]
    old_name: str = ""  # what the user called the old version ("v1.1", "manual_src")
    new_name: str = ""
    old_revision: str = ""  # commit, when known
    new_revision: str = ""
    by_id: dict[str, Change] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.changes}

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTION_NAMES}
        for c in self.changes:
            out[c.action] += 1
        return out

    def changed_ids(self) -> list[str]:
        """Ids of the content added, moved or changed in the new version (for revisions.yaml)."""
        return [
            c.id
            for c in self.changes
            if c.action != "removed" and c.kind in ("chapter", "section", "clause")
        ]


# --- canonical content ---------------------------------------------------------------------


def canonical(paragraph: Paragraph) -> tuple[str, ...]:
    """A paragraph as compared: plain text, with each reference reduced to the id it points to."""
    out: list[str] = []
    for span in paragraph:
        piece = f"\x00{span.ref}\x00" if span.ref else span.text
        if out and not span.ref and not out[-1].startswith("\x00"):
            out[-1] += piece
        else:
            out.append(piece)
    return tuple(out)


def _paragraphs(paragraphs: Iterable[Paragraph]) -> tuple:
    return tuple(canonical(p) for p in paragraphs)


def clause_key(clause: Clause) -> tuple:
    table = None
    if clause.table is not None:
        table = (clause.table.columns, tuple(_paragraphs(row) for row in clause.table.rows))
    return (
        clause.title,
        _paragraphs(clause.text),
        _paragraphs(i.text for i in clause.items),
        table,
        canonical(clause.note) if clause.note is not None else None,
    )


def section_key(section: Section) -> tuple:
    return (section.title, section.title_en, _paragraphs(section.intro))


def form_key(form: Form) -> tuple:
    return (
        form.code,
        form.title,
        form.title_en,
        canonical(form.purpose),
        _paragraphs(form.instructions),
        form.clause_id,
        bool(form.approval_chain),
    )


def field_key(f: FormField) -> tuple:
    return (
        f.label,
        f.type,
        f.required,
        f.options,
        f.help,
        f.example,
        f.rows,
        tuple(field_key(c) + (c.id,) for c in f.columns),
        f.row_examples,
        f.compute,
    )


def form_label(form: Form) -> str:
    return f"《{form.title}》（{form.code}）"


def numbered_label(number_path: str, title: str | None) -> str:
    return f"{number_path}“{title}”" if title else number_path


def nodes(document: Document) -> dict[str, Node]:
    """Every comparable thing of `document`, by id, in reading order."""
    out: dict[str, Node] = {}
    for node, parent in document.walk():
        parent_id = parent.id if parent is not None else None
        if isinstance(node, Form):
            out[node.id] = Node("form", node.id, node, None, form_label(node), form_key(node))
            for f in node.fields:
                fid = f"{node.id}.{f.id}"
                out[fid] = Node(
                    "field", fid, f, node.id, f"{form_label(node)} · {f.label}", field_key(f)
                )
        elif isinstance(node, Section):
            kind = "chapter" if node.level == 1 else "section"
            label = numbered_label(node.number.path, node.title)
            out[node.id] = Node(kind, node.id, node, parent_id, label, section_key(node))
        else:
            label = numbered_label(node.number.path, node.title)
            out[node.id] = Node("clause", node.id, node, parent_id, label, clause_key(node))
    return out


# --- comparing -----------------------------------------------------------------------------


def _reordered(old_order: list[str], new_order: list[str]) -> set[str]:
    """Ids whose order among the shared siblings changed: those outside a longest common run."""
    shared = set(old_order) & set(new_order)
    a = [i for i in old_order if i in shared]
    b = [i for i in new_order if i in shared]
    if a == b:
        return set()
    kept: set[str] = set()
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        kept.update(a[block.a : block.a + block.size])
    return shared - kept


def _children(index: dict[str, Node]) -> dict[str | None, list[str]]:
    """Sibling order per parent; chapters and forms are kept apart (both have no parent)."""
    out: dict[str | None, list[str]] = {}
    for node in index.values():
        parent = node.parent if node.parent is not None else f"\x00{node.kind}"
        out.setdefault(parent, []).append(node.id)
    return out


def compare(old: Document, new: Document, **names) -> ChangeSet:
    """The changes from `old` to `new` (two resolved documents of the same branch), in the new
    document's reading order, each removal placed where it stood among the old document's."""
    a, b = nodes(old), nodes(new)
    a_children, b_children = _children(a), _children(b)
    reordered: set[str] = set()
    for parent, order in b_children.items():
        reordered |= _reordered(a_children.get(parent, []), order)

    changes: list[Change] = []
    for nid, node in b.items():
        before = a.get(nid)
        if before is None:
            changes.append(Change(node.kind, nid, "added", None, node))
            continue
        differs = before.key != node.key or before.kind != node.kind
        if before.parent != node.parent or nid in reordered:
            changes.append(Change(node.kind, nid, "moved", before, node, also_changed=differs))
        elif differs:
            changes.append(Change(node.kind, nid, "changed", before, node))
    # Removals: after the change of the nearest earlier old node that survives.
    order = {nid: i for i, nid in enumerate(b)}
    placed: list[tuple[float, int, Change]] = [(order[c.id], 0, c) for c in changes]
    anchor = -0.5
    for i, (nid, node) in enumerate(a.items()):
        if nid in b:
            anchor = order[nid]
        else:
            placed.append((anchor + 0.5, i + 1, Change(node.kind, nid, "removed", node, None)))
    placed.sort(key=lambda t: (t[0], t[1]))
    return ChangeSet(old, new, [c for _, _, c in placed], **names)


# --- words ---------------------------------------------------------------------------------

EQUAL, INSERT, DELETE = 0, 1, -1
# Each token (a reference, a run of Latin letters/digits, or one other character) becomes one
# private-use character while diffing, so "60日" → "30日" highlights "60"/"30", not "6"/"3".
_PRIVATE = 0xF0000
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,:%][A-Za-z0-9]+)*%?|\s+|.", re.S)


def inline_diff(old: Paragraph, new: Paragraph) -> list[tuple[int, Span]]:
    """The paragraph `new` against `old` as (op, span) pieces: EQUAL, DELETE (only in old),
    INSERT (only in new). A reference (a span with `ref`) is never split, and one to the same
    target is EQUAL even when renumbering changed its label (the piece then has the new label)."""
    tokens: dict[tuple[str | None, str], str] = {}
    decode: dict[str, tuple[str | None, str]] = {}

    def code(ref: str | None, piece: str) -> str:
        # A reference is coded by its target alone, so a renumbered one is unchanged; its text
        # is the last seen, i.e. the new label (`new` is encoded after `old`).
        key = (ref, "" if ref else piece)
        if key not in tokens:
            tokens[key] = chr(_PRIVATE + len(tokens))
        decode[tokens[key]] = (ref, piece)
        return tokens[key]

    def encode(paragraph: Paragraph) -> str:
        return "".join(
            code(span.ref, span.text)
            if span.ref
            else "".join(code(None, t) for t in _TOKEN.findall(span.text))
            for span in paragraph
        )

    engine = diff_match_patch()
    engine.Diff_Timeout = 0  # no time limit: the same input always gives the same diff
    pieces = engine.diff_main(encode(old), encode(new), False)
    engine.diff_cleanupSemantic(pieces)
    out: list[tuple[int, Span]] = []
    for op, encoded in pieces:
        for ch in encoded:
            ref, piece = decode[ch]
            if ref is None and out and out[-1][0] == op and out[-1][1].ref is None:
                out[-1] = (op, Span(out[-1][1].text + piece))
            else:
                out.append((op, Span(piece, ref)))
    return out


def block_paragraphs(node: Node | None) -> list[Paragraph]:
    """What a clause, section, form or field says, as display paragraphs (numbers included,
    for reading; the comparison itself ignores them)."""
    if node is None:
        return []
    obj = node.obj
    if isinstance(obj, Clause):
        first = list(obj.text[0]) if obj.text else []
        lead = (obj.title + ("：" if first else "")) if obj.title else ""
        out: list[Paragraph] = (
            [tuple([Span(lead)] if lead else []) + tuple(first)] if (lead or first) else []
        )
        out += list(obj.text[1:])
        out += [(Span(item.number.label + " "),) + item.text for item in obj.items]
        if obj.table is not None:
            out.append((Span("｜".join(obj.table.columns)),))
            out += [
                sum(((Span("｜"),) + cell if i else cell for i, cell in enumerate(row)), ())
                for row in obj.table.rows
            ]
        if obj.note is not None:
            out.append((Span("注："),) + obj.note)
        return out
    if isinstance(obj, Section):
        return [(Span(obj.title),), *obj.intro]
    if isinstance(obj, Form):
        out = [(Span(form_label(obj)),), obj.purpose, *obj.instructions]
        if obj.clause_label:
            out.append((Span("对应条款："), Span(obj.clause_label, ref=obj.clause_id)))
        return out
    if isinstance(obj, FormField):
        return [(Span(describe_field(obj)),)]
    return []


FIELD_TYPES = {
    "text": "单行文本",
    "textarea": "多行文本",
    "date": "日期",
    "datetime": "日期时间",
    "number": "数字",
    "money": "金额",
    "choice": "单选",
    "multichoice": "多选",
    "score": "评分",
    "person": "人员",
    "signature": "签名",
    "rows": "明细表",
}


def describe_field(f: FormField) -> str:
    parts = [f"{f.label}（{FIELD_TYPES.get(f.type, f.type)}{'，必填' if f.required else ''}）"]
    if f.options:
        parts.append("选项：" + "、".join(f.options))
    if f.columns:
        parts.append("列：" + "、".join(c.label for c in f.columns))
    if f.help:
        parts.append("说明：" + f.help)
    return "；".join(parts)


SIMILAR = 0.5  # paragraphs at least this alike are compared word by word, others replaced whole


def likeness(a: Paragraph, b: Paragraph) -> float:
    """0–1: how alike two paragraphs read (references compared by target)."""
    return difflib.SequenceMatcher(
        None, "".join(canonical(a)), "".join(canonical(b)), autojunk=False
    ).ratio()


def aligned(old: list, new: list, like=likeness) -> Iterator[tuple]:
    """Pairs of paragraphs to compare: unchanged or edited pairs, and lone insertions/deletions
    (deletions first). Between unchanged paragraphs, old and new are paired by likeness (`like`,
    each pair at least SIMILAR), not by position: an edited paragraph meets its own old version,
    not its neighbour's, and one rewritten beyond recognition is deleted and inserted whole."""
    a = [canonical(p) for p in old]
    b = [canonical(p) for p in new]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            yield from zip(old[i1:i2], new[j1:j2])
        else:
            yield from _paired_by_likeness(old[i1:i2], new[j1:j2], like)


def _paired_by_likeness(olds: list, news: list, like) -> Iterator[tuple]:
    """In order, the pairing of `olds` with `news` of greatest total likeness (each pair at
    least SIMILAR); the rest alone, deletions before insertions."""
    n, m = len(olds), len(news)
    score = [[like(a, b) for b in news] for a in olds]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pair = score[i][j] + best[i + 1][j + 1] if score[i][j] >= SIMILAR else -1.0
            best[i][j] = max(pair, best[i + 1][j], best[i][j + 1])
    i = j = 0
    while i < n and j < m:
        if score[i][j] >= SIMILAR and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            yield olds[i], news[j]
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            yield olds[i], None
            i += 1
        else:
            yield None, news[j]
            j += 1
    for x in olds[i:]:
        yield x, None
    for y in news[j:]:
        yield None, y


# --- the comparison table (修订对照表) ---
# One format-neutral description of the 修订对照表, so the DOCX and PDF writers render the same
# rows: 序号 | 条款 | 变更 | 原条文 | 修订后条文. A cell is a list of paragraphs, each a tuple of
# (op, Span) pieces: EQUAL text, DELETE (struck out, in 原条文 only), INSERT (underlined, in
# 修订后条文 only) and NOTE, a remark of the table's own such as "（无）", never manual text.

NOTE = 2
NO_TEXT = "（无）"
IDENTICAL = "两个版本内容一致"
PURE_MOVE = "（条文未修改，仅位置调整）"
PURE_MOVE_WITH_CHILDREN = "（条文未修改，仅位置调整；下设各项随之移动）"

Piece = tuple[int, Span]
MarkedParagraph = tuple[Piece, ...]


@dataclass(frozen=True)
class Row:
    """One line of the 修订对照表."""

    number: int  # 序号, 1-based
    label: str  # 条款: the new label (the old one for a removal); a move: "原 X → 现 Y“标题”"
    # under the label: the old number of a renumbered clause ("原编号 七（一）3.（1）"), else ""
    label_note: str
    change: str  # 变更: Change.title, e.g. "修改 条款"
    action: str  # added, removed, moved, changed (for styling)
    kind: str
    id: str
    old: tuple[MarkedParagraph, ...]  # 原条文
    new: tuple[MarkedParagraph, ...]  # 修订后条文

    @property
    def label_lines(self) -> tuple[str, ...]:
        """The label as printed: a move on two lines, "原 X →" over "现 Y"."""
        before, arrow, after = self.label.partition(" → ")
        return (before + arrow.rstrip(), after) if arrow else (self.label,)


@dataclass(frozen=True)
class Comparison:
    """The whole 修订对照表: title, header block, summary and rows."""

    title: str  # 「运营管理手册修订对照表」
    company: str
    doc_number: str
    branch: str
    old_version: str
    new_version: str
    effective_date: object  # datetime.date of the new version: the document's own date
    confidentiality: str
    info: tuple[tuple[str, str], ...]  # header block: (label, value), in reading order
    summary: str  # 共 N 处：新增 a、删除 b、移动 c、修改 d
    legend: str
    rows: tuple[Row, ...]

    @property
    def identical(self) -> bool:
        return not self.rows


def _merge(pieces: Iterable[Piece]) -> MarkedParagraph:
    """Join neighbouring plain pieces with the same op (references stay whole)."""
    out: list[Piece] = []
    for op, span in pieces:
        if not span.text:
            continue
        if out and out[-1][0] == op and out[-1][1].ref is None and span.ref is None:
            out[-1] = (op, Span(out[-1][1].text + span.text))
        else:
            out.append((op, span))
    return tuple(out)


def _whole(op: int, paragraphs: Iterable[Paragraph]) -> tuple[MarkedParagraph, ...]:
    return tuple(p for p in (_merge((op, s) for s in paragraph) for paragraph in paragraphs) if p)


def _note(text: str) -> MarkedParagraph:
    return ((NOTE, Span(text)),)


def _marked_pair(old: Paragraph, new: Paragraph) -> tuple[MarkedParagraph, MarkedParagraph]:
    """One edited paragraph as its 原条文 (EQUAL/DELETE) and 修订后条文 (EQUAL/INSERT) halves.

    A reference whose printed label changed only because its target was renumbered is the same
    reference: it is shown with each version's label, unmarked."""
    pieces = inline_diff(old, new)
    deleted = {s.ref for op, s in pieces if op == DELETE and s.ref}
    inserted = {s.ref for op, s in pieces if op == INSERT and s.ref}
    renumbered = deleted & inserted
    left = _merge((EQUAL if s.ref in renumbered else op, s) for op, s in pieces if op != INSERT)
    right = _merge((EQUAL if s.ref in renumbered else op, s) for op, s in pieces if op != DELETE)
    return left, right


def _marked(
    old: list[Paragraph], new: list[Paragraph]
) -> tuple[tuple[MarkedParagraph, ...], tuple[MarkedParagraph, ...]]:
    left: list[MarkedParagraph] = []
    right: list[MarkedParagraph] = []
    for a, b in aligned(old, new):
        if a is not None and b is not None:
            x, y = _marked_pair(a, b)
            left.append(x)
            right.append(y)
        elif a is not None:
            left.extend(_whole(DELETE, [a]))
        else:
            right.extend(_whole(INSERT, [b]))
    return tuple(p for p in left if p), tuple(p for p in right if p)


def _place(node: Node) -> str | None:
    """Where a chapter, section or clause is printed ("七（一）1."); None for forms and fields."""
    number = getattr(node.obj, "number", None)
    return number.path if number is not None else None


def _carried(old: Node, new: Node) -> tuple[list[Paragraph], list[Paragraph]]:
    """What a moved chapter or section carries along: the direct sections and clauses it holds in
    both versions, each with that version's number (additions and removals are rows of their
    own)."""
    if not (isinstance(old.obj, Section) and isinstance(new.obj, Section)):
        return [], []

    def children(section: Section) -> list:
        return [*section.sections, *section.clauses]

    kept = {c.id for c in children(old.obj)} & {c.id for c in children(new.obj)}

    def line(section: Section) -> list[Paragraph]:
        names = [
            f"{c.number.label}{c.number.sep}{c.title or ''}"
            for c in children(section)
            if c.id in kept
        ]
        return [(Span("下设：" + "；".join(names)),)] if names else []

    return line(old.obj), line(new.obj)


def _row_label(change: Change) -> tuple[str, str]:
    old, new = change.old, change.new
    if change.action == "moved":
        before, after = _place(old), _place(new)
        if before is None or after is None:
            return new.label, "（顺序调整）"
        title = getattr(new.obj, "title", None)
        if getattr(old.obj, "title", None) != title:
            return f"原 {old.label} → 现 {new.label}", ""
        return f"原 {before} → 现 {numbered_label(after, title)}", ""
    if change.action == "changed" and _place(old) != _place(new):
        return new.label, f"原编号 {_place(old)}"
    return change.node.label, ""


def _row_cells(change: Change) -> tuple[tuple[MarkedParagraph, ...], tuple[MarkedParagraph, ...]]:
    if change.action == "added":
        return (_note(NO_TEXT),), _whole(INSERT, block_paragraphs(change.new)) or (_note(NO_TEXT),)
    if change.action == "removed":
        return _whole(DELETE, block_paragraphs(change.old)) or (_note(NO_TEXT),), (_note(NO_TEXT),)
    old_paragraphs = block_paragraphs(change.old)
    new_paragraphs = block_paragraphs(change.new)
    if change.action == "moved":
        carried_old, carried_new = _carried(change.old, change.new)
        old_paragraphs += carried_old
        new_paragraphs += carried_new
        if not change.also_changed:
            note = PURE_MOVE_WITH_CHILDREN if carried_new else PURE_MOVE
            return _whole(EQUAL, old_paragraphs), _whole(EQUAL, new_paragraphs) + (_note(note),)
    left, right = _marked(old_paragraphs, new_paragraphs)
    return left or (_note(NO_TEXT),), right or (_note(NO_TEXT),)


def comparison_rows(changeset: ChangeSet) -> list[Row]:
    """The rows of the 修订对照表, one per change, in the order `compare` reports them (the new
    document's reading order, removals where they stood)."""
    rows: list[Row] = []
    for number, change in enumerate(changeset.changes, start=1):
        label, label_note = _row_label(change)
        old, new = _row_cells(change)
        rows.append(
            Row(
                number,
                label,
                label_note,
                change.title,
                change.action,
                change.kind,
                change.id,
                old,
                new,
            )
        )
    return rows


def _source(name: str, revision: str) -> str:
    if name and revision and revision not in name:
        return f"{name}（提交 {revision}）"
    return name or revision or "—"


def comparison(changeset: ChangeSet) -> Comparison:
    """The 修订对照表 of `changeset`, ready for a writer."""
    old, new = changeset.old.meta, changeset.new.meta
    counts = changeset.counts()
    total = sum(counts.values())
    summary = (
        f"共 {total} 处："
        + "、".join(
            f"{ACTION_NAMES[a]} {counts[a]}" for a in ("added", "removed", "moved", "changed")
        )
        if total
        else f"共 0 处：{IDENTICAL}"
    )
    info = [
        ("文件编号", new.doc_number),
        ("适用机构", changeset.new.branch.name),
        ("原版本", f"{old.version}（{chinese_date(old.effective_date)}生效）"),
        ("修订后版本", f"{new.version}（{chinese_date(new.effective_date)}生效）"),
        ("原版本来源", _source(changeset.old_name, changeset.old_revision)),
        ("修订后来源", _source(changeset.new_name, changeset.new_revision)),
    ]
    known = {r.version for r in changeset.old.revisions}
    notes = [r.summary for r in changeset.new.revisions if r.version not in known]
    if notes:
        info.append(("修订说明", "；".join(notes)))
    return Comparison(
        title=f"{new.title}修订对照表",
        company=new.company,
        doc_number=new.doc_number,
        branch=changeset.new.branch.name,
        old_version=old.version,
        new_version=new.version,
        effective_date=new.effective_date,
        confidentiality=new.confidentiality,
        info=tuple(info),
        summary=summary,
        legend="原条文中加删除线（红色）的文字为删除内容；修订后条文中加下划线（蓝色）的文字为新增内容。"
        "条款编号按各自版本；仅编号变化不列为修订。",
        rows=tuple(comparison_rows(changeset)),
    )
