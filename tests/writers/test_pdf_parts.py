"""The PDF handbook made of parts (builder/writers/pdf/parts.py, assemble.py) against the same
handbook laid out in one piece by WeasyPrint: the same document, page for page; and a build that
reuses kept parts after an edit writes the same bytes as a build from nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from builder.document.resolve import resolve
from builder.writers.pdf import handbook, parts
from tests.tools import pdf_layout_text


def outline(reader: PdfReader) -> list[tuple[int, str, int, float]]:
    """(depth, title, page index, top) of every bookmark, in order."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append(
                    (
                        depth,
                        item.title,
                        reader.get_destination_page_number(item),
                        round(float(item.top), 1),
                    )
                )

    walk(reader.outline, 0)
    return found


def links(reader: PdfReader) -> list[tuple[int, str, int | None, tuple]]:
    """(page, destination name, the page it leads to, rectangle) of every link annotation."""
    dests = reader.named_destinations
    found = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or ():
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            name = str(annot.get("/Dest"))
            target = dests.get(name)
            found.append(
                (
                    index,
                    name,
                    reader.get_destination_page_number(target) if target is not None else None,
                    tuple(round(float(x), 1) for x in annot["/Rect"]),
                )
            )
    return found


def pixels(pdf: Path) -> list:
    """Every page drawn by PDFium at 50 dpi, in grey: what a reader shows, to compare."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            document[i].render(scale=50 / 72, grayscale=True).to_pil() for i in range(len(document))
        ]
    finally:
        document.close()


def differing(a, b) -> tuple[int, int]:
    """(how many pixels differ, by how many grey levels at most) between two page images."""
    from PIL import ImageChops

    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[1:]), max(level for level in range(256) if histogram[level])


@pytest.mark.parametrize("branch", ["hq", "hongkong"])
def test_a_book_of_parts_is_the_same_document_as_one_layout(manual, tmp_path, branch):
    doc = resolve(manual, branch)
    whole, book = tmp_path / "whole.pdf", tmp_path / "book.pdf"
    handbook.render_pdf(doc, whole)
    store = parts.PartStore(tmp_path / "store", "test")
    handbook.render_book(doc, book, store=store)
    assert len(list((tmp_path / "store").glob("*.pdf"))) == len(doc.chapters) + 3  # front,
    # the forms appendix, the furniture

    ours, theirs = PdfReader(book), PdfReader(whole)
    assert len(ours.pages) == len(theirs.pages) > 100
    # The same text on every page, where poppler sees it: TOC numbers, running heads, footers
    # ("第 7 页 / 共 117 页") included.
    text = pdf_layout_text(book).split("\f")
    assert text == pdf_layout_text(whole).split("\f")
    assert f"共 {len(theirs.pages)} " in text[5].replace("頁", "页")
    # The same bookmarks, leading to the same places.
    bookmarks = outline(ours)
    assert bookmarks == outline(theirs)
    assert len(bookmarks) > 50
    # Every link, the ones between chapters too, leads where it does in the one-piece layout.
    ours_links = links(ours)
    assert ours_links == links(theirs)
    assert all(page is not None for _, _, page, _ in ours_links)
    assert len({(i, page) for i, _, page, _ in ours_links if abs(i - page) > 10}) > 5
    # And the pages look the same.
    # And the pages look the same. Where the running head's rule is drawn in two halves (the
    # furniture's and the part's) a reader's anti-aliasing may round one pixel of the seam a
    # grey level differently: nothing more.
    pages = [differing(a, b) for a, b in zip(pixels(book), pixels(whole), strict=True)]
    assert all(count <= 2 and level <= 2 for count, level in pages), [
        (i + 1, d) for i, d in enumerate(pages) if d[0] > 2 or d[1] > 2
    ]
    # One embedded subset per CJK face, not one per chapter.
    faces = {}
    for page in ours.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            faces.setdefault(str(font["/BaseFont"]), set()).add(stream.idnum)
    cjk = {name: files for name, files in faces.items() if "CJK" in name}
    assert cjk and all(len(files) == 1 for files in cjk.values()), faces
    assert book.stat().st_size < 1.2 * whole.stat().st_size
    # Tagged as one document, with the running heads and footers as artifacts.
    assert ours.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert b"/Artifact <</Type /Pagination>> BDC" in ours.pages[6].get_contents().get_data()


def _build(src: Path, out: Path, *extra: str) -> None:
    from builder.release.build import build_outputs
    from builder.sources.load import load_manual

    build_outputs(
        load_manual(src),
        out=out,
        branches=["hq"],
        formats=["pdf"],
        forms=[],
        progress=False,
        force="--force" in extra,
    )


def test_an_edit_lays_out_one_chapter_again_and_gives_the_bytes_of_a_build_from_nothing(
    src, tmp_path
):
    out = tmp_path / "out"
    store = parts.PartStore.beside(out)
    _build(src, out)
    used_before = set((store / "used" / "hq.txt").read_text().split())
    kept_before = {p.name: p.stat().st_mtime_ns for p in store.glob("*.pdf")}
    assert len(kept_before) == len(used_before) - 1  # and the front's length, remembered

    chapter = src / "chapters" / "05-management.yaml"
    text = chapter.read_text(encoding="utf-8")
    first = re.search(r"(?m)^(\s+text: )(.+)$", text)
    assert first, "a clause with a one-line text in the chapter"
    chapter.write_text(
        text[: first.end(2)] + "（修订试验）" + text[first.end(2) :], encoding="utf-8"
    )
    # A damaged kept part is laid out again, not used.
    damaged = sorted(store.glob("*.pdf"))[0]
    damaged.write_bytes(damaged.read_bytes()[:-100])

    _build(src, out)
    used_after = set((store / "used" / "hq.txt").read_text().split())
    laid_out = {
        p.name for p in store.glob("*.pdf") if kept_before.get(p.name) != p.stat().st_mtime_ns
    }
    # The edited chapter, the damaged part, and the front or the furniture if its page numbers
    # moved: never the whole book again.
    assert 2 <= len(laid_out) <= 4, laid_out
    assert len(used_after - used_before) <= 3
    assert len(list(store.glob("*.pdf"))) == len(used_after) - 1  # the old chapter pruned
    assert "修订试验" in re.sub(r"\s+", "", pdf_layout_text(out / "hq" / "handbook.pdf"))

    fresh = tmp_path / "fresh"
    _build(src, fresh)
    assert (out / "hq" / "handbook.pdf").read_bytes() == (
        fresh / "hq" / "handbook.pdf"
    ).read_bytes()
    forced = (out / "hq" / "handbook.pdf").read_bytes()
    _build(src, out, "--force")
    assert (out / "hq" / "handbook.pdf").read_bytes() == forced


def test_a_page_of_another_shape_is_laid_out_in_one_piece(manual, tmp_path):
    """A templates folder whose page the split does not know (here: chapters not in <main>)
    still gets its handbook, laid out whole."""
    folder = tmp_path / "templates"
    shutil.copytree(Path(handbook.templates_dir()), folder)
    page = folder / "handbook.html.j2"
    page.write_text(
        page.read_text(encoding="utf-8").replace("<main>", "<div>").replace("</main>", "</div>"),
        encoding="utf-8",
    )
    doc = resolve(manual, "hq")
    from builder.writers.html import render_html_string

    assert parts.split(render_html_string(doc, folder, for_print=True)) is None
    assert parts.split(render_html_string(doc, None, for_print=True)) is not None
    store = parts.PartStore(tmp_path / "store", "test")
    handbook.render_book(doc, tmp_path / "book.pdf", folder, store)
    assert not (tmp_path / "store").exists()
    assert len(PdfReader(tmp_path / "book.pdf").pages) > 100


def test_a_book_that_cannot_be_assembled_is_laid_out_whole(root, tmp_path, monkeypatch, caplog):
    from builder.sources.load import load_manual
    from builder.writers.pdf import assemble

    manual = load_manual(root())
    doc = resolve(manual, manual.branch_ids[0])

    def fails(*args, **kwargs):
        raise ValueError("a part of an unknown shape")

    monkeypatch.setattr(assemble, "assemble", fails)
    target = tmp_path / "book.pdf"
    with caplog.at_level("WARNING", logger="handbook"):
        handbook.render_book(doc, target, store=parts.PartStore(tmp_path / "store", "test"))
    assert "PDF 手册分章合成失败（ValueError），改为整本排版：book.pdf" in caplog.text
    whole = tmp_path / "whole.pdf"
    handbook.render_pdf(doc, whole)
    assert pdf_layout_text(target) == pdf_layout_text(whole)
    assert not (tmp_path / "store" / "used").exists()  # nothing recorded for a whole layout


def test_the_store_keeps_what_some_branch_uses_and_drops_the_rest(tmp_path):
    """PartStore without WeasyPrint: parts are found under their key only while intact, and a
    prune keeps exactly the parts the recorded branches of the manual still use."""
    store = parts.PartStore(tmp_path / "store", "salt")
    keys = {name: store.key("chapter", f"<main>{name}</main>") for name in "abcd"}
    assert len(set(keys.values())) == 4
    assert store.key("chapter", "<main>a</main>") == keys["a"]
    assert (
        parts.PartStore(tmp_path / "store", "other").key("chapter", "<main>a</main>") != keys["a"]
    )
    for name, key in keys.items():
        store.put(key, parts.Laid(f"%PDF {name}".encode(), 1, {name: 0}))
    assert store.get(keys["b"]) == parts.Laid(b"%PDF b", 1, {"b": 0})
    store.record("hq", [keys["a"], keys["b"]])
    store.record("beijing", [keys["b"], keys["c"]])
    store.record("closed", [keys["d"]])  # a branch the manual no longer has
    assert store.prune({"hq", "beijing"}) == 1
    assert [store.get(keys[n]) is not None for n in "abcd"] == [True, True, True, False]
    assert not (tmp_path / "store" / "used" / "closed.txt").exists()
    (tmp_path / "store" / f"{keys['c']}.pdf").write_bytes(b"%PDF changed")
    assert store.get(keys["c"]) is None  # not what was kept: laid out again
