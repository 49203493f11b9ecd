"""PDF writer: the handbook's HTML laid out by WeasyPrint on A4, fonts embedded as subsets.

WeasyPrint may load nothing but files inside the templates folder: no network, no other files.
Its warnings go to the user through the `handbook` logger.

Document information comes from builder.document.properties (`info_finisher`). Reproducible: the
dates are the manual's effective date and the PDF identifier is made of its ids, never of the time.
"""

from __future__ import annotations

import gc
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from builder.document.model import Document
from builder.document.properties import Properties, properties
from builder.writers.html import render_html_string
from builder.writers.pdf.fontpack import compact_cid_fonts, one_subset
from builder.writers.pdf.tags import ARCHIVAL, archival_metadata, finish_structure
from builder.writers.templates import templates_dir

log = logging.getLogger("handbook")


def _fetcher_for(folder: Path):
    """A URL fetcher that serves files inside `folder` and data: URLs, and refuses everything
    else."""
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


LAZY_FONT_FILES = True  # tests/writers/test_pdf_memory.py turns it off to compare


def _lazy_font_files() -> None:
    """Make WeasyPrint copy a font file into memory only when it needs the whole file.

    WeasyPrint 70 copies the whole file of every font a document uses into a Python bytes
    object as soon as the first page that uses it is drawn (`pdf.fonts.Font.__init__`:
    `file_content = get_hb_object_data(hb_face)`), and keeps the copies until the fonts are
    subset after the last page. With HarfBuzz's subsetter, which works on the face itself, the
    copy is never read: the subset replaces it. For the CJK collections a handbook uses (Noto
    Sans and Serif CJK, regular and bold: 19–27 MB each) that is 89 MB held through the
    drawing of every page, a fifth of a worker's peak memory. Here `file_content` becomes a
    property that copies the file the first time something reads it (a subsetting fallback, a
    font used by a form field, a variable or colour font), so the PDF is byte for byte the
    same. Applied once per process, and only to a WeasyPrint whose Font is built that way."""
    import contextvars

    from weasyprint.pdf import fonts

    font = getattr(fonts, "Font", None)
    original = getattr(fonts, "get_hb_object_data", None)
    if font is None or original is None or getattr(fonts, "_handbook_lazy", False):
        return
    deferring = contextvars.ContextVar("deferring", default=False)
    deferred = object()

    def get_hb_object_data(hb_object, ot_color=None, glyph=None):
        if ot_color is None and deferring.get():  # the face's file, asked for by Font()
            return deferred
        return original(hb_object, ot_color, glyph)

    class FileContent:
        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            data = instance.__dict__.get("_handbook_file")
            if data is None:
                data = instance.__dict__["_handbook_file"] = original(instance.hb_face)
            return data

        def __set__(self, instance, value):
            if value is deferred:
                instance.__dict__.pop("_handbook_file", None)
            else:
                instance.__dict__["_handbook_file"] = value

    init = font.__init__

    def __init__(self, *args, **kwargs):
        token = deferring.set(True)
        try:
            init(self, *args, **kwargs)
        finally:
            deferring.reset(token)

    fonts.get_hb_object_data = get_hb_object_data
    font.file_content = FileContent()
    font.__init__ = __init__
    fonts._handbook_lazy = True


def weasyprint_html(html: str, folder: Path):
    """A WeasyPrint document for `html` that may load files from `folder` only, its warnings
    routed to the user. The one way both PDF writers call WeasyPrint."""
    import weasyprint

    wlog = logging.getLogger("weasyprint")
    if _handler not in wlog.handlers:
        wlog.addHandler(_handler)
        wlog.propagate = False
    if LAZY_FONT_FILES:
        _lazy_font_files()
    one_subset()
    return weasyprint.HTML(
        string=html,
        base_url=Path(folder).resolve().as_uri() + "/",
        url_fetcher=_fetcher_for(folder),
    )


_font_configs: dict[tuple[int, str, str], object] = {}


