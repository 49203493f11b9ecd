"""Numbering, computed from structure: the one place that knows the numbering schemes.

`manual.yaml` picks one with `numbering:` (default outline). Each scheme gives, per level, the
printed label, the reference form (`{clause:x}`, diff labels, a form's 依据条款) and Word's
multilevel list definition (numFmt and lvlText), so the DOCX numbering and the printed labels
cannot drift apart: a printed label *is* the lvlText with each %N replaced by that level's
counter formatted as numFmt says (`Level.format`).

outline (default): the level is the depth in the tree.
    level 1 一、  2 （一）  3 1.  4 （1）  5 ①
    chapter → section/clause → … ; a clause's items are one level below the clause.

law (规章制度): 第一章 → 第一节 → 第一条 → 项 （一） → 目 1. → （1）
    - a chapter is a 章 (level 1), a section of a chapter a 节 (level 2); a 节 holds no sections;
    - every clause whose parent is a chapter or a section is a 条 (level 3), whether the chapter
      has 节 or not; 条 are numbered continuously through the whole manual (第十二条 may be the
      first article of chapter 2), never restarting at a chapter or section;
    - a 条's items and sub-clauses are 项 （一）（二）, restarting in each 条; a 项's items and
      sub-clauses are 目 1. 2.; below that （1）. A 条's second and later paragraphs are its 款
      (unnumbered).
    References: 第三章, 第三章第二节, 第十二条, 第十二条第（一）项, 第十二条第（一）项第2目.
    A branch in Traditional script (`script: zh-Hant`) reads 第十二條, 第一節, 第（一）項.

decimal: 1 / 1.1 / 1.1.1 / 1.1.1.1 / 1.1.1.1.1, the level being the depth in the tree (items
    too: the items of clause 3.2 are 3.2.1, 3.2.2). A chapter is referred to as 第3章.

Word: each scheme is one or more multilevel lists (`Scheme.word_lists`); a level sits at
`Scheme.word_place(level)` = (list, ilvl). Outline and decimal are one list, ilvl = level - 1.
Law is two lists: 章/节, and 条/项/目/（1） on their own. Word's way to keep one level counting
across a higher one is w:lvlRestart="0", but LibreOffice (7.4) ignores it and restarts 条 at
every chapter; a list of its own, which chapter headings never enter, counts continuously in
Word, WPS and LibreOffice alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (1 ≤ n ≤ 999)."""
    if not 1 <= n <= 999:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def circled(n: int) -> str:
    """1 → ①, … 20 → ⑳, 21–35 → ㉑…㉟, 36–50 → ㊱…㊿."""
    if 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if 21 <= n <= 35:
        return chr(0x3251 + n - 21)
    if 36 <= n <= 50:
        return chr(0x32B1 + n - 36)
    return f"({n})"


# Word's numFmt values used here → how a counter prints.
_FORMATS = {
    "chineseCounting": chinese_numeral,
    "decimal": str,
    "decimalEnclosedCircle": circled,
}


@dataclass(frozen=True)
class Level:
    """One level of a scheme.

    pattern: Word's lvlText without the separator: %N is the counter of level N of the same
    Word list (1-based), printed as that level's numFmt. sep: what is printed between the label
    and the title or text (in Word it ends the lvlText; with suffix "tab" Word puts a tab there
    and the HTML a margin instead). start_em / hang_em: where the label starts and the hanging
    indent from there to the text, in em of the body size (a negative hang_em is a first-line
    indent: the label indented, wrapped lines at the margin)."""

    fmt: str
    pattern: str
    sep: str = ""
    suffix: str = "nothing"
    start_em: float = 0
    hang_em: float = 0
    name: str = ""  # 章, 节, 条, 项, 目: how a reference names this level ("第（一）项")


