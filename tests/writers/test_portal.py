"""The download portal (builder.writers.portal): output/index.html lists every branch with a
filter box; output/<branch>/index.html offers the branch's handbook and every form, in every
format, under Chinese download names, with sizes, purposes and the revision history.

Built once for the module, like `make build`: every branch, every format. Checked twice:
  - as files, parsed: every branch has its page, every file is linked under the right name and
    size, every reference is local and exists (the portal works offline, from a USB stick);
  - in headless Chromium (tests/browser.py): at desktop and phone widths the pages load with no
    console error, script error or failed request and without sideways scrolling; every link the
    browser resolves exists; the filter narrows the list; the same from a plain HTTP server.
A second, small build of the head office alone checks that nothing missing is linked.

Set HANDBOOK_SCREENSHOTS=DIR to keep full-page screenshots of the index and the head office's
page at both widths (DIR/index-desktop.png, ...).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import opencc
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.document.model import plain
from builder.writers.portal import download_name, human_size
from tests.browser import PHONE, VIEWPORTS, file_path, open_page
from tests.conftest import ROOT, SRC

BRANCHES = yaml.safe_load((SRC / "branches.yaml").read_text(encoding="utf-8"))["branches"]
BRANCH_IDS = [b["id"] for b in BRANCHES]
PAGES = ["index", *BRANCH_IDS]  # "index": output/index.html; a branch id: output/<id>/index.html
SHOWN = "hq"  # the branch page of the screenshots and the HTTP check
UNSAFE = set('/\\:*?"<>|')
FORMATS = ("pdf", "docx", "xlsx")
SIZE = re.compile(r"\d+(?:\.\d+)? (?:B|KB|MB|GB)(?![A-Za-z])")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

slow = pytest.mark.slow  # the tests of the full build


def _build(out: Path, *args: str) -> float:
    """`handbook build` through the CLI, like `make build`; returns the seconds it took."""
    from click.testing import CliRunner

    from builder.cli import main

    started = time.monotonic()
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--src",
            str(SRC),
            "--out",
            str(out),
            "--templates",
            str(ROOT / "templates"),
            "-q",
            *args,
        ],
        env={"HANDBOOK_SOURCE_REVISION": "test"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return time.monotonic() - started


def _say(config, line: str) -> None:
    """A line on the terminal, past pytest's capture (as live logging does)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


@pytest.fixture(scope="module")
def full(tmp_path_factory, request) -> Path:
    """Every branch in every format (about 50 s on 2 cores): the output folder."""
    out = tmp_path_factory.mktemp("portal") / "output"
    seconds = _build(out)
    _say(request.config, f"\n[portal] full build (every branch, every format): {seconds:.1f} s")
    return out


@pytest.fixture(scope="module")
def partial(tmp_path_factory) -> Path:
    """The head office alone, only the cheap formats: the handbook as HTML, the forms as XLSX."""
    out = tmp_path_factory.mktemp("portal-hq") / "output"
    _build(out, "-b", "hq", "-f", "html", "-f", "xlsx")
    return out


@pytest.fixture(scope="module")
def documents(manual):
    """Each branch's resolved document: the titles, purposes and names its page should show."""
    from builder.document.resolve import resolve

    return {b: resolve(manual, b, source_revision="test") for b in BRANCH_IDS}


# -- reading pages ----------------------------------------------------------------------------


def page_path(out: Path, page: str) -> Path:
    return out / "index.html" if page == "index" else out / page / "index.html"


@functools.lru_cache(maxsize=64)
def _parse(path: Path, mtime: int):
    return lxml.html.document_fromstring(path.read_text(encoding="utf-8"))


def parse(path: Path):
    return _parse(path, path.stat().st_mtime_ns)


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def hrefs(tree) -> list[str]:
    return [unquote(a.get("href")) for a in tree.iter("a") if a.get("href") is not None]


