"""PDF writer: the handbook's HTML laid out by WeasyPrint on A4, fonts embedded as subsets.

WeasyPrint may load nothing but files inside the templates folder: no network, no other files.
Its warnings go to the user through the `handbook` logger.

Document information comes from builder.properties (`info_finisher`). Reproducible: the dates
are the manual's effective date and the PDF identifier is made of its ids, never of the time.
"""
from __future__ import annotations

import logging
from pathlib import Path

from builder.model import Document
from builder.properties import Properties, properties
from builder.templates import templates_dir
from builder.writers.html import render_html_string

log = logging.getLogger("handbook")


def _fetcher_for(folder: Path):
    """A URL fetcher that serves files inside `folder` and data: URLs, and refuses everything else."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    allowed = Path(folder).resolve()

    class SourceTreeFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                target = Path(unquote(urlparse(url).path)).resolve()
                if target == allowed or allowed in target.parents:
                    return super().fetch(url, headers)
            raise ValueError(f"渲染时拒绝加载模板文件夹以外的资源：{url}")

    return SourceTreeFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


class _ToUser(logging.Handler):
    """Pass WeasyPrint's warnings on to the handbook logger, so they reach the user."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            log.warning("WeasyPrint：%s", record.getMessage())


_handler = _ToUser()


def weasyprint_html(html: str, folder: Path):
    """A WeasyPrint document for `html` that may load files from `folder` only, its warnings
    routed to the user. The one way both PDF writers call WeasyPrint."""
    import weasyprint

    wlog = logging.getLogger("weasyprint")
    if _handler not in wlog.handlers:
        wlog.addHandler(_handler)
        wlog.propagate = False
    return weasyprint.HTML(
        string=html,
        base_url=Path(folder).resolve().as_uri() + "/",
        url_fetcher=_fetcher_for(folder),
    )


def info_finisher(props: Properties):
    """A WeasyPrint finisher that sets the PDF's document information from `props`.

    WeasyPrint's own `custom_metadata` would copy the page's `<meta>` tags, but it lower-cases
    their names (/docnumber) and takes every other tag too (/viewport); this writes exactly
    /Title, /Subject, /Author, /Keywords, /Creator, the dates and the custom entries
    (/DocNumber, /Version, /EffectiveDate, /ControlStatus, /SourceRevision, …)."""

    def finish(_document, pdf) -> None:
        import pydyf

        for key, value in props.pdf_info().items():
            pdf.info[key] = pydyf.String(value)

    return finish


def render_pdf(doc: Document, path: Path, folder: Path | None = None) -> None:
    folder = Path(folder or templates_dir())
    weasyprint_html(render_html_string(doc, folder, for_print=True), folder).write_pdf(
        str(path),
        pdf_identifier=f"{doc.meta.doc_number}-{doc.branch.id}-{doc.meta.version}".encode(),
        uncompressed_pdf=False,
        finisher=info_finisher(properties(doc)),
    )
