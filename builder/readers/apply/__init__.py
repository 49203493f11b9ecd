"""`handbook apply`: edits made in a built handbook.docx brought back into the YAML sources.

The build bookmarks every chapter, section, clause and form with its id (builder.writers.docx.base
`bookmark_names`) and records the branch and the source revision in the file's custom properties
(builder.document.properties). Here the edited file is read as accepted (docx_text), the document
the build wrote is rebuilt from the sources at that revision, and both are laid out as the same
sequence of paragraphs, cut at the bookmarks. A paragraph whose text differs is an edit of the
value it was built from; the edit is mapped back through the placeholders of that value and
written at the value's place in its YAML file (yaml_edit). A clause whose bookmark is gone (its
paragraphs deleted) is removed from its file.

What is not applied is reported with where to make it: edits inside text a placeholder produced,
in the front matter (cover, 更新记录表, contents), in the forms appendix, in tables, and inserted
paragraphs. A clause edited in the file that changed in the sources since the file's revision is a
conflict: nothing is written.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from builder.document.ids import IdMaker
from builder.document.model import Clause, Document, Form
from builder.errors import HandbookError
from builder.readers.apply import docx_text
from builder.readers.apply.mapping import escape, groups, map_edit, slots, split_head
from builder.readers.apply.yaml_edit import YamlFile, scalar_text


class ApplyError(HandbookError):
    """The edited file cannot be applied; the message says why, in Chinese."""


@dataclass
class Edit:
    node: str
    part: str
    index: int
    old: str
    new: str


@dataclass
class Outcome:
    edits: list[Edit] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # clause ids
    reported: list[str] = field(default_factory=list)  # not applied, with why (Chinese)
    comments: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path → new text
    applied: list[str] = field(default_factory=list)
    changed_branches: set[str] = field(default_factory=set)


@dataclass
class Place:
    file: str  # relative to the source root
    path: tuple  # of the node's mapping


def places(root: Path, manual) -> dict[str, Place]:
    """id → where the chapter, section or clause mapping is, in its source file."""
    out: dict[str, Place] = {}
    for name, located in manual.sources.items():
        relative = _relative(root, name)

        def walk(data, path, relative=relative):
            if isinstance(data, dict):
                if isinstance(data.get("id"), str) and ("title" in data or "text" in data):
                    out.setdefault(data["id"], Place(relative, path))
                for key, value in data.items():
                    walk(value, (*path, key))
            elif isinstance(data, list):
                for i, value in enumerate(data):
                    walk(value, (*path, i))

        walk(located.data, ())
    return out


def _relative(root: Path, name: str) -> str:
    path = Path(name)
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        parts = path.as_posix().split("/")
        for i in range(len(parts)):
            if (root / "/".join(parts[i:])).is_file():
                return "/".join(parts[i:])
        return name


def _get(data, path: tuple):
    for step in path:
        data = data[step]
    return data


def _value_path(node_data: dict, part: str, index: int) -> tuple | None:
    """The path, under the node's mapping, of the value a paragraph shows."""
    if part in ("title", "title_en"):
        return (part,) if isinstance(node_data.get(part), str) else None
    if part in ("text", "intro"):
        value = node_data.get(part)
        if isinstance(value, str):
            return (part,) if index == 0 else None
        if isinstance(value, list) and index < len(value) and isinstance(value[index], str):
            return (part, index)
        return None
    if part == "item":
        items = node_data.get("items") or []
        if any(isinstance(i, dict) for i in items) or index >= len(items):
            return None  # conditional items: the branch's numbering does not give the index
        return ("items", index)
    if part == "note":
        return ("note",) if isinstance(node_data.get("note"), str) else None
    return None


