"""Word (.docx) in: paragraphs with their heading level (style or outline level), the number
Word shows for automatic numbering (computed from numbering.xml), tables with merged cells.
The package is opened through readers/package.py (zip-bomb limits, no DTD, no entities);
the table of contents (TOC styles, the TOC field or a contents control) is dropped."""

from __future__ import annotations

import re
from pathlib import Path

from builder.readers.importer.structure import match_marker
from builder.readers.importer.text import HAN, Line, full_width, furniture, strip_pinyin
from builder.readers.package import Package, UnreadableFile

_HAN = re.compile(f"[{HAN}]")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"


def _q(tag: str) -> str:
    return _W + tag


def _val(el, tag: str) -> str | None:
    if el is None:
        return None
    child = el.find(_q(tag))
    return None if child is None else child.get(_q("val"))


_DIGITS = "零一二三四五六七八九"


def chinese_counting(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    out = _DIGITS[hundreds] + "百"
    if rest == 0:
        return out
    if rest < 10:
        return out + "零" + _DIGITS[rest]
    return out + (_DIGITS[rest // 10] + "十") + (_DIGITS[rest % 10] if rest % 10 else "")


def format_number(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "ideographTraditional",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "japaneseCounting",
    ):
        return chinese_counting(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt in ("lowerRoman", "upperRoman"):
        vals = [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        out, m = "", n
        for v, s in vals:
            while m >= v:
                out, m = out + s, m - v
        return out if fmt == "lowerRoman" else out.upper()
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


class Numbering:
    """The counters of Word's automatic numbering, advanced paragraph by paragraph."""

    def __init__(self, root):
        self.abstract: dict[str, dict[int, dict]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.started: set[str] = set()
        if root is None:
            return
        for ab in root.findall(_q("abstractNum")):
            levels = {}
            for lvl in ab.findall(_q("lvl")):
                ilvl = int(lvl.get(_q("ilvl"), "0"))
                levels[ilvl] = {
                    "start": int(_val(lvl, "start") or 1),
                    "fmt": _val(lvl, "numFmt") or "decimal",
                    "text": _val(lvl, "lvlText") or "",
                    "restart": _val(lvl, "lvlRestart"),
                }
            self.abstract[ab.get(_q("abstractNumId"))] = levels
        for num in root.findall(_q("num")):
            overrides = {}
            for ov in num.findall(_q("lvlOverride")):
                start = _val(ov, "startOverride")
                if start is not None:
                    overrides[int(ov.get(_q("ilvl"), "0"))] = int(start)
            self.nums[num.get(_q("numId"))] = (_val(num, "abstractNumId"), overrides)

    def label(self, num_id: str, ilvl: int) -> str:
        if num_id not in self.nums or num_id == "0":
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        # instances of one abstract list count together; an instance with startOverride
        # restarts those levels the first time it is used (Word's behaviour)
        counters = self.counters.setdefault(abstract_id, [None] * 9)
        if overrides and num_id not in self.started:
            self.started.add(num_id)
            for lvl_index, start in overrides.items():
                counters[lvl_index] = start - 1
        level = levels[ilvl]
        if counters[ilvl] is None:
            counters[ilvl] = level["start"]
        else:
            counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            restart = levels.get(deeper, {}).get("restart")
            if restart != "0":
                counters[deeper] = None

        def repl(m: re.Match) -> str:
            n = int(m.group(1)) - 1
            lv = levels.get(n, level)
            value = counters[n] if counters[n] is not None else lv["start"]
            fmt = "decimal" if level["fmt"] == "decimal" and n != ilvl else lv["fmt"]
            return format_number(value, fmt)

        return re.sub(r"%(\d)", repl, level["text"])


class Styles:
    def __init__(self, root):
        self.styles = {}
        if root is None:
            return
        for st in root.findall(_q("style")):
            sid = st.get(_q("styleId"))
            name = _val(st, "name") or sid or ""
            ppr = st.find(_q("pPr"))
            numpr = ppr.find(_q("numPr")) if ppr is not None else None
            self.styles[sid] = {
                "name": name.lower(),
                "based": _val(st, "basedOn"),
                "outline": _val(ppr, "outlineLvl") if ppr is not None else None,
                "num": (_val(numpr, "numId"), _val(numpr, "ilvl")) if numpr is not None else None,
            }

    def _chain(self, sid):
        seen = 0
        while sid and sid in self.styles and seen < 10:
            yield self.styles[sid]
            sid = self.styles[sid]["based"]
            seen += 1

    def heading_level(self, sid) -> int | None:
        for st in self._chain(sid):
            m = re.match(r"^(?:heading|标题|標題)\s*(\d)$", st["name"])
            if m:
                return int(m.group(1)) - 1
            if st["name"] == "title":
                return None
            if st["outline"] is not None and st["outline"] != "9":
                return int(st["outline"])
        return None

    def is_title(self, sid) -> bool:
        return any(st["name"] in ("title", "标题") for st in self._chain(sid))

    def is_note(self, sid) -> bool:
        return any(st["name"] in ("note", "注", "注释") for st in self._chain(sid))

    def is_toc(self, sid) -> bool:
        st = self.styles.get(sid)
        return bool(st and re.match(r"^(toc|目录|目錄)\s*\d*$|^toc heading$", st["name"]))

    def numbering(self, sid):
        for st in self._chain(sid):
            if st["num"]:
                return st["num"]
        return None


def _para_text(p) -> str:
    parts = []
    for el in p.iter(_q("t"), _q("tab"), _q("br"), _q("delText")):
        if el.tag == _q("t"):
            parts.append(el.text or "")
        elif el.tag in (_q("tab"),):
            parts.append(" ")
    return "".join(parts)


def _is_bold(run) -> bool:
    rpr = run.find(_q("rPr"))
    if rpr is None:
        return False
    b = rpr.find(_q("b"))
    if b is not None and b.get(_q("val")) not in ("0", "false", "off"):
        return True
    style = (_val(rpr, "rStyle") or "").lower()
    return "strong" in style or "bold" in style


def _bold_title(p) -> str | None:
    """The bold run-in title of a paragraph ("制定目的：…"), or None."""
    bold = ""
    for run in p.iter(_q("r")):
        text = "".join(t.text or "" for t in run.iter(_q("t")))
        if not text:
            continue
        if not _is_bold(run):
            break
        bold += text
    bold = bold.strip()
    m = re.match(r"^(.{1,40}?)\s*[：:]?$", bold)
    if not bold or not m:
        return None
    return m.group(1).strip() or None


def _table_rows(tbl) -> list[list[str]]:
    rows = []
    for tr in tbl.findall(_q("tr")):
        row = []
        for tc in tr.findall(_q("tc")):
            tcpr = tc.find(_q("tcPr"))
            span = int(_val(tcpr, "gridSpan") or 1) if tcpr is not None else 1
            vmerge = tcpr.find(_q("vMerge")) if tcpr is not None else None
            text = "\n".join(_para_text(p) for p in tc.iter(_q("p"))).strip()
            if vmerge is not None and vmerge.get(_q("val")) != "restart":
                text = ""
            row.append(text)
            row.extend([""] * (span - 1))
        rows.append(row)
    return rows


def read_docx(path: Path, label: str) -> list[Line]:
    with Package(path) as package:
        if "word/document.xml" not in package:
            raise UnreadableFile(f"{label}：不是 Word 文档（缺少 word/document.xml）")
        for name in package.names():
            if name.endswith((".xml", ".rels")):
                package.xml(name)  # refuse a DTD anywhere in the package
        document = package.xml("word/document.xml")
        styles = Styles(package.xml("word/styles.xml") if "word/styles.xml" in package else None)
        numbering = Numbering(
            package.xml("word/numbering.xml") if "word/numbering.xml" in package else None
        )
    body = document.find(_q("body"))
    if body is None:
        raise UnreadableFile(f"{label}：Word 文档没有正文")
    lines: list[Line] = []
    number = 0
    in_toc_field = False

    def paragraphs(container):
        for el in container:
            if el.tag == _q("sdt"):
                gallery = el.find(f".//{_W}docPartGallery")
                content = el.find(_q("sdtContent"))
                toc = gallery is not None and "Contents" in (gallery.get(_q("val")) or "")
                if content is not None:
                    for inner in paragraphs(content):
                        yield (inner[0], inner[1] or toc)
            elif el.tag in (_q("p"), _q("tbl")):
                yield (el, False)

    for el, in_toc in paragraphs(body):
        number += 1
        if el.tag == _q("tbl"):
            rows = _table_rows(el)
            line = Line(label, number, " | ".join(" ".join(r) for r in rows[:1]))
            if not any(c for r in rows for c in r):
                line.dropped = "空表格"
            else:
                line.table = [[full_width(strip_pinyin(c)[0]) for c in r] for r in rows]
            lines.append(line)
            continue
        instr = "".join(t.text or "" for t in el.iter(_q("instrText")))
        if re.search(r"\bTOC\b", instr):
            in_toc_field = True
        ppr = el.find(_q("pPr"))
        sid = _val(ppr, "pStyle") if ppr is not None else None
        text = _para_text(el).strip()
        line = Line(label, number, text, word=True)
        line.bold_title = _bold_title(el)
        lines.append(line)
        ends_field = any(fc.get(_q("fldCharType")) == "end" for fc in el.iter(_q("fldChar")))
        if in_toc or in_toc_field or styles.is_toc(sid):
            line.dropped = "目录"
            if in_toc_field and ends_field:
                in_toc_field = False
            continue
        numpr = ppr.find(_q("numPr")) if ppr is not None else None
        num = None
        if numpr is not None:
            num = (_val(numpr, "numId"), _val(numpr, "ilvl"))
        elif sid:
            num = styles.numbering(sid)
        label_text = ""
        if num and num[0]:
            label_text = numbering.label(num[0], int(num[1] or 0)).strip()
        if not text:
            line.dropped = "空行"
            continue
        level = None
        outline = _val(ppr, "outlineLvl") if ppr is not None else None
        if outline is not None and outline != "9":
            level = int(outline)
        elif sid:
            level = styles.heading_level(sid)
        text = full_width(strip_pinyin(text)[0])
        why = furniture(text) if not label_text else None
        if why:
            line.dropped = why
            continue
        if sid and styles.is_title(sid):
            line.text = text
            line.notes.append("文档标题")
            continue
        previous = next((x for x in reversed(lines[:-1]) if not x.dropped), None)
        if (
            previous is not None
            and previous.style_level is not None
            and not previous.merged
            and not _HAN.search(text)
            and re.search(r"[A-Za-z]", text)
            and not any(n.startswith("title_en:") for n in previous.notes)
        ):
            # the English title printed under a heading (HeadingTranslation)
            previous.notes.append("title_en:" + text)
            line.merged = True
            line.notes.append("英文标题 → 上一标题的 title_en")
            continue
        if sid and styles.is_note(sid):
            if text.strip() == "本次修订":
                line.dropped = "修订标记（本次修订）"
                continue
            line.notes.append("注")
            line.text = re.sub(r"^注[：:]\s*", "", text)
            continue
        text = re.sub(r"\s*本次修订\s*(?=[：:]|$)", "", text)
        if level is not None and level < 6:
            typed = match_marker(text)
            if typed is not None and not label_text:
                label_text, text = typed.text, text[typed.end :].strip()
            line.style_level = level
            line.notes.append(label_text)
            line.text = text or label_text
            continue
        line.text = (label_text + text) if label_text else text
        if label_text:
            line.notes.append(f"Word 自动编号“{label_text}”")
    return lines
