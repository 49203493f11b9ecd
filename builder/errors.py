"""Problems found in the sources, reported as `file:line:column: message` in Chinese."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class SourceErrors(Exception):
    """Raised with every problem found, never just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(map(str, self.problems)))


class BuildError(Exception):
    """A failure while writing outputs, with a message for the user (in Chinese)."""


def did_you_mean(word: str, choices) -> str:
    """'，是否想写“x”？' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"，是否想写“{close[0]}”？" if close else ""


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user typed it: relative to the current folder where possible. A symbolic
    link is named by where it sits, not by where it points."""
    full = Path(path).absolute()
    full = full.parent.resolve() / full.name if full.name not in ("", "..") else full.resolve()
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
