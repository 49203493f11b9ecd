"""The handbook as a tracked-changes Word file: the new version, every difference from the old
one a Word revision (w:ins / w:del) to accept or reject.

`render_tracked_docx(changeset, path)` writes the NEW version's handbook exactly as
builder.writers.docx.handbook does (same writer, subclassed), and marks what the `ChangeSet` says:

- a changed chapter/section/clause/form: its own paragraphs (heading, text, items, table, note;
  for a form with any form or field change, its whole appendix entry) are rendered for both
  versions, aligned (`diff.aligned`, each stretch of edited paragraphs then paired by likeness)
  and compared word by word (`diff.inline_diff`): equal text plain, deleted text in w:del,
  inserted text in w:ins; a paragraph or table row only in one version is deleted or inserted
  whole, paragraph mark included. References compare by the id they point to, so a reference
  whose printed label changed only because its target was renumbered is not a change.
- an added (or moved, at its new place) one: rendered normally, everything marked inserted;
- a removed (or moved, at its old place) one: rendered from the OLD document at the place it had
  among the old siblings (after the nearest earlier old sibling that stays put in the new
  version), everything marked deleted. Deleted paragraphs carry no list numbering — their old
  number is deleted literal text — so Word numbers the surviving paragraphs as the new version
  and no list counter restarts.

Cover, revision history, table of contents, header and footer are the new version's, unmarked.
Every mark is dated the new version's effective date (00:00 UTC) and signed by its issuer, and
w:trackRevisions stays off (it would record the reader's own edits): the same changeset always
gives the same bytes.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Twips
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from builder.document.changes import (
    DELETE,
    EQUAL,
    INSERT,
    ChangeSet,
    aligned,
    canonical,
    inline_diff,
    likeness,
)
from builder.document.model import Clause, Document, Form, Number, Section, Span
from builder.document.script import document_converter
from builder.writers import ooxml
from builder.writers.docx.handbook import HandbookWriter, fill_page_numbers
from builder.writers.docx.styles import DEFAULT_REFERENCE
from builder.writers.ooxml.package import normalized_zip_bytes

DEFAULT_AUTHOR = "修订对照"

_P, _TBL, _TR, _TC, _R = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:r")
_HYPERLINK, _PPR, _RPR = qn("w:hyperlink"), qn("w:pPr"), qn("w:rPr")
_BOOKMARKS = (qn("w:bookmarkStart"), qn("w:bookmarkEnd"))
_SPECIAL = (qn("w:tab"), qn("w:br"))  # run content kept as is: one "character" each
_GRID_COL = f"{qn('w:tblGrid')}/{qn('w:gridCol')}"

# Top-level sibling lists: chapters, and the forms of the appendix.
CHAPTERS, FORMS = "\x00chapters", "\x00forms"

# Writer modes: how a hook (_section/_clause/_form) renders what it is given.
NORMAL = "normal"  # the new document, merging in the old-only siblings, marking changes
INSERTING = "inserting"  # a new subtree rendered as is, to be marked inserted whole
DELETING = "deleting"  # an old subtree rendered as is (unnumbered), to be marked deleted whole
OLD_OWN = "old-own"  # an old node's own content only (unnumbered), to compare with the new one's


def render_tracked_docx(
    changeset: ChangeSet, path: Path, reference: Path | None = None, *, paginate: bool = False
) -> bool:
    """Write the new version of `changeset` to `path` as .docx, every change from the old version
    a tracked change (styled by `reference`, default templates/reference.docx). Its contents is
    the handbook's; paginate: fill its page numbers as render_docx does (LibreOffice lays the
    file out with the changes shown). False when those were asked for and not all filled."""
    writer = TrackedWriter(changeset, Path(reference) if reference else DEFAULT_REFERENCE)
    writer.build()
    Path(path).write_bytes(
        normalized_zip_bytes(writer.to_bytes(), convert=document_converter(changeset.new))
    )
    return not paginate or fill_page_numbers(Path(path), changeset.new.branch.name)


# -- the two trees, by id ---------------------------------------------------------------------


@dataclass
class _Tree:
    """A document's chapters, sections, clauses and forms: objects, parents and child order."""

    objects: dict[str, object] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Document) -> _Tree:
        tree = cls()
        for node, parent in document.walk():
            parent_id = (
                parent.id if parent is not None else (FORMS if isinstance(node, Form) else CHAPTERS)
            )
            tree.objects[node.id] = node
            tree.parent[node.id] = parent_id
            tree.children.setdefault(parent_id, []).append(node.id)
        return tree


