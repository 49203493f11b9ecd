"""Where templates live, and the Jinja2 environment that renders them (autoescaped, no YAML text
is ever a template)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def templates_dir() -> Path:
    return TEMPLATES_DIR


@lru_cache(maxsize=4)
def environment(folder: str | None = None):
    import jinja2

    from builder.numbering import chinese_numeral

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["cndate"] = lambda d: f"{d.year}年{d.month}月{d.day}日"
    env.filters["cnnum"] = chinese_numeral
    return env
