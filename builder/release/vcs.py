"""Git: the one place that asks git anything.

- `source_revision(paths)`: the commit the sources were built from (12 hex digits), with
  `-dirty` when any of `paths` differs from that commit. Empty when the sources are not in a
  git work tree or git is missing. `HANDBOOK_SOURCE_REVISION` overrides it (for builds from
  an exported tarball whose commit the CI knows).
- `export(spec, src)`: a revision of the manual's source folder, written into a temporary
  folder, for `handbook diff`. `spec` is a folder (used as it is) or anything `git rev-parse`
  understands (commit, tag, branch, `HEAD~2`).

Only the git command line is used (no libgit2 binding): it is what the repository's owners run
and it reads every repository format and configuration that they can.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from builder.errors import BuildError

ENV_OVERRIDE = "HANDBOOK_SOURCE_REVISION"
_ABBREV = 12


def _git(cwd: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    return subprocess.run(
        ["git", "-C", str(cwd), *args],
        capture_output=True,
        env=env,
        timeout=60,
        text=not binary,
        check=False,
    )


def _worktree(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None."""
    folder = path if path.is_dir() else path.parent
    try:
        result = _git(folder, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else None


def source_revision(paths: list[Path]) -> str:
    """`<commit>` or `<commit>-dirty` for the work tree holding paths[0]; "" when unknown."""
    override = os.environ.get(ENV_OVERRIDE)
    if override is not None:
        return override.strip()
    paths = [Path(p).absolute() for p in paths if p is not None]
    if not paths:
        return ""
    top = _worktree(paths[0])
    if top is None:
        return ""
    try:
        head = _git(top, "rev-parse", f"--short={_ABBREV}", "HEAD")
        if head.returncode != 0:  # a repository without commits yet
            return ""
        inside = [str(p) for p in paths if p == top or top in p.parents]
        status = _git(top, "status", "--porcelain", "--untracked-files=all", "--", *inside)
    except (OSError, subprocess.SubprocessError):
        return ""
    dirty = status.returncode != 0 or bool(status.stdout.strip())
    return head.stdout.strip() + ("-dirty" if dirty else "")


class Exported:
    """A revision of the source folder on disk; a context manager that removes its copy."""

    def __init__(self, folder: Path, label: str, revision: str, temporary: Path | None = None):
        self.folder = folder
        self.label = label  # as the user wrote it
        self.revision = revision  # commit (12 hex) or "" for a plain folder
        self._temporary = temporary

    def __enter__(self) -> Exported:
        return self

    def __exit__(self, *exc) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)


def export(spec: str, src: Path) -> Exported:
    """The manual's sources at `spec`: a folder, or a git revision of the folder `src`.

    Raises BuildError (in Chinese) when `spec` is neither.
    """
    candidate = Path(spec)
    if candidate.is_dir():
        return Exported(
            candidate,
            spec,
            source_revision([candidate]) if os.environ.get(ENV_OVERRIDE) is None else "",
        )
    src = Path(src).absolute()
    top = _worktree(src) if src.exists() else None
    if top is None:
        raise BuildError(f"“{spec}”既不是文件夹，也无法作为 git 版本读取：{src} 不在 git 仓库中")
    prefix = src.relative_to(top).as_posix() if src != top else ""
    commit = _git(top, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if commit.returncode != 0:
        raise BuildError(f"git 仓库中没有版本“{spec}”（可用提交号、标签或分支名，如 v1.2、HEAD~1）")
    sha = commit.stdout.strip()
    archive = _git(top, "archive", "--format=tar", sha, "--", prefix or ".", binary=True)
    if archive.returncode != 0:
        message = archive.stderr.decode("utf-8", "replace").strip()
        raise BuildError(f"版本“{spec}”中没有手册源文件夹 {prefix or '.'}（git：{message}）")
    temporary = Path(tempfile.mkdtemp(prefix="handbook-diff-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            _extract(tar, temporary)
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise BuildError(f"读取版本“{spec}”失败：{exc}") from exc
    return Exported(temporary / prefix if prefix else temporary, spec, sha[:_ABBREV], temporary)


def _extract(tar: tarfile.TarFile, folder: Path) -> None:
    """Unpack `git archive`'s tar of the sources: regular files and folders only, none outside
    `folder`. Python's "data" filter does this where it exists (3.11.4 and later); Debian 12's
    Python 3.11.2 lacks it, so the same rule is applied by hand there."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, filter="data")
        return
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            continue  # git archive writes neither; a link could point outside the folder
        tar.extract(member, folder, set_attrs=False)