def references(tree):
    """(element, attribute, value) of everything the page points to or loads."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        for attribute in ("href", "src", "action", "poster", "data", "formaction"):
            value = element.get(attribute)
            if value is not None:
                yield element, attribute, value.strip()
        for value in (element.get("srcset") or "").split(","):
            if value.strip():
                yield element, "srcset", value.split()[0]


def problem_with(reference: str, page: Path, out: Path) -> str | None:
    """Why `reference` on `page` is not a local file inside `out` (None when it is)."""
    if reference.startswith("data:"):
        return None  # inline: works offline
    if SCHEME.match(reference):
        return "has a scheme: not a relative link (the portal must work offline and from file://)"
    if reference.startswith("//"):
        return "is a network-path reference (//host/...): not local"
    if reference.startswith("/"):
        return "is absolute: breaks under file:// and under a server's sub-folder"
    parts = urlsplit(reference)
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
    if not target.is_relative_to(out.resolve()):
        return f"points outside the output folder ({target})"
    if not target.is_file():
        return f"{target.relative_to(out.resolve())} does not exist"
    if (
        parts.fragment
        and target.suffix == ".html"
        and not parse(target).xpath("//*[@id=$i]", i=unquote(parts.fragment))
    ):
        return f"{target.name} has no element with id {parts.fragment!r}"
    return None


def nonlocal_css(tree) -> list[str]:
    """url(...) and @import in the page's CSS that would load something from elsewhere."""
    css = " ".join(
        [s.text or "" for s in tree.iter("style")]
        + [e.get("style") for e in tree.iter() if isinstance(e.tag, str) and e.get("style")]
    )
    found = [
        u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if not u.startswith(("data:", "#"))
    ]
    return found + re.findall(r"@import[^;]*", css)


def shown_size(link) -> str | None:
    """The size shown with a download link: in the link, else in the smallest element around it
    that holds no other download link (the size may sit beside the link)."""
    element = link
    while element is not None:
        if element is not link and len(element.xpath(".//a[@download]")) > 1:
            return None
        found = SIZE.findall(text(element))
        if found:
            assert len(found) == 1, f"several sizes by {link.get('href')}: {found}"
            return found[0]
        element = element.getparent()
    return None


def portal_pages(out: Path) -> list[Path]:
    return [out / "index.html"] + sorted(out.glob("*/index.html"))


# -- the full build, as files -----------------------------------------------------------------


@slow
def test_every_branch_has_a_page(full):
    assert (full / "index.html").is_file()
    missing = [b for b in BRANCH_IDS if not (full / b / "index.html").is_file()]
    assert not missing, f"branches without a portal page: {missing}"


@slow
def test_index_shows_the_manual_and_links_every_branch(full, documents):
    tree = parse(full / "index.html")
    body = text(tree.body)
    meta = documents[BRANCH_IDS[0]].meta
    date = f"{meta.effective_date.year}年{meta.effective_date.month}月{meta.effective_date.day}日"
    for what in (meta.company, meta.title, meta.version, date):
        assert what in body, f"index.html does not show {what!r}"
    assert meta.title in text(tree.find(".//title"))
    items = tree.xpath('//ul[@id="branches"]/li[@data-search]')
    assert len(items) == len(BRANCHES), "one list item per branch"
    for item, branch in zip(items, BRANCHES):  # in the order of branches.yaml
        hong_kong = branch.get("script") in ("zh-Hant", "zh-Hant-HK")  # shown in its own script
        assert (opencc.OpenCC("s2hk").convert(branch["name"]) if hong_kong else branch["name"]) in (
            text(item)
        )
        assert [unquote(a.get("href")) for a in item.iter("a")] == [f"{branch['id']}/index.html"], (
            branch["id"]
        )
        searchable = item.get("data-search").lower()
        for field in ("name", "region", "kind", "id"):
            assert branch[field].lower() in searchable, (
                f"{branch['id']}: the filter cannot find its {field}"
            )
    assert "尚未生成" not in body, "every branch is built, none is pending"
    assert tree.get_element_by_id("filter").tag == "input"
    assert tree.get_element_by_id("empty") is not None


