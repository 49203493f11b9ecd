"""Property-based test (hypothesis): generated manual sources, valid and mutated, give either a
clean build or a clean error — never a traceback, never a partial output.

The sources come from tests/fuzz_sources.py. For each example the real CLI runs on a fresh
folder: `handbook check`, then `handbook build -f html -f xlsx` into an output folder that already
holds a previous build. Profiles (HYPOTHESIS_PROFILE): "ci" (default, 2,000 examples, derandomized
so every run tests the same examples) and "fuzz" (`make fuzz`: 20,000 random examples; set
HYPOTHESIS_MAX_EXAMPLES to change the number).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.errors import SourceErrors
from tests.sources.fuzz_sources import Sources, dump, sources

_COMMON = dict(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)
settings.register_profile("ci", max_examples=2000, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 20_000)), **_COMMON
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# What a previous build left in the output folder; a failed build must leave it byte for byte.
PREVIOUS = {
    "manifest.json": b'{"files": []}\n',
    "zz-previous/handbook.html": b"<!doctype html><title>previous</title>\n",
    "zz-previous/forms.xlsx": b"PK\x03\x04 not really a workbook",
    "notes.txt": "上一次构建的输出\n".encode(),
}
LOCK = ".output.lock"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENV = {"HANDBOOK_SOURCE_REVISION": "fuzz", "HANDBOOK_DEBUG": None}


class _Spy:
    """Records what builder.sources.load.load_manual returned or raised while the CLI ran (the CLI
    imports it when called), so the test sees the problems without loading the sources again."""

    def __init__(self):
        self.result = None

    def __enter__(self):
        import builder.sources.load

        self._real = real = builder.sources.load.load_manual

        def spy(*args, **kwargs):
            try:
                self.result = real(*args, **kwargs)
            except SourceErrors as exc:
                self.result = exc
                raise
            return self.result

        builder.sources.load.load_manual = spy
        return self

    def __exit__(self, *exc):
        import builder.sources.load

        builder.sources.load.load_manual = self._real


def _invoke(*args: str, spy: _Spy | None = None, debug: bool = False):
    result = _run(*args, spy=spy, debug=debug)
    result.args = args
    return result


def _run(*args: str, spy: _Spy | None = None, debug: bool = False):
    from builder.cli import main

    env = {**ENV, "HANDBOOK_DEBUG": "1"} if debug else ENV
    if spy is None:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True, env=env)
    with spy:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True, env=env)


def _assert_clean(result, what: str) -> None:
    """Exit 0 or 1, no uncaught exception, no internal error. (In this process an uncaught
    exception is never printed as a traceback: CliRunner keeps it in `result.exception`.)"""
    out = result.output  # stdout and stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        pytest.fail(
            f"{what}: uncaught {type(result.exception).__name__}: {result.exception}\n{tb}\n{out}"
        )
    assert result.exit_code in (0, 1), (what, result.exit_code, out)
    if "程序内部错误" in out:  # the build caught a bug of ours: run it again for the traceback
        import traceback

        again = _invoke(*result.args, debug=True) if getattr(result, "args", None) else None
        tb = (
            "".join(traceback.format_exception(again.exception))
            if again is not None and again.exception
            else ""
        )
        pytest.fail(f"{what}: 程序内部错误\n{out}\n{tb}")


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below folder (the lock file aside) with its SHA-256."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == LOCK:
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


def _write(src: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (src / "chapters").mkdir(parents=True, exist_ok=True)


def _printed(problem) -> str:
    """A problem as click's test runner shows it (it turns \\r\\n into \\n)."""
    return str(problem).replace("\r\n", "\n")


