"""Plain text (.txt/.md) in: decoding without asking, and the clean-up of text copied from web
pages and PDFs (download-site boilerplate, page marks, typed tables of contents, pinyin debris,
half-width punctuation in Chinese text, lines broken mid-sentence).

Every source line ends up as a `Line` that says what became of it, so the report can account for
each one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from builder.readers.package import UnreadableFile

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")


@dataclass
class Line:
    """One source line (or DOCX paragraph) and what became of it."""

    source: str  # file label
    number: int  # 1-based line / paragraph number
    raw: str
    text: str = ""  # cleaned text ("" when dropped)
    dropped: str | None = None  # reason, in Chinese
    merged: bool = False  # joined to the previous line
    style_level: int | None = None  # heading level from a Word style / outline level (0-based)
    table: list[list[str]] | None = None  # a DOCX table (rows of cell texts)
    notes: list[str] = field(default_factory=list)
    word: bool = False  # from a Word document: titles are explicit (bold run-in), not guessed
    bold_title: str | None = None  # the bold run that starts the paragraph, before its colon


def decode(data: bytes, label: str) -> str:
    """Text in UTF-8 (with or without BOM), GB18030/GBK or Big5, detected without asking."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(f"{label}：不是文本文件（含有二进制内容），无法导入")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "big5hkscs"]).best()
    if best is None:
        best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(f"{label}：无法识别文本编码（支持 UTF-8、GB18030/GBK、Big5）")
    text = str(best)
    if not _HAN_RE.search(text):
        raise UnreadableFile(f"{label}：文本中没有中文内容，无法作为手册导入")
    return text


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """The text in Simplified script, for matching words in either script."""
    return _t2s().convert(text)


# --- pinyin debris: 運(yùn)營 → 運營 -------------------------------------------------------------
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_PAREN = re.compile(rf"(?<=[{HAN}])\(([a-zü{_TONED}]{{1,7}})\)")


@lru_cache(maxsize=4096)
def _readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


def strip_pinyin(text: str) -> tuple[str, int]:
    """Remove "(yùn)" after a Han character when it is that character's pinyin."""
    count = 0

    def repl(match: re.Match) -> str:
        nonlocal count
        syllable = match.group(1)
        char = text[match.start() - 1]
        toned = any(c in _TONED for c in syllable)
        plain = syllable.translate(str.maketrans(_TONED, "aaaaeeeeiiiioooouuuuvvvvnnnm"))
        if toned or plain in _readings(char) or plain in _readings(simplified(char)):
            count += 1
            return ""
        return match.group(0)

    return _PINYIN_PAREN.sub(repl, text), count


# --- punctuation ---------------------------------------------------------------------------------
_NEAR_HAN = f"[{HAN}，。；：、（）“”]"
_HALF = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def full_width(text: str) -> str:
    """Half-width , ; : ? ! ( ) next to Chinese text become full-width; 14:00, 1,000, (Q3)
    and ASCII words keep theirs."""
    out = list(text)
    for i, ch in enumerate(text):
        if ch not in _HALF:
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch in ",:" and before.isdigit() and after.isdigit():
            continue
        if ch == "(":
            # an opening parenthesis is Chinese when its content or what precedes it is
            close = text.find(")", i)
            inner = text[i + 1 : close] if close > 0 else after
            if re.search(_NEAR_HAN, before or "") or re.match(
                rf"^[{HAN}一二三四五六七八九十\d]", inner or ""
            ):
                out[i] = "（"
                if close > 0:
                    out[close] = "）"
            continue
        if ch == ")":
            continue  # set together with its "("
        if re.match(_NEAR_HAN, before or " ") or re.match(_NEAR_HAN, after or " "):
            out[i] = _HALF[ch]
    return "".join(out)