@slow
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_branch_page_links_the_handbook_and_every_form(full, manual, branch):
    tree = parse(full / branch / "index.html")
    links = set(hrefs(tree))
    wanted = {"handbook.html", "handbook.pdf", "handbook.docx", "forms.xlsx", "../index.html"}
    wanted |= {f"forms/{form.id}.{ext}" for form in manual.forms for ext in FORMATS}
    assert not wanted - links, f"{branch}/index.html does not link {sorted(wanted - links)}"
    for form in manual.forms:  # each form's files from its own row
        row = tree.xpath(
            '//table[contains(concat(" ", @class, " "), " forms ")]//tr[@id=$i]', i=form.id
        )
        assert len(row) == 1, f"{branch}: no single row tr#{form.id} in table.forms"
        assert {f"forms/{form.id}.{ext}" for ext in FORMATS} <= set(hrefs(row[0]))


@slow
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_forms_show_code_title_and_purpose(full, documents, branch):
    document = documents[branch]
    tree = parse(full / branch / "index.html")
    rows = tree.xpath('//table[contains(concat(" ", @class, " "), " forms ")]//tr[@id]')
    assert [r.get("id") for r in rows] == [f.id for f in document.forms], (
        "one row per form, in the manual's order"
    )
    for row, form in zip(rows, document.forms):
        shown = text(row)
        for what in (form.code, form.title, re.sub(r"\s+", " ", plain(form.purpose)).strip()):
            assert what in shown, f"{branch}: row {form.id} does not show {what!r}"
    body = text(tree.body)
    for what in (document.branch.name, document.meta.title, document.meta.version):
        assert what in body


@slow
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_download_names_are_the_chinese_titles(full, documents, branch):
    document = documents[branch]
    titles = {f.id: f.title for f in document.forms}
    tree = parse(full / branch / "index.html")
    downloads = tree.xpath("//a[@download]")
    wanted = {"handbook.pdf", "handbook.docx", "forms.xlsx"} | {
        f"forms/{i}.{ext}" for i in titles for ext in FORMATS
    }
    missing = wanted - {unquote(a.get("href")) for a in downloads}
    assert not missing, f"{branch}: not offered for download (no <a download>): {sorted(missing)}"
    for a in downloads:
        href, name = unquote(a.get("href")), a.get("download")
        suffix = Path(href).suffix
        assert name.endswith(suffix), f"{href}: saved as {name!r}, not as {suffix}"
        assert not UNSAFE & set(name), (
            f"{href}: {name!r} has characters Windows does not allow in a file name"
        )
        assert not any(ord(c) < 32 for c in name) and name == name.strip()
        match = re.fullmatch(r"forms/([^/]+)\.(pdf|docx|xlsx)", href)
        if match:
            assert name == titles[match[1]] + suffix
            assert name == download_name(titles[match[1]], suffix)
        elif href in ("handbook.pdf", "handbook.docx", "forms.xlsx"):
            assert document.meta.title in name and document.branch.name in name, f"{href}: {name!r}"
        else:  # anything else the branch offers is its own too: say whose
            assert document.branch.name in name, f"{href}: {name!r}"
    # Every file for downloading is offered under a name; reading online is not a download.
    for a in tree.iter("a"):
        if Path(urlsplit(a.get("href", "")).path).suffix in (".pdf", ".docx", ".xlsx"):
            assert a.get("download"), f"{a.get('href')} has no download name"
    # The meeting notice, by its title as written in the source
    title = yaml.safe_load((SRC / "forms" / "meeting-notice.yaml").read_text(encoding="utf-8"))[
        "title"
    ]
    assert title == "会议通知表"
    if document.branch.script == "zh-Hant-HK":  # Hong Kong: the title in Traditional
        title = opencc.OpenCC("s2hk").convert(title)
    for ext in FORMATS:
        assert [
            a.get("download") for a in tree.xpath("//a[@href=$h]", h=f"forms/meeting-notice.{ext}")
        ] == [f"{title}.{ext}"]