def _assert_problems(src: Path, errors: SourceErrors, stderr: str) -> None:
    """Each problem names a file (with line:column when it is a readable file) and says in
    Chinese what is wrong; the CLI printed every one of them."""
    problems = errors.problems
    assert problems
    for problem in problems:
        where = problem.where
        assert str(where.file), problem
        path = Path(where.file)
        if not path.is_absolute():
            path = Path.cwd() / path
        assert src.resolve() in [path.resolve(), *path.resolve().parents], problem
        if path.is_file():
            raw = path.read_bytes()
            assert where.line >= 1 and where.column >= 1, problem
            breaks = sum(
                raw.count(b) for b in (b"\n", b"\r", b"\x85", "\u2028".encode(), "\u2029".encode())
            )
            assert where.line <= breaks + 2, (problem, breaks)
        assert CJK.search(problem.message), problem
        assert _printed(problem) in stderr, (str(problem), stderr)
    assert f"共发现 {len(problems)} 个问题，未生成任何文件。" in stderr, stderr


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def _assert_html(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert "script" not in parser.tags and "img" not in parser.tags, path
    assert not [a for a in parser.attrs if a.startswith("on")], (path, parser.attrs)
    assert "<script" not in page.lower() and "<img" not in page.lower(), path


FORMULA_MARKERS = ("cmd|", "HYPERLINK", "calc", "SUM(1,2)", "SUM(A1)")
# Excel's limits ("Excel specifications and limits"), in UTF-16 units: beyond them Excel says the
# file is damaged and offers to repair it.
CELL_MAX, HEADER_MAX, SHEET_NAME_MAX = 32767, 255, 31
VALIDATION_MAX = {"promptTitle": 32, "prompt": 255, "errorTitle": 32, "error": 225}
HEADERS = {"oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"}


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _assert_xlsx(path: Path, hostile: list[str], *, open_it: bool) -> None:
    """Well-formed XML; no text from the sources became a formula; nothing over Excel's limits.
    With open_it, openpyxl also opens the workbook (slow: only some examples)."""
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            root = ET.fromstring(z.read(name))
            for el in root.iter():
                tag = el.tag.rsplit("}", 1)[-1]
                text = el.text or ""
                where = (path.name, name, tag, text[:80])
                if tag == "f":
                    assert "=" + text not in hostile and text not in hostile, where
                    assert not any(m in text for m in FORMULA_MARKERS), where
                elif tag == "t":
                    assert _units(text) <= CELL_MAX, (where, _units(text))
                elif tag in HEADERS:
                    assert _units(text) <= HEADER_MAX, (where, _units(text))
                elif tag == "dataValidation":
                    for attr, limit in VALIDATION_MAX.items():
                        assert _units(el.get(attr, "")) <= limit, (where, attr, el.get(attr))
                    if el.get("type") == "list":
                        formula = el.findtext("{*}formula1") or ""
                        assert _units(formula) <= 255, (where, formula)
                elif tag == "sheet" and name == "xl/workbook.xml":
                    sheet = el.get("name", "")
                    assert 0 < _units(sheet) <= SHEET_NAME_MAX and not set(sheet) & set(
                        "[]:*?/\\"
                    ), (where, sheet)
    if open_it:
        import openpyxl

        wb = openpyxl.load_workbook(path)
        try:
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        if cell.data_type == "f":
                            assert cell.value not in hostile, (
                                path,
                                ws.title,
                                cell.coordinate,
                                cell.value,
                            )
        finally:
            wb.close()


def _assert_zip_xml(path: Path) -> None:
    """Every XML part of a DOCX or XLSX is well-formed."""
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(z.read(name))


def check_sources(s: Sources, choice: int = 0) -> int:
    """The property, for one set of sources. `choice` decides how much of the build runs:
    0 every branch, 1–3 one branch (the choice-th; 1 also builds one form's DOCX), 4–7 no build
    when check passes (check only: loading and validating is what every example exercises;
    building is slower)."""
    with tempfile.TemporaryDirectory(prefix="handbook-fuzz-") as tmp:
        tmp = Path(tmp)
        src = tmp / "manual_src"
        _write(src, s.files)
        out = tmp / "output"
        for rel, content in PREVIOUS.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(content)
        before = _snapshot(tmp)

        spy = _Spy()
        checked = _invoke("check", "--src", src, spy=spy)
        _assert_clean(checked, "check")
        if not s.may_be_invalid:
            assert checked.exit_code == 0, f"valid sources refused:\n{checked.stderr}"
        if checked.exit_code == 1:
            assert isinstance(spy.result, SourceErrors), checked.output
            _assert_problems(src, spy.result, checked.stderr)
            if choice % 4 == 0:  # the build refuses them too, and leaves the output as it was
                built = _invoke(
                    "build", "--src", src, "--out", out, "-f", "html", "-f", "xlsx", "-q"
                )
                _assert_clean(built, "build")
                assert built.exit_code == 1, "check failed but build succeeded"
                assert all(_printed(p) in built.stderr for p in spy.result.problems)
                assert _snapshot(tmp) == before, "a failed build changed the output folder"
            return 1
        assert "检查通过" in checked.stdout
        if choice >= 4:
            return 0

        manual = spy.result
        branches = manual.branch_ids
        chosen = branches if choice == 0 else [branches[choice % len(branches)]]
        args = ["build", "--src", src, "--out", out, "-f", "html", "-f", "xlsx", "-q"]
        if choice:
            args += ["--branch", chosen[0]]
        built = _invoke(*args)
        _assert_clean(built, "build")
        assert built.exit_code == 0, f"check passed but build failed:\n{built.stderr}"
        after = _snapshot(tmp)
        leftovers = [p for p in after if p.startswith(".output.")]
        assert not leftovers, leftovers
        for rel, digest in before.items():  # the previous files outside the rebuilt branches stay
            if rel.startswith("output/") and rel != "output/manifest.json":
                assert after.get(rel) == digest, rel
        for n, branch in enumerate(chosen):
            folder = out / branch
            _assert_html(folder / "handbook.html")
            expected = [
                folder / "forms.xlsx",
                *(folder / "forms" / f"{f.id}.xlsx" for f in manual.forms),
            ]
            for path in expected:
                assert path.is_file(), path
                _assert_xlsx(
                    path, s.hostile, open_it=n == 0 and choice == 1 and path.parent.name == "forms"
                )
        if choice == 1 and manual.forms:  # the Word form too (slower: one example in eight)
            form_id = manual.forms[-1].id
            built = _invoke(
                "build",
                "--src",
                src,
                "--out",
                out,
                "--branch",
                chosen[0],
                "--form",
                form_id,
                "-f",
                "docx",
                "-q",
            )
            _assert_clean(built, "build --form")
            assert built.exit_code == 0, f"check passed but build failed:\n{built.stderr}"
            _assert_zip_xml(out / chosen[0] / "forms" / f"{form_id}.docx")
        verified = _invoke("verify", out)
        _assert_clean(verified, "verify")
        assert verified.exit_code == 0, verified.output
        return 0


@pytest.mark.timeout(1500)  # 2,000 examples in one test: about 5 minutes of CPU on 2 cores
@settings(PROFILE)
@given(s=sources(), choice=st.integers(0, 7))
def test_generated_sources_build_or_fail_cleanly(s, choice):
    check_sources(s, choice)


# --- regression tests for what the fuzzer found --------------------------------------------------


def _minimal() -> dict:
    """A small valid manual as data (the smallest the strategies make)."""
    return {
        "manual.yaml": {
            "title": "手册",
            "company": "公司",
            "doc_number": "D-1",
            "version": "1.0",
            "effective_date": dt.date(2024, 1, 1),
            "issuer": "部",
            "approver": "人",
        },
        "branches.yaml": {
            "branches": [
                {
                    "id": "hq",
                    "name": "总部",
                    "kind": "总部",
                    "region": "华东",
                    "address": "地址",
                    "phone": "1",
                    "manager": "甲",
                    "manager_title": "总经理",
                    "approval_chain": [{"role": "总经理", "days": 1}],
                }
            ]
        },
        "revisions.yaml": [
            {
                "version": "1.0",
                "date": dt.date(2024, 1, 1),
                "author": "甲",
                "approver": "乙",
                "summary": "首次发布",
            }
        ],
        "chapters/01-ch.yaml": {
            "id": "ch",
            "title": "总则",
            "clauses": [{"id": "cl", "text": "内容"}],
        },
    }


def _sources(
    data: dict, *, may_be_invalid: bool = False, raw: dict[str, bytes] | None = None
) -> Sources:
    files = {name: dump(d) for name, d in data.items()}
    files.update(raw or {})
    return Sources(
        files=files,
        data=data,
        mutation="regression" if may_be_invalid else "",
        may_be_invalid=may_be_invalid,
        hostile=[],
    )


def test_minimal_manual_builds():
    check_sources(_sources(_minimal()))


def _form(fields: list[dict]) -> dict:
    return {"id": "f", "code": "F-1", "title": "表", "purpose": "用途", "fields": fields}


def test_compute_naming_a_whole_table_is_a_source_error(tmp_path):
    """Found by the fuzzer: `sum: [items]` naming a rows field (not one of its columns) passed
    `check` and then crashed the Excel writer (程序内部错误)."""
    data = _minimal()
    data["forms/f.yaml"] = _form(
        [
            {
                "id": "items",
                "label": "明细",
                "type": "rows",
                "columns": [{"id": "amount", "label": "金额", "type": "money"}],
            },
            {"id": "total", "label": "合计", "type": "money", "compute": {"sum": ["items"]}},
        ]
    )
    assert check_sources(_sources(data, may_be_invalid=True)) == 1
    from builder.sources.load import load_manual

    src = tmp_path / "manual_src"
    _write(src, {name: dump(d) for name, d in data.items()})
    with pytest.raises(SourceErrors) as info:
        load_manual(src)
    assert [p.message for p in info.value.problems] == [
        "计算不能引用表格字段“items”本身，请引用它的某一列（amount）"
    ]
    assert info.value.problems[0].where.line == 18  # the "- items" under compute: sum


def test_excel_limits_hold_for_long_and_astral_text():
    """Found by the fuzzer: Excel counts UTF-16 units, so a form title of emoji made a sheet name
    over 31 units, a label of rare CJK characters (outside the BMP) a prompt title over 32; a long
    company name a header over 255 characters; a long purpose a cell over 32,767. Excel calls such
    a file damaged. The strings are now cut (with …) to fit."""
    data = _minimal()
    data["manual.yaml"]["company"] = "&公司" * 100
    data["manual.yaml"]["doc_number"] = "编号&" * 100
    data["forms/f.yaml"] = _form(
        [
            {"id": "a", "label": "𠀀𪚥" * 20, "type": "choice", "options": ["😀" * 100, "乙"]},
            {"id": "b", "label": "😀" * 3, "type": "text"},
        ]
    )
    data["forms/f.yaml"]["title"] = "😀" * 40
    data["forms/f.yaml"]["purpose"] = "測試，" * 12_000
    check_sources(_sources(data))


def test_narrow_page_and_large_type_fit_word_tables(tmp_path):
    """Found by the fuzzer: with margins of 60 mm and 16 pt type (both allowed), the approval
    block of a Word form, and the handbook's 更新记录表, got a negative column width
    (程序内部错误)."""
    from builder.document.resolve import resolve
    from builder.sources.load import load_manual
    from builder.writers.docx.handbook import render_docx

    data = _minimal()
    data["manual.yaml"]["page"] = {
        f"margin_{side}_mm": 60 for side in ("top", "bottom", "left", "right")
    }
    data["manual.yaml"]["fonts"] = {"size_pt": 16}
    data["forms/f.yaml"] = {
        **_form([{"id": "a", "label": "事项", "type": "text"}]),
        "approval": True,
    }
    check_sources(_sources(data), choice=1)

    src = tmp_path / "manual_src"
    _write(src, {name: dump(d) for name, d in data.items()})
    render_docx(resolve(load_manual(src), "hq"), tmp_path / "handbook.docx")
    _assert_zip_xml(tmp_path / "handbook.docx")


@pytest.mark.parametrize("value", ["!!bool ch", "!!int", "!!float", "!!timestamp x", "!!int 0x"])
def test_explicit_yaml_tag_on_a_bad_scalar_is_a_source_error(value):
    """Found by the fuzzer: `id: !!bool ch` crashed `handbook check` with a KeyError (and
    `!!int` with nothing after it an IndexError, `!!timestamp x` an AttributeError)."""
    raw = {
        "chapters/01-ch.yaml": (
            f"id: {value}\ntitle: 总则\nclauses:\n- {{id: cl, {value[2:].split()[0]}: {value}}}\n"
        ).encode()
    }
    assert check_sources(_sources(_minimal(), may_be_invalid=True, raw=raw)) == 1


def test_long_manual_texts_fit_word_core_properties(tmp_path):
    """Found by the fuzzer: python-docx refuses a core property (title, subject, keywords, …) over
    255 characters, so a long manual title or company name crashed the Word writers (form,
    handbook, and `handbook diff --out`'s 修订对照表). They are now cut to fit, with …."""
    from builder.document.changes import compare
    from builder.document.resolve import resolve
    from builder.sources.load import load_manual
    from builder.writers.docx.comparison import render_comparison_docx
    from builder.writers.docx.handbook import render_docx

    data = _minimal()
    data["manual.yaml"].update(title="手册" * 150, company="公司" * 150, doc_number="D" * 300)
    data["forms/f.yaml"] = {
        **_form([{"id": "a", "label": "事项", "type": "text"}]),
        "title": "表" * 300,
    }
    check_sources(_sources(data), choice=1)

    src = tmp_path / "manual_src"
    _write(src, {name: dump(d) for name, d in data.items()})
    document = resolve(load_manual(src), "hq")
    render_docx(document, tmp_path / "handbook.docx")
    render_comparison_docx(compare(document, document), tmp_path / "comparison.docx")
    for name in ("handbook.docx", "comparison.docx"):
        _assert_zip_xml(tmp_path / name)
