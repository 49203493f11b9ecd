"""`handbook apply`: a built handbook.docx, edited as Word writes edits, brought back into the
sources. The expected `git diff` is written out by hand from the edits made here."""

from __future__ import annotations

import copy
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import SRC
from tests.tools import GIT, WRITER, require

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
AUTHOR = {f"{{{W}}}author": "张三", f"{{{W}}}date": "2026-12-01T09:00:00Z"}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    require("git", GIT)
    repo = tmp_path / "repo"
    shutil.copytree(SRC, repo / "manual_src")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sources")
    return repo


def build(repo: Path, out: Path, branch: str = "hq") -> Path:
    """handbook.docx of `branch` as `handbook build` writes it (without contents page numbers)."""
    from builder.document.resolve import resolve
    from builder.release.vcs import source_revision
    from builder.sources.load import load_manual
    from builder.writers.docx.handbook import render_docx

    src = repo / "manual_src"
    document = resolve(load_manual(src), branch, source_revision([src]))
    render_docx(document, out)
    return out


class Edit:
    """document.xml of a .docx, changed as Word changes it."""

    def __init__(self, path: Path):
        self.path = path
        with zipfile.ZipFile(path) as z:
            self.parts = {name: z.read(name) for name in z.namelist()}
        self.root = etree.fromstring(self.parts["word/document.xml"])
        self.next_id = 900

    def paragraph(self, bookmark: str):
        found = self.root.xpath(f"//w:p[w:bookmarkStart[@w:name='{bookmark}']]", namespaces=NS)
        assert found, bookmark
        return found[0]

    def _id(self) -> dict:
        self.next_id += 1
        return {w("id"): str(self.next_id), **AUTHOR}

    def run_with(self, p, text: str):
        for t in p.iter(w("t")):
            if text in (t.text or ""):
                return t.getparent(), t
        raise AssertionError(text)

    def tracked_replace(self, p, old: str, new: str) -> None:
        """As Word with 修订 on: the run is split, the old words in w:del, the new in w:ins."""
        run, t = self.run_with(p, old)
        before, after = t.text.split(old, 1)
        t.text = before
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        deleted = etree.Element(w("del"), self._id())
        dr = etree.SubElement(deleted, w("r"))
        etree.SubElement(dr, w("delText")).text = old
        inserted = etree.Element(w("ins"), self._id())
        etree.SubElement(etree.SubElement(inserted, w("r")), w("t")).text = new
        tail = etree.Element(w("r"))
        etree.SubElement(tail, w("t")).text = after
        run.addnext(deleted)
        deleted.addnext(inserted)
        inserted.addnext(tail)

    def plain_replace(self, p, old: str, new: str) -> None:
        _, t = self.run_with(p, old)
        t.text = t.text.replace(old, new, 1)

    def tracked_delete_paragraph(self, p) -> None:
        """All its runs in w:del, its paragraph mark deleted."""
        for run in p.findall(f".//{w('r')}"):
            for t in run.findall(w("t")):
                t.tag = w("delText")
            if run.getparent().tag != w("del"):
                wrapper = etree.Element(w("del"), self._id())
                run.addprevious(wrapper)
                wrapper.append(run)
        ppr = p.find(w("pPr"))
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, w("rPr"))
        etree.SubElement(rpr, w("del"), self._id())

    def _mark_paragraph(self, p, kind: str) -> None:
        ppr = p.find(w("pPr"))
        if ppr is None:
            ppr = etree.Element(w("pPr"))
            p.insert(0, ppr)
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, w("rPr"))
        etree.SubElement(rpr, w(kind), self._id())

    def insert_paragraph_after(self, p, text: str):
        """A paragraph typed after `p` with 修订 on: same style and numbering, all inserted."""
        new = etree.Element(w("p"))
        new.append(copy.deepcopy(p.find(w("pPr"))))
        self._mark_paragraph(new, "ins")
        inserted = etree.SubElement(new, w("ins"), self._id())
        etree.SubElement(etree.SubElement(inserted, w("r")), w("t")).text = text
        p.addnext(new)
        return new

    def move_paragraph_after(self, p, after) -> None:
        """As Word moves a paragraph with 修订 on: the original becomes w:moveFrom, a copy after
        `after` is w:moveTo, and the paragraph's bookmark travels with the text."""
        moved = copy.deepcopy(p)
        for paragraph, kind in ((p, "moveFrom"), (moved, "moveTo")):
            for run in paragraph.findall(w("r")):
                if kind == "moveFrom":
                    for t in run.findall(w("t")):
                        t.tag = w("delText")
                wrapper = etree.Element(w(kind), self._id())
                run.addprevious(wrapper)
                wrapper.append(run)
            self._mark_paragraph(paragraph, kind)
        for mark in p.findall(w("bookmarkStart")) + p.findall(w("bookmarkEnd")):
            p.remove(mark)
        after.addnext(moved)

    def comment(self, p, text: str) -> None:
        cid = "5"
        p.insert(1, etree.Element(w("commentRangeStart"), {w("id"): cid}))
        p.append(etree.Element(w("commentRangeEnd"), {w("id"): cid}))
        ref = etree.SubElement(p, w("r"))
        etree.SubElement(ref, w("commentReference"), {w("id"): cid})
        comments = etree.Element(w("comments"), nsmap={"w": W})
        c = etree.SubElement(comments, w("comment"), {w("id"): cid, **AUTHOR})
        etree.SubElement(etree.SubElement(etree.SubElement(c, w("p")), w("r")), w("t")).text = text
        self.parts["word/comments.xml"] = etree.tostring(comments, xml_declaration=True)
        # registered as Word registers it: a content type and a relationship of the document
        self.parts["[Content_Types].xml"] = self.parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/word/comments.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/></Types>',
        )
        rels = "word/_rels/document.xml.rels"
        self.parts[rels] = self.parts[rels].replace(
            b"</Relationships>",
            b'<Relationship Id="rIdComments1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/comments" Target="comments.xml"/>'
            b"</Relationships>",
        )

    def save(self, path: Path | None = None) -> Path:
        self.parts["word/document.xml"] = etree.tostring(self.root, xml_declaration=True)
        target = path or self.path
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.parts.items():
                z.writestr(name, data)
        return target