def apply_edits(docx: Path, src: Path) -> tuple[Outcome, Document, Document]:
    """Read `docx`, compare it with what the build wrote, and work out the new text of the
    source files (nothing is written). Returns (outcome, document as the file was built,
    document of the sources as they are now)."""
    from builder.document.changes import nodes
    from builder.document.resolve import resolve
    from builder.document.script import is_traditional
    from builder.release import vcs
    from builder.sources.load import load_manual
    from builder.writers.docx.base import bookmark_names
    from builder.writers.docx.handbook import HandbookWriter

    edited = docx_text.read(docx)
    branch = edited.properties.get("Branch", "")
    revision = edited.properties.get("SourceRevision", "")
    current = load_manual(src)
    if not branch or branch not in current.branch_ids:
        raise ApplyError(
            f"{docx}：不是本手册生成的 Word 手册（文档属性中没有本手册的分支机构"
            f"{f'，写的是“{branch}”' if branch else ''}）"
        )
    script = current.branch(branch).script
    if is_traditional(script):
        # Its text is OpenCC's conversion of the Simplified sources (builder.document.script):
        # an edit there cannot be written back word for word.
        raise ApplyError(
            f"{docx}：这是繁体版手册（{current.branch(branch).name}，{script}），其文字由简体源文件"
            "转换而来，修改无法直接写回源文件；请在简体版手册（如总部 hq 的 handbook.docx）中修订"
            "后再运行 handbook apply，只用于繁体版的写法请写在条款的 text_hant 或 manual.yaml 的"
            " glossary 中"
        )
    outcome = Outcome()
    base_manual = current
    if revision.endswith("-dirty"):
        outcome.reported.append(
            f"文件由未提交的源文件生成（源修订 {revision}），按当前源文件比较（无法检查冲突）"
        )
    elif revision and revision != "test":
        try:
            with vcs.export(revision, src) as exported:
                base_manual = load_manual(exported.folder)
        except HandbookError:
            outcome.reported.append(
                f"找不到文件生成时的源修订 {revision}，按当前源文件比较（无法检查冲突）"
            )
    base = resolve(base_manual, branch, revision)
    now = resolve(current, branch, revision)
    names = bookmark_names(base)
    ids = {name: node for node, name in names.items()}
    expected = dict(slots(base, names))
    appendix = HandbookWriter.APPENDIX_BOOKMARK
    found = dict(groups(edited.paragraphs, {*names.values(), appendix}))
    if not set(found) - {None}:
        raise ApplyError(f"{docx}：不是本手册生成的 Word 手册（找不到任何章节或条款的书签）")
    base_nodes, now_nodes = nodes(base), nodes(now)
    label = {i: n.label for i, n in base_nodes.items()}
    forms = {n.id for n, _ in base.walk() if isinstance(n, Form)}
    clauses = {n.id: n for n, _ in base.walk() if isinstance(n, Clause)}
    removed_under: set[str] = set()
    inserted: list[tuple[str, list[str]]] = []  # (clause id, texts of the paragraphs after it)

    # comments, wherever they sit
    for name, paragraphs in found.items():
        node = ids.get(name) if name else None
        for p in paragraphs:
            for comment in p.comments:
                author, text = edited.comments.get(comment, ("", ""))
                where = f"{node}（{label.get(node, node)}）" if node else "封面、更新记录表或目录"
                outcome.comments.append(f"批注（{author or '未署名'}）：{text}　—— 位于 {where}")
    if any(p.tracked for p in found.get(None, [])):
        outcome.reported.append(
            "封面、更新记录表或目录中的修改未应用：请在 manual.yaml、revisions.yaml 中修改"
        )
    if edited.tracked_elsewhere:
        outcome.reported.append(
            f"表格、页眉或页脚中的 {edited.tracked_elsewhere} 处修订未应用：请在源文件中修改"
        )
    for name in found:
        if (name == appendix or ids.get(name) in forms) and any(p.tracked for p in found[name]):
            what = "附录标题" if name == appendix else f"“{label.get(ids[name], ids[name])}”"
            outcome.reported.append(f"表单附录中{what}的修改未应用：请在 forms/ 的表单文件中修改")

    for name, want in expected.items():
        node = ids[name]
        if name not in found:
            if node in clauses and not any(p in removed_under for p in _ancestors(base, node)):
                outcome.removed.append(node)
                removed_under.add(node)
            continue
        got = found[name]
        matcher = difflib.SequenceMatcher(
            a=[s.text for s in want], b=[p.text for p in got], autojunk=False
        )
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op == "equal":
                continue
            if op == "replace" and a1 - a0 == b1 - b0:
                for slot, paragraph in zip(want[a0:a1], got[b0:b1]):
                    outcome.edits.append(
                        Edit(slot.node or node, slot.part, slot.index, slot.text, paragraph.text)
                    )
                continue
            if b1 > b0 and a1 == len(want) and node in clauses:
                # paragraphs typed after a clause: new clauses (or a clause moved here)
                if a1 > a0:
                    gone = "、".join(f"“{s.text[:20]}”" for s in want[a0:a1])
                    outcome.reported.append(
                        f"{node}（{label.get(node, node)}）中删除的段落 {gone} 未应用："
                        "请在源文件中删除"
                    )
                inserted.append((node, [p.text for p in got[b0:b1] if p.text.strip()]))
                continue
            if b1 > b0:
                added = "、".join(f"“{p.text[:20]}”" for p in got[b0:b1])
                outcome.reported.append(
                    f"{node}（{label.get(node, node)}）后新增的段落 {added} 未应用："
                    "请在源文件中新增条款"
                )
            if a1 > a0:
                gone = "、".join(f"“{s.text[:20]}”" for s in want[a0:a1])
                outcome.reported.append(
                    f"{node}（{label.get(node, node)}）中删除的段落 {gone} 未应用：请在源文件中删除"
                )

    # moves: a removed clause whose text comes back after another clause (its bookmark lost),
    # or a clause whose bookmark now sits after a different sibling
    heads = {
        node: want[0].text
        for name, want in expected.items()
        if (node := ids[name]) in clauses and want and want[0].part == "head"
    }
    parents = {n.id: p.id if p is not None else None for n, p in base.walk()}
    moves: list[tuple[str, str]] = []  # (clause, the sibling it now follows)
    new_clauses: list[tuple[str, list[str]]] = []
    for after, texts in inserted:
        rest = []
        for text in texts:
            back = next(
                (
                    r
                    for r in outcome.removed
                    if heads.get(r) == text and parents[r] == parents[after]
                ),
                None,
            )
            if back is None:
                rest.append(text)
            else:
                outcome.removed.remove(back)
                moves.append((back, after))
        if rest:
            new_clauses.append((after, rest))
    order = [ids[name] for name in found if name is not None and ids.get(name) in clauses]
    for parent in {parents[c] for c in clauses}:
        before = [c for c in clauses if parents[c] == parent]
        now_order = [c for c in order if parents.get(c) == parent]
        if sorted(before) != sorted(now_order) or before == now_order:
            continue
        # the clauses whose paragraph came in as moved text are the ones that moved, when
        # the others keep their order; else the longest run kept in order stays
        marked = {ids[name] for name in found if name and found[name][0].inserted}
        if [c for c in before if c not in marked] == [c for c in now_order if c not in marked]:
            stay = set(before) - marked
        else:
            kept = difflib.SequenceMatcher(a=before, b=now_order, autojunk=False)
            stay = {before[i + k] for i, _, size in kept.get_matching_blocks() for k in range(size)}
        for index, clause_id in enumerate(now_order):
            if clause_id not in stay:
                if index == 0:
                    outcome.reported.append(
                        f"{clause_id}（{label.get(clause_id, clause_id)}）移到了最前面，未应用："
                        "请在源文件中移动"
                    )
                else:
                    moves.append((clause_id, now_order[index - 1]))

    # conflicts: an edited or removed node that changed in the sources since the file was built
    touched = {e.node for e in outcome.edits} | set(outcome.removed) | {m for m, _ in moves}
    conflicts = [
        n
        for n in sorted(touched, key=list(base_nodes).index)
        if base_nodes.get(n) is None
        or now_nodes.get(n) is None
        or base_nodes[n].key != now_nodes[n].key
    ]
    if conflicts:
        raise ApplyError(
            "冲突：以下条款在文件生成（源修订 "
            f"{revision}）之后已在源文件中修改或删除，未应用任何修改："
            + "；".join(f"{n}（{label.get(n, n)}）" for n in conflicts)
            + "。请用当前版本重新生成手册后再修订。"
        )

    places_now = places(src, current)
    shown: dict[str, set[str]] | None = None  # the other branches that show an edited node
    files: dict[str, YamlFile] = {}

    def yaml_file(relative: str) -> YamlFile:
        if relative not in files:
            files[relative] = YamlFile((src / relative).read_text(encoding="utf-8"))
        return files[relative]

    for edit in outcome.edits:
        where = places_now.get(edit.node)
        node_label = f"{edit.node}（{label.get(edit.node, edit.node)}）"
        if edit.part == "tag" or where is None:
            outcome.reported.append(f"{node_label} 的修改未应用：这段文字由生成器写入")
            continue
        located_data = _located(current, where.file)
        node_data = _get(located_data, where.path)
        pieces: list[tuple[str, int, str, str]] = []  # (part, index, old, new)
        if edit.part == "head":
            c = clauses[edit.node]
            title, text = split_head(c, edit.new)
            old_title, old_text = split_head(c, edit.old)
            if title is None and c.title:
                outcome.reported.append(f"{node_label} 的条款标题与正文之间的“：”被删除，未应用")
                continue
            if title != old_title:
                pieces.append(("title", 0, old_title or "", title or ""))
            if text != old_text:
                pieces.append(("text", 0, old_text or "", text or ""))
        elif edit.part == "note":
            if not edit.new.startswith("注："):
                outcome.reported.append(f"{node_label} 的“注：”被修改，未应用")
                continue
            pieces.append(("note", 0, edit.old[2:], edit.new[2:]))
        else:
            pieces.append((edit.part, edit.index, edit.old, edit.new))
        for part, index, old, new in pieces:
            relative_path = _value_path(node_data, part, index)
            if relative_path is None:
                outcome.reported.append(
                    f"{node_label} 的修改未应用："
                    "这段文字在源文件中不是一段普通文字（条件内容或表格）"
                )
                continue
            source = _get(node_data, relative_path)
            mapped = map_edit(source, old, new)
            if mapped is None and "{" not in source and "}" not in source:
                outcome.reported.append(
                    f"{node_label} 的修改未应用：手册中这段文字与源文件不同（如繁体版手册），"
                    "请在总部（简体）版手册中修改"
                )
                continue
            if mapped is None:
                outcome.reported.append(
                    f"{node_label} 中的修改“{old[:15]}…”→“{new[:15]}…”落在由占位符生成的文字上"
                    "（分支机构名称、表单名称、条款引用等），未应用："
                    "请在 branches.yaml、manual.yaml 或对应表单中修改"
                )
                continue
            yaml_file(where.file).replace((*where.path, *relative_path), mapped)
            outcome.applied.append(f"{node_label}：{_part_name(part, index)}已修改")
            if shown is None:
                shown = _shown_by_branch(base_manual)
            outcome.changed_branches.update(
                b for b, ids_shown in shown.items() if b != branch and edit.node in ids_shown
            )

    for node in outcome.removed:
        where = places_now.get(node)
        if where is None or not isinstance(where.path[-1], int):
            outcome.reported.append(f"{node} 的删除未应用：请在源文件中删除")
            continue
        yaml_file(where.file).remove_item(where.path)
        outcome.applied.append(f"{node}（{label.get(node, node)}）：条款已删除")

    for clause_id, after in moves:
        source, target = places_now.get(clause_id), places_now.get(after)
        if (
            source is None
            or target is None
            or source.file != target.file
            or source.path[:-1] != target.path[:-1]
        ):
            outcome.reported.append(f"{clause_id} 的移动未应用：请在源文件中移动")
            continue
        yaml_source = yaml_file(source.file)
        block = yaml_source.item_text(source.path)
        yaml_source.remove_item(source.path)
        yaml_source.insert_after(target.path, block)
        outcome.applied.append(
            f"{clause_id}（{label.get(clause_id, clause_id)}）：条款已移到 {after} 之后"
        )

    maker = IdMaker(set(current.origin))
    for after, texts in new_clauses:
        target = places_now.get(after)
        if target is None or not isinstance(target.path[-1], int):
            outcome.reported.append(f"{after} 后新增的段落未应用：请在源文件中新增条款")
            continue
        yaml_target = yaml_file(target.file)
        indent = yaml_target.indent(target.path)
        lines = []
        for text in texts:
            title, sep, body = text.partition("：")
            if not sep or len(title) > 20:
                title, body = "", text
            new_id = maker.from_title(title or None, parents[after] or after, len(lines) + 1)
            lines.append(f"{indent}- id: {new_id}\n")
            if title:
                lines.append(f"{indent}  title: {scalar_text(escape(title), None)}\n")
            lines.append(f"{indent}  text: {scalar_text(escape(body), None)}\n")
            outcome.applied.append(f"{new_id}：新增条款（在 {after} 之后）")
        yaml_target.insert_after(target.path, "".join(lines))

    outcome.files = {name: f.edited() for name, f in files.items() if f.edited() != f.text}
    return outcome, base, now


def _part_name(part: str, index: int) -> str:
    return {
        "title": "标题",
        "title_en": "英文标题",
        "text": f"正文第 {index + 1} 段",
        "intro": f"引言第 {index + 1} 段",
        "item": f"第 {index + 1} 项",
        "note": "注",
    }.get(part, part)


def _located(manual, relative: str):
    for name, located in manual.sources.items():
        if _relative(manual.root, name) == relative:
            return located.data
    raise KeyError(relative)


def _ancestors(document: Document, node_id: str) -> list[str]:
    parents = {n.id: p.id if p is not None else None for n, p in document.walk()}
    out = []
    parent = parents.get(node_id)
    while parent:
        out.append(parent)
        parent = parents.get(parent)
    return out


def _shown_by_branch(manual) -> dict[str, set[str]]:
    """branch id → the ids of every node its handbook shows."""
    from builder.document.resolve import resolve

    return {b: {n.id for n, _ in resolve(manual, b).walk()} for b in manual.branch_ids}
