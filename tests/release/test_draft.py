"""`handbook build --draft`: the values marked 待确认 highlighted in HTML and DOCX, the output
marked as a draft, in its own folder; the published output and its cache are left alone."""

from __future__ import annotations

import re
import zipfile

import pytest


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch):
    monkeypatch.setenv("HANDBOOK_SOURCE_REVISION", "test")


def _mark(root_dir):
    path = root_dir / "branches.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('reimburse_days: "15"', 'reimburse_days: "{待确认:15}"'), encoding="utf-8"
    )
    return root_dir


def _build(run, src, *extra):
    args = ("build", "--src", str(src), "-b", "xian", "-f", "html", "-f", "docx", "-q")
    return run(*args, "--no-docx-page-numbers", *extra)


def _files(folder):
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_draft_highlights_the_marked_values_in_its_own_folder(run, root, tmp_path):
    src = _mark(root())
    published = _build(run, src)
    assert published.exit_code == 0, published.output
    before = _files(tmp_path / "output")
    html = (tmp_path / "output" / "xian" / "handbook.html").read_text(encoding="utf-8")
    page = html.split("</style>")[-1]
    assert "发生后 15 日内" in page and "<mark" not in page and "草稿" not in page

    draft = _build(run, src, "--draft")
    assert draft.exit_code == 0, draft.output
    assert "草稿完成" in draft.output and "output-draft/" in draft.output
    folder = tmp_path / "output-draft" / "xian"
    html = (folder / "handbook.html").read_text(encoding="utf-8")
    assert '发生后 <mark class="review" title="待确认">15</mark> 日内' in html
    assert 'class="draft-notice"' in html and "<title>【草稿】" in html
    xml = zipfile.ZipFile(folder / "handbook.docx").read("word/document.xml").decode()
    run_15 = re.search(r"<w:r>(?:(?!</w:r>).)*<w:t[^>]*>15</w:t></w:r>", xml, re.S)
    assert run_15 and '<w:highlight w:val="yellow"/>' in run_15.group(0)
    assert "确认前不得作为正式版本发布" in xml

    # the published folder is untouched, and its next build is still a no-op
    assert _files(tmp_path / "output") == before
    again = _build(run, src)
    assert again.exit_code == 0 and "无变化" in again.output


def test_a_draft_in_the_published_folder_does_not_pass_for_it(run, root, tmp_path):
    """Explicitly sent to the published folder, a draft has other cache keys: the next
    published build makes every file again instead of keeping the draft's."""
    src = _mark(root())
    assert _build(run, src).exit_code == 0
    assert _build(run, src, "--draft", "--out", "output").exit_code == 0
    assert "<mark" in (tmp_path / "output" / "xian" / "handbook.html").read_text(encoding="utf-8")
    result = _build(run, src)
    assert result.exit_code == 0 and "无变化" not in result.output
    html = (tmp_path / "output" / "xian" / "handbook.html").read_text(encoding="utf-8")
    assert "<mark" not in html and 'class="draft-notice"' not in html
