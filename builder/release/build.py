"""The build: decide what is out of date (builder.release.cache), render it over a pool of worker
processes into a staging folder, then publish the folder atomically (builder.release.publish).

Output layout (PRODUCT.md):
  manifest.json                             sha256 and size of every file (builder.release.manifest)
  .handbook-cache.json                      what each file was built from (builder.release.cache)
  <branch>/handbook.{docx,pdf,html}
  <branch>/forms.xlsx                       every form as a sheet, plus an index sheet
  <branch>/forms/<form-id>.{docx,xlsx,pdf}

Each output is one task: (branch, job). A worker resolves the branch (once per branch and
process), cuts out the part of the document the job's writer is given (`view`), hashes it
into the job's cache key, and renders only when that key differs from the one recorded for the
file. Workers are forked from the build process, so the loaded manual is inherited rather than
sent; each imports the writer libraries (WeasyPrint, python-docx, openpyxl) once, on first use,
and the build process itself never imports them. Tasks go out longest first (the handbook PDFs),
then branch by branch, so the pool drains evenly.

Reproducible: nothing depends on the clock, the time zone, the folders involved or the number of
workers; dates come from the manual's effective date, zips are normalised (builder.writers.ooxml.package),
and the same sources give byte-identical files and manifest.
"""
from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from typing import TYPE_CHECKING

from builder.release import cache
from builder.errors import BuildError, os_error_text
from builder.release.manifest import MANIFEST, sha256_file, write_manifest
from builder.release.publish import Staging, prepare
from builder.writers import Options, writer

if TYPE_CHECKING:  # the loader (YAML, pydantic) is not imported until a build needs it
    from builder.sources.load import Manual

log = logging.getLogger("handbook")

HANDBOOK_FORMATS = ("docx", "pdf", "html")
FORM_FORMATS = ("docx", "xlsx", "pdf")
FORMATS = ("docx", "pdf", "html", "xlsx")

@dataclass(frozen=True)
class Job:
    kind: str  # handbook, form or workbook
    fmt: str
    relative: Path  # inside the branch folder
    form_id: str | None = None


def plan(manual: Manual, formats: list[str], forms: list[str] | None, handbook: bool = True) -> list[Job]:
    """What to write for one branch: the handbook (and forms.xlsx) unless `handbook` is false,
    and the forms named in `forms` (None: every form)."""
    jobs: list[Job] = []
    if handbook:
        jobs += [Job("handbook", f, Path(f"handbook.{f}")) for f in HANDBOOK_FORMATS if f in formats]
        if "xlsx" in formats:
            jobs.append(Job("workbook", "xlsx", Path("forms.xlsx")))
    for form in manual.forms:
        if forms is None or form.id in forms:
            jobs += [Job("form", f, Path("forms") / f"{form.id}.{f}", form.id) for f in FORM_FORMATS if f in formats]
    return jobs


def view(job: Job, document):
    """The part of the resolved document `job`'s writer is given, and so all its cache key
    covers: the handbooks get everything; forms.xlsx everything but the chapters; a form only
    itself, with the manual's and the branch's details."""
    if job.kind == "handbook":
        return document
    if job.kind == "workbook":
        return replace(document, chapters=())
    form = next(f for f in document.forms if f.id == job.form_id)
    return replace(document, chapters=(), forms=(form,))


def _view_name(job: Job) -> str:
    return f"form:{job.form_id}" if job.kind == "form" else job.kind


def parse_shard(spec: str) -> tuple[int, int]:
    """"K/N" → (K, N) with 1 ≤ K ≤ N; ValueError (message in Chinese) otherwise."""
    try:
        k, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard 应写作 K/N（如 2/4），而不是“{spec}”") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {spec}：K 应在 1 到 N 之间")
    return k, n


def shard(branch_ids: list[str], k: int, n: int) -> list[str]:
    """The K-th of N shards: every N-th branch in the order of branches.yaml, starting at the
    K-th, so the shards differ in size by one branch at most and every branch is in exactly one."""
    return [b for i, b in enumerate(branch_ids) if i % n == k - 1]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass
class Result:
    written: list[Path] = field(default_factory=list)  # files rendered, as published (manifest.json last)
    kept: int = 0  # requested files already up to date, left as they were
    removed: list[Path] = field(default_factory=list)  # files of sources that no longer exist (--prune)
    requested: int = 0  # files this build was asked for


# -- worker side ----------------------------------------------------------------------------

@dataclass
class _Settings:
    manual: Manual
    env: cache.Environment
    root: Path  # the staging folder
    templates: Path | None
    docx_page_numbers: bool
    source_revision: str
    change_marks: bool

    @property
    def options(self) -> Options:
        return Options(templates=self.templates, paginate=self.docx_page_numbers)


_settings: _Settings | None = None
_resolved: OrderedDict = OrderedDict()  # branch id → (document, {view name: digest}); a few per process


def _document(branch_id: str):
    if branch_id in _resolved:
        _resolved.move_to_end(branch_id)
    else:
        from builder.document.resolve import resolve

        s = _settings
        _resolved[branch_id] = (resolve(s.manual, branch_id, source_revision=s.source_revision,
                                        change_marks=s.change_marks), {})
        while len(_resolved) > 4:
            _resolved.popitem(last=False)
    return _resolved[branch_id]


def _cost(job: Job) -> float:
    return writer(job.kind, job.fmt).cost


def _options(job: Job, s: _Settings) -> tuple:
    if (job.kind, job.fmt) != ("handbook", "docx") or not s.docx_page_numbers:
        return ()
    return (("paginate", True), ("layout", _soffice()))


def _soffice() -> str:
    """The LibreOffice that lays out --docx-page-numbers: its path, size and mtime."""
    import shutil

    path = shutil.which("soffice")
    try:
        real = os.path.realpath(path) if path else ""
        st = os.stat(real) if real else None
        return f"{real}:{st.st_size}:{st.st_mtime_ns}" if st else ""
    except OSError:
        return ""


def _task(task: tuple[str, Job, str | None]) -> tuple[str, Job, str, str | None]:
    """Bring one output up to date: (branch, job, previous key or None) → (branch, job, key,
    SHA-256 of the new file, or None when the previous file is still current)."""
    branch_id, job, previous = task
    s = _settings
    document, digests = _document(branch_id)
    payload = view(job, document)
    name = _view_name(job)
    if name not in digests:
        digests[name] = cache.digest_of(payload)
    key = s.env.key(job.kind, job.fmt, writer(job.kind, job.fmt).templates, _options(job, s), digests[name])
    if key == previous:
        return branch_id, job, key, None
    relative = Path(branch_id) / job.relative
    target = prepare(s.root, relative)
    try:
        if not writer(job.kind, job.fmt).render(payload, target, s.options):
            key = ""  # written without the page numbers LibreOffice failed to give: retry next time
        return branch_id, job, key, sha256_file(target)
    except BuildError:
        raise
    except OSError as exc:
        raise BuildError(f"写入 {relative.as_posix()} 时出错：{os_error_text(exc)}") from exc


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


class _Pool:
    """`size` forked worker processes, or the build process itself when one is enough. A
    worker that dies (killed, out of memory) fails the build instead of hanging it."""

    def __init__(self, size: int, lock_fd: int | None):
        self.size = size
        self.executor = None
        if size > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.executor = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"),
                                                initializer=_init_worker, initargs=(os.getpid(), lock_fd))

    def run(self, tasks):
        if self.executor is None:
            yield from map(_task, tasks)
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
                    running.add(self.executor.submit(_task, task))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BrokenProcessPool:
            raise BuildError("一个工作进程意外退出（可能内存不足或被终止）；可用 --jobs 减少并行进程数") from None

    def close(self, *, ok: bool) -> None:
        if self.executor is not None:
            if not ok:
                for process in list(getattr(self.executor, "_processes", {}).values()):
                    process.terminate()
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


# -- the build ------------------------------------------------------------------------------