@slow
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_sizes_shown_are_the_files_sizes(full, branch):
    page = full / branch / "index.html"
    for a in parse(page).xpath("//a[@download]"):
        href = unquote(a.get("href"))
        expected = human_size((page.parent / href).stat().st_size)
        assert shown_size(a) == expected, (
            f"{branch}: {href} is {expected}, the page shows {shown_size(a)!r}"
        )


@slow
def test_every_reference_is_local_and_exists(full):
    """Offline: no http(s), no //host, no absolute path; every link, script, style and image is a
    file of the output folder (and every #fragment an element of its page)."""
    problems = []
    pages = portal_pages(full)
    assert len(pages) == 1 + len(BRANCH_IDS)
    for page in pages:
        tree = parse(page)
        for element, attribute, value in references(tree):
            why = problem_with(value, page, full)
            if why:
                problems.append(
                    f"{page.relative_to(full)}: <{element.tag} {attribute}={value!r}> {why}"
                )
        problems += [f"{page.relative_to(full)}: CSS loads {u!r}" for u in nonlocal_css(tree)]
    assert not problems, "\n".join(problems)


@slow
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_revision_history_lists_every_revision(full, documents, branch):
    revisions = documents[branch].revisions
    assert revisions, "revisions.yaml has entries"
    tables = parse(full / branch / "index.html").xpath(
        '//table[contains(concat(" ", @class, " "), " history ")]'
    )
    assert len(tables) == 1
    rows = [
        " | ".join(text(cell) for cell in r.xpath("td|th")) for r in tables[0].xpath(".//tbody/tr")
    ]
    assert len(rows) == len(revisions)
    for r in revisions:
        date = f"{r.date.year}年{r.date.month}月{r.date.day}日"
        version = re.compile(
            rf"(?<![\d.]){re.escape(r.version)}(?![\d.A-Za-z])"
        )  # 1.0, not 1.0.1 or 11.0
        assert any(version.search(row) and date in row and r.summary in row for row in rows), (
            f"version {r.version} is missing"
        )


# -- one branch built alone -------------------------------------------------------------------


def test_a_branch_built_alone_lists_the_others_unlinked(partial):
    tree = parse(partial / "index.html")
    items = tree.xpath('//ul[@id="branches"]/li')
    assert len(items) == len(BRANCHES), "every branch is listed, built or not"
    for item, branch in zip(items, BRANCHES):
        links = [unquote(a.get("href")) for a in item.iter("a")]
        if branch["id"] == "hq":
            assert links == ["hq/index.html"]
            assert "尚未生成" not in text(item)
        else:
            assert links == [], f"{branch['id']} is not built but linked"
            # a Traditional branch's name in its own script (OpenCC directly, not the builder)
            hong_kong = branch.get("script") in ("zh-Hant", "zh-Hant-HK")
            name = opencc.OpenCC("s2hk").convert(branch["name"]) if hong_kong else branch["name"]
            assert name in text(item) and "尚未生成" in text(item)
            assert item.get("lang") == ("zh-HK" if hong_kong else None)
    assert sorted(p.parent.name for p in partial.glob("*/index.html")) == ["hq"]


