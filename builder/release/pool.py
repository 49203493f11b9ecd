"""The worker side of a build: forked processes that each resolve a branch once, cut out a
job's view, hash it into the job's cache key and render only when that key changed.

Workers are forked from the build process, so the loaded manual is inherited rather than sent;
each imports the writer libraries (WeasyPrint, python-docx, openpyxl) once, on first use. A
worker that dies (killed, out of memory) fails the build instead of hanging it."""

from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from builder.errors import BuildError, os_error_text
from builder.release import cache
from builder.release.manifest import sha256_file
from builder.release.plan import Job, view, view_name
from builder.release.publish import prepare
from builder.writers import Options, writer

if TYPE_CHECKING:
    from builder.sources.load import Manual


@dataclass
class WorkerSettings:
    manual: Manual
    env: cache.Environment
    root: Path  # the staging folder
    templates: Path | None
    layout: str  # the LibreOffice that paginates Word contents (pagination.layout_engine), or ""
    source_revision: str
    change_marks: bool
    draft: bool = False  # highlight the values marked 待确认
    key: object = None  # the signing key (builder.release.sign.Key, build --sign), which the
    # forked workers inherit in memory: never pickled, written, logged or part of a cache key
    parts: object = None  # the PDF handbooks' kept chapters (builder.writers.pdf.parts.PartStore)

    @property
    def signer(self) -> str:
        """The signing certificate's fingerprint ("" unsigned): what a PDF's cache key holds."""
        return self.key.fingerprint if self.key is not None else ""

    @property
    def options(self) -> Options:
        # paginate=False: the build paginates every Word handbook it wrote at the end, in one
        # LibreOffice process per worker (`paginate_task`)
        return Options(templates=self.templates, parts=self.parts)


_settings: WorkerSettings | None = None
_resolved: OrderedDict = (
    OrderedDict()
)  # branch id → (document, {view name: digest}); a few per process


def _document(branch_id: str):
    if branch_id in _resolved:
        _resolved.move_to_end(branch_id)
    else:
        from builder.document.resolve import resolve

        s = _settings
        _resolved[branch_id] = (
            resolve(
                s.manual,
                branch_id,
                source_revision=s.source_revision,
                change_marks=s.change_marks,
                draft=s.draft,
            ),
            {},
        )
        while len(_resolved) > 4:
            _resolved.popitem(last=False)
    return _resolved[branch_id]


def cost(job: Job) -> float:
    return writer(job.kind, job.fmt).cost


def _options(job: Job, s: WorkerSettings) -> tuple:
    """What of the build's options reaches a file besides its view: for a Word file whose
    contents gets its page numbers from LibreOffice, that it does and which LibreOffice (so a
    build after LibreOffice is installed or upgraded paginates them again); for a PDF of a
    signed build, the certificate's fingerprint (so turning --sign on or off rewrites it)."""
    if s.signer and job.fmt == "pdf":  # signed after it is written (builder.release.sign)
        return (("signer", s.signer),)
    if not paginates(job, s):
        return ()
    return (("paginate", True), ("layout", s.layout))


def paginates(job: Job, s: WorkerSettings) -> bool:
    """Whether the build fills the page numbers of this job's file after writing it."""
    return bool(s.layout and writer(job.kind, job.fmt).paginated)


def _task(task: tuple[str, Job, str | None]) -> tuple[str, Job, str, str | None]:
    """Bring one output up to date: (branch, job, previous key or None) → (branch, job, key,
    SHA-256 of the new file, or None when the previous file is still current)."""
    branch_id, job, previous = task
    s = _settings
    document, digests = _document(branch_id)
    payload = view(job, document)
    name = view_name(job)
    if name not in digests:
        digests[name] = cache.digest_of(payload)
    key = s.env.key(
        job.kind, job.fmt, writer(job.kind, job.fmt).templates, _options(job, s), digests[name]
    )
    if key == previous:
        return branch_id, job, key, None
    relative = Path(branch_id) / job.relative
    target = prepare(s.root, relative)
    try:
        if not writer(job.kind, job.fmt).render(payload, target, s.options):
            key = ""  # written without the page numbers LibreOffice failed to give: retry next time
        if s.key is not None and job.fmt == "pdf":  # signed where it was rendered, in parallel
            from builder.release.sign import sign_file

            sign_file(target, s.key, job.kind, document)
        return branch_id, job, key, sha256_file(target)
    except BuildError:
        raise
    except OSError as exc:
        raise BuildError(f"写入 {relative.as_posix()} 时出错：{os_error_text(exc)}") from exc


def paginate_task(relatives: list[str]) -> list[tuple[str, str, str]]:
    """Fill the Word contents' page numbers of these files of the staging folder, laid out by
    one LibreOffice process: (relative path, "" or why it failed, SHA-256 of the file now)."""
    from builder.writers.docx.pagination import paginate

    root = _settings.root
    failed = paginate([root / r for r in relatives])
    return [(r, failed.get(root / r, ""), sha256_file(root / r)) for r in relatives]


def _init_worker(parent: int, lock_fd: int | None) -> None:
    """In each worker: die with the build process (never outlive a killed build, writing into
    a staging folder nobody will publish), drop the inherited descriptor of the build's lock
    (closing it releases nothing for the build, but a stray worker then holds nothing either),
    and stop at once on Ctrl-C, which the build process handles."""
    import ctypes
    import signal

    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass
    if os.getppid() != parent:  # the build process died before prctl took effect
        os._exit(1)
    if lock_fd is not None:
        try:
            os.close(lock_fd)
        except OSError:
            pass


class WorkerPool:
    """`size` forked worker processes, or the build process itself when one is enough. A
    worker that dies (killed, out of memory) fails the build instead of hanging it."""

    def __init__(self, size: int, lock_fd: int | None):
        self.size = size
        self.executor = None
        if size > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.executor = ProcessPoolExecutor(
                size,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(os.getpid(), lock_fd),
            )

    def run(self, tasks, function=_task):
        """function(task) for every task, over the workers; results as they come."""
        if self.executor is None:
            yield from map(function, tasks)
            return
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = iter(tasks)
        running = set()
        try:
            while True:
                # Keep two tasks per worker queued, so results come back in about the order
                # handed out (longest first) and a failure stops the build early.
                while len(running) < 2 * self.size:
                    task = next(pending, None)
                    if task is None:
                        break
                    running.add(self.executor.submit(function, task))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BrokenProcessPool:
            raise BuildError(
                "一个工作进程意外退出（可能内存不足或被终止）；可用 --jobs 减少并行进程数"
            ) from None

    def close(self, *, ok: bool) -> None:
        if self.executor is not None:
            if not ok:
                for process in list(getattr(self.executor, "_processes", {}).values()):
                    process.terminate()
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


@contextmanager
def working(settings: WorkerSettings):
    """The settings every task of one build reads (inherited by the forked workers); the
    branches resolved for it are dropped afterwards, so a long-lived process keeps none."""
    global _settings
    _settings = settings
    _resolved.clear()
    try:
        yield
    finally:
        _settings = None
        _resolved.clear()
