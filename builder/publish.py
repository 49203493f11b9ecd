"""Atomic publishing of outputs: the one place that writes into the output folder.

A build writes into a staging folder beside the output folder; only when every file is written
does the staging folder take the output folder's place, in one atomic exchange (renameat2 with
RENAME_EXCHANGE on Linux). A failed, interrupted or killed build leaves the previous output as it
was. A lock file keeps two builds from publishing into the same folder at once.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
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
    """A staging copy of the output folder. Use as a context manager; call `publish()` at the end."""

    def __init__(self, out: Path, *, keep_existing: bool = True):
        self.out = Path(out).absolute()
        self.keep_existing = keep_existing
        self.root: Path | None = None
        self._lock = None

    def __enter__(self) -> Staging:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.out.parent / f".{self.out.name}.lock"
        self._lock = open(lock_path, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise BuildError(f"另一个构建正在写入 {self.out}，请等它结束后再试") from None
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent))
        if self.keep_existing and self.out.is_dir():
            # Hard links make keeping the rest of the previous output cheap; every file we
            # write is unlinked first (see `path`), so the previous output is never modified.
            shutil.copytree(self.out, self.root, dirs_exist_ok=True, copy_function=_link_or_copy, symlinks=True)
        return self

    def path(self, relative: str | Path) -> Path:
        """Where to write `relative` in the staging folder (parent made, any old link removed)."""
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        return target

    def remove(self, relative: str | Path) -> None:
        target = self.root / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    def publish(self) -> None:
        if self.out.exists():
            if not _exchange(self.root, self.out):
                old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
                os.rename(self.out, old)
                os.rename(self.root, self.out)
                self.root = old
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


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
