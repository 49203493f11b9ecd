"""Fonts: the one place that names typefaces and language tags.

Chinese text uses Debian's fonts-noto-cjk (Noto Sans/Serif CJK SC). The CJK family always comes
first in a stack, so Latin-only fonts never decide how Chinese is drawn, and the language tag is
always set, or fontconfig and Word pick the Japanese face for shared Han characters.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SANS_SC = "Noto Sans CJK SC"
SERIF_SC = "Noto Serif CJK SC"
MONO_SC = "Noto Sans Mono CJK SC"

# Word check box content controls draw ☐/☒ in this font (Word's own default; the Noto CJK fonts
# have neither glyph, so readers without it fall back to a symbol font such as DejaVu Sans).
CHECKBOX_FONT = "MS Gothic"

# Latin fallbacks after the CJK family (present with the CJK fonts' own Latin glyphs anyway).
LATIN_FALLBACK = ("DejaVu Sans",)


def lang_tag(script: str) -> str:
    """The language tag of text as rendered: zh-CN, zh-HK or zh-TW."""
    from builder.document import script as scripts

    return scripts.lang_tag(script)


def css_stack(family: str) -> str:
    """A CSS font-family value with the CJK family first."""
    region = family.rsplit(" ", 1)[-1] if "CJK" in family else "SC"  # SC, TC or HK faces
    sans, serif = SANS_SC[:-2] + region, SERIF_SC[:-2] + region
    families = [family, sans if family != sans else serif, *LATIN_FALLBACK]
    seen: list[str] = []
    for f in families:
        if f not in seen:
            seen.append(f)
    return ", ".join(f'"{f}"' for f in seen) + ", sans-serif"


# ---- Fillable form fields (AcroForm) ------------------------------------------------------------
# What a user types into a field is drawn by the PDF reader, not by us, so the field font cannot be
# an embedded subset. Embedding the whole Noto CJK collection instead makes each form ~16 MB. The
# fields therefore name STSong-Light, one of the standard Chinese fonts PDF readers supply without
# embedding (Acrobat: Adobe Song; poppler, pdf.js and others: an installed Adobe-GB1 font, such as
# Noto CJK SC), addressed through Adobe's Unicode CMap. It covers GB 18030 (Adobe-GB1-4).
FIELD_FONT = "STSong-Light"
FIELD_FONT_CMAP = "UniGB-UCS2-H"
FIELD_FONT_COLLECTION = ("Adobe", "GB1", 4)  # registry, ordering, supplement

# Traditional branches (zh-Hant-HK, zh-Hant-TW): MSung-Light, the standard Traditional Chinese
# font of PDF readers (Acrobat: Adobe Ming; poppler and PDFium: an installed Adobe-CNS1 font,
# such as Noto CJK TC), through UniCNS-UTF16-H (the same two-byte codes as UCS-2 in the BMP); it
# covers Big5 and HKSCS-2004 (Adobe-CNS1-7): UniCNS-UCS2-H (CNS1-3) lacks HK forms such as 説.
FIELD_FONT_TRADITIONAL = "MSung-Light"
FIELD_FONT_CMAP_TRADITIONAL = "UniCNS-UTF16-H"
FIELD_FONT_COLLECTION_TRADITIONAL = ("Adobe", "CNS1", 7)


def field_font(script: str = "zh-Hans") -> tuple[str, str, tuple[str, str, int]]:
    """(font name, CMap, (registry, ordering, supplement)) of the form fields for a script."""
    from builder.document import script as scripts

    if scripts.is_traditional(script):
        return (
            FIELD_FONT_TRADITIONAL,
            FIELD_FONT_CMAP_TRADITIONAL,
            FIELD_FONT_COLLECTION_TRADITIONAL,
        )
    return FIELD_FONT, FIELD_FONT_CMAP, FIELD_FONT_COLLECTION


# WeasyPrint lays out the form controls with this family, a tiny font made here; the PDF writer
# then replaces it with FIELD_FONT. No printed text ever uses it, so it is never shared with Noto.
CONTROL_STANDIN = "HandbookFormControl"


def field_font_missing(text: str, script: str = "zh-Hans") -> list[str]:
    """The characters of `text` the field font of `script` cannot show, each once, in order
    (line breaks and tabs are not drawn and so never missing)."""
    from bisect import bisect_right

    from builder.document import script as scripts

    if scripts.is_traditional(script):
        from builder.document.field_font_coverage_cns import RANGES
    else:
        from builder.document.field_font_coverage import RANGES

    starts = [low for low, _ in RANGES]
    missing: list[str] = []
    for ch in text:
        if ch in "\n\r\t" or ch in missing:
            continue
        i = bisect_right(starts, ord(ch)) - 1
        if i < 0 or ord(ch) > RANGES[i][1]:
            missing.append(ch)
    return missing


@cache
def control_standin_font_face() -> str:
    """A CSS @font-face rule for CONTROL_STANDIN, its font inline as a data: URL.

    Built once per process (fontTools, ~1.5 ms) rather than once per form: the font's bytes
    never change."""
    import base64

    return (
        f'@font-face {{ font-family: "{CONTROL_STANDIN}"; '
        f'src: url("data:font/ttf;base64,{base64.b64encode(_standin_font()).decode()}"); }}'
    )


def _standin_font() -> bytes:
    """A TrueType font with only .notdef and a space: same bytes on every run (fixed dates)."""
    import io

    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.timeTools import timestampFromString
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fixed = timestampFromString("Mon Jan  1 00:00:00 2024")
    fb = FontBuilder(1000, isTTF=True)
    fb.setupHead(unitsPerEm=1000, created=fixed, modified=fixed)
    fb.setupGlyphOrder([".notdef", "space"])
    fb.setupCharacterMap({0x20: "space"})
    empty = TTGlyphPen(None).glyph()
    fb.setupGlyf({".notdef": empty, "space": empty})
    fb.setupHorizontalMetrics({".notdef": (500, 0), "space": (500, 0)})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": CONTROL_STANDIN, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


# ---- What the installed fonts are, for the build cache ------------------------------------------
# Layout depends on the font files fontconfig finds and on its configuration; a change to either
# must rebuild every document. Both are fingerprinted by path, size and modification time.
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/etc/fonts",
    "~/.config/fontconfig",
)


def installed_font_files() -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every file under the font and fontconfig folders (links
    followed, each folder once), sorted; and fontconfig's environment variables."""
    import os

    found = [
        (f"${name}={os.environ[name]}", 0, 0)
        for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")
        if name in os.environ
    ]
    tops = [os.path.expanduser(top) for top in FONT_DIRS] + os.environ.get(
        "FONTCONFIG_PATH", ""
    ).split(os.pathsep)
    seen: set[str] = set()
    for top in filter(None, tops):
        for folder, dirs, names in os.walk(top, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen:
                dirs[:] = []
                continue
            seen.add(real)
            dirs.sort()
            for name in names:
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found.append((path, st.st_size, st.st_mtime_ns))
    return sorted(found)


@cache
def _installed_faces() -> dict[str, tuple[str, int]]:
    """PostScript name → (file, index in the collection) of every installed font, as
    fontconfig lists them."""
    import subprocess

    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{postscriptname}\t%{file}\t%{index}\n"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces: dict[str, tuple[str, int]] = {}
    for line in sorted(listing.splitlines()):
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] and parts[2].isdigit():
            faces.setdefault(parts[0], (parts[1], int(parts[2])))
    return faces


def installed_face(postscript_name: str | None) -> tuple[str, int] | None:
    """(file, index) of the installed face with this PostScript name (for a CFF font, the name
    in its CFF table, which a collection's faces share), or None. Read once per process
    (builder.writers.pdf.assemble: one subset of a face for a whole book)."""
    if not postscript_name:
        return None
    face = _installed_faces().get(postscript_name)
    return face if face is not None and Path(face[0]).is_file() else None
