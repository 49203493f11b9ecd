"""The handbook PDF made of parts: each chapter laid out on its own, kept, and reused.

A handbook's chapters each start on a new page (handbook.css: `main > section.level-1
{ break-before: page }`), so each is a unit of layout. The PDF writer (`handbook.write`)
lays out:

  front      the cover, the 更新记录表 and the contents, whose page numbers are given as text
             (the contents' `target-counter` needs the whole book; here the numbers come from
             the parts' anchors);
  chapters   each `<main>` child (every chapter and the forms appendix), alone;
  furniture  the running head's left half and both footers ("第 X 页 / 共 Y 页" needs the
             page count), drawn on as many empty pages as the book has, after the cover that
             sets their strings.

The front and the chapters draw the chapter title at the top right, as a full render does;
the furniture draws the rest of the page's margin boxes. `assemble.assemble` then puts the
parts together with pikepdf: pages, the furniture over them, one tag tree, one outline, one
set of named destinations. A link to another part is written as a URI (WeasyPrint drops a
link whose anchor is not in the document) and turned back into a named destination here, in
the part's finisher.

Each part is kept in a `PartStore` under a hash of what it is made of: its HTML (the manual's
text, the stylesheet, the page numbers it prints), the builder's code and libraries, the
fonts. After a one-clause edit only the edited chapter is laid out again, plus the front if
the contents' numbers moved and the furniture if the page count did. A part's PDF depends on
nothing but its key, so a book assembled from kept parts is byte for byte the one a build
from nothing makes.

The split needs the built-in handbook template (`handbook.html.j2`): the writer checks that
the page has the shape it expects (body: front matter, then `<main>` of level-1 sections) and
that the stylesheet's margin boxes and contents rule are the built-in ones; anything else is
laid out in one piece, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A link to an anchor in another part: an absolute URI WeasyPrint keeps as a link (".invalid"
# is reserved, RFC 2606), turned back into a named destination by `internal_links`.
ELSEWHERE = "https://part.handbook.invalid/#"

# What the parts' own stylesheet changes. The furniture draws the top left and both footers;
# the parts draw the top right (the chapter title their own h1 sets).
_PART_PAGE = (
    "@page { @top-left { content: none } @bottom-left { content: none }"
    " @bottom-right { content: none } }"
)
_FRONT_NUMBERS = ".toc a::after { content: attr(data-page) }"
_FURNITURE = "@page { @top-right { content: none } } .hb-page { break-before: page }"
# The rules of handbook.css the split relies on (margin boxes made by furniture and parts, the
# contents' numbers); a template whose stylesheet does not have them is laid out whole.
_EXPECTED_CSS = (
    re.compile(r"@top-left \{ width: 62%; content: string\(manual-title\)"),
    re.compile(r"@top-right \{ width: 38%; [^}]*content: string\(chapter-title\);"),
    re.compile(r'@bottom-left \{ width: 62%; content: "[^"]*" string\(version\)'),
    re.compile(
        r'@bottom-right \{ width: 38%; content: "\S+ " counter\(page\) "[^"]*" counter\(pages\)'
    ),
    re.compile(r"\.toc a::after \{ content: target-counter\(attr\(href url\), page\);"),
    re.compile(r"main > section\.level-1 \{ break-before: page; \}"),
)
_NUMBER = 'data-page="hb-number"'  # where `front_html` puts a contents entry's page number


@dataclass(frozen=True)
class Split:
    """The handbook page cut into what `handbook.write` lays out separately."""

    head: str  # <html ...><head>…</head>, the stylesheet included
    body_open: str  # <body …>
    front: str  # the body's children before <main>: cover, 更新记录表, contents
    cover: str  # the cover alone (it sets the furniture's strings)
    chapters: tuple[tuple[str, str], ...]  # (id, the section's HTML) per <main> child
    toc_targets: tuple[str, ...]  # the anchors the contents link to, in order

    def part(self, body: str, style: str) -> str:
        head = f"<!DOCTYPE html>\n{self.head}<style>{style}</style></head>\n"
        return f"{head}{self.body_open}{body}</body></html>"


def split(html: str) -> Split | None:
    """The page's parts, or None when it is not the shape the parts need (a template of one's
    own: laid out whole)."""
    from lxml import etree
    from lxml import html as lxml_html

    if not all(rule.search(html) for rule in _EXPECTED_CSS):
        return None
    root = lxml_html.document_fromstring(html)
    head, body = root.find("head"), root.find("body")
    if head is None or body is None:
        return None
    children = [c for c in body if isinstance(c.tag, str)]
    mains = [i for i, c in enumerate(children) if c.tag == "main"]
    if len(mains) != 1 or (body.text or "").strip():
        return None
    main = children[mains[0]]
    before, after = children[: mains[0]], children[mains[0] + 1 :]  # after: the colophon
    sections = [c for c in main if isinstance(c.tag, str)]
    if not sections or any(
        s.tag != "section" or "level-1" not in (s.get("class") or "").split() or not s.get("id")
        for s in sections
    ):
        return None
    if any((c.tail or "").strip() for c in [*children, *sections]) or (main.text or "").strip():
        return None
    covers = [c for c in before if "cover" in (c.get("class") or "").split()]
    toc = body.find(".//nav[@id='toc']")
    if len(covers) != 1 or toc is None:
        return None

    def text(element) -> str:
        return etree.tostring(element, encoding="unicode", method="html", with_tail=False)

    ids = {s.get("id"): {e.get("id") for e in s.iter() if e.get("id")} for s in sections}
    front_ids = {e.get("id") for c in before for e in c.iter() if e.get("id")}
    ids[sections[-1].get("id")] |= {e.get("id") for c in after for e in c.iter() if e.get("id")}
    targets = []
    for a in toc.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#"):
            targets.append(href[1:])
            a.set("data-page", "hb-number")
    groups = [(before, front_ids), *(([s], ids[s.get("id")]) for s in sections[:-1])]
    for group, own in [*groups, ([sections[-1], *after], ids[sections[-1].get("id")])]:
        for element in group:
            _point_elsewhere(element, own)
    head_html = text(head)
    attributes = "".join(f' {k}="{_attr(v)}"' for k, v in root.attrib.items())
    body_attributes = "".join(f' {k}="{_attr(v)}"' for k, v in body.attrib.items())
    return Split(
        head=f"<html{attributes}>{head_html[: head_html.rindex('</head>')]}",
        body_open=f"<body{body_attributes}>",
        front="\n".join(text(c) for c in before),
        cover=text(covers[0]),
        chapters=tuple(
            (
                s.get("id"),
                f"<main>{text(s)}</main>" + "".join(text(c) for c in after if s is sections[-1]),
            )
            for s in sections
        ),
        toc_targets=tuple(targets),
    )


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _point_elsewhere(element, own: set[str]) -> None:
    """Links to anchors outside the part become `ELSEWHERE` URIs."""
    for a in element.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#") and len(href) > 1 and href[1:] not in own:
            a.set("href", ELSEWHERE + href[1:])


def chapter_html(parts: Split, body: str) -> str:
    return parts.part(body, _PART_PAGE)


def front_html(parts: Split, pages: dict[str, int] | None) -> str:
    """The front with the contents' page numbers (`pages`: anchor → page number) as text;
    `pages` None leaves them out (what the front's length is remembered under)."""
    if pages is None:
        return parts.part(parts.front, _PART_PAGE)
    numbers = iter(str(pages.get(t, "")) for t in parts.toc_targets)
    front = re.sub(_NUMBER, lambda _: f'data-page="{next(numbers)}"', parts.front)
    return parts.part(front, _PART_PAGE + _FRONT_NUMBERS)


def furniture_html(parts: Split, page_count: int) -> str:
    """The cover (which sets the running head's and footers' strings), then an empty page for
    every other page of the book: what they show is the margin boxes."""
    return parts.part(parts.cover + '<div class="hb-page"></div>' * (page_count - 1), _FURNITURE)


def internal_links(pdf) -> None:
    """In a part's PDF (pydyf, in the finisher): each `ELSEWHERE` link becomes a link to the
    named destination, as WeasyPrint writes a link inside the document."""
    import pydyf

    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/Link":
            continue
        action = obj.get("A")
        uri = getattr(action.get("URI"), "string", None) if isinstance(action, dict) else None
        if isinstance(uri, str) and uri.startswith(ELSEWHERE):
            anchor = uri[len(ELSEWHERE) :]
            del obj["A"]
            if "Contents" in obj:
                obj["Contents"] = pydyf.String(anchor)
            obj["Dest"] = pydyf.String(anchor)


# -- the store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Laid:
    """A part laid out: its PDF, and on which of its pages each anchor is (0-based)."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


class PartStore:
    """Parts kept between builds, one PDF and one JSON file each, named by the part's key.

    Lives beside the output folder (`.<out>.parts/`, as the build's lock file does), so the
    published folder holds only what is published; the build's lock guards it. Each branch's
    handbook records the keys it used (`used/<branch>.txt`); `prune` deletes every part no
    branch uses any more."""

    def __init__(self, folder: Path, salt: str):
        self.folder = Path(folder)
        self.salt = salt

    @staticmethod
    def beside(out: Path) -> Path:
        out = Path(out).absolute()
        return out.parent / f".{out.name}.parts"

    def key(self, kind: str, html: str) -> str:
        digest = hashlib.sha256()
        for part in (self.salt, kind, html):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> Laid | None:
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            data = (self.folder / f"{key}.pdf").read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None  # damaged or half-written: laid out again
        return Laid(data, int(meta["pages"]), {str(k): int(v) for k, v in meta["anchors"].items()})

    def put(self, key: str, laid: Laid) -> None:
        meta = {
            "sha256": hashlib.sha256(laid.pdf).hexdigest(),
            "pages": laid.pages,
            "anchors": laid.anchors,
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.folder / f"{key}.pdf", laid.pdf)
            _write_atomically(
                self.folder / f"{key}.json", json.dumps(meta, sort_keys=True).encode()
            )
        except OSError:
            pass  # the store is only ever an optimisation

    def hint(self, key: str) -> int | None:
        """How many pages the front had last time (`key`: of the front without its contents'
        numbers), or None."""
        try:
            return int((self.folder / f"{key}.pages").read_text())
        except (OSError, ValueError):
            return None

    def set_hint(self, key: str, pages: int) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.folder / f"{key}.pages", str(pages).encode())
        except OSError:
            pass

    def clear(self) -> None:
        """Forget every part (a forced build lays everything out again). The fronts' lengths
        stay: they only spare laying a front out twice, and a front is laid out again anyway
        when its length is not the one its contents' numbers assumed."""
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            if path.suffix in (".pdf", ".json") or path.name.endswith(".partial"):
                path.unlink(missing_ok=True)

    def record(self, branch: str, keys: list[str]) -> None:
        try:
            (self.folder / "used").mkdir(parents=True, exist_ok=True)
            _write_atomically(self.folder / "used" / f"{branch}.txt", "\n".join(keys).encode())
        except OSError:
            pass

    def prune(self, branches: set[str]) -> int:
        """Delete the parts no branch's handbook uses (and the records of branches the manual
        no longer has). Returns how many parts went; a store it cannot read is left alone."""
        try:
            return self._prune(branches)
        except (OSError, ValueError):
            return 0

    def _prune(self, branches: set[str]) -> int:
        used: set[str] = set()
        records = self.folder / "used"
        for path in records.glob("*.txt") if records.is_dir() else ():
            if path.stem not in branches:
                path.unlink(missing_ok=True)
                continue
            used.update(path.read_text(encoding="utf-8").split())
        gone = 0
        for path in sorted(self.folder.iterdir()) if self.folder.is_dir() else ():
            if path.suffix in (".pdf", ".json", ".pages") and path.stem not in used:
                path.unlink(missing_ok=True)
                gone += path.suffix == ".pdf"
        for path in self.folder.glob(".*.partial") if self.folder.is_dir() else ():
            path.unlink(missing_ok=True)
        return gone


def _write_atomically(path: Path, data: bytes) -> None:
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
