"""Fonts: the one place that names typefaces and language tags.

Chinese text uses Debian's fonts-noto-cjk (Noto Sans/Serif CJK SC). The CJK family always comes
first in a stack, so Latin-only fonts never decide how Chinese is drawn, and the language tag is
always set, or fontconfig and Word pick the Japanese face for shared Han characters.
"""
from __future__ import annotations

SANS_SC = "Noto Sans CJK SC"
SERIF_SC = "Noto Serif CJK SC"
MONO_SC = "Noto Sans Mono CJK SC"

# Latin fallbacks after the CJK family (present with the CJK fonts' own Latin glyphs anyway).
LATIN_FALLBACK = ("DejaVu Sans",)


def lang_tag(script: str) -> str:
    """The language tag of text as rendered. Every branch renders in Simplified for now."""
    return "zh-CN"


def css_stack(family: str) -> str:
    """A CSS font-family value with the CJK family first."""
    families = [family, SANS_SC if family != SANS_SC else SERIF_SC, *LATIN_FALLBACK]
    seen: list[str] = []
    for f in families:
        if f not in seen:
            seen.append(f)
    return ", ".join(f'"{f}"' for f in seen) + ", sans-serif"
