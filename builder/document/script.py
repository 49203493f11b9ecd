"""Scripts: the one place that knows Simplified from Traditional Chinese.

A branch's `script:` (branches.yaml) is zh-Hans (the manual as written), zh-Hant-HK or zh-Hant-TW
(zh-Hant alone means Hong Kong). A Traditional branch's document is converted after it is
resolved (`convert_document`), never by editing YAML, with OpenCC's regional configuration
(s2hk; s2twp with Taiwan phrases, 软件 → 軟體), then regional typography (“” ‘’ → 「」 『』).
The glossary (manual.yaml `glossary:`) fixes terms that must read a given way or must not be
converted at all; they are protected before OpenCC sees the text. A clause's hand-written
Traditional text (`text_hant:`) wins over the conversion (builder.document.resolve).

What the writers add themselves (labels such as 填写说明, template text) goes through
`Converter.finish`, which converts only text that still holds a Simplified-only character, so
text converted once is never converted twice (OpenCC is not idempotent: s2twp turns 文件 into
檔案, and 檔案 stays, but some phrases change again).
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from functools import cache, lru_cache

SIMPLIFIED = "zh-Hans"
HONG_KONG = "zh-Hant-HK"
TAIWAN = "zh-Hant-TW"
# What branches.yaml may say; zh-Hant alone is Hong Kong (the first Traditional branch).
ALIASES = {"zh-Hant": HONG_KONG}

# script → (OpenCC configuration, BCP 47 language tag, Noto CJK region suffix, Excel locale id)
_REGIONS = {
    SIMPLIFIED: (None, "zh-CN", "SC", "804"),
    HONG_KONG: ("s2hk", "zh-HK", "HK", "C04"),
    TAIWAN: ("s2twp", "zh-TW", "TC", "404"),
}

# Regional typography: corner brackets for quotation marks (HK and Taiwan alike).
_QUOTES = str.maketrans({"“": "「", "”": "」", "‘": "『", "’": "』"})
# A ‘ or ’ between two Latin letters or digits is an apostrophe (Branch’s), not a quotation mark.
_APOSTROPHE = re.compile(r"(?<=[A-Za-z0-9])’(?=[A-Za-z0-9])")
_APOSTROPHE_MARK = "\ue8ff"

# Glossary terms are replaced by private-use characters while OpenCC converts the text around
# them (OpenCC leaves those characters alone), then by their fixed text.
_PROTECT_BASE = 0xE000


def canonical(script: str) -> str:
    """The full script code of a branch: zh-Hant → zh-Hant-HK."""
    return ALIASES.get(script, script)


def is_traditional(script: str) -> bool:
    return canonical(script) != SIMPLIFIED


def lang_tag(script: str) -> str:
    """The BCP 47 tag of text as rendered: zh-CN, zh-HK or zh-TW."""
    return _REGIONS[canonical(script)][1]


def font_region(script: str) -> str:
    """The region suffix of the Noto CJK faces for this script: SC, HK or TC."""
    return _REGIONS[canonical(script)][2]


def excel_locale(script: str) -> str:
    """Excel's locale id for the script's number formats ([$-804] zh-CN, [$-C04] zh-HK,
    [$-404] zh-TW): with [DBNum2], the capitals come out 贰 or 貳 by it."""
    return _REGIONS[canonical(script)][3]


def glossary_for(script: str, entries) -> tuple[tuple[str, str], ...]:
    """The glossary of manual.yaml as (term, text) pairs for `script`: an entry's regional text
    (hk / tw), else its hant text, else the term itself (not converted); longest terms first, so
    a longer term wins over one inside it. Empty for Simplified."""
    script = canonical(script)
    if script == SIMPLIFIED:
        return ()
    pairs = []
    for entry in entries or ():
        regional = entry.hk if script == HONG_KONG else entry.tw
        pairs.append((entry.term, regional or entry.hant or entry.term))
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0])))


@cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


@cache
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4096)
def _simplified_only(ch: str) -> bool:
    """Whether OpenCC's Simplified→Traditional character table changes `ch` (用 no, 运 yes)."""
    return _s2t().convert(ch) != ch


def simplified_chars(text: str) -> list[str]:
    """The Simplified-only characters of `text` (运 yes, 用 no), each once, in order."""
    return list(dict.fromkeys(ch for ch in text if _han(ch) and _simplified_only(ch)))


def _han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


# A run of a printed line between spaces, quotation marks and punctuation (Converter.finish_words)
_WORD_RUN = re.compile(r"[^\s「」『』“”‘’：:，,、。；;（）()\[\]{}<>→+\-]+")


