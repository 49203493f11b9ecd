"""Where templates live, and the Jinja2 environment that renders them (autoescaped, no YAML text
is ever a template)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

# The pages' icon (a document on the portal's blue), inline: a page served from an intranet
# server then asks for no /favicon.ico, and works the same from file://.
FAVICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%231f5f99'/%3E"
    "%3Cpath d='M4.5 3h5l2 2v8h-7z' fill='%23fff'/%3E"
    "%3Cpath d='M6 7.5h4M6 9.5h4' stroke='%231f5f99'/%3E%3C/svg%3E"
)


def templates_dir() -> Path:
    return TEMPLATES_DIR


@lru_cache(maxsize=4)
def environment(folder: str | None = None):
    import jinja2

    from builder.document.dates import chinese_date
    from builder.document.numbering import chinese_numeral

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["cndate"] = chinese_date
    env.filters["cnnum"] = chinese_numeral
    env.globals["favicon"] = FAVICON
    return env
