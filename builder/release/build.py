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
then branch by branch, so the pool drains evenly. Last, the Word handbooks just written get
their contents' page numbers: each worker lays out its share of them with one LibreOffice
process (`_paginate`, builder.writers.docx.pagination).

Reproducible: nothing depends on the clock, the time zone, the folders involved or the number of
workers; dates come from the manual's effective date, zips are normalised
(builder.writers.ooxml.package), and the same sources give byte-identical files and manifest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from builder.errors import BuildError, os_error_text
from builder.release import cache
from builder.release.manifest import MANIFEST, MANIFEST_SIGNATURE, sha256_file, write_manifest
from builder.release.plan import Job, plan
from builder.release.pool import (
    WorkerPool,
    WorkerSettings,
    cost,
    paginate_task,
    paginates,
    working,
)
from builder.release.publish import Staging, prepare
from builder.writers import Options, writer

if TYPE_CHECKING:  # the loader (YAML, pydantic) is not imported until a build needs it
    from builder.release.sign import Key
    from builder.sources.load import Manual

log = logging.getLogger("handbook")


@dataclass
class Result:
    written: list[Path] = field(
        default_factory=list
    )  # files rendered, as published (manifest.json last)
    kept: int = 0  # requested files already up to date, left as they were
    removed: list[Path] = field(
        default_factory=list
    )  # files of sources that no longer exist (--prune)
    requested: int = 0  # files this build was asked for


# -- the build ------------------------------------------------------------------------------


