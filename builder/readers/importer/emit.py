"""Writing the imported sources as YAML, deterministically: the same input gives byte-identical
files (keys in schema order, no timestamps, one quoting style)."""

from __future__ import annotations

from pathlib import Path

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(data) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
        default_flow_style=False,
        indent=2,
    )


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write {relative path: text} under root (which exists and is empty)."""
    for relative in sorted(files):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[relative], encoding="utf-8", newline="\n")
