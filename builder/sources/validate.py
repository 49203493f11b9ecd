"""Checks across files that a schema cannot express: unique ids, references, placeholders,
conditions, nesting depth, forms, branches and the order of revisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder.document import placeholders
from builder.document.numbering import MAX_LEVEL
from builder.errors import Location, Problem, did_you_mean
from builder.sources import schema

if TYPE_CHECKING:
    from builder.sources.load import Located, Manual

# Keys whose values are not prose (ids, types, conditions).
_NOT_TEXT = {"id", "type", "clause", "from", "when", "unless", "flags", "script", "kind", "code"}

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
            f"标识“{ident}”是 Windows 的保留设备名，不能用作{used_as}（Windows 上无法创建、复制或打开），"
            f"请换一个标识，如“{ident}-1”",
        )
    return None


def _version_key(version: str):
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return None


def check_manual(
    manual: Manual, *, chapter_files, form_files, branches_src, revisions_src, meta_src, problems
):
    ids: dict[str, Location] = {}
    kinds: dict[str, str] = {}

    def define(ident: str, kind: str, where: Location):
        if ident in ids:
            problems.append(
                Problem(
                    where,
                    f"标识“{ident}”重复：已在 {ids[ident]} 定义；章、节、条款和表单的标识在整本手册中必须唯一",
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
                    "同一章节不能同时包含 sections 和 clauses：请把条款放进一个子节，或把子节改为条款",
                )
            )
        if depth >= MAX_LEVEL and (sec.sections or sec.clauses):
            problems.append(
                Problem(
                    src.where(path + ("sections" if sec.sections else "clauses",), key=True),
                    f"层级过深：编号最多 {MAX_LEVEL} 级（一、（一）1.（1）①）",
                )
            )
            return
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
                    f"条款“{clause.id}”没有内容：应至少有 title、text、items、clauses 或 table 之一",
                )
            )
        if (clause.items or clause.clauses) and depth >= MAX_LEVEL:
            problems.append(
                Problem(
                    src.where(path + ("items" if clause.items else "clauses",), key=True),
                    f"层级过深：编号最多 {MAX_LEVEL} 级（一、（一）1.（1）①）",
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

    for src, chapter in chapter_files:
        walk_section(chapter, (), 1, src, "chapter")
    for src, form in form_files:
        define(form.id, "form", src.where(("id",)))
        if problem := _device_name(
            form.id, src.where(("id",)), f"表单的文件名（forms/{form.id}.docx）"
        ):
            problems.append(problem)
        check_form(form, src, problems)
    manual.origin = ids

    # branches
    branch_ids, regions, flags = set(), set(), set()
    declared = set(manual.branches.defaults.values)
    for i, branch in enumerate(manual.branches.branches):
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
            if key not in declared:
                problems.append(
                    Problem(
                        branches_src.where(path + ("values", key), key=True),
                        f"未声明的分支机构取值“{key}”：请先在 defaults.values 中声明{did_you_mean(key, declared)}",
                    )
                )

    # placeholders, references and conditions in every chapter and form
    allowed_branch = set(placeholders.BRANCH_FIELDS) | declared
    allowed_manual = set(placeholders.MANUAL_FIELDS)

    def check_text(text: str, where: Location):
        try:
            parts = placeholders.parse(text)
        except placeholders.PlaceholderError as exc:
            problems.append(Problem(where, str(exc)))
            return
        for part in parts:
            if not isinstance(part, placeholders.Placeholder):
                continue
            if part.kind == "branch" and part.name not in allowed_branch:
                problems.append(
                    Problem(
                        where,
                        f"未知的分支机构字段“{part.source}”{did_you_mean(part.name, allowed_branch)}"
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
            elif part.kind == "form" and kinds.get(part.name) != "form":
                forms = [k for k, v in kinds.items() if v == "form"]
                problems.append(
                    Problem(
                        where, f"引用了不存在的表单“{part.name}”{did_you_mean(part.name, forms)}"
                    )
                )
            elif part.kind == "clause" and kinds.get(part.name) not in (
                "clause",
                "section",
                "chapter",
            ):
                targets = [k for k, v in kinds.items() if v != "form"]
                problems.append(
                    Problem(
                        where, f"引用了不存在的条款“{part.name}”{did_you_mean(part.name, targets)}"
                    )
                )

    def check_condition(cond: dict, where_of):
        for key, known, label in (
            ("branch", branch_ids, "分支机构"),
            ("region", regions, "区域"),
            ("flag", flags, "标记"),
        ):
            for i, value in enumerate(cond.get(key) or []):
                if value not in known:
                    problems.append(
                        Problem(
                            where_of((key, i)),
                            f"条件中未知的{label}“{value}”{did_you_mean(value, known)}",
                        )
                    )

    def walk_data(src: Located, data, path: tuple):
        if isinstance(data, dict):
            for key, value in data.items():
                if key in ("when", "unless") and isinstance(value, dict):
                    check_condition(value, lambda sub, p=path + (key,): src.where(p + sub))
                elif key not in _NOT_TEXT:
                    walk_data(src, value, path + (key,))
        elif isinstance(data, list):
            for i, value in enumerate(data):
                walk_data(src, value, path + (i,))
        elif isinstance(data, str):
            check_text(data, src.where(path))

    for src, _ in [*chapter_files, *form_files]:
        walk_data(src, src.data, ())

    for src, form in form_files:
        if form.clause and kinds.get(form.clause) not in ("clause", "section"):
            targets = [k for k, v in kinds.items() if v in ("clause", "section")]
            problems.append(
                Problem(
                    src.where(("clause",)),
                    f"表单所属条款“{form.clause}”不存在{did_you_mean(form.clause, targets)}",
                )
            )

    # revisions: in order, and the manual's version is the newest
    revs = manual.revisions
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
    if revs:
        targets = [k for k, v in kinds.items() if v in ("chapter", "section", "clause")]
        for j, ident in enumerate(revs[-1].changes):
            if kinds.get(ident) not in ("chapter", "section", "clause"):
                problems.append(
                    Problem(
                        revisions_src.where((len(revs) - 1, "changes", j)),
                        f"修订记录 {revs[-1].version} 的 changes 中“{ident}”不是本手册的章、节或条款"
                        f"{did_you_mean(ident, targets)}",
                    )
                )
    if revs and revs[-1].version != manual.meta.version:
        problems.append(
            Problem(
                meta_src.where(("version",)),
                f"手册版本 {manual.meta.version} 与修订记录中最新的版本 {revs[-1].version} 不一致",
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