def test_a_branch_built_alone_links_only_what_exists(partial, manual):
    page = partial / "hq" / "index.html"
    tree = parse(page)
    links = set(hrefs(tree))
    assert {"handbook.html", "forms.xlsx"} | {f"forms/{f.id}.xlsx" for f in manual.forms} <= links
    absent = {"handbook.pdf", "handbook.docx"} | {
        f"forms/{f.id}.{e}" for f in manual.forms for e in ("pdf", "docx")
    }
    assert not links & absent, f"links to files not built: {sorted(links & absent)}"
    assert [r.get("id") for r in tree.xpath("//tr[@id]")] == [f.id for f in manual.forms], (
        "every form is still listed"
    )
    problems = [
        f"{p.relative_to(partial)}: {v!r} {why}"
        for p in portal_pages(partial)
        for _, _, v in references(parse(p))
        if (why := problem_with(v, p, partial))
    ]
    assert not problems, "\n".join(problems)
    for a in tree.xpath("//a[@download]"):
        assert shown_size(a) == human_size((page.parent / a.get("href")).stat().st_size)


# -- download_name, human_size ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "suffix", "expected"),
    [
        ("会议通知表", ".pdf", "会议通知表.pdf"),
        (
            "运营管理手册（北京分公司）",
            ".docx",
            "运营管理手册（北京分公司）.docx",
        ),  # full-width punctuation stays
        (
            "项目：验收／报告？",
            ".pdf",
            "项目：验收／报告？.pdf",
        ),  # full-width ：／？ are fine on every system
        ("收入/支出", ".xlsx", "收入_支出.xlsx"),
        ('a\\b/c:d*e?f"g<h>i|j', ".pdf", "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("表\t单\n名\x00", ".docx", "表_单_名.docx"),  # control characters
        ("\t表单\n", ".pdf", "表单.pdf"),  # surrounding white space goes
        ("..", ".pdf", "文件.pdf"),  # nothing left: still a name
        (
            "  表单. ",
            ".pdf",
            "表单.pdf",
        ),  # Windows drops trailing dots and spaces; leading ones hide files
        ("..表单", ".pdf", "表单.pdf"),
    ],
)
def test_download_name(title, suffix, expected):
    assert download_name(title, suffix) == expected


@settings(derandomize=True, database=None)
@given(st.text(), st.sampled_from([".pdf", ".docx", ".xlsx"]))
def test_download_name_is_always_a_safe_file_name(title, suffix):
    name = download_name(title, suffix)
    assert name.endswith(suffix)
    stem = name[: -len(suffix)]
    assert not (UNSAFE & set(name)) and not any(ord(c) < 32 for c in name)
    assert stem and stem == stem.strip(" .")


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (150 * 1024, "150 KB"),
        (1024 * 1024, "1.0 MB"),
        (int(1.45 * 1024 * 1024), "1.4 MB"),
        (1023 * 1024 + 600, "1.0 MB"),
    ],
)  # not "1024 KB"
def test_human_size(size, shown):
    assert human_size(size) == shown


# -- in Chromium ------------------------------------------------------------------------------


def url_of(out: Path, page: str) -> str:
    return page_path(out, page).as_uri()


# Every URL the page links or loads, as the browser resolves it (the properties, not the
# attributes).
LINKED = """Array.from(document.querySelectorAll(
  `a[href], area[href], link[href], img[src], script[src], iframe[src],
  source[src], video[src], audio[src], embed[src], object[data]`),
  e => e.href || e.src || e.data)"""


# The innermost elements reaching past the right edge (to say what overflows).
WIDE = """w => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > w + 1
    && !Array.from(e.children).some(c => c.getBoundingClientRect().right > w + 1))
  .slice(0, 5)
  .map(e =>
    `${e.outerHTML.slice(0, 150)} (right edge at ${Math.round(e.getBoundingClientRect().right)} px)`
  )"""