def shared_font_config(folder: Path, purpose: str):
    """One WeasyPrint FontConfiguration per process, templates folder and purpose ("handbook",
    "form"), passed to every write_pdf.

    A new configuration per document (WeasyPrint's default) reloads fontconfig's font list and
    opens the large CJK font files again through a new Pango font map, and a form's @font-face
    stand-in is written out and registered again: about a tenth of a form's CPU time. Shared,
    fonts load once per worker. Separate per folder and purpose, so that no @font-face of one
    templates folder (or the forms' stand-in) ever takes part in choosing another document's
    fonts. Keyed by process too: a forked worker makes its own rather than using its parent's
    (but keeps the inherited one referenced, so that its temporary font folder, still the
    parent's, is not deleted). Dropped when the process exits, including a pool worker that
    leaves through os._exit, so WeasyPrint removes its temporary font folder."""
    key = (os.getpid(), str(Path(folder).resolve()), purpose)
    config = _font_configs.get(key)
    if config is None:
        from multiprocessing import util

        from weasyprint.text.fonts import FontConfiguration

        own = [k for k in _font_configs if k[0] == key[0]]
        if not own:
            util.Finalize(None, _drop_font_configs, args=(key[0],), exitpriority=0)
        for old in own[:-3]:  # a process that renders from many folders (the tests) keeps four
            del _font_configs[old]
        config = _font_configs[key] = FontConfiguration()
    return config


def _drop_font_configs(pid: int) -> None:
    for key in [k for k in _font_configs if k[0] == pid]:
        del _font_configs[key]