def build_outputs(manual: Manual, *, out: Path, branches: list[str], formats: list[str],
                  forms: list[str] | None = None, handbook: bool = True, templates: Path | None = None,
                  progress: bool = True, docx_page_numbers: bool = False,
                  source_revision: str = "", change_marks: bool = True, jobs: int = 1,
                  force: bool = False, env: cache.Environment | None = None,
                  request: str = "", compare: Comparison | None = None) -> Result:
    """Bring every requested output up to date, then write manifest.json over the whole output
    folder and publish. `source_revision` (builder.release.vcs) goes into every document's properties
    and into the manifest. change_marks: mark what the newest revision lists under `changes` as
    本次修订. jobs: worker processes. force: ignore the cache, render everything requested.
    Files the cache recorded for a branch or form the sources no longer have are deleted.
    env, request: as computed by the caller for the no-op check (builder.release.cache); the
    environment is computed here when not given. compare: also write each branch's 修订对照表
    against that earlier version (`_write_comparisons`)."""
    global _settings
    options = {"change_marks": change_marks, "docx_page_numbers": docx_page_numbers}
    if env is None:
        env = cache.environment(templates=templates, options=options, source_revision=source_revision)
    l0 = cache.sources_key(manual.source_digests(), env)
    l1 = cache.branch_keys(manual, env)
    job_list = plan(manual, formats, forms, handbook)
    order = {b: i for i, b in enumerate(branches)}
    result = Result(requested=len(job_list) * len(branches))
    with Staging(out) as staging:
        state = cache.State.read(staging.root)
        files: dict[str, cache.Entry] = {}  # the new state's entries for this build's files
        tasks = []
        for branch_id in branches:
            for job in job_list:
                relative = (Path(branch_id) / job.relative).as_posix()
                entry = state.files.get(relative)
                intact = not force and entry is not None and entry.intact(staging.root / relative)
                if intact and entry.l1 == l1[branch_id]:
                    files[relative] = replace(entry, l0=l0)  # inputs unchanged: nothing to resolve
                else:
                    tasks.append((branch_id, job, entry.key if intact else None))
        tasks.sort(key=lambda t: (_cost(t[1]) < 5, order[t[0]], -_cost(t[1])))

        _settings = _Settings(manual, env, staging.root, templates, docx_page_numbers, source_revision, change_marks)
        _resolved.clear()
        pool = _Pool(max(1, min(jobs, len(tasks))), staging.lock_fd)
        ok = False
        try:
            bar = click.progressbar(length=len(tasks), label="生成", file=None if progress else _Null(),
                                    show_pos=True, item_show_func=lambda item: item or "")
            with bar:
                for branch_id, job, key, sha256 in pool.run(tasks):
                    relative = (Path(branch_id) / job.relative).as_posix()
                    if sha256 is None:
                        files[relative] = replace(state.files[relative], key=key, l1=l1[branch_id], l0=l0)
                    else:
                        files[relative] = cache.Entry.of(staging.root / relative, key=key, l1=l1[branch_id],
                                                         l0=l0, sha256=sha256)
                        result.written.append(Path(out) / relative)
                    bar.current_item = relative
                    bar.update(1)
            ok = True
        finally:
            pool.close(ok=ok)
            _settings = None
            _resolved.clear()
        result.kept = result.requested - len(result.written)
        result.written.sort()

        # Entries of other files stay while the files are untouched; files the cache made for a
        # branch or form that is no longer in the sources go.
        form_ids = {f.id for f in manual.forms}
        for relative, entry in state.files.items():
            if relative in files or not entry.intact(staging.root / relative):
                continue
            if _orphan(relative, set(manual.branch_ids), form_ids) and _plain_path(staging.root, relative):
                staging.remove(relative)
                result.removed.append(Path(out) / relative)
            else:
                files[relative] = entry
        _remove_emptied_folders(staging.root, [p.relative_to(out) for p in result.removed])
        if compare is not None:
            _write_comparisons(manual, compare, branches, staging.root, files, env, l1, l0, templates,
                               source_revision, result, out)
        _write_portal(manual, staging.root, files, env, l1, l0, templates, source_revision, change_marks, result, out)
        new_state = cache.State(files, state.requests)
        new_state.remember(request, l0, sorted(_requested(branches, job_list)))
        try:
            known = {p: e.sha256 for p, e in files.items()}
            write_manifest(staging.root, manual.meta, source_revision, target=staging.path(MANIFEST), known=known)
            new_state.write(staging.path(cache.STATE))
        except OSError as exc:
            raise BuildError(f"写入 {MANIFEST} 时出错：{os_error_text(exc)}") from exc
        if result.written or result.removed or not (Path(out) / MANIFEST).is_file():
            result.written.append(Path(out) / MANIFEST)
        staging.publish()
    return result