@dataclass(frozen=True)
class Scheme:
    name: str
    levels: tuple[Level, ...]
    lists: tuple[int, ...]  # the Word list of each level (levels of one list are consecutive)
    example: str  # the levels as a reader knows them, for messages

    @property
    def max_level(self) -> int:
        return len(self.levels)

    # -- structure --------------------------------------------------------------------------

    def child_level(self, parent: int, kind: str) -> int:
        """The level of a unit of `kind` ("section", "clause" or "item") under a parent at
        level `parent` (0: a chapter, at the top)."""
        if self.name == "law" and kind == "clause" and parent < 3:
            return 3  # a chapter's or a section's clause is a 条
        return parent + 1

    # -- labels -----------------------------------------------------------------------------

    def word_place(self, level: int) -> tuple[int, int]:
        """(Word list, ilvl) of a level."""
        which = self.lists[level - 1]
        return which, level - 1 - self.lists.index(which)

    def label(self, level: int, counts: Sequence[int]) -> str:
        """The number printed before a heading or clause at `level`; counts: the counter of
        every level down to this one (counts[level - 1] is this unit's ordinal), as Word keeps
        them: what Word shows for the level's lvlText."""
        spec = self.levels[level - 1]
        which, _ = self.word_place(level)
        first = self.lists.index(which)  # level - 1 of the list's ilvl 0
        out = spec.pattern
        for ilvl in range(level - first, 0, -1):  # %10 never occurs: at most 9 levels
            fmt = _FORMATS[self.levels[first + ilvl - 1].fmt]
            out = out.replace(f"%{ilvl}", fmt(max(counts[first + ilvl - 1], 1)))
        return out

    def path(self, chain: Sequence[tuple[int, str]]) -> str:
        """The reference form of a unit from its chain of (level, label), top first:
        outline 七（四）2.; law 第十二条第（一）项; decimal 7.4.2 (a chapter: 第7章)."""
        if not chain:
            return ""
        if self.name == "decimal":
            level, last = chain[-1]
            return f"第{last}章" if level == 1 else last
        if self.name == "law":
            articles = [(lv, lab) for lv, lab in chain if lv >= 3]
            if not articles:
                return "".join(lab for _, lab in chain)
            out = articles[0][1]
            for lv, lab in articles[1:]:
                name = self.levels[lv - 1].name
                out += f"第{lab.rstrip('.')}{name}" if name else lab
            return out
        labels = [lab for _, lab in chain]
        return labels[0].rstrip("、") + "".join(labels[1:])

    # -- Word -------------------------------------------------------------------------------

    def word_lists(self) -> tuple[tuple[int, ...], ...]:
        """The levels (1-based) of each Word list, in list order."""
        out: dict[int, list[int]] = {}
        for level, which in enumerate(self.lists, 1):
            out.setdefault(which, []).append(level)
        return tuple(tuple(levels) for _, levels in sorted(out.items()))

    def word_levels(self, levels: Sequence[int]) -> tuple[tuple[str, str], ...]:
        """(numFmt, lvlText) of each level of one Word list."""
        return tuple(
            (self.levels[lv - 1].fmt, self.levels[lv - 1].pattern + self.levels[lv - 1].sep)
            for lv in levels
        )


OUTLINE = Scheme(
    "outline",
    (
        Level("chineseCounting", "%1、"),
        Level("chineseCounting", "（%2）", hang_em=3),
        Level("decimal", "%3.", suffix="tab", start_em=3, hang_em=1.5),
        Level("decimal", "（%4）", suffix="tab", start_em=4.5, hang_em=3),
        Level("decimalEnclosedCircle", "%5", suffix="tab", start_em=7.5, hang_em=1.5),
    ),
    lists=(0, 0, 0, 0, 0),
    example="一、（一）1.（1）①",
)