# --- boilerplate, page marks, contents -----------------------------------------------------------
_BOILERPLATE = [
    (re.compile(r"_第\d+页$"), "下载网站的页面标记"),
    (re.compile(r"^已阅读\d+页"), "下载网站的提示"),
    (
        re.compile(r"^(付费下载|下载本文档|文档简介|最新文档|评论|提交评论|\d+/\d+|温馨提示)$"),
        "下载网站的按钮或栏目",
    ),
    (re.compile(r"^版权说明[:：]"), "下载网站的版权说明"),
    (re.compile(r"^(本文档|本站|人人文库|原创力文档|文档分享)"), "下载网站的提示"),
]
_PAGE_MARKS = [
    re.compile(r"^第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?$"),
    re.compile(r"^[-—－]\s*\d+\s*[-—－]$"),
    re.compile(r"^\d{1,4}$"),
    re.compile(r"^(page|Page|PAGE)\s*\d+(\s*of\s*\d+)?$"),
    re.compile(r"^\d+\s*/\s*\d+$"),
]
_TOC_LINE = re.compile(r"^(.{1,80}?)\s*(?:[.．·…。\-_]{3,}|\t)\s*\d{1,4}$")
_TOC_TITLE = re.compile(r"^目\s*录$")


def _classify(text: str, in_notice: bool) -> str | None:
    """Why a cleaned line is page furniture or boilerplate (None: it is content)."""
    plain = simplified(text.strip())
    if in_notice and plain.startswith(("•", "·", "●")):
        return "下载网站的温馨提示条目"
    for pattern, why in _BOILERPLATE:
        if pattern.search(plain):
            return why
    return furniture(plain)


def furniture(text: str) -> str | None:
    """Why a Word paragraph is page furniture: a typed page mark or contents line."""
    plain = text.strip()
    for pattern in _PAGE_MARKS:
        if pattern.match(plain):
            return "页码"
    if _TOC_TITLE.match(plain):
        return "目录"
    if _TOC_LINE.match(plain):
        return "目录条目（带引导点和页码）"
    return None


_SENTENCE_END = tuple("。！？；：:;!?」』”）)】")


def read_text(path: Path, label: str) -> list[Line]:
    """The lines of a text file, cleaned, each marked placed, merged or dropped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{label}：无法读取（{exc.strerror or exc}）") from None
    return clean_lines(decode(data, label).splitlines(), label)


def clean_lines(raw_lines: list[str], label: str) -> list[Line]:
    lines: list[Line] = []
    in_notice = False
    for number, raw in enumerate(raw_lines, 1):
        line = Line(label, number, raw)
        lines.append(line)
        text, removed = strip_pinyin(raw.replace("\u3000", " ").strip())
        if removed:
            line.notes.append(f"去除拼音注音 {removed} 处")
        text = re.sub(r"^PAGE\s*", "", text)  # a Word PAGE field's code left in copied text
        text = re.sub(r"^#{1,6}\s+", "", text)  # Markdown heading marks
        if not text:
            line.dropped = "空行"
            continue
        why = _classify(text, in_notice)
        if simplified(text) == "温馨提示":
            in_notice = True
        elif why is None and not text.startswith(("•", "·", "●")):
            in_notice = False
        if why:
            line.dropped = why
            continue
        line.text = full_width(text.lstrip("•·● "))
    _join_broken(lines)
    return lines


def _join_broken(lines: list[Line]) -> None:
    """A line broken mid-sentence (no closing punctuation, the next line starts without a
    number) is joined to the next one."""
    from builder.readers.importer.structure import is_document_title, starts_with_marker

    previous: Line | None = None
    for line in lines:
        if line.dropped:
            if line.dropped != "空行":
                continue
            previous = None  # a blank line ends a paragraph
            continue
        if (
            previous is not None
            and not previous.text.endswith(_SENTENCE_END)
            and len(previous.text) >= 15
            and not starts_with_marker(line.text)
            and not is_document_title(line.text)
            and not is_document_title(previous.text)
        ):
            previous.text += line.text
            line.text = ""
            line.merged = True
            continue
        previous = line


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


def han_count(text: str) -> int:
    return len(_HAN_RE.findall(text))
