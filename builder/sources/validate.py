"""Checks across files that a schema cannot express: unique ids, references, placeholders,
conditions, nesting depth, forms, branches and the order of revisions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from builder.document import numbering, placeholders
from builder.document.numbering import MAX_LEVEL
from builder.errors import Location, Problem, did_you_mean
from builder.sources import schema

if TYPE_CHECKING:
    from builder.sources.load import Located

# Keys whose values are not prose (ids, types, conditions).
_NOT_TEXT = {"id", "type", "clause", "from", "when", "unless", "flags", "script", "kind", "code"}
# Keys of a chapter, section or clause whose values are never sections or clauses.
_NOT_NODES = {
    "id",
    "title",
    "title_en",
    "intro",
    "text",
    "items",
    "table",
    "note",
    "when",
    "unless",
}
# Texts that are titles: they may hold {branch.*} and {manual.*}, but no references (a title is
# also printed in the table of contents, the bookmarks and every reference to its node).
TITLE_KEYS = ("title", "title_en")

# Names Windows keeps for devices, with or without an extension: a branch folder or a form file
# named so cannot be created, copied or opened there.
_WINDOWS_DEVICES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def _device_name(ident: str, where: Location, used_as: str) -> Problem | None:
    if ident.lower() in _WINDOWS_DEVICES:
        return Problem(
            where,
            f"标识“{ident}”是 Windows 的保留设备名，不能用作{used_as}"
            "（Windows 上无法创建、复制或打开），"
            f"请换一个标识，如“{ident}-1”",
        )
    return None


def _version_key(version: str):
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return None


def _is_id(value) -> bool:
    return isinstance(value, str) and re.fullmatch(schema.ID_PATTERN, value) is not None


def _text_kind(path: tuple, file_kind: str) -> str:
    """What a text may hold at `path` (docs/source-format.md, "Inline placeholders"):
    "title" (no references), "option" (no placeholders) or "text" (everything)."""
    if path and path[-1] in TITLE_KEYS:
        return "title"
    if file_kind == "form" and len(path) >= 2 and path[-2] == "options":
        return "option"
    return "text"


def check_manual(
    *,
    meta,
    branch_defaults,
    branch_list,
    revisions,
    chapter_files,
    form_files,
    meta_src,
    branches_src,
    revisions_src,
    chapter_ids_read: bool,
    form_ids_read: bool,
    problems,
) -> dict[str, Location]:
    """The checks across files, over what could be loaded (problems are appended).

    `meta`, `revisions`, and the defaults and the list of branches of branches.yaml are None
    when they failed the schema: the checks needing them are left out. `chapter_files` and
    `form_files` pair each readable file with its model, or with None when it failed the
    schema: such a file still has its texts, conditions and the ids that can be read of it
    checked. `chapter_ids_read` / `form_ids_read` say whether every id that could have been
    defined was read; if not, references to ids not found are not reported (they may point into
    what could not be read, and are reported once it is fixed). Returns where each id is
    defined."""
    ids: dict[str, Location] = {}
    kinds: dict[str, str] = {}
    scheme = numbering.scheme(meta.numbering if meta is not None else "outline")

    def define(ident: str, kind: str, where: Location):
        if ident in ids:
            problems.append(
                Problem(
                    where,
                    f"标识“{ident}”重复：已在 {ids[ident]} 定义；"
                    "章、节、条款和表单的标识在整本手册中必须唯一",
                )
            )
        else:
            ids[ident] = where
            kinds[ident] = kind

    # ids and structure
    def walk_section(sec: schema.Section, path: tuple, depth: int, src: Located, kind: str):
        define(sec.id, kind, src.where(path + ("id",)))
        if sec.sections and sec.clauses:
            problems.append(
                Problem(
                    src.where(path + ("clauses",), key=True),
                    "同一章节不能同时包含 sections 和 clauses："
                    "请把条款放进一个子节，或把子节改为条款",
                )
            )
        if depth >= MAX_LEVEL and (sec.sections or sec.clauses):
            problems.append(
                Problem(
                    src.where(path + ("sections" if sec.sections else "clauses",), key=True),
                    f"层级过深：编号最多 {MAX_LEVEL} 级（{scheme.example}）",
                )
            )
            return
        if scheme.name == "law" and depth >= 2 and sec.sections:
            problems.append(
                Problem(
                    src.where(path + ("sections",), key=True),
                    "按 law 编号（manual.yaml 的 numbering），章之下只分一级节（第一节），"
                    "节之下不能再分节：请把这些子节改为条款（第X条）",
                )
            )
        for i, child in enumerate(sec.sections):
            walk_section(child, path + ("sections", i), depth + 1, src, "section")
        for i, clause in enumerate(sec.clauses):
            walk_clause(clause, path + ("clauses", i), depth + 1, src)

    def walk_clause(clause: schema.Clause, path: tuple, depth: int, src: Located):
        define(clause.id, "clause", src.where(path + ("id",)))
        if not (clause.title or clause.text or clause.items or clause.clauses or clause.table):
            problems.append(
                Problem(
                    src.where(path),
                    f"条款“{clause.id}”没有内容："
                    "应至少有 title、text、items、clauses 或 table 之一",
                )
            )
        if (clause.items or clause.clauses) and depth >= MAX_LEVEL:
            problems.append(
                Problem(
                    src.where(path + ("items" if clause.items else "clauses",), key=True),
                    f"层级过深：编号最多 {MAX_LEVEL} 级（{scheme.example}）",
                )
            )
        if clause.items and clause.clauses:
            problems.append(
                Problem(
                    src.where(path + ("clauses",), key=True),
                    "同一条款不能同时包含 items 和 clauses",
                )
            )
        if isinstance(clause.table, schema.TableSrc):
            width = len(clause.table.columns)
            for r, row in enumerate(clause.table.rows):
                if len(row) != width:
                    problems.append(
                        Problem(
                            src.where(path + ("table", "rows", r)),
                            f"表格第 {r + 1} 行有 {len(row)} 个单元格，应与列数 {width} 一致",
                        )
                    )
        for i, child in enumerate(clause.clauses):
            walk_clause(child, path + ("clauses", i), depth + 1, src)

    def raw_nodes(data, path: tuple, src: Located, kind: str):
        """The ids of a chapter file that failed the schema, as far as they can be read: every
        mapping with an id that is the file itself or an entry of a list under sections,
        clauses, or a key the schema does not know (a misspelt `clauses`)."""
        if not isinstance(data, dict):
            return
        if _is_id(data.get("id")) and path + ("id",) not in src.refused:
            define(data["id"], kind, src.where(path + ("id",)))
        for key, value in data.items():
            if key in _NOT_NODES or not isinstance(value, list):
                continue
            for i, item in enumerate(value):
                raw_nodes(item, path + (key, i), src, "section" if key == "sections" else "clause")

    for src, chapter in chapter_files:
        if chapter is not None:
            walk_section(chapter, (), 1, src, "chapter")
        else:
            raw_nodes(src.data, (), src, "chapter")
    form_clauses: list[tuple[str, Location]] = []  # (clause id, where) of every form that names one
    for src, form in form_files:
        data = src.data if isinstance(src.data, dict) else {}
        form_id = form.id if form is not None else data.get("id")
        if _is_id(form_id) and ("id",) not in src.refused:
            define(form_id, "form", src.where(("id",)))
            used_as = f"表单的文件名（forms/{form_id}.docx）"
            if problem := _device_name(form_id, src.where(("id",)), used_as):
                problems.append(problem)
        if form is not None:
            check_form(form, src, problems)
        clause = form.clause if form is not None else data.get("clause")
        if _is_id(clause) and ("clause",) not in src.refused:
            form_clauses.append((clause, src.where(("clause",))))

    # branches
    branch_ids = regions = flags = declared = None
    if branch_defaults is not None:
        declared = set(branch_defaults.values)
    if branch_list is not None:
        branch_ids, regions, flags = set(), set(), set()
        for i, branch in enumerate(branch_list):
            path = ("branches", i)
            if branch.id in branch_ids:
                problems.append(
                    Problem(branches_src.where(path + ("id",)), f"分支机构标识“{branch.id}”重复")
                )
            branch_ids.add(branch.id)
            if problem := _device_name(
                branch.id, branches_src.where(path + ("id",)), "分支机构的文件夹名"
            ):
                problems.append(problem)
            regions.add(branch.region)
            flags.update(branch.flags)
            for key in branch.values:
                if declared is not None and key not in declared:
                    problems.append(
                        Problem(
                            branches_src.where(path + ("values", key), key=True),
                            f"未声明的分支机构取值“{key}”：请先在 defaults.values 中声明"
                            f"{did_you_mean(key, declared)}",
                        )
                    )

    # a branch's values are printed as they are (braces and all); one holding a {待确认:…} mark
    # may hold no other placeholder
    def check_value(value: str, where: Location):
        if "{" + placeholders.REVIEW not in value:
            return
        try:
            parts = placeholders.parse(value)
        except placeholders.PlaceholderError as exc:
            problems.append(Problem(where, str(exc)))
            return
        for part in parts:
            if isinstance(part, placeholders.Placeholder) and part.kind != "review":
                problems.append(
                    Problem(
                        where,
                        f"分支机构的取值中不能使用占位符“{part.source}”：取值按原样印出，"
                        f"只能使用待确认标记 {{{placeholders.REVIEW}:…}}",
                    )
                )

    if branch_defaults is not None:
        for key, value in branch_defaults.values.items():
            check_value(value, branches_src.where(("defaults", "values", key)))
    for i, branch in enumerate(branch_list or []):
        for key, value in branch.values.items():
            check_value(value, branches_src.where(("branches", i, "values", key)))

    # placeholders, references and conditions in every chapter and form
    allowed_manual = set(placeholders.MANUAL_FIELDS)

    def check_text(text: str, where: Location, kind: str):
        try:
            parts = placeholders.parse(text)
        except placeholders.PlaceholderError as exc:
            problems.append(Problem(where, str(exc)))
            return
        for part in parts:
            if not isinstance(part, placeholders.Placeholder):
                continue
            if kind == "option":
                problems.append(
                    Problem(
                        where,
                        f"选项中不能使用占位符“{part.source}”：选项的文字就是表单中保存的取值，"
                        "各分支机构必须相同；请写成固定的文字（如需说明，可写在 help 中）",
                    )
                )
            elif kind == "title" and part.kind in ("form", "clause"):
                what = "表单" if part.kind == "form" else "条款"
                problems.append(
                    Problem(
                        where,
                        f"标题中不能引用{what}“{part.source}”："
                        "标题还用于目录、书签和其他条款对它的引用；"
                        "请把引用写在正文（text、intro、note 等）中",
                    )
                )
            elif part.kind == "branch" and part.name not in placeholders.BRANCH_FIELDS:
                if declared is not None and part.name not in declared:
                    known_branch = [*placeholders.BRANCH_FIELDS, *declared]
                    problems.append(
                        Problem(
                            where,
                            f"未知的分支机构字段“{part.source}”"
                            f"{did_you_mean(part.name, known_branch)}"
                            "（可在 branches.yaml 的 defaults.values 中声明）",
                        )
                    )
            elif part.kind == "manual" and part.name not in allowed_manual:
                problems.append(
                    Problem(
                        where,
                        f"未知的手册字段“{part.source}”{did_you_mean(part.name, allowed_manual)}",
                    )
                )
            elif part.kind == "form" and kinds.get(part.name) != "form" and form_ids_read:
                forms = [k for k, v in kinds.items() if v == "form"]
                problems.append(
                    Problem(
                        where, f"引用了不存在的表单“{part.name}”{did_you_mean(part.name, forms)}"
                    )
                )
            elif (
                part.kind == "clause"
                and chapter_ids_read
                and kinds.get(part.name) not in ("clause", "section", "chapter")
            ):
                targets = [k for k, v in kinds.items() if v != "form"]
                problems.append(
                    Problem(
                        where, f"引用了不存在的条款“{part.name}”{did_you_mean(part.name, targets)}"
                    )
                )

    def check_condition(cond: dict, where_of):
        if branch_ids is None:
            return
        for key, known, label in (
            ("branch", branch_ids, "分支机构"),
            ("region", regions, "区域"),
            ("flag", flags, "标记"),
        ):
            values = cond.get(key)
            for i, value in enumerate(values if isinstance(values, list) else []):
                if isinstance(value, str) and value not in known:
                    problems.append(
                        Problem(
                            where_of((key, i)),
                            f"条件中未知的{label}“{value}”{did_you_mean(value, known)}",
                        )
                    )

    def walk_data(src: Located, data, path: tuple, file_kind: str):
        if isinstance(data, dict):
            for key, value in data.items():
                if key in ("when", "unless") and isinstance(value, dict):
                    check_condition(value, lambda sub, p=path + (key,): src.where(p + sub))
                elif key not in _NOT_TEXT:
                    walk_data(src, value, path + (key,), file_kind)
        elif isinstance(data, list):
            for i, value in enumerate(data):
                walk_data(src, value, path + (i,), file_kind)
        elif isinstance(data, str) and path not in src.refused:
            check_text(data, src.where(path), _text_kind(path, file_kind))

    for src, _ in chapter_files:
        walk_data(src, src.data, (), "chapter")
    for src, _ in form_files:
        walk_data(src, src.data, (), "form")

    if chapter_ids_read:
        targets = [k for k, v in kinds.items() if v in ("clause", "section")]
        for clause, where in form_clauses:
            if kinds.get(clause) not in ("clause", "section"):
                problems.append(
                    Problem(where, f"表单所属条款“{clause}”不存在{did_you_mean(clause, targets)}")
                )

    # revisions: in order, and the manual's version is the newest
    revs = revisions or []
    for i in range(1, len(revs)):
        older, newer = revs[i - 1], revs[i]
        ko, kn = _version_key(older.version), _version_key(newer.version)
        if ko and kn and kn <= ko:
            problems.append(
                Problem(
                    revisions_src.where((i, "version")),
                    f"修订记录应按版本从旧到新排列：{newer.version} 不应排在 {older.version} 之后",
                )
            )
        if newer.date < older.date:
            problems.append(
                Problem(
                    revisions_src.where((i, "date")),
                    f"修订记录的日期应从早到晚：{newer.date} 早于上一条的 {older.date}",
                )
            )
    # the newest revision's changed ids name chapters, sections or clauses that exist (older
    # revisions may name content removed since, so theirs are not checked)
    if revs and chapter_ids_read:
        targets = [k for k, v in kinds.items() if v in ("chapter", "section", "clause")]
        for j, ident in enumerate(revs[-1].changes):
            if kinds.get(ident) not in ("chapter", "section", "clause"):
                problems.append(
                    Problem(
                        revisions_src.where((len(revs) - 1, "changes", j)),
                        f"修订记录 {revs[-1].version} 的 changes 中“{ident}”"
                        f"不是本手册的章、节或条款{did_you_mean(ident, targets)}",
                    )
                )
    if revs and meta is not None and revs[-1].version != meta.version:
        problems.append(
            Problem(
                meta_src.where(("version",)),
                f"手册版本 {meta.version} 与修订记录中最新的版本 {revs[-1].version} 不一致",
            )
        )
    if meta is not None and meta_src is not None:
        _check_glossary(meta.glossary, meta_src, problems)
    return ids


def _check_glossary(entries, meta_src, problems) -> None:
    """manual.yaml `glossary:`: each term once; the Traditional texts it fixes in Traditional."""
    from builder.document.script import simplified_chars

    seen: dict[str, Location] = {}
    for i, entry in enumerate(entries):
        where = meta_src.where(("glossary", i, "term"))
        if entry.term in seen:
            problems.append(
                Problem(where, f"术语表中的“{entry.term}”重复：已在 {seen[entry.term]} 列出")
            )
        else:
            seen[entry.term] = where
        for key in ("hant", "hk", "tw"):
            value = getattr(entry, key)
            chars = simplified_chars(value or "")
            if chars:
                problems.append(
                    Problem(
                        meta_src.where(("glossary", i, key)),
                        f"术语“{entry.term}”的 {key} 写法“{value}”含有简体字"
                        f"“{'、'.join(chars)}”；请写繁体，或删去此项使其保持原样",
                    )
                )


def check_form(form: schema.FormSrc, src: Located, problems: list[Problem]):
    seen: set[str] = set()
    every_id = {f.id for f in form.fields} | {c.id for f in form.fields for c in f.columns}
    tables = {f.id: [c.id for c in f.columns] for f in form.fields if f.type == "rows"}

    def check_compute(fld: schema.FormFieldSrc, path: tuple):
        if fld.compute is None:
            return
        ops = [k for k, v in fld.compute.model_dump().items() if v is not None]
        if len(ops) != 1:
            problems.append(
                Problem(
                    src.where(path + ("compute",)),
                    "compute 应恰好给出一种计算：sum、average、days_between 或 capitals",
                )
            )
            return
        value = getattr(fld.compute, ops[0])
        for i, ref in enumerate(value if isinstance(value, list) else [value]):
            where = src.where(
                path + ("compute", ops[0]) + ((i,) if isinstance(value, list) else ())
            )
            if ref in tables:  # a whole table has no one value: name one of its columns
                columns = f"（{'、'.join(tables[ref])}）" if tables[ref] else ""
                problems.append(
                    Problem(where, f"计算不能引用表格字段“{ref}”本身，请引用它的某一列{columns}")
                )
            elif ref not in every_id or ref == fld.id:
                problems.append(
                    Problem(
                        where,
                        f"计算引用了不存在的字段“{ref}”{did_you_mean(ref, every_id - {fld.id})}",
                    )
                )

    for i, f in enumerate(form.fields):
        path = ("fields", i)
        if f.id in seen:
            problems.append(Problem(src.where(path + ("id",)), f"字段标识“{f.id}”在本表单中重复"))
        seen.add(f.id)
        check_compute(f, path)
        for j, col in enumerate(f.columns):
            check_compute(col, path + ("columns", j))
        if f.type in ("choice", "multichoice") and not f.options:
            problems.append(
                Problem(
                    src.where(path + ("type",)), f"{f.type} 类型的字段应给出 options（选项列表）"
                )
            )
        if f.type == "rows":
            if not f.columns:
                problems.append(
                    Problem(
                        src.where(path + ("type",)), "rows 类型的字段应给出 columns（各列字段）"
                    )
                )
            if f.example is not None and not isinstance(f.example, list):
                problems.append(
                    Problem(
                        src.where(path + ("example",)),
                        "rows 类型字段的 example 应为列表，每项是一行（列 id: 值）",
                    )
                )
            col_ids = set()
            for j, col in enumerate(f.columns):
                if col.type == "rows":
                    problems.append(
                        Problem(
                            src.where(path + ("columns", j, "type")), "表格列不能再是 rows 类型"
                        )
                    )
                if col.id in col_ids or col.id in seen:
                    problems.append(
                        Problem(
                            src.where(path + ("columns", j, "id")),
                            f"字段标识“{col.id}”在本表单中重复",
                        )
                    )
                col_ids.add(col.id)
            for r, row in enumerate(f.example if isinstance(f.example, list) else []):
                for key in row:
                    if key not in col_ids:
                        problems.append(
                            Problem(
                                src.where(path + ("example", r, key), key=True),
                                f"示例中的列“{key}”不存在{did_you_mean(key, col_ids)}",
                            )
                        )
        else:
            if f.columns:
                problems.append(
                    Problem(
                        src.where(path + ("columns",), key=True),
                        "只有 rows 类型的字段才能有 columns",
                    )
                )
            if isinstance(f.example, list):
                problems.append(Problem(src.where(path + ("example",)), "示例应为文本"))