def build_outputs(
    manual: Manual,
    *,
    out: Path,
    branches: list[str],
    formats: list[str],
    forms: list[str] | None = None,
    handbook: bool = True,
    templates: Path | None = None,
    progress: bool = True,
    docx_page_numbers: bool = True,
    source_revision: str = "",
    change_marks: bool = True,
    jobs: int = 1,
    force: bool = False,
    env: cache.Environment | None = None,
    request: str = "",
    compare: Comparison | None = None,
    draft: bool = False,
    sign: Key | None = None,
) -> Result:
    """Bring every requested output up to date, then write manifest.json over the whole output
    folder and publish. `source_revision` (builder.release.vcs) goes into every document's
    properties and into the manifest. change_marks: mark what the newest revision lists under
    `changes` as 本次修订. jobs: worker processes. force: ignore the cache, render everything
    requested. Files the cache recorded for a branch or form the sources no longer have are deleted.
    env, request: as computed by the caller for the no-op check (builder.release.cache); the
    environment is computed here when not given. compare: also write each branch's 修订对照表
    against that earlier version (`_write_comparisons`). docx_page_numbers: fill the page
    numbers of the Word handbooks' contents from LibreOffice's layout (`_paginate`), when
    LibreOffice is installed; without it they are written without numbers, with a warning.
    draft: highlight the values marked 待确认 (a draft build; its options, and so every key,
    differ from a published build's).
    sign: a builder.release.sign.Key: every PDF written is signed after it is rendered (the
    caller puts the certificate's fingerprint, never the key, into the options), and
    manifest.json gets a detached signature beside it (manifest.json.p7s)."""
    options = cache.build_options(
        change_marks=change_marks,
        docx_page_numbers=docx_page_numbers,
        draft=draft,
        signer=sign.fingerprint if sign is not None else "",
    )
    if env is None:
        env = cache.environment(
            templates=templates, options=options, source_revision=source_revision
        )
    sources_key = cache.sources_key(manual.source_digests(), env)
    branch_keys = cache.branch_keys(manual, env)
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
                if intact and entry.key and entry.branch_key == branch_keys[branch_id]:
                    files[relative] = replace(
                        entry, sources_key=sources_key
                    )  # inputs unchanged: nothing to resolve
                else:
                    tasks.append((branch_id, job, entry.key if intact else None))
        tasks.sort(key=lambda t: (cost(t[1]) < 5, order[t[0]], -cost(t[1])))

        settings = WorkerSettings(
            manual,
            env,
            staging.root,
            templates,
            options["layout"],
            source_revision,
            change_marks,
            draft,
            sign,
            _part_store(out, env, force and handbook and "pdf" in formats),
        )
        if docx_page_numbers and not settings.layout and any(_paginated(t[1]) for t in tasks):
            log.warning(NO_LAYOUT_WARNING)
        paginate: list[str] = []  # the Word files written without the page numbers they get
        with working(settings):  # set before the pool forks: the workers inherit it
            pool = WorkerPool(max(1, min(jobs, len(tasks))), staging.lock_fd)
            ok = False
            try:
                bar = click.progressbar(
                    length=len(tasks),
                    label="生成",
                    file=None if progress else _Null(),
                    show_pos=True,
                    item_show_func=lambda item: item or "",
                )
                with bar:
                    for branch_id, job, key, sha256 in pool.run(tasks):
                        relative = (Path(branch_id) / job.relative).as_posix()
                        if sha256 is None:
                            files[relative] = replace(
                                state.files[relative],
                                key=key,
                                branch_key=branch_keys[branch_id],
                                sources_key=sources_key,
                            )
                        else:
                            files[relative] = cache.Entry.of(
                                staging.root / relative,
                                key=key,
                                branch_key=branch_keys[branch_id],
                                sources_key=sources_key,
                                sha256=sha256,
                            )
                            result.written.append(Path(out) / relative)
                            if paginates(job, settings):
                                paginate.append(relative)
                        bar.current_item = relative
                        bar.update(1)
                _paginate(pool, staging.root, paginate, files, progress)
                ok = True
            finally:
                pool.close(ok=ok)
        result.kept = result.requested - len(result.written)
        result.written.sort()

        # Entries of other files stay while the files are untouched; files the cache made for a
        # branch or form that is no longer in the sources go.
        form_ids = {f.id for f in manual.forms}
        for relative, entry in state.files.items():
            if relative in files or not entry.intact(staging.root / relative):
                continue
            if _orphan(relative, set(manual.branch_ids), form_ids) and _plain_path(
                staging.root, relative
            ):
                staging.remove(relative)
                result.removed.append(Path(out) / relative)
            else:
                files[relative] = entry
        _remove_emptied_folders(staging.root, [p.relative_to(out) for p in result.removed])
        settings.parts.prune(set(manual.branch_ids))
        outputs = _Outputs(staging.root, files, sources_key, result, out)
        if compare is not None:
            _write_comparisons(
                manual,
                compare,
                branches,
                outputs,
                env,
                branch_keys,
                templates,
                source_revision,
                sign=sign,
            )
        _write_portal(manual, outputs, env, branch_keys, templates, source_revision, change_marks)
        new_state = cache.State(files, state.requests)
        new_state.remember(request, sources_key, sorted(_requested(branches, job_list)))
        try:
            known = {p: e.sha256 for p, e in files.items()}
            write_manifest(
                staging.root,
                manual.meta,
                source_revision,
                target=staging.path(MANIFEST),
                known=known,
            )
            if sign is not None:
                from builder.release.sign import sign_bytes, signing_time

                data = (staging.root / MANIFEST).read_bytes()
                signature = sign_bytes(data, sign, signing_time(manual.meta))
                staging.path(MANIFEST_SIGNATURE).write_bytes(signature)
            else:  # an unsigned build leaves no signature of an earlier manifest behind
                staging.remove(MANIFEST_SIGNATURE)
            new_state.write(staging.path(cache.STATE))
        except OSError as exc:
            raise BuildError(f"写入 {MANIFEST} 时出错：{os_error_text(exc)}") from exc
        if result.written or result.removed or not (Path(out) / MANIFEST).is_file():
            result.written.append(Path(out) / MANIFEST)
        staging.publish()
    return result


def _part_store(out: Path, env: cache.Environment, force: bool):
    """The PDF handbooks' kept chapters (builder.writers.pdf.parts), beside the output folder,
    keyed by the environment a layout depends on (code, libraries, fonts, template assets);
    emptied by a forced build of PDF handbooks, which lays every part out again."""
    from builder.writers.pdf.parts import PartStore

    store = PartStore(PartStore.beside(out), cache.part_salt(env))
    if force:
        store.clear()
    return store


NO_LAYOUT_WARNING = (
    "未找到 LibreOffice（soffice）：Word 手册（handbook.docx）的目录有链接但没有页码，"
    "打开时不会有提示。安装 LibreOffice（Debian：sudo apt-get install libreoffice-writer-nogui）"
    "后再次构建即可填入页码。"
)


PAGINATE_SHARE = 25  # at most so many files per LibreOffice process (its memory, its timeout)


def _paginated(job: Job) -> bool:
    return writer(job.kind, job.fmt).paginated


