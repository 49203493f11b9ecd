"""The hierarchy of a manual inferred from the sequence of its numbers.

Markers of three schemes are recognised (outline 一、（一）1.（1）①; law 第一章/第一节/第一条;
decimal 1.1/1.1.1), typed at the start of a paragraph or run in after a title
("一、总则（一）目的本制度旨在…"). Which marker is a child of which is decided by the order in
which they occur, not by their shape: a kind not yet open becomes a child of the innermost open
unit when it starts at 1; a kind already open continues when it is the next number of its level
(and closes everything below it). Anything else ("1.5 倍", "第一条规定的…") stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_DIGITS = "零〇一二三四五六七八九两"
CN_NUM = f"[{CN_DIGITS}十百]+"
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def cn_to_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN_VALUE:
            current = _CN_VALUE[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# (kind, regex at the marker's start); the first group is the number.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("part", re.compile(rf"第({CN_NUM}|\d+)(?:部分|编|編|篇)\s*")),
    ("chapter", re.compile(rf"第({CN_NUM}|\d+)章\s*")),
    ("section", re.compile(rf"第({CN_NUM}|\d+)[节節]\s*")),
    ("article", re.compile(rf"第({CN_NUM}|\d+)[条條]\s*")),
    ("cn", re.compile(rf"({CN_NUM})[、．]\s*")),
    ("pcn", re.compile(rf"（({CN_NUM})）\s*")),
    ("dec", re.compile(r"(\d{1,3}(?:\.\d{1,3}){1,3})(?![\d.])[.．]?\s*(?![%％])")),
    ("num", re.compile(r"(\d{1,3})[.．、](?![\d.．])\s*")),
    ("pnum", re.compile(r"（(\d{1,3})）\s*")),
    ("circ", re.compile(f"([{_CIRCLED}])\\s*")),
]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_REF_PATH = re.compile(r"[一二三四五六七八九十]+（[一二三四五六七八九十]+）$")
_STARTERS = set("第一二三四五六七八九十（0123456789" + _CIRCLED)

SCHEME_OF_KIND = {
    "part": "law",
    "chapter": "law",
    "section": "law",
    "article": "law",
    "cn": "outline",
    "pcn": "outline",
    "num": "outline",
    "pnum": "outline",
    "circ": "outline",
    "dec": "decimal",
}


@dataclass(frozen=True)
class Marker:
    kind: str  # "chapter", "cn", "dec2" …
    value: int
    text: str  # as typed, e.g. "第一条", "（一）", "1.1"
    end: int  # index after the marker (and its spaces)


def match_marker(text: str, at: int = 0) -> Marker | None:
    ch = text[at : at + 1]
    if not ch or ch not in _STARTERS:
        return None
    for kind, pattern in _PATTERNS:
        m = pattern.match(text, at)
        if not m:
            continue
        number = m.group(1)
        if kind == "dec":
            parts = number.split(".")
            kind = f"dec{len(parts)}"
            value = int(parts[-1])
        elif kind == "circ":
            value = _CIRCLED.index(number) + 1
        else:
            value = cn_to_int(number)
        if value is None or value == 0:
            continue
        end = m.end()
        if kind in ("part", "chapter", "section", "article"):
            while end < len(text) and text[end] in "：:、. \t":
                end += 1
        return Marker(kind, value, m.group(0).strip(), end)
    return None


def starts_with_marker(text: str) -> bool:
    return match_marker(text.lstrip()) is not None


@dataclass
class Node:
    kind: str  # marker kind, or "style1".. for Word heading styles, "root"
    value: int
    marker: str
    head: str = ""  # the text after the marker in its paragraph, up to the next marker
    paragraphs: list[str] = field(default_factory=list)  # later paragraphs without a marker
    children: list[Node] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    source: str = ""  # "file:line" of the marker
    run_in: bool = False  # found inside a paragraph, not at its start
    title_en: str | None = None
    explicit: bool = False  # from Word: the title is what was bold, nothing is guessed
    bold_title: str | None = None
    blocks: list = field(default_factory=list)  # ("p", text) / ("table", rows) in order

    def add_text(self, text: str) -> None:
        if not self.head and not self.blocks:
            self.head = text
        else:
            self.blocks.append(("p", text))


class Outline:
    """Builds the tree while reading paragraphs in order."""

    def __init__(self):
        self.root = Node("root", 0, "")
        self.stack: list[Node] = [self.root]
        self.doubtful: list[str] = []  # low-confidence decisions, for the report
        # a list inside a unit's text that reuses an open kind ("…议程：1.回顾；2.分解；3.讨论"
        # under "1.会议管理模板"): its numbers are text until the open level's next number comes
        self.inner: dict[str, int] = {}
        self.last_value: dict[str, int] = {}  # the last number of each kind, anywhere
        self._before = ""  # the text just before the marker being judged
        self._source = ""  # file:line of the paragraph being read

    # -- the sequence rule --------------------------------------------------------------------
    def _accept(self, marker: Marker, run_in: bool, prev_char: str) -> int | None:
        """Index in the stack under which the marker opens a unit, or None (it is text)."""
        if run_in and prev_char:
            if prev_char in "“‘「『《\"'第":
                return None  # a number quoted in the text: “一、”“（一）”
            if prev_char == "）" and _REF_PATH.search(self._before):
                return None  # a reference path "六（九）3."
            if prev_char in CN_DIGITS + "十":
                return None  # a reference path "七（一）" or a word ending in a numeral
        kinds = [n.kind for n in self.stack]
        if marker.kind in kinds:
            i = kinds.index(marker.kind)
            inner = self.inner.get(marker.kind)
            if run_in and inner is not None and marker.value == inner + 1:
                self.inner[marker.kind] = marker.value
                return None
            if marker.value == self.stack[i].value + 1:
                self.inner.pop(marker.kind, None)
                return i - 1
            if run_in and marker.value == 1:
                self.inner[marker.kind] = 1
            if not run_in and marker.value == 1:
                # numbering restarts at the start of a line: a new list, document or part at
                # the same level ("一、引言" of the next manual in a collection)
                self.doubtful.append(
                    f"{self._source}：“{marker.text}”在行首重新从 1 开始编号，按同级新单元处理"
                )
                return i - 1
            return None
        if (
            marker.kind in ("chapter", "section", "article")
            and not run_in
            and marker.value == self.last_value.get(marker.kind, 0) + 1
            and marker.value > 1
        ):
            # 条 (and 章, 节 after a part) count through the whole manual, not per parent
            return len(self.stack) - 1
        if marker.value != 1:
            # a document that starts in the middle (a preview) or a heading style numbering
            if len(self.stack) == 1 and not self.root.children and not run_in:
                return 0
            return None
        if run_in:
            if marker.kind == "cn" and _HAN.match(prev_char) and self.root.children:
                # "统一、规范", "唯一、": a word ending in 一 inside a sentence, not a new level
                return None
            if (
                marker.kind in ("num", "dec2", "dec3", "dec4")
                and prev_char.isascii()
                and (prev_char.isalnum() or prev_char in ".-/:")
            ):
                return None
        return len(self.stack) - 1

    def _glued_ok(self, marker: Marker, text: str) -> bool:
        if marker.kind != "num" or marker.end >= len(text) or not _HAN.match(text[marker.end]):
            return False
        for node in self.stack:
            if node.kind == "num":
                return marker.value == node.value + 1 and self.inner.get("num") is None
        return False

    def _open(self, parent_index: int, marker: Marker, source: str, run_in: bool) -> Node:
        del self.stack[parent_index + 1 :]
        for gone in list(self.inner):
            if gone not in [n.kind for n in self.stack]:
                del self.inner[gone]
        node = Node(marker.kind, marker.value, marker.text, source=source, run_in=run_in)
        self.last_value[marker.kind] = marker.value
        self.stack[-1].children.append(node)
        self.stack.append(node)
        return node

    def open_styled(self, level: int, label: str, title: str, source: str) -> Node:
        """A Word heading (style or outline level) opens a unit at that level, whatever its
        number says."""
        kind = f"style{level}"
        while len(self.stack) > 1 and _style_level(self.stack[-1].kind) >= level:
            self.stack.pop()
        node = Node(kind, 0, label, head=title, source=source, explicit=True, bold_title=title)
        self.stack[-1].children.append(node)
        self.stack.append(node)
        return node

    def open_document(self, title: str, source: str) -> Node:
        """A standalone title line of a manual ("企业运营管理制度手册"): in a collection of
        manuals each starts a top-level unit and its numbers start afresh."""
        last = self.root.children[-1] if self.root.children else None
        if last is not None and last.kind == "doc" and not last.children and not last.blocks:
            if last.head == title:  # the title repeated (a cover, then the first page)
                return last
            self.root.add_text(last.head)  # a title line with nothing under it: the collection's
            self.root.children.pop()
        node = Node("doc", 0, "", head=title, source=source)
        self.root.children.append(node)
        self.stack = [self.root, node]
        self.inner.clear()
        return node

    def add_paragraph(self, text: str, source: str, run_in: bool = True) -> list[Node]:
        """Split a paragraph at the markers the sequence accepts; returns the units opened.
        run_in False (a Word paragraph): only a number at its start counts."""
        opened: list[Node] = []
        self._source = source
        pos = 0
        chunk_start = 0
        current: Node | None = None
        n = len(text)
        while pos < n:
            ch = text[pos]
            if not run_in and pos:
                break
            if ch in _STARTERS:
                prev = text[pos - 1] if pos else ""
                marker = match_marker(text, pos)
                self._before = text[max(0, pos - 12) : pos]
                if marker is not None and pos and prev.isdigit():
                    # glued to a number before it ("…2023-09-154.文件审批模板"): only the next
                    # number of an open "1." level followed by Chinese text
                    if not self._glued_ok(marker, text):
                        pos += 1
                        continue
                if marker is not None:
                    where = self._accept(marker, pos > 0, prev)
                    if where is not None and marker.end < n or (where is not None and pos == 0):
                        before = text[chunk_start:pos].strip()
                        if before:
                            (current or self.stack[-1]).add_text(before)
                        current = self._open(where, marker, source, pos > 0)
                        opened.append(current)
                        if (
                            pos > 0
                            and prev in "，,、；;：:"
                            and marker.kind in ("num", "pnum", "circ")
                        ):
                            self.doubtful.append(
                                f"{source}：行内的“{marker.text}”被识别为新的一级编号"
                                f"（前文：…{text[max(0, pos - 12) : pos]}）"
                            )
                        pos = chunk_start = marker.end
                        continue
            pos += 1
        rest = text[chunk_start:].strip()
        if rest:
            (current or self.stack[-1]).add_text(rest)
        return opened

    def add_note(self, text: str) -> None:
        """A note (注：…) belongs to the clause, not to the list item last read."""
        top = self.stack[-1]
        if len(self.stack) > 2 and not top.children and top.kind in ("pnum", "circ"):
            top = self.stack[-2]
        top.blocks.append(("note", text))

    def add_table(self, rows: list[list[str]]) -> None:
        self.stack[-1].blocks.append(("table", rows))


_DOC_TITLE = re.compile(
    r"^[^，。；：:,;、]{2,22}(手册|手冊|制度|范本|範本|模板|方案|办法|辦法|规定|規定|规范|規範|"
    r"流程包|内容|內容|区别|區別|作用|（范本）|\(范本\))$"
)


def is_document_title(text: str) -> bool:
    """A line that reads as the title of a whole manual (no number, no sentence)."""
    return bool(_DOC_TITLE.match(text.strip())) and match_marker(text.strip()) is None


def _style_level(kind: str) -> int:
    return int(kind[5:]) if kind.startswith("style") else 99


def scheme_of(root: Node) -> str:
    """outline / law / decimal: the scheme the numbers were typed in."""
    counts = {"law": 0, "outline": 0, "decimal": 0}

    def walk(node: Node, in_article: bool = False) -> None:
        for child in node.children:
            kind = child.kind[:3] if child.kind.startswith("dec") else child.kind
            scheme = "law" if in_article else SCHEME_OF_KIND.get(kind)  # 项 and 目 of a 条
            if scheme:
                counts[scheme] += 1
            walk(child, in_article or child.kind == "article")

    walk(root)
    kinds = set()

    def kinds_of(node: Node) -> None:
        for child in node.children:
            kinds.add(child.kind)
            kinds_of(child)

    kinds_of(root)
    articles = sum(1 for _ in _iter_kind(root, "article"))
    if articles and counts["law"] >= max(counts["outline"], counts["decimal"]):
        return "law"
    if counts["decimal"] > counts["outline"]:
        return "decimal"
    return "outline"


def _iter_kind(node: Node, kind: str):
    for child in node.children:
        if child.kind == kind:
            yield child
        yield from _iter_kind(child, kind)
