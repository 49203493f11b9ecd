"""The branch pass: each branch gets its own values, clauses and numbering."""

from __future__ import annotations

from builder.document.model import plain
from builder.document.numbering import chinese_numeral, label, path_label
from builder.document.resolve import resolve


def all_text(doc) -> str:
    out = []

    def clause(c):
        out.append(c.number.label + (c.title or ""))
        out.extend(plain(p) for p in c.text)
        out.extend(plain(i.text) for i in c.items)
        if c.table:
            out.extend(plain(cell) for row in c.table.rows for cell in row)
        if c.note:
            out.append(plain(c.note))
        for sub in c.clauses:
            clause(sub)

    for s in doc.walk_sections():
        out.append(s.number.label + s.title)
        out.extend(plain(p) for p in s.intro)
        for c in s.clauses:
            clause(c)
    return "\n".join(out)


def test_numbering_labels():
    assert [chinese_numeral(n) for n in (1, 10, 11, 20, 21, 100, 105)] == [
        "一",
        "十",
        "十一",
        "二十",
        "二十一",
        "一百",
        "一百零五",
    ]
    assert [label(level, 2) for level in range(1, 6)] == ["二、", "（二）", "2.", "（2）", "②"]
    assert path_label(["七、", "（四）", "2."]) == "七（四）2."


def test_numbers_come_from_structure(manual):
    doc = resolve(manual, "hq")
    assert [c.number.label for c in doc.chapters][:3] == ["一、", "二、", "三、"]
    first = doc.chapters[0]
    assert [s.number.label for s in first.sections][:2] == ["（一）", "（二）"]
    # no number is typed into a title
    for s in doc.walk_sections():
        assert not s.title.startswith(("一、", "（一）", "1.")), s.title


def test_conditional_section_only_for_flagged_branches(manual):
    hq = resolve(manual, "hq")
    chengdu = resolve(manual, "chengdu")
    hq_titles = [s.title for s in hq.walk_sections()]
    cd_titles = [s.title for s in chengdu.walk_sections()]
    assert "生产制造" in hq_titles
    assert "生产制造" not in cd_titles
    # the sections after it are renumbered without a gap
    business = next(c for c in chengdu.chapters if c.id == "business")
    assert [s.number.ordinal for s in business.sections] == list(
        range(1, len(business.sections) + 1)
    )


def test_branch_values_fill_placeholders(manual):
    chengdu = all_text(resolve(manual, "chengdu"))
    hq = all_text(resolve(manual, "hq"))
    assert "办事处主任（1个工作日）→西南区域总监（2个工作日）" in chengdu
    assert "部门负责人（1个工作日）→分管副总经理（2个工作日）→总经理（3个工作日）" in hq
    assert "成都办事处" in chengdu
    assert "2,000 元" in chengdu and "5,000 元" in hq
    for text in (chengdu, hq):
        assert "{branch." not in text and "{form:" not in text and "{clause:" not in text


def test_approval_chain_table_follows_the_branch(manual):
    doc = resolve(manual, "chengdu")
    tables = []

    def collect(c):
        if c.table and c.table.columns[:2] == ("审批层级", "审批人"):
            tables.append(c.table)
        for sub in c.clauses:
            collect(sub)

    for s in doc.walk_sections():
        for c in s.clauses:
            collect(c)
    assert tables
    assert [plain(row[1]) for row in tables[0].rows] == ["办事处主任", "西南区域总监"]


def test_references_carry_generated_numbers(manual):
    doc = resolve(manual, "hq")
    refs = []

    def spans(paragraphs):
        for p in paragraphs:
            refs.extend(s for s in p if s.ref)

    def clause(c):
        spans(c.text)
        spans(i.text for i in c.items)
        for sub in c.clauses:
            clause(sub)

    for s in doc.walk_sections():
        spans(s.intro)
        for c in s.clauses:
            clause(c)
    form_refs = [s for s in refs if s.ref == "meeting-notice"]
    assert form_refs and form_refs[0].text == "《会议通知表》（HC-YY-F01）"
    ids = {s.id for s in doc.walk_sections()}
    section_refs = [s for s in refs if s.ref in ids]
    assert section_refs
    for span in section_refs:
        assert span.text[0] in "一二三四五六七八九十", span.text