@dataclass(frozen=True)
class Comparison:
    """The earlier version a build compares each branch's handbook with (`--compare REV`)."""

    manual: Manual
    label: str  # as the user wrote it: v1.1, HEAD~1, a folder
    revision: str  # its commit, when it is one
    new_label: str  # what the current sources are called in the tables (the --src folder)


COMPARISON = "comparison"  # <branch>/comparison.{docx,pdf,json}


def _write_comparisons(manual: Manual, compare: Comparison, branches: list[str], root: Path,
                       files: dict[str, cache.Entry], env: cache.Environment, l1: dict[str, str], l0: str,
                       templates: Path | None, source_revision: str, result: Result, out: Path) -> None:
    """Each built branch's 修订对照表 against the earlier version: comparison.docx and .pdf (the
    tables of `handbook diff --out`), and comparison.json, which says what was compared (the
    download page shows it). Keyed by the comparison itself; a branch the earlier version did
    not have gets none. Rendered here, in the build process, one branch after another."""
    from builder.document.changes import compare as changes_between
    from builder.document.resolve import resolve

    for branch_id in branches:
        if branch_id not in compare.manual.branch_ids:
            log.info("版本“%s”中没有分支机构“%s”，不为它生成修订对照表", compare.label, branch_id)
            continue
        old = resolve(compare.manual, branch_id, compare.revision)
        new = resolve(manual, branch_id, source_revision)
        changes = changes_between(old, new, old_name=compare.label, new_name=compare.new_label,
                                  old_revision=compare.revision, new_revision=source_revision)
        digest = cache.digest_of(changes)
        for fmt in ("json", "docx", "pdf"):
            relative = f"{branch_id}/{COMPARISON}.{fmt}"
            comparison_writer = writer("comparison", fmt)
            key = env.key("comparison", fmt, comparison_writer.templates, (), digest)
            entry = files.get(relative)
            target = root / relative
            if entry is not None and entry.key == key and entry.intact(target):
                files[relative] = replace(entry, l1=l1[branch_id], l0=l0)
                continue
            prepare(root, Path(relative))
            comparison_writer.render(changes, target, Options(templates=templates))
            files[relative] = cache.Entry.of(target, key=key, l1=l1[branch_id], l0=l0, sha256=sha256_file(target))
            result.written.append(Path(out) / relative)


def comparison_summary(folder: Path) -> dict | None:
    """What a branch folder's 修订对照表 compared (its comparison.json), or None."""
    try:
        summary = json.loads((folder / f"{COMPARISON}.json").read_text(encoding="utf-8"))
        return summary if isinstance(summary, dict) and {"old", "new"} <= summary.keys() else None
    except (OSError, ValueError):
        return None


PORTAL_TEMPLATES = {"index": (("html", "portal-index.html.j2"), ("html", "portal.css")),
                    "branch": (("html", "portal-branch.html.j2"), ("html", "portal.css"))}