@dataclass
class _Frame:
    """A node being rendered in NORMAL mode: what its children's hooks produced."""

    id: str
    children: set = field(default_factory=set)  # body elements written by the child hooks


# -- the writer -------------------------------------------------------------------------------


class TrackedWriter(HandbookWriter):
    def __init__(self, changeset: ChangeSet, reference: Path):
        super().__init__(changeset.new, reference)
        self.changeset = changeset
        meta = changeset.new.meta
        self.author = meta.issuer or DEFAULT_AUTHOR
        self.date = f"{meta.effective_date.isoformat()}T00:00:00Z"
        self._old, self._new = _Tree.of(changeset.old), _Tree.of(changeset.new)
        self._mode = NORMAL
        self._frames: list[_Frame] = []
        self._labels: dict = {}  # w:p rendered without list numbering → the Number it had
        self._pending = self._old_only_placements()
        self._started: set[str] = set()  # parents whose first child has been rendered
        self._form_changes = {
            c.id.split(".", 1)[0] for c in changeset.changes if c.kind in ("form", "field")
        }

    # -- what changed --------------------------------------------------------------------------

    def _action(self, identifier: str) -> str | None:
        change = self.changeset.by_id.get(identifier)
        return change.action if change else None

    def _stays(self, identifier: str) -> bool:
        """In both versions, under the same parent, in the same order among the shared siblings."""
        return (
            identifier in self._new.objects
            and identifier in self._old.objects
            and self._action(identifier) not in ("added", "moved", "removed")
        )

    def _old_only_placements(self) -> dict[tuple[str, str | None], list[str]]:
        """(parent, anchor) → old children shown deleted there: each removed or moved-away child
        goes after the nearest earlier old sibling that stays (anchor None: before the first)."""
        out: dict[tuple[str, str | None], list[str]] = {}
        for parent, children in self._old.children.items():
            anchor = None
            for child in children:
                if self._stays(child):
                    anchor = child
                elif self._action(child) in ("removed", "moved"):
                    out.setdefault((parent, anchor), []).append(child)
        return out

    # -- capturing what the base writer appends ------------------------------------------------

    @property
    def _body(self):
        return self.doc.element.body

    def _mark(self) -> int:
        body = self._body
        return len(body) - (1 if len(body) and body[-1].tag == qn("w:sectPr") else 0)

    def _since(self, mark: int) -> list:
        return [e for e in self._body[mark:] if e.tag != qn("w:sectPr")]

    def _capture(self, render: Callable[[], None], mode: str) -> list:
        """Run `render` in `mode`; the top-level body elements it wrote."""
        saved, self._mode = self._mode, mode
        mark = self._mark()
        try:
            render()
        finally:
            self._mode = saved
        return self._since(mark)

    # -- hooks on the base writer --------------------------------------------------------------

    def number(self, paragraph: DocxParagraph, number: Number) -> None:
        if self._mode in (DELETING, OLD_OWN):
            # Old content gets no list numbering (the counters stay the new version's); its
            # number becomes deleted literal text if the paragraph ends up deleted.
            self._labels[paragraph._p] = number
            return
        super().number(paragraph, number)

    def bookmark(self, paragraph: DocxParagraph, identifier: str) -> None:
        if self._mode in (DELETING, OLD_OWN):
            return  # deleted content keeps no bookmark: the new version owns the names
        super().bookmark(paragraph, identifier)

    def _section(self, section: Section) -> None:
        self._visit(section, lambda obj: super(TrackedWriter, self)._section(obj))

    def _clause(self, clause: Clause) -> None:
        self._visit(clause, lambda obj: super(TrackedWriter, self)._clause(obj))

    def _form(self, form: Form, *, new_page: bool) -> None:
        self._visit(form, lambda obj: super(TrackedWriter, self)._form(obj, new_page=new_page))

    def build(self) -> None:
        super().build()
        ooxml.number_revisions(self._body, self._bookmark_ids + 1)

    # -- walking the new document --------------------------------------------------------------

    def _visit(self, obj, render: Callable[[object], None]) -> None:
        if self._mode == OLD_OWN:
            return  # an old node's own content only: its children are compared on their own
        if self._mode in (INSERTING, DELETING):
            render(obj)
            return
        parent = self._new.parent[obj.id]
        frame = self._frames[-1] if self._frames else None
        mark = self._mark()
        if parent not in self._started:
            self._started.add(parent)
            self._deleted_siblings(parent, None)
        if self._action(obj.id) in ("added", "moved"):
            self._mark_inserted(self._capture(lambda: render(obj), INSERTING))
        else:
            self._changed(obj, render)
        self._deleted_siblings(parent, obj.id)
        if frame is not None:
            frame.children.update(self._since(mark))

    def _changed(self, obj, render: Callable[[object], None]) -> None:
        """A node that stays: its own content compared with the old one, its children merged."""
        frame = _Frame(obj.id)
        self._frames.append(frame)
        mark = self._mark()
        try:
            render(obj)
        finally:
            self._frames.pop()
        own = [e for e in self._since(mark) if e not in frame.children]
        # Old children with no surviving sibling to follow go first (none was rendered).
        if obj.id not in self._started:
            self._started.add(obj.id)
            self._deleted_siblings(obj.id, None)
        old = self._old.objects.get(obj.id)
        if old is not None and self._differs(obj):
            if isinstance(old, (Section, Clause)):
                # The 本次修订 mark belongs to the version being read, not to the change.
                old = dataclasses.replace(old, changed=obj.changed)
            before = self._capture(lambda: render(old), OLD_OWN)
            for element in before:
                element.getparent().remove(element)
            self._diff_blocks(before, own)
            self._labels.clear()

    def _differs(self, obj) -> bool:
        if isinstance(obj, Form):  # a form is compared whole: its own text and its fields
            return obj.id in self._form_changes
        change = self.changeset.by_id.get(obj.id)
        return change is not None and change.content_changed

    def _deleted_siblings(self, parent: str, anchor: str | None) -> None:
        for identifier in self._pending.pop((parent, anchor), ()):
            old = self._old.objects[identifier]
            self._mark_deleted(self._capture(lambda old=old: self._render_plain(old), DELETING))

    def _render_plain(self, obj) -> None:
        base = super()
        if isinstance(obj, Section):
            base._section(obj)
        elif isinstance(obj, Clause):
            base._clause(obj)
        else:
            base._form(obj, new_page=True)

    # -- marking whole blocks ------------------------------------------------------------------

    def _mark_inserted(self, elements: Iterable) -> None:
        for element in elements:
            for p in _paragraphs(element):
                ooxml.track_runs(p, "ins", self.author, self.date)
                ooxml.mark_paragraph_mark(p, "ins", self.author, self.date)
            for tr in element.iter(_TR):
                ooxml.mark_row(tr, "ins", self.author, self.date)

    def _mark_deleted(self, elements: Iterable) -> None:
        for element in elements:
            for p in _paragraphs(element):
                for mark in [e for e in p if e.tag in _BOOKMARKS]:
                    p.remove(mark)
                number = self._labels.pop(p, None)
                if number is not None:
                    self._literal_number(p, number)
                ooxml.track_runs(p, "del", self.author, self.date)
                ooxml.mark_paragraph_mark(p, "del", self.author, self.date)
            for tr in element.iter(_TR):
                ooxml.mark_row(tr, "del", self.author, self.date)

    def _literal_number(self, p, number: Number) -> None:
        """The old number as text at the start of a paragraph that lost its list numbering,
        indented as the list would have indented it."""
        spec = self.scheme.levels[number.level - 1]
        if spec.suffix == "tab":
            run = ooxml.text_run(number.label)
            run.append(OxmlElement("w:tab"))
        else:
            run = ooxml.text_run(number.label + number.sep)
        pPr = p.find(_PPR)
        if pPr is not None:
            pPr.addnext(run)
        else:
            p.insert(0, run)
        if pPr is not None and pPr.find(qn("w:ind")) is None:
            left, hanging = self.level_indent(number.level)
            fmt = DocxParagraph(p, None).paragraph_format
            fmt.left_indent, fmt.first_line_indent = Twips(left), Twips(-hanging)

    # -- comparing blocks ----------------------------------------------------------------------

    def _diff_blocks(self, old: list, new: list) -> None:
        """Turn the new blocks (w:p / w:tbl, in place) into the tracked difference from the old:
        aligned pairs compared inside, old-only blocks moved in and deleted, new-only inserted."""
        old = [e for e in old if e.tag in (_P, _TBL)]
        new = [e for e in new if e.tag in (_P, _TBL)]
        if not new:
            return  # nowhere to show them (a writer always writes a heading or paragraph)
        old_keys, new_keys = [_block_key(e) for e in old], [_block_key(e) for e in new]
        by_key = {id(k): e for k, e in zip(old_keys + new_keys, old + new)}
        previous = None
        for a, b in _aligned(old_keys, new_keys):
            before = by_key[id(a)] if a is not None else None
            after = by_key[id(b)] if b is not None else None
            if before is not None and after is not None and before.tag != after.tag:
                self._place_deleted(before, previous, new)
                previous = before
                before = None
            if after is None:
                self._place_deleted(before, previous, new)
                previous = before
            elif before is None:
                self._mark_inserted([after])
                previous = after
            else:
                if after.tag == _P:
                    self._diff_paragraph(before, after)
                else:
                    self._diff_table(before, after)
                previous = after

    def _place_deleted(self, element, previous, new: list) -> None:
        if previous is not None:
            previous.addnext(element)
        else:
            new[0].addprevious(element)
        self._mark_deleted([element])

    def _diff_paragraph(self, old_p, new_p) -> None:
        old_atoms, new_atoms = _atoms(old_p), _atoms(new_p)
        if old_atoms is None or new_atoms is None:  # content this comparison does not model
            new_p.addprevious(old_p)
            self._mark_deleted([old_p])
            self._mark_inserted([new_p])
            return
        old_spans, new_spans = _spans(old_atoms), _spans(new_atoms)
        if [canonical(old_spans)] == [canonical(new_spans)]:
            return
        pieces: list[tuple[int, object]] = []  # (op, atom)
        i = j = 0
        for op, span in inline_diff(old_spans, new_spans):
            count = 1 if span.ref else len(span.text)
            if op == DELETE:
                pieces += [(op, a) for a in old_atoms[i : i + count]]
                i += count
            else:
                pieces += [(op, a) for a in new_atoms[j : j + count]]
                j += count
                if op == EQUAL:
                    i += count
        starts = [e for e in new_p if e.tag == _BOOKMARKS[0]]
        ends = [e for e in new_p if e.tag == _BOOKMARKS[1]]
        for child in list(new_p):
            if child.tag != _PPR:
                new_p.remove(child)
        for element in (*starts, *self._inline(pieces), *ends):
            new_p.append(element)

    def _inline(self, pieces: list[tuple[int, object]]) -> Iterator:
        """Runs for (op, atom) pieces: links kept as links, changed text inside w:ins / w:del."""

        def runs(items: list[tuple[int, _Char]]) -> Iterator:
            """Runs (EQUAL) and marks holding runs (INSERT, DELETE): a run per formatting."""
            group_op, group, run, run_rpr = None, None, None, None
            for op, char in items:
                if op != group_op:
                    group_op, run = op, None
                    group = (
                        None
                        if op == EQUAL
                        else ooxml.revision_mark(
                            "ins" if op == INSERT else "del", self.author, self.date
                        )
                    )
                    if group is not None:
                        yield group
                if run is None or char.key != run_rpr:
                    run_rpr = char.key
                    run = ooxml.text_run(
                        rPr=copy.deepcopy(char.rpr) if char.rpr is not None else None
                    )
                    if group is not None:
                        group.append(run)
                    else:
                        yield run
                if char.special is not None:
                    run.append(copy.deepcopy(char.special))
                else:
                    ooxml.append_text(run, char.text, deleted=op == DELETE)

        pending: list[tuple[int, _Char]] = []
        for op, atom in pieces:
            if isinstance(atom, _Link):
                yield from runs(pending)
                pending = []
                link = copy.deepcopy(atom.element)
                for child in list(link):
                    link.remove(child)
                for element in runs([(op, c) for c in atom.chars]):
                    link.append(element)
                yield link
            else:
                pending.append((op, atom))
        yield from runs(pending)

    def _diff_table(self, old_tbl, new_tbl) -> None:
        if len(old_tbl.findall(_GRID_COL)) != len(new_tbl.findall(_GRID_COL)):
            new_tbl.addprevious(old_tbl)
            self._mark_deleted([old_tbl])
            self._mark_inserted([new_tbl])
            return
        old_rows, new_rows = old_tbl.findall(_TR), new_tbl.findall(_TR)
        old_keys, new_keys = [_row_key(r) for r in old_rows], [_row_key(r) for r in new_rows]
        by_key = {id(k): r for k, r in zip(old_keys + new_keys, old_rows + new_rows)}
        previous = None
        for a, b in _aligned(old_keys, new_keys):
            before = by_key[id(a)] if a is not None else None
            after = by_key[id(b)] if b is not None else None
            if (
                before is not None
                and after is not None
                and len(before.findall(_TC)) != len(after.findall(_TC))
            ):
                self._place_deleted(before, previous, new_rows)
                previous, before = before, None
            if after is None:
                self._place_deleted(before, previous, new_rows)
                previous = before
            elif before is None:
                self._mark_inserted([after])
                previous = after
            else:
                for old_cell, new_cell in zip(before.findall(_TC), after.findall(_TC)):
                    self._diff_blocks(list(old_cell), list(new_cell))
                previous = after


