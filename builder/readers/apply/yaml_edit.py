"""Targeted edits of YAML source files: only the bytes of the changed values change.

The file is composed with PyYAML (the loader's parser), which knows where every scalar starts
and ends; a changed scalar is replaced in place, written in its old style when the new value
still reads back the same in that style (plain or quoted), else double-quoted. A removed sequence
item takes its lines with it. Comments, key order, quoting and wrapping elsewhere stay as they
were.
"""

from __future__ import annotations

import json

import yaml


def _node_at(root, path: tuple):
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            node = node.value[step] if step < len(node.value) else None
        else:
            return None
        if node is None:
            return None
    return node


def _reads_back(snippet: str, value: str) -> bool:
    try:
        return yaml.safe_load(f"k: {snippet}\n") == {"k": value}
    except yaml.YAMLError:
        return False


def scalar_text(value: str, style: str | None) -> str:
    """`value` as YAML inline text, in `style` when that reads back unchanged."""
    if style in (None, "") and "\n" not in value and _reads_back(value, value):
        return value
    if style == "'" and "\n" not in value:
        quoted = "'" + value.replace("'", "''") + "'"
        if _reads_back(quoted, value):
            return quoted
    return json.dumps(value, ensure_ascii=False)


class YamlFile:
    """One source file's text and the edits to make to it."""

    def __init__(self, text: str):
        self.text = text
        self.root = yaml.compose(text)
        self._edits: list[tuple[int, int, str]] = []  # (start, end, replacement)

    def value(self, path: tuple):
        node = _node_at(self.root, path)
        return node

    def replace(self, path: tuple, value: str) -> None:
        node = _node_at(self.root, path)
        if not isinstance(node, yaml.ScalarNode):
            raise KeyError(path)
        self._edits.append(
            (node.start_mark.index, node.end_mark.index, scalar_text(value, node.style))
        )

    def block(self, path: tuple) -> tuple[int, int]:
        """Where the sequence item at `path` is: from the start of its "- " line to the start
        of the next item's line (its blank lines with it), or to the end of its last line."""
        parent = _node_at(self.root, path[:-1])
        node = _node_at(self.root, path)
        if node is None or not isinstance(parent, yaml.SequenceNode):
            raise KeyError(path)
        start = self.text.rfind("\n", 0, node.start_mark.index) + 1
        index = path[-1]
        if index + 1 < len(parent.value):
            following = parent.value[index + 1]
            return start, self.text.rfind("\n", 0, following.start_mark.index) + 1
        # the last item: to the end of its last line with content (a block node ends where
        # the next token starts, which may be on a later line, after blank lines)
        content = self.text[start : node.end_mark.index].rstrip(" \t\r\n")
        newline = self.text.find("\n", start + len(content))
        return start, len(self.text) if newline < 0 else newline + 1

    def indent(self, path: tuple) -> str:
        """The spaces before the "- " of the sequence item at `path`."""
        start, _ = self.block(path)
        line = self.text[start:]
        return line[: len(line) - len(line.lstrip(" "))]

    def remove_item(self, path: tuple) -> None:
        """Remove the sequence item at `path` (its "- " line through its last line)."""
        start, end = self.block(path)
        self._edits.append((start, end, ""))

    def insert_after(self, path: tuple, text: str) -> None:
        """Insert YAML text (whole lines) after the sequence item at `path`."""
        _, end = self.block(path)
        separator = "\n" if self.text[end - 2 : end] == "\n\n" else ""
        self._edits.append((end, end, text + separator))

    def item_text(self, path: tuple) -> str:
        start, end = self.block(path)
        return self.text[start:end].rstrip("\n") + "\n"

    def edited(self) -> str:
        text = self.text
        for start, end, replacement in sorted(self._edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text
