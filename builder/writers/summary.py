"""The terminal writer of a ChangeSet: what `handbook diff` prints.

One line per change (action, kind, label, id); a changed clause also shows its old and new
paragraphs that differ, with deleted words in red and inserted words in green (click strips the
colours when the output is not a terminal, so the words are then bracketed as [-删-]{+增+}).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from builder.document.changes import (
    ACTION_NAMES,
    DELETE,
    INSERT,
    ChangeSet,
    aligned,
    block_paragraphs,
    inline_diff,
)
from builder.document.model import plain
from builder.document.script import document_converter


def _version(doc, name: str, revision: str) -> str:
    where = name + (f"（{revision}）" if revision and revision not in name else "")
    return f"{where} 版本 {doc.meta.version}"


CONTEXT = 16  # characters of unchanged text kept on each side of a change


def _marked(pieces, skip: int, color: bool) -> str:
    """One side of an inline diff (the old text skips insertions, the new skips deletions),
    with long unchanged stretches shortened to their ends."""
    shown = [(op, span) for op, span in pieces if op != skip]
    out = []
    for i, (op, span) in enumerate(shown):
        if op == 0:
            text, first, last = span.text, i == 0, i == len(shown) - 1
            if first and not last and len(text) > CONTEXT:
                text = "…" + text[-CONTEXT:]
            elif last and not first and len(text) > CONTEXT:
                text = text[:CONTEXT] + "…"
            elif not first and not last and len(text) > 2 * CONTEXT:
                text = text[:CONTEXT] + "…" + text[-CONTEXT:]
            out.append(text)
        elif color:
            out.append(
                click.style(
                    span.text,
                    fg="red" if op == DELETE else "green",
                    bold=True,
                    strikethrough=op == DELETE,
                    underline=op == INSERT,
                )
            )
        else:
            out.append(f"[-{span.text}-]" if op == DELETE else f"{{+{span.text}+}}")
    return "".join(out)


def summary_lines(changes: ChangeSet, color: bool = False) -> list[str]:
    old, new = changes.old, changes.new
    lines = [
        f"比较：{_version(old, changes.old_name, changes.old_revision)} → "
        f"{_version(new, changes.new_name, changes.new_revision)}"
        f"（分支机构：{new.branch.name} {new.branch.id}）",
    ]
    if not changes.changes:
        lines.append("两个版本内容一致：没有新增、删除、移动或修改的章节、条款和表单。")
        return in_branch_script(changes, lines)
    for change in changes.changes:
        if change.action == "moved":
            where = f"{change.old.label} → {change.new.label}"
        else:
            where = change.node.label
        lines.append(f"  {change.title:<8} {where}  [{change.id}]")
        if change.content_changed:
            for before, after in aligned(
                block_paragraphs(change.old), block_paragraphs(change.new)
            ):
                if before is not None and after is not None and plain(before) == plain(after):
                    continue
                pieces = inline_diff(before or (), after or ())
                if before is not None:
                    lines.append("      原：" + _marked(pieces, INSERT, color))
                if after is not None:
                    lines.append("      新：" + _marked(pieces, DELETE, color))
    counts = changes.counts()
    lines.append(
        f"共 {len(changes.changes)} 处变更：新增 {counts['added']}、删除 {counts['removed']}、"
        f"移动 {counts['moved']}、修改 {counts['changed']}。"
    )
    return in_branch_script(changes, lines)


def in_branch_script(changes: ChangeSet, lines: list[str]) -> list[str]:
    """The lines in the script of the compared branch: a Traditional branch's document text is
    converted already, the summary's own words are converted here."""
    conv = document_converter(changes.new)
    return [conv.finish_words(line) for line in lines] if conv else lines


def comparison_json(changeset: ChangeSet) -> dict:
    """What a 修订对照表 compared: both versions (as the user named them, their version numbers
    and commits) and the number of changes of each kind; the branch's download page shows it."""
    old, new = changeset.old.meta, changeset.new.meta
    return {
        "old": {
            "label": changeset.old_name,
            "version": old.version,
            "revision": changeset.old_revision,
        },
        "new": {
            "label": changeset.new_name,
            "version": new.version,
            "revision": changeset.new_revision,
        },
        "counts": {ACTION_NAMES[action]: n for action, n in changeset.counts().items()},
    }


def write_comparison_json(changeset: ChangeSet, target: Path, options) -> None:
    """The registered entry point (builder.writers): comparison.json beside the 修订对照表."""
    text = json.dumps(comparison_json(changeset), ensure_ascii=False, indent=2) + "\n"
    Path(target).write_text(text, encoding="utf-8")