def _write_portal(manual: Manual, root: Path, files: dict[str, cache.Entry], env: cache.Environment,
                  l1: dict[str, str], l0: str, templates: Path | None, source_revision: str,
                  change_marks: bool, result: Result, out: Path) -> None:
    """The download portal (builder.writers.portal): a page for every branch that has files,
    and index.html listing every branch. Last, as the pages show the other files' sizes; a
    page is made again only when its branch's record or sources, its files or its templates
    changed, and written only when its bytes differ."""

    from builder.writers import portal

    def refresh(relative: str, key: str, l1_key: str, render) -> None:
        entry = files.get(relative)
        if entry is not None and entry.key == key and entry.intact(root / relative):
            files[relative] = replace(entry, l1=l1_key, l0=l0)
            return
        target = root / relative
        if portal.write_if_changed(target, render()):
            result.written.append(Path(out) / relative)
        files[relative] = cache.Entry.of(target, key=key, l1=l1_key, l0=l0, sha256=sha256_file(target))

    built = []
    for branch, listing in portal_listing(manual, root):
        built.append((branch, bool(listing)))
        if not listing:
            continue
        comparison = comparison_summary(root / branch.id)
        digest = cache.digest_of((l1[branch.id], sorted(listing.items()), comparison))
        key = env.key("portal", "branch", PORTAL_TEMPLATES["branch"], (), digest)

        def render(branch_id=branch.id, listing=listing, comparison=comparison):
            from builder.document.resolve import resolve

            document = resolve(manual, branch_id, source_revision=source_revision, change_marks=change_marks)
            return portal.branch_page_html(document, listing, templates, comparison=comparison)

        refresh(f"{branch.id}/index.html", key, l1[branch.id], render)

    digest = cache.digest_of((manual.meta.model_dump_json(), [(b.model_dump_json(), ok) for b, ok in built]))
    key = env.key("portal", "index", PORTAL_TEMPLATES["index"], (), digest)
    refresh("index.html", key, "", lambda: portal_index_html(manual, built, templates, source_revision, change_marks))


def portal_listing(manual: Manual, root: Path) -> list[tuple]:
    """Every branch, in branches.yaml's order, with the files of its folder under `root`
    (POSIX path → size; its own page left out), which are what its page may link."""
    found = []
    for branch in manual.branches.branches:
        folder = root / branch.id
        listing = {}
        if folder.is_dir() and not folder.is_symlink():
            listing = {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*"))
                       if p.is_file() and not p.is_symlink() and p.relative_to(folder).as_posix() != "index.html"}
        found.append((branch, listing))
    return found


def portal_index_html(manual: Manual, built: list[tuple], templates: Path | None, source_revision: str,
                      change_marks: bool = True) -> str:
    """index.html of the portal: the manual, and every branch with whether it has a page."""
    from builder.document.resolve import resolve
    from builder.writers import portal

    meta = resolve(manual, manual.branch_ids[0], source_revision=source_revision, change_marks=change_marks).meta
    return portal.index_html(meta, built, templates)


def _orphan(relative: str, branch_ids: set[str], form_ids: set[str]) -> bool:
    """A built file of a branch, or of a form, that the sources no longer have."""
    parts = relative.split("/")
    if len(parts) == 1:  # the portal's index.html
        return False
    if parts[0] not in branch_ids:
        return True
    return len(parts) == 3 and parts[1] == "forms" and parts[2].rsplit(".", 1)[0] not in form_ids


def _requested(branches: list[str], job_list: list[Job]) -> set[str]:
    return {(Path(b) / j.relative).as_posix() for b in branches for j in job_list}


def _plain_path(root: Path, relative: str) -> bool:
    """`relative` is a regular file below `root` reached without following a symbolic link
    (a link could lead to files that are not ours)."""
    path = Path(root)
    for part in Path(relative).parts[:-1]:
        path = path / part
        if path.is_symlink() or not path.is_dir():
            return False
    return (path / Path(relative).name).is_file() and not (path / Path(relative).name).is_symlink()


def _remove_emptied_folders(root: Path, removed: list[Path]) -> None:
    """Remove the folders that removing these files left empty (and no other folder)."""
    folders = sorted({parent for p in removed for parent in p.parents if parent != Path(".")},
                     key=lambda p: len(p.parts), reverse=True)
    for folder in folders:
        try:
            (Path(root) / folder).rmdir()
        except OSError:  # not empty: something else is there
            pass


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False
