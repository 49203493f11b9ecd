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


@lru_cache(maxsize=8)
def environment(folder: str | None = None, convert=None):
    """The Jinja2 environment of a templates folder. `convert` (a builder.document.script
    Converter, for a Traditional branch): the templates' own words are converted as they are
    loaded, and every value a template prints that still holds Simplified (a label a writer
    adds) on its way out; the document's text arrives converted already."""
    import jinja2
    import markupsafe

    from builder.document.dates import chinese_date
    from builder.document.numbering import chinese_numeral

    loader = jinja2.FileSystemLoader(folder or str(TEMPLATES_DIR))
    extra = {}
    if convert is not None:
        loader = _ConvertingLoader(loader, convert)
        # Markup (a macro's or filter's HTML) is made of values finalized already: left alone.
        extra["finalize"] = lambda value: (
            value if isinstance(value, markupsafe.Markup) else convert.finish(value)
        )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        **extra,
    )
    env.filters["cndate"] = chinese_date
    env.filters["cnnum"] = chinese_numeral
    env.globals["favicon"] = FAVICON
    return env


class _ConvertingLoader:
    """A Jinja2 loader whose templates are converted to a Traditional script as they load (OpenCC
    changes Han characters only, never the template's syntax or names)."""

    def __new__(cls, inner, convert):
        import jinja2

        class Loader(jinja2.BaseLoader):
            def get_source(self, environment, template):
                source, filename, uptodate = inner.get_source(environment, template)
                return convert.convert(source), filename, uptodate

        return Loader()
