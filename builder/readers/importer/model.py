"""From the inferred tree to the source schema's shape: chapters, sections, clauses, items,
tables; titles split from run-in text; ids from the titles (document/ids.py)."""

from __future__ import annotations

import re

from builder.document.ids import IdMaker
from builder.document.numbering import MAX_LEVEL
from builder.readers.importer.structure import Node
from builder.readers.importer.text import simplified

# Words that begin the body of a unit whose title is run in without punctuation
# ("目的本制度旨在…", "调研计划制定根据公司…"), compared in Simplified script.
_STRONG = (
    "本制度",
    "本手册",
    "本办法",
    "本规定",
    "本流程",
    "本规范",
    "本标准",
    "本章",
    "本节",
    "本条",
    "根据",
    "通过",
    "为了",
    "为规范",
    "为确保",
    "为加强",
    "为提高",
    "是指",
    "包括",
    "涵盖",
    "涉及",
    "按照",
    "依据",
    "旨在",
    "适用于",
    "由公司",
    "公司应",
    "各部门",
    "应当",
    "坚持",
)
_WEAK = ("对", "将", "在", "由", "以", "应", "须", "需", "每", "各", "建立", "制定", "明确", "确保")
_CLAUSE_PUNCT = re.compile(r"[，。；、,;！？：:]")


def split_title(head: str, title_limit: int = 30) -> tuple[str | None, str]:
    """(title, body) of a unit's first paragraph; title None when the text has none."""
    head = head.strip()
    if not head:
        return None, ""
    if len(head) <= title_limit and not _CLAUSE_PUNCT.search(head) and "。" not in head:
        return head, ""
    colon = re.search(r"[：:]", head)
    if (
        colon
        and 1 <= colon.start() <= min(title_limit, 16)
        and not _CLAUSE_PUNCT.search(head[: colon.start()])
    ):
        return head[: colon.start()].strip(), head[colon.end() :].strip()
    plain = simplified(head)
    if len(plain) != len(head):
        plain = head
    # "运营流程定义运营流程是指…": the body starts by repeating the title's first words
    repeat = next(
        (
            k
            for k in range(4, 11)
            if head[k : k + 2] == head[:2] and not _CLAUSE_PUNCT.search(head[:k])
        ),
        None,
    )
    for word in _STRONG:
        pos = plain.find(word, 2, 26)
        if pos >= 2 and not _CLAUSE_PUNCT.search(head[:pos]):
            first = min(p for p in (plain.find(w, 2, 26) for w in _STRONG) if p >= 2)
            if repeat is not None and repeat < first:
                first = repeat
            return head[:first].strip(), head[first:].strip()
    period = re.search(r"[。．]", head)
    if period and 1 <= period.start() <= 15 and not _CLAUSE_PUNCT.search(head[: period.start()]):
        return head[: period.start()].strip(), head[period.end() :].strip()
    plain = simplified(head)
    if len(plain) != len(head):
        plain = head
    best = None
    for word in _STRONG:
        pos = plain.find(word, 2, 26)
        if pos >= 2 and not _CLAUSE_PUNCT.search(head[:pos]) and (best is None or pos < best):
            best = pos
    if best is None:
        # "公司组织结构公司组织结构由…": the body starts by repeating the title's first words
        for k in range(2, 11):
            if head[k : k + 2] == head[:2] and not _CLAUSE_PUNCT.search(head[:k]):
                best = k
                break
    if best is None:
        for word in _WEAK:
            pos = plain.find(word, 2, 16)
            if pos >= 2 and not _CLAUSE_PUNCT.search(head[:pos]) and (best is None or pos < best):
                best = pos
    if best is not None:
        return head[:best].strip(), head[best:].strip()
    return None, head


def _title_of(node: Node, limit: int = 30) -> tuple[str | None, str]:
    """(title, body) of a unit: the bold run-in title of a Word paragraph, else guessed from
    the text (split_title) unless the unit came from Word (there, no bold: no title)."""
    head = node.head.strip()
    if node.bold_title and head.startswith(node.bold_title):
        return node.bold_title, re.sub(r"^[：:]\s*", "", head[len(node.bold_title) :].lstrip())
    if node.explicit:
        return None, head
    return split_title(head, limit)


def _texts(node: Node, body: str, notes: bool = True) -> list[str]:
    out = [body] if body else []
    out += [b[1] for b in node.blocks if b[0] == "p" or (notes and b[0] == "note")]
    return out


def _notes(node: Node) -> list[str]:
    return [b[1] for b in node.blocks if b[0] == "note"]


def _tables(node: Node) -> list[list[list[str]]]:
    return [b[1] for b in node.blocks if b[0] == "table"]


# Markers that number list items in every scheme: （1） and ①.
ITEM_KINDS = ("pnum", "circ")


def _section_like(node: Node) -> bool:
    """A unit that holds clauses (not just list items): a Word heading with content below it,
    or one whose parts are numbered as clauses or have parts of their own."""
    if not node.children:
        return False
    if node.kind.startswith("style"):
        return True
    return any(c.kind not in ITEM_KINDS or c.children for c in node.children)


def flatten(node: Node) -> str:
    """A unit and everything below it as one text (for items and over-deep levels)."""
    parts = [node.head] + [b[1] for b in node.blocks if b[0] in ("p", "note")]
    parts += [flatten(c) for c in node.children]
    return " ".join(p for p in parts if p)


def _one(texts: list[str]):
    return texts[0] if len(texts) == 1 else texts


def table_src(rows: list[list[str]]) -> dict:
    width = max(len(r) for r in rows)
    filled = [[(c.strip() or "—") for c in r] + ["—"] * (width - len(r)) for r in rows]
    return {"columns": filled[0], "rows": filled[1:]}