def _paginate(
    pool: WorkerPool, root: Path, relatives: list[str], files: dict, progress: bool
) -> None:
    """The last stage of the rendering: fill the page numbers of the Word contents of the files
    just written (builder.writers.docx.pagination), each worker laying out its share of them
    with one LibreOffice process (a share per worker, of at most PAGINATE_SHARE files), and
    record each file as it now is. A file LibreOffice could not
    paginate keeps no cache key, so the next build tries again."""
    if not relatives:
        return
    count = max(min(pool.size, len(relatives)), -(-len(relatives) // PAGINATE_SHARE))
    shares = [relatives[k::count] for k in range(count)]
    failures = []
    bar = click.progressbar(
        length=len(relatives),
        label="目录页码",
        file=None if progress else _Null(),
        show_pos=True,
    )
    with bar:
        for share in pool.run(shares, paginate_task):
            for relative, reason, sha256 in share:
                entry = files[relative]
                files[relative] = cache.Entry.of(
                    root / relative,
                    key="" if reason else entry.key,
                    branch_key=entry.branch_key,
                    sources_key=entry.sources_key,
                    sha256=sha256,
                )
                if reason:
                    failures.append((relative, reason))
            bar.update(len(share))
    for relative, reason in failures:
        log.warning("%s 的目录未能填入页码（%s），下次构建时重试", relative, reason)


@dataclass
class _Outputs:
    """The files a build's last stages (comparisons, portal pages) bring up to date in the
    staging folder, with the cache entries they are recorded under."""

    root: Path  # the staging folder
    files: dict[str, cache.Entry]
    sources_key: str
    result: Result
    out: Path  # where the folder is published

    def refresh(
        self, relative: str, key: str, branch_key: str, write, *, unlink: bool = True
    ) -> None:
        """Keep the file when it was made under `key` and is intact (re-recorded under the
        current branch and sources keys); else `write(target)`, which returns whether it
        changed the file, and record it. unlink: first remove the staging folder's hard link
        to the published file (a writer that replaces the file itself says False)."""
        target = self.root / relative
        entry = self.files.get(relative)
        if entry is not None and entry.key == key and entry.intact(target):
            self.files[relative] = replace(
                entry, branch_key=branch_key, sources_key=self.sources_key
            )
            return
        if unlink:
            prepare(self.root, Path(relative))
        if write(target):
            self.result.written.append(Path(self.out) / relative)
        self.files[relative] = cache.Entry.of(
            target,
            key=key,
            branch_key=branch_key,
            sources_key=self.sources_key,
            sha256=sha256_file(target),
        )


@dataclass(frozen=True)
class Comparison:
    """The earlier version a build compares each branch's handbook with (`--compare REV`)."""

    manual: Manual
    label: str  # as the user wrote it: v1.1, HEAD~1, a folder
    revision: str  # its commit, when it is one
    new_label: str  # what the current sources are called in the tables (the --src folder)


COMPARISON = "comparison"  # <branch>/comparison.{docx,pdf,json}


def _write_comparisons(
    manual: Manual,
    compare: Comparison,
    branches: list[str],
    outputs: _Outputs,
    env: cache.Environment,
    branch_keys: dict[str, str],
    templates: Path | None,
    source_revision: str,
    sign: Key | None = None,
) -> None:
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
        changes = changes_between(
            old,
            new,
            old_name=compare.label,
            new_name=compare.new_label,
            old_revision=compare.revision,
            new_revision=source_revision,
        )
        digest = cache.digest_of(changes)
        for fmt in ("json", "docx", "pdf"):
            comparison_writer = writer("comparison", fmt)
            signed = (("signer", sign.fingerprint),) if sign is not None and fmt == "pdf" else ()
            key = env.key("comparison", fmt, comparison_writer.templates, signed, digest)

            def write(
                target, comparison_writer=comparison_writer, changes=changes, fmt=fmt, new=new
            ):
                comparison_writer.render(changes, target, Options(templates=templates))
                if sign is not None and fmt == "pdf":
                    from builder.release.sign import sign_file

                    sign_file(target, sign, "comparison", new)
                return True

            outputs.refresh(f"{branch_id}/{COMPARISON}.{fmt}", key, branch_keys[branch_id], write)


def comparison_summary(folder: Path) -> dict | None:
    """What a branch folder's 修订对照表 compared (its comparison.json), or None."""
    try:
        summary = json.loads((folder / f"{COMPARISON}.json").read_text(encoding="utf-8"))
        return summary if isinstance(summary, dict) and {"old", "new"} <= summary.keys() else None
    except (OSError, ValueError):
        return None


PORTAL_TEMPLATES = {
    "index": (("html", "portal-index.html.j2"), ("html", "portal.css")),
    "branch": (("html", "portal-branch.html.j2"), ("html", "portal.css")),
}


def _write_portal(
    manual: Manual,
    outputs: _Outputs,
    env: cache.Environment,
    branch_keys: dict[str, str],
    templates: Path | None,
    source_revision: str,
    change_marks: bool,
) -> None:
    """The download portal (builder.writers.portal): a page for every branch that has files,
    and index.html listing every branch. Last, as the pages show the other files' sizes; a
    page is made again only when its branch's record or sources, its files or its templates
    changed, and written only when its bytes differ."""

    from builder.writers import portal

    root = outputs.root
    built = []
    for branch, listing in portal_listing(manual, root):
        built.append((branch, bool(listing)))
        if not listing:
            continue
        comparison = comparison_summary(root / branch.id)
        # A PDF's hash too: signing or unsigning it changes the page (已签名), not always the size
        pdfs = {
            rel: entry.sha256
            for rel in listing
            if rel.endswith(".pdf") and (entry := outputs.files.get(f"{branch.id}/{rel}"))
        }
        digest = cache.digest_of(
            (branch_keys[branch.id], sorted(listing.items()), comparison, sorted(pdfs.items()))
        )
        key = env.key("portal", "branch", PORTAL_TEMPLATES["branch"], (), digest)

        def render(branch_id=branch.id, listing=listing, comparison=comparison):
            from builder.document.resolve import resolve
            from builder.release.sign import pdf_signer

            document = resolve(
                manual, branch_id, source_revision=source_revision, change_marks=change_marks
            )
            folder = root / branch_id
            signers = {rel: pdf_signer(folder / rel) for rel in listing if rel.endswith(".pdf")}
            return portal.branch_page_html(
                document, listing, templates, comparison=comparison, signers=signers
            )

        outputs.refresh(
            f"{branch.id}/index.html",
            key,
            branch_keys[branch.id],
            lambda target, render=render: portal.write_if_changed(target, render()),
            unlink=False,
        )

    digest = cache.digest_of(
        (manual.meta.model_dump_json(), [(b.model_dump_json(), ok) for b, ok in built])
    )
    key = env.key("portal", "index", PORTAL_TEMPLATES["index"], (), digest)
    outputs.refresh(
        "index.html",
        key,
        "",
        lambda target: portal.write_if_changed(
            target, portal_index_html(manual, built, templates, source_revision, change_marks)
        ),
        unlink=False,
    )


def portal_listing(manual: Manual, root: Path) -> list[tuple]:
    """Every branch, in branches.yaml's order, with the files of its folder under `root`
    (POSIX path → size; its own page left out), which are what its page may link."""
    found = []
    for branch in manual.branches.branches:
        folder = root / branch.id
        listing = {}
        if folder.is_dir() and not folder.is_symlink():
            listing = {
                p.relative_to(folder).as_posix(): p.stat().st_size
                for p in sorted(folder.rglob("*"))
                if p.is_file()
                and not p.is_symlink()
                and p.relative_to(folder).as_posix() != "index.html"
            }
        found.append((branch, listing))
    return found


def portal_index_html(
    manual: Manual,
    built: list[tuple],
    templates: Path | None,
    source_revision: str,
    change_marks: bool = True,
) -> str:
    """index.html of the portal: the manual, and every branch with whether it has a page."""
    from builder.document import script as scripts
    from builder.document.resolve import resolve
    from builder.writers import portal

    simplified = [b.id for b in manual.branches.branches if not scripts.is_traditional(b.script)]
    meta = resolve(
        manual,
        (simplified or manual.branch_ids)[0],
        source_revision=source_revision,
        change_marks=change_marks,
    ).meta
    # The index is in the manual's script; each Traditional branch's name in its own (and
    # found by the filter box in both).
    own = {}
    for branch, _ in built:
        convert = scripts.converter(
            branch.script, scripts.glossary_for(branch.script, manual.meta.glossary)
        )
        if convert is not None:
            own[branch.id] = {
                "lang": scripts.lang_tag(branch.script),
                **{k: convert.convert(getattr(branch, k)) for k in ("name", "region", "kind")},
            }
    return portal.index_html(meta, built, templates, own)


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
    folders = sorted(
        {parent for p in removed for parent in p.parents if parent != Path(".")},
        key=lambda p: len(p.parts),
        reverse=True,
    )
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
