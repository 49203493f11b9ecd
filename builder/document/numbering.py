"""Clause numbering, computed from structure: the one place that knows 一、（一）1.（1）①.

Level 1 一、  level 2 （一）  level 3 1.  level 4 （1）  level 5 ①
"""

from __future__ import annotations

MAX_LEVEL = 5

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


def label(level: int, n: int) -> str:
    """The number as printed before a heading or clause at this level."""
    if level == 1:
        return chinese_numeral(n) + "、"
    if level == 2:
        return "（" + chinese_numeral(n) + "）"
    if level == 3:
        return f"{n}."
    if level == 4:
        return f"（{n}）"
    if level == 5:
        return circled(n)
    raise ValueError(f"numbering level {level} is deeper than {MAX_LEVEL}")


def path_label(labels: list[str]) -> str:
    """The reference form of a nested number: ["七、", "（四）", "2."] → "七（四）2."."""
    if not labels:
        return ""
    first = labels[0].rstrip("、")
    return first + "".join(labels[1:])


# Word's multilevel list definition of the same scheme: (numFmt, lvlText) per level.
# Kept here so the DOCX numbering and the printed labels cannot drift apart.
WORD_LEVELS = (
    ("chineseCounting", "%1、"),
    ("chineseCounting", "（%2）"),
    ("decimal", "%3."),
    ("decimal", "（%4）"),
    ("decimalEnclosedCircle", "%5"),
)