class Converter:
    """Converts text for one Traditional script with one glossary."""

    def __init__(self, script: str, glossary: tuple[tuple[str, str], ...] = ()):
        self.script = canonical(script)
        self.config = _REGIONS[self.script][0]
        if self.config is None:
            raise ValueError(f"{script} needs no conversion")
        self.glossary = glossary
        self._terms = (
            re.compile("|".join(re.escape(term) for term, _ in glossary)) if glossary else None
        )
        self._fixed = {term: text for term, text in glossary}

    def convert(self, text: str) -> str:
        """`text` (Simplified) in the branch's script: glossary, OpenCC, typography."""
        if not text:
            return text
        kept: list[str] = []

        def protect(match: re.Match) -> str:
            kept.append(self._fixed[match.group(0)])
            return chr(_PROTECT_BASE + len(kept) - 1)

        if self._terms is not None:
            text = self._terms.sub(protect, text)
        text = _APOSTROPHE.sub(_APOSTROPHE_MARK, text)
        text = _opencc(self.config).convert(text).translate(_QUOTES)
        text = text.replace(_APOSTROPHE_MARK, "’")
        for i, fixed in enumerate(kept):
            text = text.replace(chr(_PROTECT_BASE + i), fixed)
        return text

    def needs(self, text: str) -> bool:
        """Whether `text` still holds a Simplified-only character or a “” ‘’ quotation mark
        (glossary terms, kept as written, do not count)."""
        if self._terms is not None:
            text = self._terms.sub("", text)
        return any((_han(ch) and _simplified_only(ch)) or ch in "“”" for ch in text)

    def finish(self, text):
        """What a writer adds to converted text (its own labels, a template's words): converted
        when it still holds Simplified, else left as it is. Non-strings pass through."""
        if isinstance(text, str) and self.needs(text):
            return self.convert(text)
        return text

    def finish_words(self, line: str) -> str:
        """A line that mixes converted document text with a writer's own words (the summary
        `handbook diff` prints): each run between spaces and punctuation is `finish`ed on its
        own, so the document's words, already Traditional, are never converted twice."""
        return _WORD_RUN.sub(lambda match: self.finish(match.group(0)), line)

    def office_value(self, text: str) -> str:
        """A text or attribute value of a DOCX/XLSX part: `finish`ed, a Noto CJK SC family in
        the region's face, and Excel's zh-CN number-format locale ([$-804], on the capitals
        formula's TEXT(…,"[DBNum2][$-804]0")) the region's, so capitals read 貳 not 贰."""
        text = self.finish(text)
        if "CJK SC" in text:
            text = re.sub(r"\bCJK SC\b", f"CJK {font_region(self.script)}", text)
        return text.replace("[$-804]", f"[$-{excel_locale(self.script)}]")

    def office_needs(self, text: str) -> bool:
        return "CJK SC" in text or "[$-804]" in text or self.needs(text)


@lru_cache(maxsize=16)
def converter(script: str, glossary: tuple[tuple[str, str], ...] = ()) -> Converter | None:
    """The converter for a script (None for Simplified), one per script and glossary."""
    if not is_traditional(script):
        return None
    return Converter(script, glossary)


def document_converter(document) -> Converter | None:
    """The converter of a resolved Document's script and glossary (None for Simplified)."""
    return converter(document.branch.script, document.glossary)


def cjk_font(family: str, script: str) -> str:
    """A Noto CJK family in the script's regional face: Noto Serif CJK SC → Noto Serif CJK HK
    (fonts-noto-cjk has SC, TC, HK, JP and KR faces). Other families stay as named."""
    region = font_region(script)
    for suffix in (" SC", " TC", " HK"):
        if "CJK" in family and family.endswith(suffix):
            return family[: -len(suffix)] + " " + region
    return family


# Fields of the document model that are identifiers, codes or English, never converted.
_KEEP = frozenset(
    {
        "id",
        "ref",
        "type",
        "code",
        "clause_id",
        "compute",
        "script",
        "lang",
        "source_revision",
        "page_size",
        "body_font",
        "heading_font",
        "xlsx_password",
        "title_en",
        "name_en",
        "company_en",
        "glossary",
        "doc_number",
    }
)


def convert_document(document, conv: Converter, handwritten: frozenset[str] = frozenset()):
    """The resolved `document` in `conv`'s script: every text converted (field ids, codes,
    English titles and the fields in _KEEP untouched); the text of the clauses in `handwritten`
    (hand-written Traditional, `text_hant:`) only where it still holds Simplified (a value filled
    in from branches.yaml); the CJK fonts in the region's faces; the language tag."""
    converted = _convert_tree(document, conv.convert, conv.finish, handwritten)
    meta = replace(
        converted.meta,
        body_font=cjk_font(document.meta.body_font, conv.script),
        heading_font=cjk_font(document.meta.heading_font, conv.script),
    )
    return replace(converted, meta=meta, lang=lang_tag(conv.script))


def _convert_tree(value, convert, finish, handwritten):
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, tuple):
        return tuple(_convert_tree(v, convert, finish, handwritten) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        own = getattr(value, "id", None) in handwritten and hasattr(value, "text")
        changes = {
            f.name: _convert_tree(
                getattr(value, f.name),
                finish if own and f.name == "text" else convert,
                finish,
                handwritten,
            )
            for f in fields(value)
            if f.name not in _KEEP
        }
        return replace(value, **changes)
    return value


def regional_css(css: str, script: str) -> str:
    """A style sheet for a script: its words converted (page footers, comments), its Simplified
    font names in the region's faces (Noto/Source Han CJK SC → HK or TC, PingFang SC → HK or TC,
    Microsoft YaHei → Microsoft JhengHei)."""
    region = font_region(script)
    if region == "SC":
        return css
    css = converter(script).convert(css)  # the words of content: "第" counter(page) "页"
    css = re.sub(r"\b(CJK|Han Sans|Han Serif|PingFang) SC\b", rf"\1 {region}", css)
    return css.replace("Microsoft YaHei", "Microsoft JhengHei")