# -- pairing paragraphs ----------------------------------------------------------------------


def _likeness(a: tuple[Span, ...], b: tuple[Span, ...]) -> float:
    """0–1; blocks of another kind or style (the key's first span) are not alike at all."""
    if not a or not b or a[0] != b[0]:
        return 0.0
    return likeness(a[1:], b[1:]) if a[1:] or b[1:] else 1.0


def _aligned(old: list[tuple[Span, ...]], new: list[tuple[Span, ...]]) -> Iterator[tuple]:
    """`diff.aligned` over block keys: a block only pairs with one of its own kind and style."""
    return aligned(old, new, like=_likeness)


# -- paragraphs as comparable text ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Char:
    text: str  # one character (a special: "\t" or "\n")
    rpr: object  # the w:rPr of the run it came from, or None
    key: bytes  # that w:rPr as XML (b"" for none)
    special: object = None  # a w:tab / w:br element


@dataclass(frozen=True, eq=False)
class _Link:
    """A hyperlink (a reference): compared as the bookmark it points to, never split."""

    element: object
    anchor: str
    chars: tuple[_Char, ...]


def _paragraphs(element) -> Iterator:
    if element.tag == _P:
        yield element
    else:
        yield from element.iter(_P)


def _run_chars(run) -> list[_Char] | None:
    rpr = run.find(_RPR)
    key = (
        etree.tostring(rpr) if rpr is not None else b""
    )  # runs formatted alike merge when rewritten
    out: list[_Char] = []
    for child in run:
        if child.tag == _RPR:
            continue
        if child.tag == qn("w:t"):
            out += [_Char(ch, rpr, key) for ch in child.text or ""]
        elif child.tag in _SPECIAL:
            out.append(_Char("\t" if child.tag == qn("w:tab") else "\n", rpr, key, child))
        else:
            return None
    return out


