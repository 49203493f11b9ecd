#!/usr/bin/env python3
"""The handbook builder's benchmark (`make bench`); see bench/README.md.

Scales the bundled manual (manual_src/) to N branches, times the builder on it and, in the same
run, the baselines it is compared with, then prints one JSON line per measurement on stdout and
a final "summary" line with every target (measured value, target, pass/fail). Progress and a
readable table go to stderr.

Every timed command runs as a subprocess with HANDBOOK_SOURCE_REVISION=bench; wall time is
time.perf_counter() around it. Memory: see TreeSampler and run().

Standard library only, plus what the project's venv has (PyYAML, pypdf); run it with the venv's
Python (`make bench` does).
"""
from __future__ import annotations

import argparse
import copy
import re
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "worker.py"
ALL_FORMATS = ("docx", "pdf", "html", "xlsx")
GROUPS = ("renderers", "check", "full", "incremental", "pagination", "speedup", "pdf", "soffice",
          "pandoc", "import", "collect", "sign", "pdfcost")
SIGN_BRANCHES = 6
CLAUSE_SUFFIX = "（基准测试修订）"
EDITED_MANAGER = "基准测试负责人"
RSS_METHOD = (
    "peak_rss_largest_process_mb: the largest single process of the command's tree, exact "
    "(os.wait4 ru_maxrss, which covers every reaped descendant, and /proc/<pid>/status VmHWM of "
    "every process seen); peak_rss_tree_sum_mb: the largest sum of VmRSS over the whole process "
    "tree, sampled from /proc (pages shared between forked workers counted once per process, so "
    "an upper bound); peak_pss_tree_sum_mb: the largest sum of Pss (/proc/<pid>/smaps_rollup, "
    "shared pages divided among their sharers: what the tree costs the machine), sampled"
)
TARGETS_DOC = {
    "pdf_vs_weasyprint": "our PDF path ≤ 1.15 × raw WeasyPrint on the same HTML, tuned as ours "
                         "(one FontConfiguration per process, GC paused): in-process CPU medians",
    "branch_pdf_vs_soffice": "handbook PDF per branch in a build of all branches ≤ 1.0 × soffice "
                             "--convert-to pdf per handbook.docx in one batch process: CPU "
                             "seconds per document",
    "docx_vs_pandoc": "our DOCX ≤ 1.0 × pandoc handbook.html --reference-doc "
                      "templates/reference.docx, CPU seconds; cold_process: both whole "
                      "processes (ours from the YAML sources); steady_state: ours in-process "
                      "after a warm-up, pandoc less its run on an empty document",
    "noop_rebuild": "a second identical build ≤ 0.5 s, writes nothing and says 无变化",
    "check": "handbook check ≤ 0.5 s",
    "import_docx": "handbook import of the bundled manual's Word handbook (over 100 pages) ≤ 5 s",
    "branch_edit": "rebuild after editing one branch ≤ handbook build --force -b ID of that "
                   "branch + 0.5 s",
    "jobs_speedup": "full build with --jobs 2 ≥ 1.8 × faster than --jobs 1 (wall)",
    "collect": "handbook collect of 1,000 filled forms (PDF, DOCX, XLSX in turn) ≤ 30 s wall",
    "peak_memory": "peak memory of a build at the largest scale ≤ 600 MB (PSS summed over the "
                   "process tree)",
    "form_pdf_size": "the largest fillable form PDF of a full build ≤ 150 KB, signed or not "
                     "(the signed ones come from the sign group's builds)",
    "sign_overhead": "a full build of 6 branches with --sign KEY.p12 (every PDF signed, the "
                     "manifest too) ≤ 1.10 × the same build unsigned: wall seconds, fresh output "
                     "folders, the two builds alternated",
    "handbook_pdf_vs_soffice": "the sample branch's handbook PDF ≤ 1.5 × soffice --convert-to "
                               "pdf of our own handbook.docx: CPU seconds, ours in-process "
                               "(renderers), soffice one process for the one file (issue 20)",
    "branch_pdfs_vs_soffice": "every PDF of the sample branch (handbook and forms: handbook build "
                              "-b ID -f pdf --force --jobs 1) ≤ 1.5 × one soffice process "
                              "converting the branch's DOCX files: CPU seconds (issue 20)",
    "clause_edit_pdf": "after a one-clause edit, republishing every branch's PDF (handbook build "
                       "-f pdf) ≤ 0.15 × a forced full PDF build of the same branches: wall "
                       "seconds (issue 20)",
    "pagination_vs_soffice": "filling the Word contents' page numbers (LibreOffice's layout) per "
                             "branch in a build of all branches ≤ 1.0 × soffice --convert-to pdf "
                             "per handbook.docx in one batch process: CPU seconds per document",
}


# -- output ---------------------------------------------------------------------------------

RECORDS: list[dict] = []
ERRORS: list[str] = []


def emit(record: dict) -> dict:
    RECORDS.append(record)
    print(json.dumps(record, ensure_ascii=False), flush=True)
    return record


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rounded(value, digits: int = 3):
    return None if value is None else round(value, digits)


def loadavg() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# -- running a command: wall time, CPU time, memory of the whole process tree ----------------

def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(name))
    return children


def _status_kb(pid: int) -> dict[str, int]:
    found = {}
    try:
        with open(f"/proc/{pid}/status", "rb") as stream:
            for line in stream:
                if line.startswith((b"VmRSS:", b"VmHWM:")):
                    key, value = line.split(b":", 1)
                    found[key.decode()] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as stream:
            for line in stream:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants from /proc every `interval` seconds: the
    largest VmHWM of any process seen, the largest sum of VmRSS, and (every `pss_every`-th
    sample, as it costs more to read) the largest sum of Pss."""

    def __init__(self, pid: int, interval: float, pss_every: int = 4):
        super().__init__(daemon=True)
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.hwm_kb = self.rss_sum_kb = self.pss_sum_kb = 0
        self.samples = 0
        self.max_processes = 0
        self.has_pss = os.path.exists("/proc/self/smaps_rollup")
        self._halt = threading.Event()

    def tree(self) -> list[int]:
        children = _children_map()
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, ()))
        return pids

    def run(self) -> None:
        while True:
            pids = self.tree()
            rss = 0
            for pid in pids:
                status = _status_kb(pid)
                rss += status.get("VmRSS", 0)
                self.hwm_kb = max(self.hwm_kb, status.get("VmHWM", 0))
            self.rss_sum_kb = max(self.rss_sum_kb, rss)
            if self.has_pss and self.samples % self.pss_every == 0:
                self.pss_sum_kb = max(self.pss_sum_kb, sum(_pss_kb(pid) for pid in pids))
            self.max_processes = max(self.max_processes, len(pids))
            self.samples += 1
            if self._halt.wait(self.interval):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Run:
    argv: list[str]
    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float  # user + system of the command and its reaped descendants
    largest_process_kb: int
    rss_tree_sum_kb: int
    pss_tree_sum_kb: int | None
    max_processes: int
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def memory(self) -> dict:
        return {
            "peak_rss_largest_process_mb": round(self.largest_process_kb / 1024, 1),
            "peak_rss_tree_sum_mb": round(self.rss_tree_sum_kb / 1024, 1),
            "peak_pss_tree_sum_mb": (None if self.pss_tree_sum_kb is None
                                     else round(self.pss_tree_sum_kb / 1024, 1)),
            "max_processes": self.max_processes,
        }

    def brief(self) -> dict:
        """What goes into a JSON line about this run."""
        data = {"wall_s": rounded(self.wall_s), "cpu_s": rounded(self.cpu_s, 2), **self.memory(),
                "exit_code": self.returncode, "command": " ".join(self.argv)}
        last = (self.stdout.strip().splitlines() or [""])[-1]
        if last:
            data["message"] = last[:300]
        if not self.ok:
            data["error"] = ("timed out; " if self.timed_out else "") + self.stderr.strip()[-1500:]
        return data


class Runner:
    def __init__(self, env: dict, timeout: float, interval: float):
        self.env, self.timeout, self.interval = env, timeout, interval

    def __call__(self, argv: list[str], *, sample: bool = True) -> Run:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    env=self.env, cwd=ROOT, start_new_session=True)
            sampler = TreeSampler(proc.pid, self.interval) if sample else None
            if sampler:
                sampler.start()
            timed_out = threading.Event()

            def kill() -> None:  # only the process group this run started
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(self.timeout, kill)
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:  # Ctrl-C: the command runs in its own session, so end it too
                timer.cancel()
                kill()
                os.waitpid(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
                if sampler:
                    sampler.stop()
                raise
            wall = time.perf_counter() - start
            timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
            if sampler:
                sampler.stop()
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        hwm = sampler.hwm_kb if sampler else 0
        return Run(
            argv=[str(a) for a in argv], wall_s=wall, returncode=proc.returncode, stdout=stdout,
            stderr=stderr,
            cpu_s=usage.ru_utime + usage.ru_stime,
            largest_process_kb=max(usage.ru_maxrss, hwm),  # ru_maxrss is in kB on Linux
            rss_tree_sum_kb=sampler.rss_sum_kb if sampler else 0,
            pss_tree_sum_kb=(sampler.pss_sum_kb if sampler and sampler.has_pss else None),
            max_processes=sampler.max_processes if sampler else 0,
            timed_out=timed_out.is_set(),
        )


# -- the scaled manual ----------------------------------------------------------------------

def dump_yaml(path: Path, data, header: str = "") -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096,
                          default_flow_style=False)
    path.write_text(header + text, encoding="utf-8")


def scale_sources(src: Path, dest: Path, n: int) -> list[str]:
    """Copy `src` to `dest` with N branches: the bundled ones in turn, each copy with a new id
    (hq-001, beijing-002, …) and name (瀚川科技总部 001, 北京分公司 002, …) and every other
    field of the record it copies (kind, flags, approval chain, values, script). So the scaled
    manual has the same mix of document variants as the bundled one (one 总部 in six)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    data = yaml.safe_load((src / "branches.yaml").read_text(encoding="utf-8"))
    bundled = data["branches"]
    width = max(3, len(str(n)))
    branches = []
    for i in range(1, n + 1):
        record = copy.deepcopy(bundled[(i - 1) % len(bundled)])
        record["id"] = f"{record['id']}-{i:0{width}d}"
        record["name"] = f"{record['name']} {i:0{width}d}"
        if record.get("name_en"):
            record["name_en"] = f"{record['name_en']} {i:0{width}d}"
        branches.append(record)
    data["branches"] = branches
    dump_yaml(dest / "branches.yaml", data,
              f"# Generated by bench/bench.py: {n} branches cycling the {len(bundled)} "
              "bundled ones.\n")
    return [b["id"] for b in branches]


