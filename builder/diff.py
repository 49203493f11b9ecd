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
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from diff_match_patch import diff_match_patch

from builder.model import Clause, Document, Form, FormField, Paragraph, Section, Span, plain

KIND_NAMES = {"chapter": "章", "section": "节", "clause": "条款", "form": "表单", "field": "表单字段"}
ACTION_NAMES = {"added": "新增", "removed": "删除", "moved": "移动", "changed": "修改"}


@dataclass(frozen=True)
class Node:
    """One comparable thing of a document, with where it sits."""

    kind: str  # chapter, section, clause, form, field
    id: str
    obj: object  # the model object: Section, Clause, Form or FormField
    parent: str | None  # id of the parent (a form for a field; None for chapters and forms)
    label: str  # as printed: "七（四）2.“逐级审批”", "《会议纪要》（HC-YY-F03）", "《会议纪要》· 抄送"
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
        return [c.id for c in self.changes if c.action != "removed" and c.kind in ("chapter", "section", "clause")]


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
    return (clause.title, _paragraphs(clause.text), _paragraphs(i.text for i in clause.items), table,
            canonical(clause.note) if clause.note is not None else None)


def section_key(section: Section) -> tuple:
    return (section.title, section.title_en, _paragraphs(section.intro))


def form_key(form: Form) -> tuple:
    return (form.code, form.title, form.title_en, canonical(form.purpose), _paragraphs(form.instructions),
            form.clause_id, bool(form.approval_chain))


def field_key(f: FormField) -> tuple:
    return (f.label, f.type, f.required, f.options, f.help, f.example, f.rows,
            tuple(field_key(c) + (c.id,) for c in f.columns), f.row_examples, f.compute)


def form_label(form: Form) -> str:
    return f"《{form.title}》（{form.code}）"


def numbered_label(number_path: str, title: str | None) -> str:
    return f"{number_path}“{title}”" if title else number_path


def nodes(document: Document) -> dict[str, Node]:
    """Every comparable thing of `document`, by id, in reading order."""
    out: dict[str, Node] = {}

    def clause(c: Clause, parent: str) -> None:
        out[c.id] = Node("clause", c.id, c, parent, numbered_label(c.number.path, c.title), clause_key(c))
        for child in c.clauses:
            clause(child, c.id)

    def section(s: Section, parent: str | None) -> None:
        kind = "chapter" if s.level == 1 else "section"
        out[s.id] = Node(kind, s.id, s, parent, numbered_label(s.number.path, s.title), section_key(s))
        for child in s.sections:
            section(child, s.id)
        for c in s.clauses:
            clause(c, s.id)

    for chapter in document.chapters:
        section(chapter, None)
    for form in document.forms:
        out[form.id] = Node("form", form.id, form, None, form_label(form), form_key(form))
        for f in form.fields:
            fid = f"{form.id}.{f.id}"
            out[fid] = Node("field", fid, f, form.id, f"{form_label(form)} · {f.label}", field_key(f))
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
        kept.update(a[block.a:block.a + block.size])
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
        return "".join(code(span.ref, span.text) if span.ref else
                       "".join(code(None, t) for t in _TOKEN.findall(span.text)) for span in paragraph)

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
        out: list[Paragraph] = [tuple([Span(lead)] if lead else []) + tuple(first)] if (lead or first) else []
        out += list(obj.text[1:])
        out += [(Span(item.number.label + " "),) + item.text for item in obj.items]
        if obj.table is not None:
            out.append((Span("｜".join(obj.table.columns)),))
            out += [sum(((Span("｜"),) + cell if i else cell for i, cell in enumerate(row)), ()) for row in obj.table.rows]
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
    "text": "单行文本", "textarea": "多行文本", "date": "日期", "datetime": "日期时间", "number": "数字",
    "money": "金额", "choice": "单选", "multichoice": "多选", "score": "评分", "person": "人员",
    "signature": "签名", "rows": "明细表",
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


def aligned(old: list[Paragraph], new: list[Paragraph]) -> Iterator[tuple[Paragraph | None, Paragraph | None]]:
    """Pairs of paragraphs to compare: equal or edited pairs, and lone insertions/deletions."""
    a = [canonical(p) for p in old]
    b = [canonical(p) for p in new]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal" or op == "replace":
            common = min(i2 - i1, j2 - j1)
            for k in range(common):
                yield old[i1 + k], new[j1 + k]
            for k in range(i1 + common, i2):
                yield old[k], None
            for k in range(j1 + common, j2):
                yield None, new[k]
        elif op == "delete":
            for k in range(i1, i2):
                yield old[k], None
        else:
            for k in range(j1, j2):
                yield None, new[k]