def screenshot(page, name: str) -> None:
    folder = os.environ.get("HANDBOOK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@slow
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_cleanly_and_fits(browser, full, page, viewport):
    with open_page(browser, url_of(full, page), viewport) as visit:
        visit.page.wait_for_load_state("networkidle")
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        if width > viewport.width + 1:
            wide = visit.page.evaluate(WIDE, viewport.width)
            pytest.fail(
                f"{page} scrolls sideways at {viewport.width} px: {width} px wide; "
                f"past the edge: {wide}"
            )
        if page in ("index", SHOWN):
            screenshot(visit.page, f"{page}-{viewport.name}")
        visit.assert_clean()


@slow
@pytest.mark.parametrize("page", PAGES)
def test_every_link_the_browser_resolves_exists(browser, full, page):
    with open_page(browser, url_of(full, page)) as visit:
        urls = visit.page.evaluate(LINKED)
        assert urls, "the page links something"
        problems = []
        for url in urls:
            if url.startswith("data:"):
                continue  # inline (an icon): works offline
            if not url.startswith("file://"):
                problems.append(f"{url}: not a local file")
                continue
            path = file_path(url)
            if not path.is_file():
                problems.append(f"{url}: no such file")
            elif not path.resolve().is_relative_to(full.resolve()):
                problems.append(f"{url}: outside the output folder")
            fragment = urlsplit(url).fragment
            if fragment and path == file_path(visit.page.url):
                if not visit.page.evaluate(
                    "id => !!document.getElementById(id)", unquote(fragment)
                ):
                    problems.append(f"{url}: no element #{fragment} on the page")
        assert not problems, "\n".join(problems)
        visit.assert_clean()


def _filter_cases():
    """(query, branch ids it should show), from branches.yaml."""

    def searchable(b):
        return " ".join(
            [b["name"], b.get("name_en") or "", b["region"], b["kind"], b["id"]]
        ).lower()

    cases = []  # (test id, query, expected)
    for b in BRANCHES:
        cases.append(
            (
                f"region-of-{b['id']}",
                b["region"],
                [o["id"] for o in BRANCHES if o["region"] == b["region"]],
            )
        )
        cases.append((f"name-of-{b['id']}", b["name"], [b["id"]]))
    kinds = [b["kind"] for b in BRANCHES]
    kind = max(sorted(set(kinds)), key=kinds.count)  # a kind several branches share
    cases.append(("shared-kind", kind, [b["id"] for b in BRANCHES if b["kind"] == kind]))
    named = next(b for b in BRANCHES if b.get("name_en"))
    cases.append(
        ("english-name-any-case", f"  {named['name_en'].upper()} ", [named["id"]])
    )  # blanks around ignored
    for name, query, expected in cases:  # the queries mean what the test says they do
        assert [b["id"] for b in BRANCHES if query.strip().lower() in searchable(b)] == expected, (
            name,
            query,
        )
    return list({query: (name, query, expected) for name, query, expected in cases}.values())


FILTER_CASES = _filter_cases()


def visible_branches(page) -> list[str]:
    return [
        h.removesuffix("/index.html")
        for h in page.eval_on_selector_all(
            "#branches > li",
            """items => items.filter(li => li.checkVisibility())
                .map(li => li.querySelector("a")
                    ? li.querySelector("a").getAttribute("href")
                    : li.textContent)""",
        )
    ]


@slow
@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES]
)
def test_filter_narrows_the_list(browser, full, query, expected):
    from playwright.sync_api import expect

    with open_page(browser, url_of(full, "index")) as visit:
        page = visit.page
        assert visible_branches(page) == BRANCH_IDS
        page.locator("#filter").fill(query)
        expect(page.locator("#branches > li:visible")).to_have_count(len(expected))
        assert visible_branches(page) == expected
        expect(page.locator("#empty")).to_be_hidden()
        visit.assert_clean()


@slow
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
def test_filter_shows_none_then_all(browser, full, viewport):
    from playwright.sync_api import expect

    with open_page(browser, url_of(full, "index"), viewport) as visit:
        page, box = visit.page, visit.page.locator("#filter")
        expect(page.locator("#empty")).to_be_hidden()
        box.press_sequentially("没有这个分支机构 xyz")  # typed key by key, like a person
        expect(page.locator("#branches > li:visible")).to_have_count(0)
        expect(page.locator("#empty")).to_be_visible()
        box.fill("")
        expect(page.locator("#branches > li:visible")).to_have_count(len(BRANCH_IDS))
        expect(page.locator("#empty")).to_be_hidden()
        assert visible_branches(page) == BRANCH_IDS
        box.press_sequentially(BRANCHES[-1]["region"])
        expect(page.locator("#branches > li:visible")).not_to_have_count(len(BRANCH_IDS))
        for _ in range(len(BRANCHES[-1]["region"])):
            box.press("Backspace")
        expect(page.locator("#branches > li:visible")).to_have_count(len(BRANCH_IDS))
        visit.assert_clean()