def apply(repo: Path, docx: Path, *more: str):
    from click.testing import CliRunner

    from builder.cli import main

    return CliRunner().invoke(
        main, ["apply", str(docx), "--src", str(repo / "manual_src"), *more], catch_exceptions=False
    )


def edited_handbook(repo: Path, tmp_path: Path) -> Path:
    docx = build(repo, tmp_path / "handbook.docx")
    edit = Edit(docx)
    edit.tracked_replace(edit.paragraph("gen_purpose_basis"), "行业标准", "行业规范")
    edit.plain_replace(edit.paragraph("gen_scope_staff"), "全职、兼职", "全职、非全日制")
    edit.tracked_delete_paragraph(edit.paragraph("gen_scope_partner"))
    edit.comment(edit.paragraph("gen_scope_activity"), "这一条请法务再看一下")
    edit.insert_paragraph_after(
        edit.paragraph("gen_scope_local"), "数据保护：各分支机构处理个人信息应遵守所在地的法规。"
    )
    goals = edit.paragraph("gen_purpose_goals")
    last_item = goals
    for _ in range(5):  # its five items follow it
        last_item = last_item.getnext()
    edit.move_paragraph_after(edit.paragraph("gen_purpose_status"), last_item)
    return edit.save()


EXPECTED_DIFF = [  # git diff -U0: removed and added lines, in file order
    "-        text: 本手册依据国家有关法律法规、行业标准和公司章程，在合并",
    "-      - id: gen-purpose-status",  # moved below gen-purpose-goals
    "-        title: 手册的地位",
    "-        text: 本手册是公司内部规范运营管理的纲领性文件",
    "+        text: 本手册依据国家有关法律法规、行业规范和公司章程，在合并",
    "+      - id: gen-purpose-status",
    "+        title: 手册的地位",
    "+        text: 本手册是公司内部规范运营管理的纲领性文件",
    "-        text: 本手册适用于公司全体员工，包括管理层和基层员工，涵盖全职、兼职、劳务派遣",
    "+        text: 本手册适用于公司全体员工，包括管理层和基层员工，涵盖全职、非全日制、劳务派遣",
    "-      - id: gen-scope-partner",
    "-        title: 合作伙伴",
    "-        text: 代表公司开展业务的外包服务商",
    "+      - id: shu-ju-bao-hu",  # the paragraph typed after gen-scope-local
    "+        title: 数据保护",
    "+        text: 各分支机构处理个人信息应遵守所在地的法规。",
]


def changed_lines(repo: Path) -> list[str]:
    diff = git(repo, "diff", "-U0", "--", "manual_src")
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def assert_expected(lines: list[str]) -> None:
    assert len(lines) == len(EXPECTED_DIFF), lines
    for line, start in zip(lines, EXPECTED_DIFF):
        assert line.startswith(start), (line, start)