def _atoms(p) -> list | None:
    """A paragraph as characters and links, or None when it holds anything else (fields, …)."""
    out: list = []
    for child in p:
        if child.tag in (_PPR, *_BOOKMARKS):
            continue
        if child.tag == _R:
            chars = _run_chars(child)
            if chars is None:
                return None
            out += chars
        elif child.tag == _HYPERLINK:
            chars = []
            for run in child:
                more = _run_chars(run) if run.tag == _R else None
                if more is None:
                    return None
                chars += more
            anchor = child.get(qn("w:anchor")) or child.get(qn("r:id")) or ""
            out.append(_Link(child, anchor, tuple(chars)))
        else:
            return None
    return out


def _spans(atoms: list) -> tuple[Span, ...]:
    """What inline_diff compares: text, and each link as one token naming its target."""
    out: list[Span] = []
    text = ""
    for atom in atoms:
        if isinstance(atom, _Link):
            if text:
                out.append(Span(text))
                text = ""
            out.append(Span(f"\x00{atom.anchor}", ref=f"#{atom.anchor}"))
        else:
            text += atom.text
    if text:
        out.append(Span(text))
    return tuple(out)


def _text_spans(element) -> tuple[Span, ...]:
    atoms = _atoms(element)
    if atoms is None:  # compare what it says
        return (Span("".join(t.text or "" for t in element.iter(qn("w:t")))),)
    return _spans(atoms)


def _block_key(element) -> tuple[Span, ...]:
    """A block as a paragraph for `aligned`: a paragraph by style and text, a table by its
    column count (paired tables are compared row by row). Always a new, non-empty tuple."""
    if element.tag == _TBL:
        return (Span(f"\x00table:{len(element.findall(_GRID_COL))}"),)
    style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    name = style.get(qn("w:val")) if style is not None else ""
    return (Span(f"\x01{name}\x01"), *_text_spans(element))


def _row_key(tr) -> tuple[Span, ...]:
    spans: list[Span] = [Span("\x02")]
    for tc in tr.findall(_TC):
        for p in tc.iter(_P):
            spans += _text_spans(p)
            spans.append(Span("\x03"))
        spans.append(Span("\x02"))
    return tuple(spans)


def write(changeset: ChangeSet, target: Path, options) -> bool:
    """The registered entry point (builder.writers): the new handbook with the changes tracked."""
    return render_tracked_docx(changeset, target, paginate=options.paginate)