LAW = Scheme(
    "law",
    (
        Level("chineseCounting", "第%1章", sep="\u3000", name="章"),
        Level("chineseCounting", "第%2节", sep="\u3000", name="节"),
        Level("chineseCounting", "第%1条", sep="\u3000", start_em=2, hang_em=-2, name="条"),
        Level("chineseCounting", "（%2）", start_em=2, hang_em=-2, name="项"),
        Level("decimal", "%3.", suffix="tab", start_em=2, hang_em=1.5, name="目"),
        Level("decimal", "（%4）", suffix="tab", start_em=3.5, hang_em=3),
    ),
    lists=(0, 0, 1, 1, 1, 1),
    example="第一章、第一节、第一条、（一）、1.",
)

DECIMAL = Scheme(
    "decimal",
    (
        Level("decimal", "%1", sep="\u3000"),
        Level("decimal", "%1.%2", sep="\u3000"),
        Level("decimal", "%1.%2.%3", sep="\u3000"),
        Level("decimal", "%1.%2.%3.%4", sep="\u3000"),
        Level("decimal", "%1.%2.%3.%4.%5", sep="\u3000"),
    ),
    lists=(0, 0, 0, 0, 0),
    example="1、1.1、1.1.1",
)

SCHEMES = {scheme.name: scheme for scheme in (OUTLINE, LAW, DECIMAL)}

# The characters of the law-style labels that Traditional script writes otherwise (章 and 目
# are the same): a branch whose `script` is zh-Hant reads 第十二條, 第一節, 第（一）項.
_TRADITIONAL = str.maketrans({"条": "條", "节": "節", "项": "項"})


def _traditional(numbering: Scheme) -> Scheme:
    levels = tuple(
        replace(
            level,
            pattern=level.pattern.translate(_TRADITIONAL),
            name=level.name.translate(_TRADITIONAL),
        )
        for level in numbering.levels
    )
    return replace(numbering, levels=levels)


_TRADITIONAL_SCHEMES = {name: _traditional(scheme) for name, scheme in SCHEMES.items()}

# The depth of the tree any scheme numbers: chapter → … five units deep (validate.py).
MAX_LEVEL = 5


def scheme(name: str, script: str = "zh-Hans") -> Scheme:
    """The scheme called `name` (manual.yaml `numbering`), in the branch's script (zh-Hans,
    zh-Hant…: a Traditional-script branch gets 第一條 and 第一節)."""
    if script.startswith("zh-Hant"):
        return _TRADITIONAL_SCHEMES[name]
    return SCHEMES[name]


class Counter:
    """Counts the units of one document in reading order, as Word counts its list paragraphs:
    a unit at some level increments that level and restarts every deeper level of the same
    Word list. (Law's 条 are a list of their own, so chapters never restart them.)"""

    def __init__(self, numbering: Scheme):
        self.scheme = numbering
        self.counts = [0] * numbering.max_level

    def next(self, level: int) -> tuple[int, str]:
        """(ordinal, label) of the next unit at `level`."""
        scheme_ = self.scheme
        self.counts[level - 1] += 1
        which = scheme_.lists[level - 1]
        for deeper in range(level, scheme_.max_level):
            if scheme_.lists[deeper] == which:
                self.counts[deeper] = 0
        return self.counts[level - 1], scheme_.label(level, self.counts)


# The outline scheme, as before numbering schemes were introduced.
def label(level: int, n: int) -> str:
    """The outline number printed before a heading or clause at this level."""
    if not 1 <= level <= OUTLINE.max_level:
        raise ValueError(f"numbering level {level} is deeper than {OUTLINE.max_level}")
    counts = [1] * OUTLINE.max_level
    counts[level - 1] = n
    return OUTLINE.label(level, counts)


def path_label(labels: list[str]) -> str:
    """The outline reference form: ["七、", "（四）", "2."] → "七（四）2."."""
    return OUTLINE.path(list(enumerate(labels, 1)))


# Word's multilevel list definition of the outline scheme: (numFmt, lvlText) per level.
WORD_LEVELS = OUTLINE.word_levels(range(1, OUTLINE.max_level + 1))
