"""Atomic publishing of outputs: the one place that writes into the output folder.

A build writes into a staging folder beside the output folder; only when every file is written
does the staging folder take the output folder's place, in one atomic exchange (renameat2 with
RENAME_EXCHANGE on Linux). A failed, interrupted or killed build leaves the previous output as it
was. A lock file beside the output folder (`.<out>.lock`, never inside it) keeps two builds from
publishing into the same folder at once; the lock is an flock, which the kernel releases when
the process ends however it ends, so a killed build never leaves the folder locked. What a
killed build leaves behind (a staging folder, or the previous output parked under `.<out>.old-*`
on systems without an atomic exchange) is cleaned up by the next build, under the lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path

from builder.errors import BuildError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths. False where the system cannot do it."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    rc = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.EPERM):
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


class Staging:
    """A staging copy of the output folder. Use as a context manager; call `publish()` at the
    end."""

    def __init__(self, out: Path, *, keep_existing: bool = True):
        self.out = Path(out).absolute()
        self.keep_existing = keep_existing
        self.root: Path | None = None
        self._lock = None

    @property
    def lock_fd(self) -> int | None:
        return self._lock.fileno() if self._lock is not None else None

    @property
    def lock_path(self) -> Path:
        return self.out.parent / f".{self.out.name}.lock"

    def __enter__(self) -> Staging:
        if self.out.exists() and not self.out.is_dir():
            raise BuildError(f"输出路径 {self.out} 已存在且不是文件夹，请换一个 --out 或先移走它")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.lock_path, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise BuildError(f"另一个构建正在写入 {self.out}，请等它结束后再试") from None
        try:
            self._clean_stale()
            self.root = Path(
                tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent)
            )
            # mkdtemp makes the folder private (0700); the published folder keeps the previous
            # output's permissions, or gets the usual ones for a new folder.
            os.chmod(
                self.root,
                stat.S_IMODE(self.out.stat().st_mode) if self.out.is_dir() else 0o777 & ~_umask(),
            )
            if self.keep_existing and self.out.is_dir():
                # Hard links make keeping the rest of the previous output cheap; every file we
                # write is unlinked first (see `path`), so the previous output is never modified.
                shutil.copytree(
                    self.out,
                    self.root,
                    dirs_exist_ok=True,
                    copy_function=_link_or_copy,
                    symlinks=True,
                )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _stale(self, kind: str) -> list[Path]:
        prefix = f".{self.out.name}.{kind}-"
        return sorted(
            (
                p
                for p in self.out.parent.iterdir()
                if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()
            ),
            key=lambda p: p.stat().st_mtime,
        )

    def _clean_stale(self) -> None:
        """Remove what a killed build left beside the output folder. Safe: we hold the lock, so
        no other build is using them. Without an atomic exchange a build killed between its two
        renames leaves no output folder but the previous output under `.<out>.old-*`: put it
        back."""
        old = self._stale("old")
        if old and not self.out.exists():
            os.rename(old.pop(), self.out)
        for folder in self._stale("staging") + old:
            shutil.rmtree(folder, ignore_errors=True)

    def path(self, relative: str | Path) -> Path:
        """Where to write `relative` in the staging folder (parent made, any old link removed)."""
        return prepare(self.root, relative)

    def remove(self, relative: str | Path) -> None:
        target = self.root / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    def publish(self) -> None:
        if self.out.exists():
            if not _exchange(self.root, self.out):
                # Two renames. Only between them is the previous output parked under `.old-*`
                # (and put back by the next build if this one dies there); it then goes under
                # a staging name, so a folder half removed is never taken for the output.
                old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
                os.rename(self.out, old)
                os.rename(self.root, self.out)
                self.root = self.out.with_name(f".{self.out.name}.staging-old-{os.getpid()}")
                os.rename(old, self.root)
        else:
            os.rename(self.root, self.out)
            self.root = None

    def __exit__(self, *exc) -> None:
        try:
            if self.root is not None and self.root.exists():
                shutil.rmtree(self.root, ignore_errors=True)
        finally:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                self._lock.close()
                self._lock = None


def safe_relative(relative: str) -> bool:
    """A relative POSIX path that stays inside its folder (from a file we did not write: a
    manifest, the cache's state)."""
    from pathlib import PurePosixPath

    pure = PurePosixPath(relative)
    return (
        bool(relative)
        and not pure.is_absolute()
        and ".." not in pure.parts
        and "\\" not in relative
    )


def prepare(root: Path, relative: str | Path) -> Path:
    """Where to write `relative` in the staging folder `root`: its folder made, and the hard link
    to the previous output's file removed, so writing never modifies the previous output. Safe
    to call from several worker processes at once."""
    target = Path(root) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