def test_apply_writes_exactly_the_edits(repo, tmp_path):
    docx = edited_handbook(repo, tmp_path)
    result = apply(repo, docx)
    assert result.exit_code == 0, result.output
    assert_expected(changed_lines(repo))
    assert "批注（张三）：这一条请法务再看一下　—— 位于 gen-scope-activity" in result.output
    assert "gen-scope-partner" in result.output and "条款已删除" in result.output
    assert "changes：[" in result.output and "gen-purpose-basis" in result.output


def test_dry_run_writes_nothing(repo, tmp_path):
    docx = edited_handbook(repo, tmp_path)
    result = apply(repo, docx, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "已应用：gen-purpose-basis" in result.output
    assert git(repo, "status", "--porcelain") == ""


def test_unedited_handbook_changes_nothing(repo, tmp_path):
    docx = build(repo, tmp_path / "handbook.docx")
    result = apply(repo, docx)
    assert result.exit_code == 0, result.output
    assert "没有可写回源文件的修改" in result.output
    assert git(repo, "status", "--porcelain") == ""


def test_generated_text_toc_and_numbers_are_reported_not_applied(repo, tmp_path):
    docx = build(repo, tmp_path / "handbook.docx")
    edit = Edit(docx)
    # {branch.name} printed as 瀚川科技总部: the edit falls in the placeholder's text
    edit.tracked_replace(edit.paragraph("gen_scope_org"), "瀚川科技总部", "瀚川总部")
    # a number inside a {clause:mgmt-seals} reference
    sign = edit.paragraph("biz_sales_contract_sign")
    _, t = edit.run_with(sign, "五（")
    edit.plain_replace(sign, t.text, t.text.replace("五（", "六（", 1))
    # the contents: a TOC entry of chapter 一
    toc = edit.root.xpath("//w:p[w:hyperlink[@w:anchor='general']]", namespaces=NS)[0]
    edit.tracked_replace(toc, "总则", "总纲")
    # and beside them, an edit of literal text around a placeholder, which is applied
    edit.tracked_replace(edit.paragraph("gen_scope_local"), "不得降低", "不得低于")
    edit.save()
    result = apply(repo, docx)
    assert result.exit_code == 0, result.output
    assert "gen-scope-org" in result.output and "占位符生成的文字" in result.output
    assert "biz-sales-contract-sign" in result.output
    assert result.output.count("占位符生成的文字") == 2
    assert "目录中的修改未应用" in result.output
    lines = changed_lines(repo)
    assert len(lines) == 2, lines
    assert lines[1].endswith(
        "但不得低于本手册规定的标准，不得与本手册相抵触。{branch.name}的实施细则由"
        "{branch.manager_title}组织制定，报总部运营管理部审核备案后执行。"
    )


def test_conflict_with_a_newer_commit(repo, tmp_path):
    docx = edited_handbook(repo, tmp_path)
    source = repo / "manual_src/chapters/01-general.yaml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("公司章程，", "公司章程和股东决议，"),
        encoding="utf-8",
    )
    git(repo, "commit", "-qam", "newer")
    before = source.read_bytes()
    result = apply(repo, docx)
    assert result.exit_code == 1
    assert "冲突" in result.output and "gen-purpose-basis" in result.output
    assert "gen-scope-staff" not in result.output.split("冲突")[1]
    assert source.read_bytes() == before and git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip at all", "不是有效的 Office 文件"),
        ("dtd", "DTD"),
        ("foreign", "不是本手册生成的 Word 手册"),
    ],
)
def test_bad_files_are_refused(repo, tmp_path, content, message):
    docx = tmp_path / "bad.docx"
    if content == "dtd":
        build(repo, docx)
        edit = Edit(docx)
        edit.save()
        xml = edit.parts["word/document.xml"]
        edit.parts["word/document.xml"] = xml.replace(
            b"?>",
            b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
            1,
        )
        with zipfile.ZipFile(docx, "w") as z:
            for name, data in edit.parts.items():
                z.writestr(name, data)
    elif content == "foreign":
        import docx as python_docx

        document = python_docx.Document()
        document.add_paragraph("总则")
        document.save(docx)
    else:
        docx.write_bytes(content)
    result = apply(repo, docx)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_libreoffice_round_trip_applies_the_same(repo, tmp_path):
    soffice = require("soffice", WRITER)
    docx = edited_handbook(repo, tmp_path)
    saved = tmp_path / "saved"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "docx",
            "--outdir",
            str(saved),
            str(docx),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    result = apply(repo, saved / "handbook.docx")
    assert result.exit_code == 0, result.output
    assert_expected(changed_lines(repo))
    assert "批注（张三）：这一条请法务再看一下　—— 位于 gen-scope-activity" in result.output