@contextmanager
def no_gc_pauses():
    """Run a WeasyPrint render with Python's cyclic garbage collector paused.

    Laying out a document allocates millions of objects (boxes, styles, Pango wrappers) that
    live until the document is dropped; every few hundred allocations the collector walks them
    again, finding nothing to free. That was about a sixth of the handbook's CPU time. Paused,
    they stay in the youngest generation, and the first collection after the render frees
    whatever cycles a document leaves, once. Peak memory stays the same (lower, for a run of
    forms). Restores the collector only if it was on before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def info_finisher(props: Properties):
    """A WeasyPrint finisher that sets the PDF's document information from `props`.

    WeasyPrint's own `custom_metadata` would copy the page's `<meta>` tags, but it lower-cases
    their names (/docnumber) and takes every other tag too (/viewport); this writes exactly
    /Title, /Subject, /Author, /Keywords, /Creator, the dates and the custom entries
    (/DocNumber, /Version, /EffectiveDate, /ControlStatus, /SourceRevision, …).

    It also finishes the tag tree (tags.finish_structure: the contents as a TOC, wrappers
    without meaning dropped) and cuts the CJK font subsets down to the glyphs the document shows
    (fontpack.py)."""

    def finish(document, pdf) -> None:
        import pydyf

        for key, value in props.pdf_info().items():
            pdf.info[key] = pydyf.String(value)
        finish_structure(document, pdf, contents="toc")
        compact_cid_fonts(pdf)

    return finish


def render_pdf(doc: Document, path: Path, folder: Path | None = None) -> None:
    """The handbook laid out in one piece: what `render_book` does for a template it cannot
    split, and the reference a book made of parts is tested against."""
    folder = Path(folder or templates_dir())
    _render_whole(doc, render_html_string(doc, folder, for_print=True), path, folder)


def _render_whole(doc: Document, html: str, path: Path, folder: Path) -> None:
    props = properties(doc)
    with no_gc_pauses():
        document = weasyprint_html(html, folder).render(
            font_config=shared_font_config(folder, "handbook"), **ARCHIVAL
        )
        archival_metadata(document.metadata, props)
        document.write_pdf(
            str(path),
            pdf_identifier=f"{doc.meta.doc_number}-{doc.branch.id}-{doc.meta.version}".encode(),
            uncompressed_pdf=False,
            finisher=info_finisher(props),
            **ARCHIVAL,
        )


def render_book(doc: Document, path: Path, folder: Path | None = None, store=None) -> None:
    """The handbook made of parts (builder.writers.pdf.parts), each taken from `store` (a
    parts.PartStore) when it holds it and laid out otherwise, then assembled
    (builder.writers.pdf.assemble). Laid out in one piece when the page cannot be split."""
    from builder.writers.pdf import parts
    from builder.writers.pdf.assemble import assemble

    folder = Path(folder or templates_dir())
    html = render_html_string(doc, folder, for_print=True)
    layout = parts.split(html)
    if layout is None:
        _render_whole(doc, html, path, folder)
        return
    props = properties(doc)
    used: list[str] = []

    def laid(kind: str, part_html: str, finisher, pages: int | None = None, plain=False):
        """The part kept under its key, or laid out now (and kept, unless it is a front whose
        length is not the `pages` its numbers assumed: that one is laid out again)."""
        key = store.key(kind, part_html) if store is not None else None
        found = store.get(key) if key is not None else None
        if found is None:
            found = _lay_out(part_html, folder, props, finisher, plain)
            if key is not None and pages in (None, found.pages):
                store.put(key, found)
        if key is not None and pages in (None, found.pages):
            used.append(key)
        return found

    chapters = [
        laid("chapter", parts.chapter_html(layout, body), _part_finisher)
        for _, body in layout.chapters
    ]
    shape = store.key("front-pages", parts.front_html(layout, None)) if store is not None else None
    front_hint = store.hint(shape) if shape is not None else None
    front_pages = front_hint or 1
    for _ in range(3):  # the contents' numbers depend on its length, which hardly ever on them
        pages, at = {}, front_pages + 1
        for chapter in chapters:
            for anchor, index in chapter.anchors.items():
                pages.setdefault(anchor, at + index)
            at += chapter.pages
        front = laid("front", parts.front_html(layout, pages), _front_finisher(props), front_pages)
        if front.pages == front_pages:
            break
        front_pages = front.pages
    else:
        _render_whole(doc, html, path, folder)
        return
    if shape is not None:
        if front_hint != front_pages:
            store.set_hint(shape, front_pages)
        used.append(shape)
    total = at - 1
    furniture = laid(
        "furniture", parts.furniture_html(layout, total), _furniture_finisher, plain=True
    )
    try:
        assemble(front.pdf, [c.pdf for c in chapters], furniture.pdf, path)
    except Exception as exc:  # pikepdf's or a part of a shape assemble does not know
        log.warning("PDF 手册分章合成失败（%s），改为整本排版：%s", type(exc).__name__, path.name)
        _render_whole(doc, html, path, folder)
        return
    if store is not None:
        store.record(doc.branch.id, used)


def _lay_out(html: str, folder: Path, props: Properties, finisher, plain: bool):
    """One part laid out: tagged PDF/A as the book is, or `plain` (the furniture, whose pages
    are only drawn over the book's)."""
    from builder.writers.pdf.parts import Laid

    variant = {} if plain else ARCHIVAL
    with no_gc_pauses():
        document = weasyprint_html(html, folder).render(
            font_config=shared_font_config(folder, "handbook"), **variant
        )
        archival_metadata(document.metadata, props)
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, index)
        data = document.write_pdf(uncompressed_pdf=False, finisher=finisher, **variant)
        laid = Laid(data, len(document.pages), anchors)
        del document
    # The part's objects, left in reference cycles, are all still in the youngest generation
    # (the collector was paused): freed now, before the next part is laid out, so that a
    # book's memory is that of its largest part, not of all of them.
    gc.collect(0)
    return laid


def _part_finisher(document, pdf) -> None:
    from builder.writers.pdf.parts import internal_links

    finish_structure(document, pdf)
    compact_cid_fonts(pdf)
    internal_links(pdf)


def _front_finisher(props: Properties):
    from builder.writers.pdf.parts import internal_links

    info = info_finisher(props)

    def finish(document, pdf) -> None:
        info(document, pdf)
        internal_links(pdf)

    return finish


def _furniture_finisher(document, pdf) -> None:
    compact_cid_fonts(pdf)


def write(doc: Document, target: Path, options) -> None:
    """The registered entry point (builder.writers): the handbook as PDF, made of parts kept
    in `options.parts` (a parts.PartStore; None: laid out afresh, none kept)."""
    render_book(doc, target, options.templates, getattr(options, "parts", None))