class Mapper:
    def __init__(self, scheme: str, ids: IdMaker):
        self.scheme = scheme
        self.ids = ids
        self.doubtful: list[str] = []
        self.counts = {"chapters": 0, "sections": 0, "clauses": 0, "items": 0, "tables": 0}
        self.unit_of_source: dict[str, str] = {}

    def chapter(self, node: Node, ordinal: int) -> dict:
        title, body = _title_of(node, 40)
        if not title:
            title = (body[:20] or node.marker or f"第{ordinal}章").rstrip("，。；、")
            self.doubtful.append(f"{node.source}：章没有标题，暂用“{title}”，请核对")
        data = {"id": self.ids.from_title(title, "chapter", ordinal), "title": title}
        if node.title_en:
            data["title_en"] = node.title_en
        self.counts["chapters"] += 1
        self._note(node, data["id"])
        self._container(node, data, body, 1)
        return data

    def _note(self, node: Node, ident: str) -> None:
        self.unit_of_source.setdefault(node.source, ident)

    def _container(self, node: Node, data: dict, body: str, depth: int) -> None:
        texts = _texts(node, body)
        children = node.children
        extra = []  # tables of the container itself become clauses
        for rows in _tables(node):
            extra.append(rows)
        if texts:
            data["intro"] = _one(texts)
        with_children = [c for c in children if _section_like(c)]
        use_sections = (
            children
            and depth + 1 < MAX_LEVEL
            and with_children
            and not (self.scheme == "law" and depth >= 2)
            and not (self.scheme == "law" and any(c.kind == "article" for c in children))
        )
        if use_sections:
            data["sections"] = [self.section(c, depth + 1, i) for i, c in enumerate(children, 1)]
            for rows in extra:  # a table beside sections: a section of its own
                self.doubtful.append(f"{node.source}：章节中的表格放入单独的一节")
                sid = self.ids.child(data["id"], len(data["sections"]) + 1)
                data["sections"].append(
                    {"id": sid, "title": "附表", "clauses": [self._table_clause(sid, rows)]}
                )
        else:
            clauses = []
            for i, child in enumerate(children, 1):
                clauses.extend(self.clause(child, depth + 1, data["id"], i))
            for rows in extra:
                clauses.append(self._table_clause(data["id"], rows))
            if clauses:
                data["clauses"] = clauses
        if not data.get("sections") and not data.get("clauses"):
            # a chapter with text only: its text is its one clause
            texts = data.pop("intro", None)
            if texts:
                data["clauses"] = [{"id": self.ids.child(data["id"], 1), "text": texts}]
                self.counts["clauses"] += 1

    def _table_clause(self, parent: str, rows) -> dict:
        self.counts["tables"] += 1
        self.counts["clauses"] += 1
        return {"id": self.ids.child(parent, 1), "table": table_src(rows)}

    def section(self, node: Node, depth: int, ordinal: int) -> dict:
        title, body = _title_of(node)
        if not title and node.explicit:
            title, body = split_title(node.head)
        if not title:
            title = (body[:16] or node.marker).rstrip("，。；、：")
            body = body[len(title) :].lstrip("，。；、：") if body.startswith(title) else body
            self.doubtful.append(f"{node.source}：节“{node.marker}”没有可辨认的标题，取“{title}”")
        data = {"id": self.ids.from_title(title), "title": title}
        if node.title_en:
            data["title_en"] = node.title_en
        self.counts["sections"] += 1
        self._note(node, data["id"])
        if not node.children:
            texts = _texts(node, body)
            clause = {"id": self.ids.child(data["id"], 1)}
            if texts:
                clause["text"] = _one(texts)
            tables = _tables(node)
            if tables:
                clause["table"] = table_src(tables[0])
                self.counts["tables"] += 1
            if len(clause) > 1:
                data["clauses"] = [clause]
                self.counts["clauses"] += 1
            return data
        self._container(node, data, body, depth)
        return data

    def clause(self, node: Node, depth: int, parent: str, ordinal: int) -> list[dict]:
        if node.kind == "article" and not node.bold_title:
            # an article has a title only when one is typed in brackets: 第一条（目的）…
            m = re.match(r"^[（【\[]([^）】\]]{1,12})[）】\]]\s*", node.head)
            title, body = (m.group(1), node.head[m.end() :]) if m else (None, node.head)
        else:
            title, body = _title_of(node)
        data: dict = {"id": self.ids.from_title(title, parent, ordinal)}
        if title:
            data["title"] = title
        self.counts["clauses"] += 1
        self._note(node, data["id"])
        texts = _texts(node, body, notes=False)
        notes = _notes(node)
        if notes:
            data["note"] = "\n".join(notes)
        children = node.children
        if children and depth >= MAX_LEVEL:
            texts += [flatten(c) for c in children]
            children = []
        if texts:
            data["text"] = _one(texts)
        if children:
            if all(not c.children and not _tables(c) for c in children) or depth + 1 >= MAX_LEVEL:
                data["items"] = [flatten(c) for c in children]
                self.counts["items"] += len(children)
            else:
                subs = []
                for i, child in enumerate(children, 1):
                    subs.extend(self.clause(child, depth + 1, data["id"], i))
                data["clauses"] = subs
        out = [data]
        tables = _tables(node)
        if tables:
            data["table"] = table_src(tables[0])
            self.counts["tables"] += 1
            for rows in tables[1:]:
                out.append(self._table_clause(data["id"], rows))
        if len(data) == 1:
            data["text"] = node.marker or "（空）"
            self.doubtful.append(f"{node.source}：编号“{node.marker}”之后没有内容")
        return out
