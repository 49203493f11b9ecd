"""Which files make up a manual's sources: the one list the loader reads and the build cache
fingerprints. Light on purpose (no YAML, no pydantic), so a no-op build never imports the loader.
"""

from __future__ import annotations

from pathlib import Path

REQUIRED = ("manual.yaml", "branches.yaml", "revisions.yaml")
MAX_FILE_BYTES = 2 * 1024 * 1024  # a larger source file is refused
BRANCHES = "branches.yaml"


def chapter_files(root: Path) -> list[Path]:
    return sorted((Path(root) / "chapters").glob("*.yaml"))


def form_files(root: Path) -> list[Path]:
    return sorted((Path(root) / "forms").glob("*.yaml"))


def source_files(root: Path) -> list[Path]:
    """Every file the loader reads, in a fixed order (missing required files included: the
    loader reports them)."""
    root = Path(root)
    return [root / name for name in REQUIRED] + chapter_files(root) + form_files(root)
