"""Ids made from Chinese titles: the one place that turns 会议管理 into `hui-yi-guan-li`.

Used wherever the tool has to invent an id for a unit a person wrote (`handbook import`, a clause
inserted in Word and brought back by `handbook apply`). The rules, so ids are stable between runs:
- Han characters become their toneless pinyin syllables (pypinyin, which knows the usual reading
  of polyphonic characters in words: 重要 → zhong-yao, 银行 → yin-hang), one syllable per character;
- ASCII letters and digits are kept (lower-cased), everything else separates words;
- the id starts with a letter (`n-` is put before one that would start with a digit) and is cut at
  a word boundary to fit the schema's 63 characters;
- an untitled unit, or a title without any usable character, takes its parent's id plus an
  ordinal; a clash with an id already taken gets `-2`, `-3`… .
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

MAX_LENGTH = 63  # schema.ID_PATTERN: a letter and up to 62 more

_WORD = re.compile(r"[a-z0-9]+")


def _words(title: str) -> list[str]:
    # NFKC folds full-width letters and digits (ＡＢＣ１) to ASCII before pypinyin sees them.
    text = unicodedata.normalize("NFKC", title)
    words: list[str] = []
    for piece in lazy_pinyin(text, style=Style.NORMAL, errors="default", v_to_u=False):
        words.extend(_WORD.findall(piece.lower()))
    return words


def _fit(words: list[str], limit: int) -> str:
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    if not out and words:  # one word longer than the limit
        out = words[0][:limit]
    return out


def slug(title: str, limit: int = MAX_LENGTH) -> str:
    """The id a title reads as, or "" when it has no letter, digit or Han character.

    >>> slug("会议管理")
    'hui-yi-guan-li'
    >>> slug("第3条 ISO 9001 认证")
    'di-3-tiao-iso-9001-ren-zheng'
    """
    words = _words(title)
    if words and not words[0][0].isalpha():
        words = ["n", *words]
    return _fit(words, limit)


class IdMaker:
    """Hands out unique ids within one manual: from a title, or from a parent and an ordinal."""

    def __init__(self, taken: set[str] | None = None):
        self.taken: set[str] = set(taken or ())

    def _unique(self, base: str) -> str:
        if base not in self.taken:
            self.taken.add(base)
            return base
        n = 2
        while True:
            suffix = f"-{n}"
            candidate = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
            n += 1

    def from_title(self, title: str | None, parent: str | None = None, ordinal: int = 1) -> str:
        """An id for a unit titled `title`; an untitled one gets `parent-ordinal`."""
        base = slug(title) if title else ""
        if not base:
            return self.child(parent, ordinal)
        return self._unique(base)

    def child(self, parent: str | None, ordinal: int) -> str:
        """`parent-ordinal` (`item-ordinal` without a parent), unique."""
        suffix = f"-{ordinal}"
        head = (parent or "item")[: MAX_LENGTH - len(suffix)].rstrip("-")
        return self._unique(head + suffix)

    def reserve(self, ident: str) -> None:
        self.taken.add(ident)