def test_deleting_a_referenced_clause_lists_the_references(repo, tmp_path):
    docx = build(repo, tmp_path / "handbook.docx")
    edit = Edit(docx)
    edit.tracked_delete_paragraph(edit.paragraph("dm_naming_rule"))
    edit.save()
    result = apply(repo, docx)
    assert result.exit_code == 1
    lines = changed_lines(repo)
    assert lines[:2] == ["-      - id: dm-naming-rule", "-        title: 编号规则"], lines
    assert len(lines) == 3 and lines[2].startswith("-        text: 需要归档的正式文"), lines
    # 06-information.yaml refers to it twice ({clause:dm-naming-rule})
    references = [
        line
        for line in result.output.splitlines()
        if "06-information.yaml" in line and "dm-naming-rule" in line
    ]
    assert len(references) == 2, result.output


def test_section_title_and_list_item(repo, tmp_path):
    docx = build(repo, tmp_path / "handbook.docx")
    edit = Edit(docx)
    edit.tracked_replace(edit.paragraph("gen_scope"), "适用范围", "适用对象")
    second_item = edit.paragraph("gen_purpose_goals").getnext().getnext()
    edit.plain_replace(second_item, "权责对等", "权责一致")
    edit.save()
    result = apply(repo, docx)
    assert result.exit_code == 0, result.output
    assert changed_lines(repo) == [
        "-          - 各部门、各岗位职责清晰、权责对等，工作流程衔接顺畅，减少推诿和重复劳动。",
        "+          - 各部门、各岗位职责清晰、权责一致，工作流程衔接顺畅，减少推诿和重复劳动。",
        "-    title: 适用范围",
        "+    title: 适用对象",
    ]


def test_yaml_edit_keeps_comments_quoting_and_other_bytes():
    from builder.readers.apply.yaml_edit import YamlFile

    text = (
        "# 章节\n"
        "clauses:\n"
        "  - id: a   # 保留\n"
        "    title: '单引号: 标题'\n"
        '    text: "双引号"\n'
        "  - id: b\n"
        "    text: 普通\n"
        "\n"
        "  - id: c\n"
        "    text: 最后\n"
    )
    f = YamlFile(text)
    f.replace(("clauses", 0, "title"), "单引号: 新标题")
    f.replace(("clauses", 0, "text"), "含: 冒号")
    f.replace(("clauses", 1, "text"), "改过")
    assert f.edited() == text.replace("'单引号: 标题'", "'单引号: 新标题'").replace(
        '"双引号"', '"含: 冒号"'
    ).replace("普通", "改过")
    g = YamlFile(text)
    g.remove_item(("clauses", 2))
    assert g.edited() == text[: text.index("  - id: c")]


def test_branch_only_content_names_the_branches_it_changes(repo, tmp_path):
    from builder.sources.load import load_manual

    manual = load_manual(repo / "manual_src")
    others = sorted(set(manual.branch_ids) - {"hq"})
    # a clause shown only where `when: {kind: [分公司]}` holds, edited in the 北京分公司 handbook
    subsidiaries = sorted(b.id for b in manual.branches.branches if b.kind == "分公司")
    assert "beijing" in subsidiaries
    docx = build(repo, tmp_path / "beijing.docx", "beijing")
    edit = Edit(docx)
    edit.tracked_replace(edit.paragraph("org_sub_structure"), "技术服务", "售后服务")
    edit.save()
    result = apply(repo, docx, "--dry-run")
    assert result.exit_code == 0, result.output
    shared = [b for b in subsidiaries if b != "beijing"]
    line = "以下分支机构的手册中相同的文字随之改变："
    assert (line + "、".join(shared) in result.output) if shared else line not in result.output
    # a clause every branch shows, edited in the 总部 handbook
    result = apply(repo, edited_handbook(repo, tmp_path), "--dry-run")
    assert line + "、".join(others) in result.output


def test_a_traditional_handbook_is_refused_with_where_to_edit(repo, tmp_path):
    # The 香港 handbook is OpenCC's conversion of the Simplified sources: not written back.
    docx = build(repo, tmp_path / "hongkong.docx", "hongkong")
    edit = Edit(docx)
    edit.tracked_replace(edit.paragraph("gen_scope_overseas"), "監管要求", "監管規定")
    edit.save()
    before = git(repo, "status", "--porcelain")
    result = apply(repo, docx)
    assert result.exit_code == 1
    assert "繁体版手册" in result.output and "简体版手册" in result.output
    assert "Traceback" not in result.output
    assert git(repo, "status", "--porcelain") == before