@slow
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
@pytest.mark.parametrize("branch", BRANCH_IDS)
def test_read_online_opens_the_handbook(browser, full, branch, viewport):
    with open_page(browser, url_of(full, branch), viewport) as visit:
        page = visit.page
        link = page.locator('a[href="handbook.html"]')  # 在线阅读
        assert link.count() == 1
        link.click()
        page.wait_for_url((full / branch / "handbook.html").as_uri())
        page.wait_for_load_state("load")
        assert page.title(), "the handbook has a title"
        assert page.locator("h1").count() >= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport.width + 1:
            pytest.fail(
                f"{branch}/handbook.html scrolls sideways at {viewport.width} px: {width} px wide; "
                f"past the edge: {page.evaluate(WIDE, viewport.width)}"
            )
        visit.assert_clean()


@slow
def test_from_index_to_a_branch_and_back(browser, full):
    with open_page(browser, url_of(full, "index"), PHONE) as visit:
        page = visit.page
        page.locator(f'#branches a[href="{SHOWN}/index.html"]').click()
        page.wait_for_url((full / SHOWN / "index.html").as_uri())
        page.locator('a[href="../index.html"]').first.click()
        page.wait_for_url((full / "index.html").as_uri())
        page.wait_for_load_state("load")
        visit.assert_clean()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def served(full):
    """The output folder over HTTP on 127.0.0.1 (a stand-in for the intranet's nginx)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(full))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="portal-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@slow
@pytest.mark.parametrize(
    "path", ["", "index.html", f"{SHOWN}/", f"{SHOWN}/index.html", f"{SHOWN}/handbook.html"]
)
def test_served_over_http(browser, served, path):
    """Each page, and everything it links, over HTTP; a folder's URL serves its index.html."""
    with open_page(browser, served + path, PHONE) as visit:
        visit.page.wait_for_load_state("networkidle")
        assert visit.page.locator("h1").count() >= 1
        problems = []
        for url in dict.fromkeys(visit.page.evaluate(LINKED)):
            if url.startswith("data:"):
                continue
            if not url.startswith(served):
                problems.append(f"{url}: not on this server")
            elif (status := visit.page.request.head(url).status) != 200:
                problems.append(f"{url}: HTTP {status}")
        assert not problems, "\n".join(problems)
        visit.assert_clean()


@slow
@pytest.mark.parametrize(
    "href",
    [
        "forms/meeting-notice.pdf",
        "forms/meeting-notice.docx",
        "forms/meeting-notice.xlsx",
        "handbook.pdf",
        "forms.xlsx",
    ],
)
def test_downloads_are_saved_under_their_chinese_names_over_http(browser, served, full, href):
    """What a person gets on clicking: the file, saved under the page's name for it (browsers
    honour `download` for a page's own origin, so over HTTP; from file:// Chromium ignores it)."""
    expected = parse(full / SHOWN / "index.html").xpath("//a[@href=$h]/@download", h=href)
    assert len(expected) == 1, href
    with open_page(browser, f"{served}{SHOWN}/index.html", accept_downloads=True) as visit:
        with visit.page.expect_download() as download:
            visit.page.locator(f'a[href="{href}"]').click()
        assert download.value.suggested_filename == expected[0]
        assert Path(download.value.path()).read_bytes() == (full / SHOWN / href).read_bytes()
        visit.assert_clean()