def edit_one_branch(src: Path, branch_id: str) -> dict:
    """Change one branch's manager in branches.yaml (the rest of the file stays byte-identical)."""
    path = src / "branches.yaml"
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text)
    record = next(b for b in data["branches"] if b["id"] == branch_id)
    before = record["manager"]
    record["manager"] = EDITED_MANAGER if before != EDITED_MANAGER else EDITED_MANAGER + "乙"
    dump_yaml(path, data, header)
    return {"file": "branches.yaml", "branch": branch_id, "field": "manager", "old": before,
            "new": record["manager"]}


def _map_get(node, key: str):
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _find_clause(node, avoid: set[str]):
    """The first clause under `node` that every branch's copy has (no when/unless on it or
    above it), that no form names as its clause, whose text is a one-line plain scalar."""
    if not isinstance(node, yaml.MappingNode):
        return None
    if _map_get(node, "when") is not None or _map_get(node, "unless") is not None:
        return None
    ident, text = _map_get(node, "id"), _map_get(node, "text")
    if (isinstance(text, yaml.ScalarNode) and text.style is None and text.value
            and text.start_mark.line == text.end_mark.line and ident is not None
            and ident.value not in avoid):
        return ident.value, text
    for key in ("sections", "clauses"):
        children = _map_get(node, key)
        if isinstance(children, yaml.SequenceNode):
            for child in children.value:
                found = _find_clause(child, avoid)
                if found:
                    return found
    return None


