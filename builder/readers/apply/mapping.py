"""The paragraphs the build wrote for each node (mirroring HandbookWriter), and edits of a
paragraph mapped back through the placeholders of the value it was built from."""

from __future__ import annotations

from dataclasses import dataclass

from builder.document import placeholders
from builder.document.model import Clause, Document, Section, plain

TAG = " 本次修订"  # builder.writers.docx.handbook.HandbookWriter.change_tag


@dataclass
class Slot:
    """One paragraph the build wrote: the node it belongs to and what of it it shows."""

    node: str | None
    part: str  # "head" (clause), "title", "title_en", "tag", "intro", "text", "item", "note", ""
    index: int
    text: str


def slots(document: Document, names: dict[str, str]) -> list[tuple[str | None, list[Slot]]]:
    """The body the build wrote, as (bookmark name, its paragraphs) in order; None first for
    the front matter. Mirrors HandbookWriter._section/_clause."""
    out: list[tuple[str | None, list[Slot]]] = []

    def section(s: Section) -> None:
        group = [Slot(s.id, "title", 0, s.title)]
        if s.title_en:
            group.append(Slot(s.id, "title_en", 0, s.title_en))
        if s.changed:
            group.append(Slot(s.id, "tag", 0, TAG))
        group += [Slot(s.id, "intro", i, plain(p)) for i, p in enumerate(s.intro)]
        out.append((names[s.id], group))
        for child in s.sections:
            section(child)
        for c in s.clauses:
            clause(c)

    def clause(c: Clause) -> None:
        head = (c.title or "") + (TAG if c.changed else "")
        head += ("：" if c.title and c.text else "") + (plain(c.text[0]) if c.text else "")
        group = [Slot(c.id, "head", 0, head)]
        group += [Slot(c.id, "text", i, plain(p)) for i, p in enumerate(c.text) if i]
        group += [Slot(c.id, "item", i, plain(item.text)) for i, item in enumerate(c.items)]
        out.append((names[c.id], group))
        tail = out[-1][1]
        for child in c.clauses:
            clause(child)
            tail = out[-1][1]
        if c.table is not None:
            tail.append(Slot(None, "", 0, ""))  # the spacer after the table
        if c.note is not None:
            tail.append(Slot(c.id, "note", 0, "注：" + plain(c.note)))

    for chapter in document.chapters:
        section(chapter)
    return out


def groups(paragraphs, known: set[str]):
    groups: list[tuple[str | None, list]] = [(None, [])]
    for p in paragraphs:
        mark = next((b for b in p.bookmarks if b in known), None)
        if mark is not None:
            groups.append((mark, []))
        groups[-1][1].append(p)
    return groups


def split_head(c: Clause, text: str) -> tuple[str | None, str | None]:
    """(title, first text paragraph) of an edited clause head."""
    text = text.replace(TAG, "", 1) if c.changed else text
    if c.title and c.text:
        title, sep, rest = text.partition("：")
        return (title, rest) if sep else (None, text)
    return (text, None) if c.title else (None, text)


def _segments(source: str, rendered: str):
    """The literal stretches of `source` located in `rendered`:
    (source start, source end, rendered start, rendered end) each; None when they cannot be
    placed (then only an edit of a value without placeholders is applied)."""
    parts = placeholders.parse(source)
    out = []
    pos = 0
    src_pos = 0
    pending = False  # a placeholder before the next literal
    for part in parts:
        if isinstance(part, placeholders.Placeholder):
            pending = True
            src_pos = part.offset + len(part.source)
            continue
        literal = part.text
        # the literal's source stretch: from src_pos to the next placeholder (or end)
        nxt = next(
            (
                q.offset
                for q in parts
                if isinstance(q, placeholders.Placeholder) and q.offset > src_pos
            ),
            len(source),
        )
        at = rendered.find(literal, pos) if pending else pos
        if at < 0 or not rendered.startswith(literal, at):
            return None
        if pending and parts[-1] is part and literal:  # the last literal ends the text
            at = len(rendered) - len(literal)
        out.append((src_pos, nxt, at, at + len(literal)))
        pos = at + len(literal)
        src_pos = nxt
        pending = False
    return out


def map_edit(source: str, rendered: str, new: str) -> str | None:
    """The source text that renders as `new`, when the edit lies in literal text; else None."""
    if "{" not in source and "}" not in source:
        return new if source == rendered else None
    prefix = 0
    while prefix < min(len(rendered), len(new)) and rendered[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(rendered), len(new)) - prefix and rendered[-1 - suffix] == new[-1 - suffix]
    ):
        suffix += 1
    start, end = prefix, len(rendered) - suffix
    inserted = new[prefix : len(new) - suffix]
    segments = _segments(source, rendered)
    if segments is None:
        return None
    for s0, s1, r0, r1 in segments:
        if r0 <= start and end <= r1:
            old_literal = rendered[r0:r1]
            new_literal = old_literal[: start - r0] + inserted + old_literal[end - r0 :]
            escaped = escape(new_literal)
            return source[:s0] + escaped + source[s1:]
    return None


def escape(text: str) -> str:
    """Literal text as manual text: braces doubled (builder.document.placeholders)."""
    return text.replace("{", "{{").replace("}", "}}")