def test_forms_carry_their_clause_and_the_branch_chain(manual):
    doc = resolve(manual, "hongkong")
    approval = next(f for f in doc.forms if f.id == "doc-approval")
    # Hong Kong's script is zh-Hant: its roles are printed in Traditional
    assert [s.role for s in approval.approval_chain] == ["辦事處主任", "總部分管副總經理"]
    notice = next(f for f in doc.forms if f.id == "meeting-notice")
    assert notice.clause_label and notice.clause_label[0] in "一二三四五六七八九十"


def test_placeholders_in_titles_headers_and_form_fields_are_filled(src, tmp_path):
    """{branch.*} and {manual.*} in a title, a table header, a form's title and a field's label,
    help and example come out filled in every format (issue 13: they were printed as written);
    an option stays as written, being the value the form keeps."""
    import shutil
    import subprocess

    from builder.release.build import build_outputs
    from builder.sources.load import load_manual
    from tests.sources.test_validation import replace

    info = src / "chapters" / "06-information.yaml"
    replace(info, "title: 报销时限", "title: 报销时限（{branch.name}）")
    replace(
        info,
        "  - id: info-reimburse\n    title: 报销\n",
        "  - id: info-reimburse\n    title: 报销（{manual.company}）\n",
    )
    # a reference to the clause: its label carries the title
    replace(info, "{clause:dm-naming-rule}", "{clause:info-reimb-deadline}")
    replace(
        src / "chapters" / "02-organization.yaml",
        "columns: [层级, 构成, 主要职能]",
        'columns: [层级, 构成, "{branch.name}的主要职能"]',
    )
    form = src / "forms" / "meeting-notice.yaml"
    replace(form, "title: 会议通知表", "title: '{branch.name}会议通知表'")
    replace(form, "label: 会议主题", "label: 会议主题（{branch.name}）")
    replace(
        form,
        "example: Q3销售目标分解",
        "example: Q3销售目标分解（{branch.name}）\n    help: 由{branch.manager_title}确定",
    )
    manual = load_manual(src)
    name, company = manual.branch("chengdu").name, manual.meta.company

    doc = resolve(manual, "chengdu")
    text = all_text(doc)
    assert f"报销时限（{name}）" in text and f"报销（{company}）" in text
    assert f"“报销时限（{name}）”" in text  # the reference to the clause carries its title
    notice = next(f for f in doc.forms if f.id == "meeting-notice")
    topic = next(f for f in notice.fields if f.id == "topic")
    assert notice.title == f"{name}会议通知表"
    assert (topic.label, topic.example) == (f"会议主题（{name}）", f"Q3销售目标分解（{name}）")
    assert topic.help == f"由{manual.branch('chengdu').manager_title}确定"
    assert f"《{name}会议通知表》（HC-YY-F01）" in text
    tables = [c.table for s in doc.walk_sections() for c in s.clauses if c.table]
    assert any(t.columns == ("层级", "构成", f"{name}的主要职能") for t in tables)
    change = next(f for f in doc.forms if f.id == "project-change")
    assert any(fld.options == ("一般", "紧急") for fld in change.fields)
    hq = next(f for f in resolve(manual, "hq").forms if f.id == "meeting-notice")
    assert hq.title == f"{manual.branch('hq').name}会议通知表"

    out = tmp_path / "output"
    build_outputs(
        manual, out=out, branches=["chengdu"], formats=["html", "pdf"], forms=[], progress=False
    )
    page = (out / "chengdu" / "handbook.html").read_text(encoding="utf-8")
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed: make test installs it"
    pdf = subprocess.run(
        ["pdftotext", str(out / "chengdu" / "handbook.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for printed in (page, "".join(pdf.split())):
        for filled in (
            f"报销时限（{name}）",
            f"报销（{company}）",
            f"{name}的主要职能",
            f"{name}会议通知表",
            f"会议主题（{name}）",
        ):
            assert filled in printed, filled
        assert "{branch." not in printed and "{manual." not in printed