def edit_one_clause(src: Path) -> dict:
    """Append a few words to the text of one clause in a chapter file: a real change of every
    branch's handbook that no form shows (a form prints its clause's number and title only)."""
    avoid = set()
    for path in (src / "forms").glob("*.yaml"):
        form = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if form.get("clause"):
            avoid.add(form["clause"])
    for path in sorted((src / "chapters").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found = _find_clause(yaml.compose(text), avoid)
        if not found:
            continue
        clause_id, node = found
        at = node.end_mark.index
        path.write_text(text[:at] + CLAUSE_SUFFIX + text[at:], encoding="utf-8")
        return {"file": f"chapters/{path.name}", "clause": clause_id,
                "line": node.start_mark.line + 1, "appended": CLAUSE_SUFFIX}
    raise RuntimeError("no clause suitable for the one-clause edit found in chapters/")


# -- output folders -------------------------------------------------------------------------

def remove_output(out: Path) -> None:
    """Delete an output folder and the PDF handbook parts kept beside it
    (builder.writers.pdf.parts.PartStore.beside: `.<name>.parts`), so that the next build into
    it starts from nothing, as a fresh output folder is meant to."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / f".{out.name}.parts", ignore_errors=True)


BOOKKEEPING = {"manifest.json", ".handbook-cache.json"}


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every output file (not manifest.json or the cache state) → (inode, mtime_ns, size)."""
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if relative in BOOKKEEPING:
                continue
            st = path.lstat()
            files[relative] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return files


def touched(before: dict, after: dict) -> dict:
    """Output files written (new, or another inode, mtime or size) and removed between two
    snapshots."""
    written = sorted(p for p, s in after.items() if before.get(p) != s)
    removed = sorted(p for p in before if p not in after)
    return {"files_written": len(written), "files_removed": len(removed),
            "written_sample": written[:5]}


def count_pdf_pages(root: Path) -> dict:
    from pypdf import PdfReader

    handbook = forms = files = 0
    for path in sorted(root.rglob("*.pdf")):
        pages = len(PdfReader(str(path)).pages)
        files += 1
        if path.name == "handbook.pdf":
            handbook += pages
        else:
            forms += pages
    return {"pdf_files": files, "pdf_pages": handbook + forms, "pdf_pages_handbooks": handbook,
            "pdf_pages_forms": forms}


# -- the benchmark --------------------------------------------------------------------------

@dataclass
class Plan:
    scales: list[int]
    full_at: list[int]
    pdf_at: list[int]
    full_formats: list[str]
    jobs: int
    speedup_branches: int
    speedup_jobs: int
    reps: int
    baseline_runs: int
    soffice_batch: int
    sample_branch: str | None
    groups: set[str]
    workdir: Path
    handbook: list[str]
    keep: bool = False  # --keep: leave every output folder in place
    sign_runs: int = 4  # unsigned and signed full builds, alternated ABBA, each this often
    code: str = ""  # code_fingerprint() when the run started
    cli_jobs: bool = True
    cli_force: bool = True
    cli_pages: bool = True  # handbook build has --no-docx-page-numbers


def code_fingerprint() -> str:
    """A hash of the builder's code and templates: the build cache keys on them, so a change
    during a run (someone editing builder/) turns rebuilds into full builds; the summary says so."""
    import hashlib

    digest = hashlib.sha256()
    for folder in (ROOT / "builder", ROOT / "templates"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                name = path.relative_to(ROOT).as_posix().encode()
                digest.update(name + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def handbook_command() -> list[str]:
    script = Path(sys.executable).parent / "handbook"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "builder"]


def version_of(argv: list[str], env: dict) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
        return (out.stdout.strip().splitlines() or [None])[0]
    except (OSError, subprocess.SubprocessError):
        return None


def build_argv(plan: Plan, src: Path, out: Path, formats: list[str], jobs: int | None,
               *extra: str) -> list[str]:
    argv = [*plan.handbook, "build", "--src", str(src), "--out", str(out), "-q"]
    if jobs is not None and plan.cli_jobs:
        argv += ["--jobs", str(jobs)]
    for fmt in formats:
        argv += ["-f", fmt]
    return argv + list(extra)


def failed(record: dict, run: Run) -> bool:
    if not run.ok:
        ERRORS.append(f"{record['measure']} ({record.get('branches')} branches): "
                      f"exit {run.returncode}")
        record["ok"] = False
        say(f"  FAILED: {run.stderr.strip()[-500:]}")
        return True
    record["ok"] = True
    return False


def measure_check(plan: Plan, runner: Runner, src: Path, n: int) -> None:
    argv = [*plan.handbook, "check", "--src", str(src)]
    say(f"check: {n} branches")
    runner(argv, sample=False)  # warm-up (file cache, .pyc)
    runs = [runner(argv) for _ in range(3)]
    record = {"measure": "check", "branches": n, "runs": 3, "loadavg_1m": loadavg(),
              "wall_s_runs": [rounded(r.wall_s) for r in runs],
              "wall_s": rounded(statistics.median(r.wall_s for r in runs)),
              **runs[0].memory(), "command": " ".join(runs[0].argv),
              "message": runs[-1].stdout.strip()[:300]}
    bad = next((r for r in runs if not r.ok), None)
    failed(record, bad or runs[0])
    emit(record)


def measure_import(plan: Plan, runner: Runner, src: Path, branch: str) -> None:
    """handbook import of a built handbook.docx (the bundled manual, over 100 pages)."""
    out = plan.workdir / "import-docx"
    build = runner([*plan.handbook, "build", "--src", str(src), "-b", branch, "-f", "docx",
                    "--out", str(out)], sample=False)
    docx = out / branch / "handbook.docx"
    record = {"measure": "import_docx", "branch": branch, "runs": 3, "loadavg_1m": loadavg()}
    if not build.ok or not docx.exists():
        failed(record, build)
        emit(record)
        return
    say(f"import: {docx}")
    argv = [*plan.handbook, "import", str(docx), "--out", str(plan.workdir / "imported"),
            "--force"]
    runs = [runner(argv) for _ in range(3)]
    record.update(wall_s_runs=[rounded(r.wall_s) for r in runs],
                  wall_s=rounded(statistics.median(r.wall_s for r in runs)),
                  cpu_s=rounded(statistics.median(r.cpu_s for r in runs)),
                  docx_bytes=docx.stat().st_size, command=" ".join(runs[0].argv),
                  message=runs[-1].stdout.strip()[:300])
    bad = next((r for r in runs if not r.ok), None)
    failed(record, bad or runs[0])
    emit(record)


def build_record(measure: str, n: int, formats: list[str], jobs: int | None, plan: Plan,
                 **extra) -> dict:
    return {"measure": measure, "branches": n, "formats": formats,
            "jobs": jobs if plan.cli_jobs else None, "loadavg_1m": loadavg(), **extra}


def measure_full_and_incremental(plan: Plan, runner: Runner, src: Path, n: int,
                                 branch_ids: list[str]) -> None:
    formats = plan.full_formats
    out = plan.workdir / f"out-full-{n}"
    remove_output(out)
    argv = build_argv(plan, src, out, formats, plan.jobs)

    say(f"full build: {n} branches, formats {','.join(formats)}, jobs {plan.jobs} "
        "(fresh output folder)")
    record = build_record("full_build", n, formats, plan.jobs, plan, fresh_output=True)
    code = code_fingerprint()
    run = runner(argv)
    record.update(run.brief())
    if failed(record, run):
        emit(record)
        return
    record["files"] = len(snapshot(out))
    record.update(count_pdf_pages(out))
    record["pdf_pages_per_s"] = rounded(record["pdf_pages"] / run.wall_s, 2)
    record["wall_s_per_branch"] = rounded(run.wall_s / n)
    record["cpu_s_per_branch"] = rounded(run.cpu_s / n, 2)
    emit(record)
    emit_form_pdf_sizes(out, n)

    if "incremental" not in plan.groups:
        return
    if not plan.cli_force:
        emit({"measure": "incremental", "branches": n, "ok": None,
              "skipped": "handbook build has no --force: no incremental build to measure"})
        return
    measure_incremental(plan, runner, src, n, branch_ids, out, code)


def emit_form_pdf_sizes(out: Path, n: int) -> None:
    """The sizes of the fillable form PDFs a full build wrote (every branch's forms/*.pdf)."""
    sizes = sorted(p.stat().st_size for p in out.glob("*/forms/*.pdf"))
    if not sizes:
        return
    emit({"measure": "form_pdf_sizes", "branches": n, "ok": True, "files": len(sizes),
          "min_kb": rounded(sizes[0] / 1024, 1), "median_kb": rounded(sizes[len(sizes) // 2] / 1024, 1),
          "max_kb": rounded(sizes[-1] / 1024, 1)})


def measure_incremental(plan: Plan, runner: Runner, src: Path, n: int, branch_ids: list[str],
                        out: Path, code: str) -> None:
    """The rebuilds after the full build into `out` (built with the code fingerprint `code`)."""
    formats = plan.full_formats
    argv = build_argv(plan, src, out, formats, plan.jobs)
    last_code = [code]

    def rebuild(measure: str, argv_: list[str], **extra) -> tuple[dict, Run]:
        before = snapshot(out)
        rec = build_record(measure, n, formats, plan.jobs, plan, **extra)
        now = code_fingerprint()
        # The cache keys on the builder's code: if someone edited builder/ since the last
        # build, this one rebuilds everything, and says nothing about incremental builds.
        rec["code_changed_since_last_build"] = now != last_code[0]
        last_code[0] = now
        r = runner(argv_)
        rec.update(r.brief())
        if not failed(rec, r):
            rec.update(touched(before, snapshot(out)))
        return rec, r

    say(f"no-op rebuild: {n} branches")
    rec, r = rebuild("noop_rebuild", argv)
    if r.ok:
        rec["says_no_change"] = "无变化" in r.stdout
    emit(rec)

    edit = edit_one_clause(src)
    say(f"one-clause edit: {edit['clause']} in {edit['file']}")
    rec, r = rebuild("clause_edit", argv, edit=edit)
    if r.ok:
        handbooks = [f for f in formats if f in ("docx", "pdf", "html")]
        rec["expected_files"] = f"{n} branches × handbook {handbooks}"
    emit(rec)

    branch = branch_ids[len(branch_ids) // 2]
    edit = edit_one_branch(src, branch)
    say(f"one-branch edit: manager of {branch}")
    rec, _ = rebuild("branch_edit", argv, edit=edit)
    emit(rec)

    say(f"reference: handbook build --force -b {branch}")
    forced = build_argv(plan, src, out, formats, plan.jobs, "--force", "-b", branch)
    rec, _ = rebuild("branch_force_build", forced, branch=branch)
    emit(rec)


def paginated_handbooks(out: Path) -> tuple[int, int]:
    """(handbook.docx files, those whose every contents entry shows a page number)."""
    import re
    import zipfile

    files = sorted(out.glob("*/handbook.docx"))
    numbered = 0
    for path in files:
        with zipfile.ZipFile(path) as package:
            xml = package.read("word/document.xml").decode("utf-8")
        # a PAGEREF's result is the first w:t after its instruction
        results = re.findall(r"PAGEREF .*?<w:t(?: [^>]*)?(?:/>|>([^<]*)</w:t>)", xml)
        numbered += bool(results) and all(r.isdigit() for r in results)
    return len(files), numbered


def measure_pagination(plan: Plan, runner: Runner, src: Path, n: int) -> None:
    """What the page numbers of the Word contents cost: the DOCX of every branch (handbooks and
    forms) built fresh without them, then with them (LibreOffice lays out each handbook.docx,
    one soffice process per worker); the difference, per branch."""
    if not plan.cli_pages:
        emit({"measure": "docx_pagination", "branches": n, "ok": None,
              "skipped": "handbook build has no --no-docx-page-numbers"})
        return
    record = build_record("docx_pagination", n, ["docx"], plan.jobs, plan, fresh_output=True)
    runs = {}
    for label, flag in (("without", "--no-docx-page-numbers"), ("with", "--docx-page-numbers")):
        out = plan.workdir / f"out-pages-{n}-{label}"
        remove_output(out)
        say(f"Word contents' page numbers: {n} branches, -f docx {flag}, jobs {plan.jobs}")
        run = runner(build_argv(plan, src, out, ["docx"], plan.jobs, flag))
        if failed(record, run):
            emit(record)
            return
        runs[label] = run
        record[f"{label}_wall_s"] = rounded(run.wall_s)
        record[f"{label}_cpu_s"] = rounded(run.cpu_s, 2)
        if label == "with":
            record.update(run.memory())
            record["handbooks"], record["handbooks_numbered"] = paginated_handbooks(out)
            record["command"] = " ".join(run.argv)
        if not plan.keep:
            remove_output(out)
    record["wall_s_per_branch"] = rounded((runs["with"].wall_s - runs["without"].wall_s) / n)
    record["cpu_s_per_branch"] = rounded((runs["with"].cpu_s - runs["without"].cpu_s) / n, 2)
    if record["handbooks_numbered"] != record["handbooks"]:
        missing = record["handbooks"] - record["handbooks_numbered"]
        ERRORS.append(f"docx_pagination: {missing} handbook.docx without contents page numbers")
        record["ok"] = False
    emit(record)


def measure_speedup(plan: Plan, runner: Runner) -> None:
    n = plan.speedup_branches
    src = plan.workdir / f"src-speedup-{n}"
    scale_sources(ROOT / "manual_src", src, n)
    if not plan.cli_jobs:
        emit({"measure": "full_build_jobs", "branches": n, "ok": None,
              "skipped": "handbook build has no --jobs"})
        return
    for jobs in (1, plan.speedup_jobs):
        out = plan.workdir / f"out-speedup-{n}-j{jobs}"
        remove_output(out)
        say(f"full build for the --jobs speed-up: {n} branches, formats "
            f"{','.join(plan.full_formats)}, jobs {jobs}")
        record = build_record("full_build_jobs", n, plan.full_formats, jobs, plan,
                              fresh_output=True)
        force = ["--force"] if plan.cli_force else []
        run = runner(build_argv(plan, src, out, plan.full_formats, jobs, *force))
        record.update(run.brief())
        if not failed(record, run):
            record["files"] = len(snapshot(out))
            record["cpu_s_per_branch"] = rounded(run.cpu_s / n, 2)
        emit(record)
        if not plan.keep:
            remove_output(out)


def make_signing_key(folder: Path) -> Path:
    """A throwaway CA and signer (cryptography, which pyHanko brings): folder/KEY.p12, password
    'bench'."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)

    def cert(name, issuer, public, private, ca):
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(public).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=36500))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(private, hashes.SHA256()))

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = cert("基准测试根证书", "基准测试根证书", ca_key.public_key(), ca_key, True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = cert("基准测试电子签章", "基准测试根证书", key.public_key(), ca_key, False)
    target = folder / "KEY.p12"
    target.write_bytes(pkcs12.serialize_key_and_certificates(
        b"bench", key, signer, [ca], serialization.BestAvailableEncryption(b"bench")))
    return target


def measure_sign(plan: Plan, runner: Runner) -> None:
    """Full builds of SIGN_BRANCHES branches, unsigned and with --sign, alternated (runs each)."""
    n = SIGN_BRANCHES
    src = plan.workdir / f"src-sign-{n}"
    scale_sources(ROOT / "manual_src", src, n)
    p12 = make_signing_key(plan.workdir / "sign-key")
    runner.env["HANDBOOK_SIGN_PASSWORD"] = "bench"  # the environment of the timed commands
    runs = plan.sign_runs
    for i in range(runs):
        # ABBA order (unsigned, signed, signed, unsigned, …): a machine that slows down or
        # speeds up during the run weighs on both sides alike
        for signed in (False, True) if i % 2 == 0 else (True, False):
            out = plan.workdir / f"out-sign-{n}-{'signed' if signed else 'plain'}"
            remove_output(out)
            say(f"full build {'with' if signed else 'without'} --sign: {n} branches, formats "
                f"{','.join(plan.full_formats)}, jobs {plan.jobs} (run {i + 1} of {runs})")
            extra = ["--sign", str(p12)] if signed else []
            record = build_record("sign_build", n, plan.full_formats, plan.jobs, plan,
                                  signed=signed, run=i + 1, fresh_output=True)
            run = runner(build_argv(plan, src, out, plan.full_formats, plan.jobs, *extra))
            record.update(run.brief())
            if not failed(record, run):
                pdfs = list(out.rglob("*.pdf"))
                record["pdfs"] = len(pdfs)
                record["signed_pdfs"] = sum(b"/ByteRange" in p.read_bytes() for p in pdfs)
                record["manifest_signed"] = (out / "manifest.json.p7s").is_file()
                forms = [p.stat().st_size for p in out.glob("*/forms/*.pdf")]
                record["max_form_pdf_kb"] = rounded(max(forms, default=0) / 1024, 1)
            emit(record)
            if not plan.keep:
                remove_output(out)


def measure_branch_pdfs(plan: Plan, runner: Runner, src: Path, branch: str) -> None:
    """Every PDF of one branch (its handbook and forms), ours against LibreOffice's: `handbook
    build -b ID -f pdf --force --jobs 1`, one process, against one soffice process converting
    the DOCX files the same build writes for that branch (handbook.docx and forms/*.docx)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    work = plan.workdir / "branch-pdfs"
    record = baseline_record(plan, "branch_pdfs", soffice, SOFFICE_MISSING, branch, work,
                             f"handbook build -b {branch} -f docx")
    if record is None:
        return
    shutil.rmtree(work, ignore_errors=True)
    made = runner(build_argv(plan, src, work / "docx", ["docx"], 1, "-b", branch), sample=False)
    if failed(record, made):
        record.update(made.brief())
        emit(record)
        return
    files = sorted((work / "docx" / branch).rglob("*.docx"))
    ours_argv = build_argv(plan, src, work / "pdf", ["pdf"], 1, "--force", "-b", branch)
    say(f"every PDF of {branch}: handbook build -f pdf --force --jobs 1, against one soffice "
        f"converting its {len(files)} DOCX (1 warm-up + {plan.baseline_runs} runs each)")
    ours = baseline_runs(plan, runner, ours_argv, record)
    if ours is None:
        return
    theirs = baseline_runs(plan, runner, soffice_argv(plan, soffice, work / "soffice", *files),
                           record)
    if theirs is None:
        return
    (_, ours_runs), (_, soffice_runs) = ours, theirs
    mine, lo = stats(ours_runs), stats(soffice_runs)
    record.update({
        "documents": len(files),
        "pdfs": len(list((work / "pdf" / branch).rglob("*.pdf"))),
        "ours_cpu_s": mine["cpu_s"], "ours_cpu_s_runs": mine["cpu_s_runs"],
        "ours_wall_s": mine["wall_s"],
        "soffice_cpu_s": lo["cpu_s"], "soffice_cpu_s_runs": lo["cpu_s_runs"],
        "soffice_wall_s": lo["wall_s"],
        "ratio_cpu": rounded(ratio(mine["cpu_s"], lo["cpu_s"])),
        "how": "two cold processes, each timed as a whole (user + system of its process tree); "
               "ours also reads and checks the YAML sources",
    })
    emit(record)


def measure_clause_edit_pdf(plan: Plan, runner: Runner) -> None:
    """A forced PDF build of SIGN_BRANCHES branches (handbooks and forms), then the rebuild
    after a one-clause edit: the ratio issue 20 asks to bring to 0.15."""
    n = SIGN_BRANCHES
    src = plan.workdir / f"src-clause-pdf-{n}"
    scale_sources(ROOT / "manual_src", src, n)
    out = plan.workdir / f"out-clause-pdf-{n}"
    remove_output(out)
    say(f"forced PDF build: {n} branches, jobs {plan.jobs}")
    full = build_record("pdf_force_build", n, ["pdf"], plan.jobs, plan)
    run = runner(build_argv(plan, src, out, ["pdf"], plan.jobs, "--force"))
    full.update(run.brief())
    emit(full)
    if not run.ok:
        return
    edit = edit_one_clause(src)
    say(f"PDF rebuild after a one-clause edit: {edit['clause']} in {edit['file']}")
    before = snapshot(out)
    rec = build_record("clause_edit_pdf", n, ["pdf"], plan.jobs, plan, edit=edit)
    run = runner(build_argv(plan, src, out, ["pdf"], plan.jobs))
    rec.update(run.brief())
    if not failed(rec, run):
        rec.update(touched(before, snapshot(out)))
        rec["ratio_wall"] = rounded(ratio(rec["wall_s"], full.get("wall_s")))
    emit(rec)
    if not plan.keep:
        remove_output(out)


def measure_pdf_build(plan: Plan, runner: Runner, src: Path, n: int) -> None:
    out = plan.workdir / f"out-pdf-{n}"
    remove_output(out)
    say(f"handbook-PDF-only build: {n} branches, jobs {plan.jobs} (Python API, no forms)")
    argv = [sys.executable, str(WORKER), "pdf-build", "--src", str(src), "--out", str(out),
            "--jobs", str(plan.jobs)]
    record = {"measure": "handbook_pdf_build", "mode": "cold_process", "branches": n,
              "formats": ["pdf"], "forms": [], "jobs": plan.jobs, "loadavg_1m": loadavg(),
              "api": "builder.release.build.build_outputs(formats=['pdf'], forms=[], jobs=N)"}
    run = runner(argv)
    record.update(run.brief())
    record.pop("message", None)
    if not failed(record, run):
        info = json.loads(run.stdout.strip().splitlines()[-1])
        if not info["jobs_supported"]:
            record["jobs"] = 1
            record["note"] = "build_outputs has no jobs keyword: built in one process"
        record.update(count_pdf_pages(out))
        record["pdf_pages_per_s"] = rounded(record["pdf_pages"] / run.wall_s, 2)
        record["wall_s_per_branch"] = rounded(run.wall_s / n)
        record["cpu_s_per_branch"] = rounded(run.cpu_s / n, 2)
        record["pages_per_handbook"] = rounded(record["pdf_pages_handbooks"] / n, 1)
    emit(record)
    if not plan.keep:
        remove_output(out)


# -- the per-document comparisons -----------------------------------------------------------

PDF_HOW = (
    "one process, the same HTML string (render_html_string(doc, templates_dir(), "
    "for_print=True)); ours = builder.writers.pdf.handbook.render_book with no kept parts (what "
    "a build from nothing or --force does: every chapter, the front and the furniture laid out, "
    "then assembled); ours_whole = render_pdf, the same handbook laid out in one piece "
    "(informational); weasyprint_tuned = "
    "weasyprint.HTML(string, base_url).write_pdf(path, font_config=one FontConfiguration "
    "for the process, **ARCHIVAL) with the garbage collector paused, the two settings "
    "builder/writers/pdf.py makes, asked for the same tagged PDF/A-2b as ours "
    "(builder.writers.pdf.tags.ARCHIVAL); every timed call ends with gc.collect(); ratios of "
    "CPU seconds (time.process_time)"
)
UNTUNED_HOW = (
    "informational, the baseline before 2026-12-04: weasyprint.HTML(string, base_url)"
    ".write_pdf(path, **ARCHIVAL) with WeasyPrint's defaults (a new FontConfiguration per render, the "
    "garbage collector on), in the same process and rotation as the renderers line"
)


def stats(runs: list[Run], warm: Run | None = None) -> dict:
    """Median wall and CPU seconds (user + system of the process tree) of timed runs."""
    data = {"wall_s": rounded(statistics.median(r.wall_s for r in runs)),
            "cpu_s": rounded(statistics.median(r.cpu_s for r in runs)),
            "wall_s_runs": [rounded(r.wall_s) for r in runs],
            "cpu_s_runs": [rounded(r.cpu_s) for r in runs]}
    if warm is not None:
        data.update(warmup_s=rounded(warm.wall_s), warmup_cpu_s=rounded(warm.cpu_s))
    return data


def ratio(ours, baseline):
    return ours / baseline if ours is not None and baseline else None


def render_fields(info: dict, name: str) -> dict:
    """The medians and runs of one of the worker's renders, as `<name>_s_median` etc."""
    wall, cpu, warm = info["wall_s"][name], info["cpu_s"][name], info["warmup"][name]
    fields = {f"{name}_s_median": rounded(statistics.median(wall)),
              f"{name}_cpu_s_median": rounded(statistics.median(cpu)),
              f"{name}_s_runs": [rounded(x) for x in wall],
              f"{name}_cpu_s_runs": [rounded(x) for x in cpu],
              f"{name}_warmup": {k: rounded(v) for k, v in warm.items()}}
    if name in info["pdf_pages"]:
        fields[f"{name}_pages"] = info["pdf_pages"][name]
        fields[f"{name}_bytes"] = info["pdf_bytes"][name]
    return fields


def pdf_ratios(ours: dict, baseline: dict, name: str) -> dict:
    return {"pdf_ratio_cpu": rounded(ratio(ours["ours_pdf_cpu_s_median"],
                                           baseline[f"{name}_cpu_s_median"])),
            "pdf_ratio_wall": rounded(ratio(ours["ours_pdf_s_median"],
                                            baseline[f"{name}_s_median"]))}


def measure_renderers(plan: Plan, runner: Runner, src: Path, branch: str) -> dict | None:
    work = plan.workdir / "renderers"
    say(f"in-process: our PDF path vs raw WeasyPrint (tuned as ours, and untuned), our DOCX "
        f"writer; branch {branch}, 1 warm-up + {plan.reps} repetitions")
    argv = [sys.executable, str(WORKER), "renderers", "--src", str(src), "--branch", branch,
            "--reps", str(plan.reps), "--workdir", str(work)]
    record = {"measure": "renderers", "mode": "steady_state", "branch": branch,
              "reps": plan.reps, "loadavg_1m": loadavg()}
    run = runner(argv)
    if failed(record, run):
        record.update(run.brief())
        emit(record)
        return None
    info = json.loads(run.stdout.strip().splitlines()[-1])
    ours = render_fields(info, "ours_pdf")
    tuned = render_fields(info, "weasyprint_tuned")
    untuned = render_fields(info, "weasyprint_untuned")
    whole = render_fields(info, "ours_whole_pdf")
    record.update({
        **ours, **tuned, **pdf_ratios(ours, tuned, "weasyprint_tuned"), **whole,
        **render_fields(info, "docx"),
        "pdf_pages_per_s": rounded(ours["ours_pdf_pages"] / ours["ours_pdf_s_median"], 2),
        "pdf_pages_per_cpu_s": rounded(ours["ours_pdf_pages"] / ours["ours_pdf_cpu_s_median"], 2),
        "how": PDF_HOW, "wall_s_worker": rounded(run.wall_s), "cpu_s_worker": rounded(run.cpu_s),
        **run.memory(),
    })
    emit(record)
    emit({"measure": "weasyprint_untuned", "mode": "steady_state", "informational": True,
          "branch": branch, "reps": plan.reps, "loadavg_1m": record["loadavg_1m"], "ok": True,
          **untuned, **pdf_ratios(ours, untuned, "weasyprint_untuned"), "how": UNTUNED_HOW})
    return info


def sample_files(plan: Plan, runner: Runner, src: Path, branch: str,
                 renderers: dict | None) -> tuple[Path, Path, str]:
    """The branch's handbook.docx and handbook.html, as the in-process worker wrote them: the
    same bytes as a build's output/<branch>/handbook.* (builds are reproducible), written from
    the scaled sources before any edit."""
    if renderers is None:
        work = plan.workdir / "renderers"
        run = runner([sys.executable, str(WORKER), "sample", "--src", str(src), "--branch", branch,
                      "--workdir", str(work)], sample=False)
        if not run.ok:
            raise RuntimeError(f"bench/worker.py sample failed: {run.stderr.strip()[-1500:]}")
        renderers = {"docx": str(work / "handbook.docx"), "html": str(work / "handbook.html")}
    return (Path(renderers["docx"]), Path(renderers["html"]), "written in-process by "
            "bench/worker.py (same bytes as a build: builds are reproducible)")


def baseline_runs(plan: Plan, runner: Runner, argv: list[str], record: dict):
    """One warm-up, then plan.baseline_runs timed runs of a baseline command: (warm-up, runs),
    or None (the failure emitted) when any run failed."""
    warm = runner(argv, sample=False)
    runs = [runner(argv) for _ in range(plan.baseline_runs)] if warm.ok else [warm]
    bad = next((r for r in runs if not r.ok), None)
    if failed(record, bad or runs[0]):
        record.update((bad or runs[0]).brief())
        emit(record)
        return None
    return warm, runs


def baseline_record(plan: Plan, measure: str, tool: str | None, missing: str, branch: str,
                    source: Path, origin: str) -> dict | None:
    """The record of a baseline measure, or None (and a "skipped" record emitted) without its
    tool. Every baseline command is a process of its own: mode cold_process."""
    record = {"measure": measure, "mode": "cold_process", "branch": branch, "input": str(source),
              "input_from": origin, "runs": plan.baseline_runs, "loadavg_1m": loadavg()}
    if not tool:
        emit({**record, "ok": None, "skipped": missing})
        return None
    return record


def largest_memory(runs: list[Run]) -> dict:
    return max((r.memory() for r in runs), key=lambda m: m["peak_rss_largest_process_mb"])


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


SOFFICE_MISSING = ("soffice not found (tools/system-deps.sh --bench installs "
                   "libreoffice-writer-nogui)")


def soffice_argv(plan: Plan, soffice: str, outdir: Path, *files: Path) -> list[str]:
    """soffice with the run's private profile (created by the first run, then reused)."""
    profile = (plan.workdir / "soffice" / "profile").as_uri()
    return [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
            "--outdir", str(outdir), *map(str, files)]


def measure_soffice(plan: Plan, runner: Runner, docx: Path, branch: str,
                    origin: str) -> dict | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    record = baseline_record(plan, "soffice_docx_to_pdf", soffice, SOFFICE_MISSING, branch, docx,
                             origin)
    if record is None:
        return None
    work = plan.workdir / "soffice"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    argv = soffice_argv(plan, soffice, work / "pdf", docx)
    say(f"baseline: soffice --headless --convert-to pdf of {branch}'s handbook.docx "
        f"(1 warm-up creating the private profile + {plan.baseline_runs} runs)")
    record["version"] = version_of([*argv[:2], "--version"], runner.env)
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    record.update({
        **stats(runs, warm), "pdf_pages": pdf_pages(work / "pdf" / (docx.stem + ".pdf")),
        "command": " ".join(runs[0].argv), **largest_memory(runs),
        "how": "each run a fresh soffice process with a private, already created profile (as a "
               "per-branch pipeline pays it); cpu_s: user + system of its process tree",
    })
    emit(record)
    return record


def measure_soffice_batch(plan: Plan, runner: Runner, src: Path, ids: list[str]) -> dict | None:
    """One soffice process converting the handbook.docx of several branches, as a user
    converting a batch would: process start and profile paid once for them all."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    branches = ids[:plan.soffice_batch]
    work = plan.workdir / "soffice-batch"
    record = baseline_record(plan, "soffice_docx_to_pdf_batch", soffice, SOFFICE_MISSING,
                             branches[0], work, f"bench/worker.py docx-many of {len(branches)} "
                             "branches (each as its build's handbook.docx)")
    if record is None or not branches:
        return None
    record.update(branches=branches, documents=len(branches))
    shutil.rmtree(work, ignore_errors=True)
    made = runner([sys.executable, str(WORKER), "docx-many", "--src", str(src), "--branches",
                   ",".join(branches), "--workdir", str(work / "docx")], sample=False)
    if failed(record, made):
        record.update(made.brief())
        emit(record)
        return None
    files = [Path(p) for p in json.loads(made.stdout.strip().splitlines()[-1])["docx"]]
    argv = soffice_argv(plan, soffice, work / "pdf", *files)
    say(f"baseline: one soffice --convert-to pdf of {len(files)} handbook.docx "
        f"(1 warm-up + {plan.baseline_runs} runs)")
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    record.update(stats(runs, warm))
    record.update({
        "wall_s_per_document": rounded(record["wall_s"] / len(files)),
        "cpu_s_per_document": rounded(record["cpu_s"] / len(files)),
        "pdf_pages": sum(pdf_pages(work / "pdf" / (f.stem + ".pdf")) for f in files),
        "command": " ".join(runs[0].argv), **largest_memory(runs),
        "how": "one soffice process converting every file named on its command line, one after "
               "the other, with the private profile of soffice_docx_to_pdf",
    })
    emit(record)
    return record


PANDOC_EMPTY = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title></title></head>'
                "<body></body></html>\n")


def measure_pandoc(plan: Plan, runner: Runner, html: Path, branch: str,
                   origin: str) -> dict | None:
    pandoc = shutil.which("pandoc")
    record = baseline_record(plan, "pandoc_html_to_docx", pandoc, "pandoc not found "
                             "(tools/system-deps.sh --bench installs it)", branch, html, origin)
    if record is None:
        return None
    work = plan.workdir / "pandoc"
    work.mkdir(parents=True, exist_ok=True)
    reference = ROOT / "templates" / "reference.docx"
    argv = [pandoc, str(html), "--reference-doc", str(reference), "-o", str(work / "out.docx")]
    say(f"baseline: pandoc handbook.html --reference-doc templates/reference.docx -o out.docx "
        f"({branch}; 1 warm-up + {plan.baseline_runs} runs)")
    record["version"] = version_of([pandoc, "--version"], runner.env)
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    record.update({**stats(runs, warm), "docx_bytes": (work / "out.docx").stat().st_size,
                   "command": " ".join(runs[0].argv), **largest_memory(runs)})
    emit(record)
    pandoc_steady_state(plan, runner, record, [*argv[:1], str(work / "empty.html"), *argv[2:4],
                                               "-o", str(work / "empty.docx")])
    return record


def pandoc_steady_state(plan: Plan, runner: Runner, cold: dict, argv: list[str]) -> None:
    """pandoc's time per document less what it costs to convert an empty one (process start,
    reading the reference.docx, writing a .docx): what a pandoc kept running would pay."""
    Path(argv[1]).write_text(PANDOC_EMPTY, encoding="utf-8")
    record = {"measure": "pandoc_html_to_docx", "mode": "steady_state", "branch": cold["branch"],
              "input": cold["input"], "runs": plan.baseline_runs, "loadavg_1m": loadavg()}
    say("baseline: pandoc's start-up cost, the same command on an empty HTML document")
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return
    warm, runs = timed
    start = stats(runs, warm)
    record.update({
        "wall_s": rounded(cold["wall_s"] - start["wall_s"]),
        "cpu_s": rounded(cold["cpu_s"] - start["cpu_s"]),
        "process_start": {**start, "command": " ".join(runs[0].argv)},
        "how": "the cold_process medians less the medians of the same command on an empty "
               "HTML document",
    })
    emit(record)


def measure_docx_process(plan: Plan, runner: Runner, src: Path, branch: str,
                         sample_docx: Path) -> dict | None:
    """Our side of the cold-process comparison with pandoc: a fresh Python that imports the
    builder, loads the sources, resolves the branch and writes its handbook.docx."""
    work = plan.workdir / "docx-process"
    work.mkdir(parents=True, exist_ok=True)
    out = work / "handbook.docx"
    argv = [sys.executable, str(WORKER), "docx", "--src", str(src), "--branch", branch,
            "--out", str(out)]
    record = {"measure": "ours_docx_process", "mode": "cold_process", "branch": branch,
              "runs": plan.baseline_runs, "loadavg_1m": loadavg()}
    say(f"ours, cold: a fresh process making {branch}'s handbook.docx from the sources "
        f"(1 warm-up + {plan.baseline_runs} runs)")
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    phases = json.loads(runs[-1].stdout.strip().splitlines()[-1])
    record.update({
        **stats(runs, warm),
        "phases_last_run_s": {k[:-2]: rounded(v) for k, v in phases.items() if k.endswith("_s")},
        "same_bytes_as_sample": out.read_bytes() == sample_docx.read_bytes(),
        "command": " ".join(runs[0].argv), **largest_memory(runs),
        "how": "the whole process timed, Python's start and imports included",
    })
    emit(record)
    return record


# -- the summary ----------------------------------------------------------------------------

def target(name: str, value, limit, op: str, unit: str, **about) -> dict:
    """One target: `value op limit` (op "<=" or ">="); pass is None when not measured."""
    if value is None:
        passed = None
    else:
        passed = value <= limit if op == "<=" else value >= limit
    return {"target": name, "value": rounded(value), "unit": unit, "op": op, "limit": limit,
            "pass": passed, "what": TARGETS_DOC.get(name, ""), **about}


def find(measure: str, **where) -> list[dict]:
    return [r for r in RECORDS if r.get("measure") == measure and r.get("ok")
            and all(r.get(k) == v for k, v in where.items())]


def first(measure: str, **where) -> dict:
    """The first successful record of a measure, or {} (whose .get gives None)."""
    return next(iter(find(measure, **where)), {})


def pdf_target() -> dict:
    r = first("renderers")
    return target("pdf_vs_weasyprint", r.get("pdf_ratio_cpu"), 1.15, "<=", "ratio",
                  mode="steady_state", basis="cpu_s", baseline="weasyprint_tuned",
                  ours_cpu_s=r.get("ours_pdf_cpu_s_median"),
                  baseline_cpu_s=r.get("weasyprint_tuned_cpu_s_median"),
                  ratio_wall=r.get("pdf_ratio_wall"), branch=r.get("branch"))


def largest_pdf_build() -> dict:
    builds = find("handbook_pdf_build")
    return max(builds, key=lambda x: x["branches"]) if builds else {}


def soffice_target() -> dict:
    build, batch = largest_pdf_build(), first("soffice_docx_to_pdf_batch")
    single = first("soffice_docx_to_pdf")
    ours = build.get("cpu_s_per_branch")
    return target("branch_pdf_vs_soffice", ratio(ours, batch.get("cpu_s_per_document")), 1.0,
                  "<=", "ratio", mode="cold_process", basis="cpu_s",
                  baseline="soffice_docx_to_pdf_batch", ours_cpu_s_per_branch=ours,
                  baseline_cpu_s_per_document=batch.get("cpu_s_per_document"),
                  documents=batch.get("documents"),
                  ratio_vs_one_soffice_per_document=rounded(ratio(ours, single.get("cpu_s"))),
                  branches=build.get("branches"), jobs=build.get("jobs"))


def docx_targets() -> list[dict]:
    ours, pandoc = first("ours_docx_process"), first("pandoc_html_to_docx", mode="cold_process")
    cold = target("docx_vs_pandoc", ratio(ours.get("cpu_s"), pandoc.get("cpu_s")), 1.0, "<=",
                  "ratio", mode="cold_process", basis="cpu_s", ours_cpu_s=ours.get("cpu_s"),
                  baseline_cpu_s=pandoc.get("cpu_s"),
                  ratio_wall=rounded(ratio(ours.get("wall_s"), pandoc.get("wall_s"))))
    r, steady = first("renderers"), first("pandoc_html_to_docx", mode="steady_state")
    base = steady.get("cpu_s")
    value = ratio(r.get("docx_cpu_s_median"), base) if base and base > 0 else None
    warm = target("docx_vs_pandoc", value, 1.0, "<=", "ratio", mode="steady_state",
                  basis="cpu_s", ours_cpu_s=r.get("docx_cpu_s_median"), baseline_cpu_s=base,
                  ratio_wall=rounded(ratio(r.get("docx_s_median"), steady.get("wall_s"))))
    return [cold, warm]


def rebuild_targets(plan: Plan) -> list[dict]:
    targets = []
    for n in plan.full_at:
        noop = first("noop_rebuild", branches=n)
        t = target("noop_rebuild", noop.get("wall_s"), 0.5, "<=", "s", branches=n)
        if noop:
            quiet = noop["files_written"] == 0 and noop.get("says_no_change", False)
            t.update(writes_nothing=noop["files_written"] == 0,
                     says_no_change=noop.get("says_no_change"), **{"pass": t["pass"] and quiet})
        targets.append(t)
    for n in plan.scales:
        targets.append(target("check", first("check", branches=n).get("wall_s"), 0.5, "<=", "s",
                              branches=n))
    if "import" in plan.groups:
        targets.append(target("import_docx", first("import_docx").get("wall_s"), 5, "<=", "s"))
    for n in plan.full_at:
        edit, ref = first("branch_edit", branches=n), first("branch_force_build", branches=n)
        if edit and ref:
            t = target("branch_edit", edit["wall_s"], round(ref["wall_s"] + 0.5, 3), "<=", "s",
                       branches=n, reference_s=ref["wall_s"],
                       reference=f"build --force -b {ref['branch']}")
        else:
            t = target("branch_edit", None, None, "<=", "s", branches=n)
        targets.append(t)
    return targets


def speedup_target(plan: Plan) -> dict:
    by_jobs = {x["jobs"]: x for x in find("full_build_jobs")}
    one, many = by_jobs.get(1, {}), by_jobs.get(plan.speedup_jobs, {})
    return target("jobs_speedup", ratio(one.get("wall_s"), many.get("wall_s")), 1.8, ">=", "×",
                  branches=plan.speedup_branches, formats=plan.full_formats,
                  jobs=[1, plan.speedup_jobs], jobs1_s=one.get("wall_s"),
                  jobsN_s=many.get("wall_s"))


def memory_target(plan: Plan) -> dict:
    largest = max(plan.scales)
    builds = [x for x in RECORDS if x.get("ok") and x.get("branches") == largest
              and x.get("measure") in ("full_build", "handbook_pdf_build", "clause_edit")]
    if not builds:
        return target("peak_memory", None, 600, "<=", "MB", branches=largest)
    pss = all(x.get("peak_pss_tree_sum_mb") for x in builds)
    key = "peak_pss_tree_sum_mb" if pss else "peak_rss_tree_sum_mb"
    worst = max(builds, key=lambda x: x[key])
    return target("peak_memory", worst[key], 600, "<=", "MB", branches=largest, metric=key,
                  measured_on=worst["measure"], jobs=worst.get("jobs"),
                  formats=worst.get("formats"),
                  largest_process_mb=worst["peak_rss_largest_process_mb"],
                  rss_tree_sum_mb=worst["peak_rss_tree_sum_mb"])


def old_ratios() -> dict:
    """The ratios as computed before 2026-12-04 (wall times; untuned WeasyPrint; our in-process
    DOCX against pandoc's whole process, now with --reference-doc), for comparison only."""
    r, untuned = first("renderers"), first("weasyprint_untuned")
    build, single = largest_pdf_build(), first("soffice_docx_to_pdf")
    pandoc = first("pandoc_html_to_docx", mode="cold_process")
    return {k: rounded(v) for k, v in {
        "pdf_vs_weasyprint_untuned_wall": untuned.get("pdf_ratio_wall"),
        "pdf_vs_weasyprint_untuned_cpu": untuned.get("pdf_ratio_cpu"),
        "branch_pdf_vs_soffice_wall": ratio(build.get("wall_s_per_branch"), single.get("wall_s")),
        "docx_in_process_vs_pandoc_process_wall": ratio(r.get("docx_s_median"),
                                                        pandoc.get("wall_s")),
    }.items() if v is not None}


def informational(plan: Plan) -> dict:
    info = {}
    for measure in ("full_build", "handbook_pdf_build", "clause_edit"):
        for x in find(measure):
            info[f"{measure}_{x['branches']}"] = {k: x.get(k) for k in (
                "wall_s", "cpu_s", "jobs", "formats", "pdf_pages_per_s", "wall_s_per_branch",
                "cpu_s_per_branch", "files_written") if x.get(k) is not None}
    info["old_ratios"] = old_ratios()
    code = code_fingerprint()
    if code != plan.code:
        info["warning"] = ("builder/ or templates/ changed during the run (code fingerprint "
                           f"{plan.code} → {code}): the build cache keys on them, so rebuilds "
                           "measured after the change rebuilt everything; run again on a quiet "
                           "tree")
    return info


def form_size_target() -> dict:
    sizes = find("form_pdf_sizes")
    largest = max(sizes, key=lambda x: x["branches"]) if sizes else {}
    signed = [x["max_form_pdf_kb"] for x in find("sign_build", signed=True)
              if x.get("max_form_pdf_kb")]
    values = [v for v in (largest.get("max_kb"), max(signed, default=None)) if v is not None]
    return target("form_pdf_size", max(values, default=None), 150, "<=", "KB",
                  unsigned_max_kb=largest.get("max_kb"), signed_max_kb=max(signed, default=None),
                  median_kb=largest.get("median_kb"), files=largest.get("files"),
                  branches=largest.get("branches"))


def pagination_target() -> dict:
    pages, batch = find("docx_pagination"), first("soffice_docx_to_pdf_batch")
    paged = max(pages, key=lambda x: x["branches"]) if pages else {}
    ours = paged.get("cpu_s_per_branch")
    return target("pagination_vs_soffice", ratio(ours, batch.get("cpu_s_per_document")), 1.0,
                  "<=", "ratio", mode="cold_process", basis="cpu_s",
                  baseline="soffice_docx_to_pdf_batch", ours_cpu_s_per_branch=ours,
                  baseline_cpu_s_per_document=batch.get("cpu_s_per_document"),
                  wall_s_per_branch=paged.get("wall_s_per_branch"),
                  branches=paged.get("branches"), jobs=paged.get("jobs"))


def sign_target() -> dict:
    builds = find("sign_build")
    plain = [x["wall_s"] for x in builds if not x.get("signed")]
    signed = [x for x in builds if x.get("signed")]
    complete = all(x.get("signed_pdfs") == x.get("pdfs") and x.get("manifest_signed")
                   for x in signed)
    value = None
    if plain and signed and complete:
        value = ratio(statistics.median(x["wall_s"] for x in signed), statistics.median(plain))
    cpu = [x.get("cpu_s") for x in builds]
    cpu_ratio = None
    if plain and signed and complete and all(cpu):
        cpu_ratio = rounded(ratio(statistics.median(x["cpu_s"] for x in signed),
                                  statistics.median(x["cpu_s"] for x in builds
                                                    if not x.get("signed"))))
    return target("sign_overhead", value, 1.10, "<=", "ratio", branches=SIGN_BRANCHES,
                  ratio_cpu=cpu_ratio,
                  unsigned_wall_s=[x for x in plain], signed_wall_s=[x["wall_s"] for x in signed],
                  signed_cpu_s=[x.get("cpu_s") for x in signed],
                  unsigned_cpu_s=[x.get("cpu_s") for x in builds if not x.get("signed")],
                  every_pdf_signed=complete if signed else None)


def pdf_cost_targets() -> list[dict]:
    """Issue 20's CPU ratios against LibreOffice and its clause-edit ratio."""
    r, single = first("renderers"), first("soffice_docx_to_pdf")
    ours, lo = r.get("ours_pdf_cpu_s_median"), single.get("cpu_s")
    handbook = target("handbook_pdf_vs_soffice", ratio(ours, lo), 1.5, "<=", "ratio",
                      basis="cpu_s", ours_cpu_s=ours, soffice_cpu_s=lo, branch=r.get("branch"))
    b = first("branch_pdfs")
    branch = target("branch_pdfs_vs_soffice", b.get("ratio_cpu"), 1.5, "<=", "ratio",
                    basis="cpu_s", ours_cpu_s=b.get("ours_cpu_s"),
                    soffice_cpu_s=b.get("soffice_cpu_s"), documents=b.get("documents"),
                    branch=b.get("branch"))
    edit, full = first("clause_edit_pdf"), first("pdf_force_build")
    clause = target("clause_edit_pdf", edit.get("ratio_wall"), 0.15, "<=", "ratio",
                    basis="wall_s", edit_wall_s=edit.get("wall_s"),
                    forced_wall_s=full.get("wall_s"), branches=edit.get("branches"),
                    files_written=edit.get("files_written"))
    return [handbook, branch, clause]


def collect_target() -> dict:
    r = first("collect")
    return target("collect", r.get("wall_s"), 30.0, "<=", "s", forms=r.get("forms"))


def summary(plan: Plan) -> dict:
    targets = [pdf_target(), soffice_target(), *docx_targets(), *rebuild_targets(plan),
               pagination_target(), form_size_target(), speedup_target(plan), memory_target(plan),
               collect_target(), sign_target(), *pdf_cost_targets()]
    return {"measure": "summary", "targets": targets,
            "passed": sum(t["pass"] is True for t in targets),
            "failed": sum(t["pass"] is False for t in targets),
            "not_measured": sum(t["pass"] is None for t in targets),
            "informational": informational(plan), "errors": ERRORS}


def print_table(result: dict) -> None:
    say("summary")
    for t in result["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        where = f" [{t['branches']} branches]" if t.get("branches") else ""
        where += f" [{t['mode']}, {t['basis']}]" if t.get("mode") else ""
        value = "—" if t["value"] is None else f"{t['value']}"
        print(f"  {mark}  {t['target']:<22} {value:>9} {t['unit']:<5} {t['op']} {t['limit']}"
              f"{where}", file=sys.stderr)
    if result["errors"]:
        print("  errors: " + "; ".join(result["errors"]), file=sys.stderr)
    if result["informational"].get("warning"):
        print("  warning: " + result["informational"]["warning"], file=sys.stderr)


# -- main -----------------------------------------------------------------------------------

def int_list(text: str) -> list[int]:
    values = sorted({int(x) for x in text.split(",") if x.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return values


def name_list(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark the handbook builder on a scaled copy of manual_src/ against "
                    "WeasyPrint, LibreOffice and pandoc; JSON lines on stdout, progress on "
                    "stderr. See bench/README.md.")
    add = parser.add_argument
    add("--quick", action="store_true", help="a short try-out: 12 branches, --speedup-branches "
        "6, --reps 2, --baseline-runs 2")
    add("--branches", type=int_list, default=None, metavar="N,N",
        help="scales (branch counts) to generate; default 50,200 (quick: 12)")
    add("--full-at", type=int_list, default=None, metavar="N,N",
        help="scales at which to run the full build and the incremental measurements "
             "(default: the smallest scale)")
    add("--pdf-at", type=int_list, default=None, metavar="N,N", help="scales at which to run "
        "the handbook-PDF-only build (default: the largest scale)")
    add("--full-formats", type=name_list, default=list(ALL_FORMATS), metavar="F,F",
        help="formats of the full build, as handbook build -f (default: docx,pdf,html,xlsx)")
    add("--jobs", type=int, default=default_jobs(),
        help="--jobs of the builds (default: CPU cores)")
    add("--speedup-branches", type=int, default=None, metavar="N", help="branches of the "
        "--jobs 1 vs --jobs 2 full builds; 0 skips them (default 12; quick: 6)")
    add("--speedup-jobs", type=int, default=2, help="the jobs compared with --jobs 1 (default 2)")
    add("--reps", type=int, default=None,
        help="in-process repetitions after the warm-up (default 3)")
    add("--baseline-runs", type=int, default=None,
        help="runs of soffice, pandoc and our cold DOCX process (default 3)")
    add("--soffice-batch", type=int, default=6, metavar="N", help="handbook.docx files (of the "
        "first N branches) that one soffice process converts in the batch baseline (default 6)")
    add("--sample-branch", default=None, metavar="ID", help="branch of the scaled manual for "
        "the per-document comparisons (default: the first, hq-001)")
    add("--only", type=name_list, default=None, metavar="G,G",
        help=f"run only these groups: {','.join(GROUPS)} (incremental needs full)")
    add("--skip", type=name_list, default=[], metavar="G,G", help="skip these groups")
    add("--workdir", type=Path, default=None,
        help="work folder (default: a new temporary one)")
    add("--keep", action="store_true", help="keep the work folder (scaled sources, outputs)")
    add("--timeout", type=float, default=4 * 3600, help="seconds before one command is killed")
    add("--interval", type=float, default=0.05, help="memory sampling interval in seconds")
    add("--strict", action="store_true",
        help="exit 1 when a target is missed, not only on errors")
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    for group in (args.only or []) + args.skip:
        if group not in GROUPS:
            parser.error(f"unknown group {group!r} (groups: {', '.join(GROUPS)})")
    for fmt in args.full_formats:
        if fmt not in ALL_FORMATS:
            parser.error(f"unknown format {fmt!r}")
    quick = args.quick
    args.branches = args.branches or ([12] if quick else [50, 200])
    args.full_at = args.full_at or [min(args.branches)]
    args.pdf_at = args.pdf_at or [max(args.branches)]
    for n in args.full_at + args.pdf_at:
        if n not in args.branches:
            parser.error(f"{n} is not one of --branches {args.branches}")
    if args.speedup_branches is None:
        args.speedup_branches = 6 if quick else 12
    # Fewer branches than the bundled ones would leave regions and flags that the chapters'
    # conditions name without a branch, which `handbook check` refuses.
    branches_yaml = (ROOT / "manual_src" / "branches.yaml").read_text(encoding="utf-8")
    bundled = len(yaml.safe_load(branches_yaml)["branches"])
    for n in args.branches + ([args.speedup_branches] if args.speedup_branches else []):
        if n < bundled:
            parser.error(f"{n} branches: every scale needs at least the {bundled} bundled "
                         "branches")
    if args.soffice_batch < 1:
        parser.error("--soffice-batch needs at least 1 file")
    args.reps = args.reps if args.reps is not None else (2 if quick else 3)
    args.baseline_runs = args.baseline_runs if args.baseline_runs is not None else (
        2 if quick else 3)
    return args


def _interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def make_plan(args: argparse.Namespace, env: dict, workdir: Path) -> Plan:
    groups = set(args.only or GROUPS) - set(args.skip)
    plan = Plan(scales=args.branches, full_at=args.full_at, pdf_at=args.pdf_at,
                full_formats=args.full_formats, jobs=args.jobs,
                speedup_branches=args.speedup_branches, speedup_jobs=args.speedup_jobs,
                reps=args.reps, baseline_runs=args.baseline_runs,
                soffice_batch=args.soffice_batch, sample_branch=args.sample_branch,
                groups=groups, workdir=workdir.resolve(), handbook=handbook_command(),
                keep=args.keep, sign_runs=1 if args.quick else 4)
    help_text = subprocess.run([*plan.handbook, "build", "--help"], capture_output=True,
                               text=True, env=env, cwd=ROOT).stdout
    plan.cli_jobs, plan.cli_force = "--jobs" in help_text, "--force" in help_text
    plan.cli_pages = "--no-docx-page-numbers" in help_text
    plan.code = code_fingerprint()
    return plan


def emit_env(plan: Plan, env: dict) -> None:
    try:
        import weasyprint

        weasyprint_version = weasyprint.__version__
    except Exception:  # noqa: BLE001 - only reported
        weasyprint_version = None
    groups = plan.groups
    emit({
        "measure": "env", "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "cpus_usable": default_jobs(), "loadavg_1m": loadavg(),
        "loadavg": list(os.getloadavg()),
        "handbook": version_of([*plan.handbook, "--version"], env),
        "weasyprint": weasyprint_version, "code_fingerprint": plan.code,
        "cli_has_jobs": plan.cli_jobs, "cli_has_force": plan.cli_force,
        # Set, Python writes no .pyc: every cold process (ours_docx_process, the builds)
        # compiles the builder's modules again.
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "plan": {"branches": plan.scales, "full_build_at": plan.full_at if "full" in groups else [],
                 "handbook_pdf_build_at": plan.pdf_at if "pdf" in groups else [],
                 "full_formats": plan.full_formats, "jobs": plan.jobs,
                 "speedup_branches": plan.speedup_branches if "speedup" in groups else 0,
                 "speedup_jobs": [1, plan.speedup_jobs], "reps": plan.reps,
                 "baseline_runs": plan.baseline_runs, "soffice_batch": plan.soffice_batch,
                 "groups": sorted(groups)},
        "workdir": str(plan.workdir), "env": {"HANDBOOK_SOURCE_REVISION": "bench"},
        "memory_fields": RSS_METHOD,
    })


def run_per_document(plan: Plan, runner: Runner, src: Path, ids: list[str]) -> None:
    """The per-document comparisons: minutes, where the builds take most of an hour."""
    groups = plan.groups
    branch = plan.sample_branch or ids[0]
    if branch not in ids:
        raise ValueError(f"--sample-branch {branch} is not a branch of the scaled manual "
                         f"({ids[:6]}…)")
    renderers = measure_renderers(plan, runner, src, branch) if "renderers" in groups else None
    if not groups & {"soffice", "pandoc"}:
        return
    docx, html, origin = sample_files(plan, runner, src, branch, renderers)
    if "soffice" in groups:
        measure_soffice(plan, runner, docx, branch, origin)
        measure_soffice_batch(plan, runner, src, ids)
    if "pandoc" in groups:
        measure_pandoc(plan, runner, html, branch, origin)
        measure_docx_process(plan, runner, src, branch, docx)


COLLECT_FORMS = ("expense-claim", "meeting-minutes", "training-needs")


def fill_forms(blank: Path, folder: Path, n: int) -> int:
    """n filled forms in folder, PDF, DOCX and XLSX in turn, each with its own values: the
    PDF's fields set by pypdf, the Word form's topic/claimant control and the Excel form's
    claimant cell written as Word and Excel write them (the XML edited in the package)."""
    import zipfile

    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(blank.rglob("*"))
    pdfs = [p for p in files if p.suffix == ".pdf"]
    docxs = [p for p in files if p.suffix == ".docx"]
    xlsxs = [p for p in files if p.suffix == ".xlsx"]

    def edit_zip(source: Path, target: Path, part: str, edit) -> None:
        with zipfile.ZipFile(source) as z:
            parts = {name: z.read(name) for name in z.namelist()}
        parts[part] = edit(parts[part].decode()).encode()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in parts.items():
                out.writestr(name, data)

    def word(text: str):
        def edit(xml: str) -> str:
            start = xml.index("<w:sdt>")  # the first control: the form's first field
            end = xml.index("</w:sdt>", start)
            control = re.sub(r"<w:showingPlcHdr/>", "", xml[start:end])
            control = re.sub(r"<w:sdtContent>.*", f"<w:sdtContent><w:r><w:t>{text}</w:t></w:r>"
                             "</w:sdtContent>", control, flags=re.S)
            return xml[:start] + control + xml[end:]
        return edit

    def excel(cell: str, text: str):
        def edit(xml: str) -> str:
            return re.sub(rf'<c r="{cell}"([^>]*?) t="n"></c>',
                          rf'<c r="{cell}"\1 t="inlineStr"><is><t>{text}</t></is></c>', xml)
        return edit

    first_cells = {}
    for path in xlsxs:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml").decode()
        names = re.findall(r'<definedName name="f_[^"]+">[^!<]+!\$([A-Z]+)\$(\d+)</definedName>',
                           book)
        first_cells[path] = "".join(names[0])
    for i in range(n):
        kind = i % 3
        if kind == 0:
            source = pdfs[i // 3 % len(pdfs)]
            writer = PdfWriter(clone_from=PdfReader(source))
            first = next(iter(writer.get_fields() or {}))
            writer.update_page_form_field_values(writer.pages[0], {first: f"填写人{i}"},
                                                 auto_regenerate=False)
            writer.write(folder / f"{i:04d}-{source.name}")
        elif kind == 1:
            source = docxs[i // 3 % len(docxs)]
            edit_zip(source, folder / f"{i:04d}-{source.name}", "word/document.xml",
                     word(f"填写人{i}"))
        else:
            source = xlsxs[i // 3 % len(xlsxs)]
            edit_zip(source, folder / f"{i:04d}-{source.name}", "xl/worksheets/sheet1.xml",
                     excel(first_cells[source], f"填写人{i}"))
    return n


def measure_collect(plan: Plan, runner: Runner, n: int = 1000) -> None:
    """handbook collect on n filled forms of one branch (built once, filled here)."""
    blank, folder = plan.workdir / "collect-blank", plan.workdir / "collect-filled"
    say(f"collect: building {len(COLLECT_FORMS)} forms, filling {n}")
    build = [*plan.handbook, "build", "--src", str(ROOT / "manual_src"), "--out", str(blank),
             "-b", "chengdu", "-f", "pdf", "-f", "docx", "-f", "xlsx", "--jobs", "1",
             *(x for form in COLLECT_FORMS for x in ("--form", form))]
    built = runner(build, sample=False)
    record = {"measure": "collect", "forms": n, "loadavg_1m": loadavg()}
    if failed(record, built):
        emit(record)
        return
    fill_forms(blank / "chengdu" / "forms", folder, n)
    argv = [*plan.handbook, "collect", str(folder), "--out", str(plan.workdir / "summary.xlsx"),
            "--src", str(ROOT / "manual_src")]
    runner(argv, sample=False)  # warm-up: file cache, .pyc
    run = runner(argv)
    record.update({"wall_s": rounded(run.wall_s), "cpu_s": rounded(run.cpu_s, 2),
                   **run.memory(), "command": " ".join(run.argv),
                   "message": run.stderr.strip()[-300:]})
    failed(record, run)
    emit(record)


def run_all(plan: Plan, runner: Runner) -> None:
    if "collect" in plan.groups:
        measure_collect(plan, runner)
    sources: dict[int, tuple[Path, list[str]]] = {}
    for n in plan.scales:
        src = plan.workdir / f"src-{n}"
        sources[n] = (src, scale_sources(ROOT / "manual_src", src, n))
    run_per_document(plan, runner, *sources[plan.scales[0]])
    if "import" in plan.groups:
        src, ids = sources[plan.scales[0]]
        measure_import(plan, runner, src, ids[0])
    for n in plan.scales:
        src, ids = sources[n]
        if "check" in plan.groups:
            measure_check(plan, runner, src, n)
        if "pdf" in plan.groups and n in plan.pdf_at:
            measure_pdf_build(plan, runner, src, n)
        if "full" in plan.groups and n in plan.full_at:
            measure_full_and_incremental(plan, runner, src, n, ids)
        if "pagination" in plan.groups and n in plan.full_at:
            measure_pagination(plan, runner, src, n)
    if "speedup" in plan.groups and plan.speedup_branches > 0:
        measure_speedup(plan, runner)
    if "sign" in plan.groups:
        measure_sign(plan, runner)
    if "pdfcost" in plan.groups:
        src, ids = sources[plan.scales[0]]
        measure_branch_pdfs(plan, runner, src, plan.sample_branch or ids[0])
        measure_clause_edit_pdf(plan, runner)


def main(argv=None) -> int:
    args = parse_args(argv)
    # Ctrl-C or a kill: end the running command too (it runs in a session of its own), print
    # the summary of what was measured, remove the work folder.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    env = dict(os.environ, HANDBOOK_SOURCE_REVISION="bench")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    plan = make_plan(args, env, workdir)
    runner = Runner(env, args.timeout, args.interval)
    emit_env(plan, env)
    interrupted = False
    try:
        run_all(plan, runner)
    except Exception as exc:  # noqa: BLE001 - reported; the summary of what was measured follows
        import traceback

        ERRORS.append(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
    except KeyboardInterrupt:
        interrupted = True
        ERRORS.append("interrupted")
        say("interrupted: the running command was ended")
    finally:
        result = emit(summary(plan))
        print_table(result)
        if args.keep:
            say(f"work folder kept: {plan.workdir}")
        elif args.workdir is None:
            shutil.rmtree(plan.workdir, ignore_errors=True)
    if interrupted:
        return 130
    if ERRORS:
        return 1
    return 1 if args.strict and result["failed"] else 0

if __name__ == "__main__":
    sys.exit(main())
