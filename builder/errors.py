"""The one family of expected failures, each with a message for the user in Chinese.

    HandbookError               anything the user can act on; the CLI prints its message
    ├── SourceErrors            problems in the sources, as `file:line:column: message`, all at once
    └── BuildError              writing the outputs failed (disk full, a locked folder, …)
        ├── WriterError         a writer cannot render what it was given
        └── ManifestError       manifest.json is missing or unreadable

Anything else that escapes a command is a bug of ours, which the CLI calls 程序内部错误.
"""

from __future__ import annotations

import difflib
import errno
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


class HandbookError(Exception):
    """An expected failure; str(error) is the message for the user, in Chinese."""


class SourceErrors(HandbookError):
    """Raised with every problem found, never just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(map(str, self.problems)))


class BuildError(HandbookError):
    """A failure while writing outputs, with a message for the user (in Chinese)."""


class WriterError(BuildError):
    """A writer cannot render what it was given (a missing reference document, a character a
    form's field font cannot show, a computed field that names no field)."""


class ManifestError(BuildError):
    """manifest.json is missing or unreadable (message in Chinese)."""


_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "所在的文件系统是只读的",
    errno.EACCES: "没有{action}权限（请检查文件夹权限）",
    errno.EPERM: "没有{action}权限（请检查文件夹权限）",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中的某一级不是文件夹",
    errno.EEXIST: "已存在同名的文件或文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.ELOOP: "符号链接形成了循环",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EMFILE: "打开的文件过多",
    errno.EIO: "磁盘读写错误",
}


def os_error_text(exc: OSError, action: str = "写入") -> str:
    """What went wrong with a file operation, in Chinese, for the user: 磁盘空间不足, 没有写入权限…
    (the system's own words in brackets when we have no translation)."""
    text = _OS_ERRORS.get(exc.errno or 0)
    if text:
        return text.format(action=action)
    return f"无法{action}（{exc.strerror or exc}）"


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
