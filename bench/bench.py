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
          "pandoc")
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
    "pdf_vs_weasyprint": "our PDF path ≤ 1.15 × raw WeasyPrint on the same HTML (in-process medians)",
    "branch_pdf_vs_soffice": "handbook PDF per branch in a build of all branches ≤ 1.0 × one soffice --convert-to pdf of the handbook.docx",
    "docx_vs_pandoc": "our DOCX writer (in-process median) ≤ 1.0 × pandoc handbook.html -o out.docx (median)",
    "noop_rebuild": "a second identical build ≤ 0.5 s, writes nothing and says 无变化",
    "check": "handbook check ≤ 0.5 s",
    "branch_edit": "rebuild after editing one branch ≤ handbook build --force -b ID of that branch + 0.5 s",
    "jobs_speedup": "full build with --jobs 2 ≥ 1.8 × faster than --jobs 1",
    "peak_memory": "peak memory of a build at the largest scale ≤ 600 MB (PSS summed over the process tree)",
    "pagination_vs_soffice": "filling the Word contents' page numbers (LibreOffice's layout) per "
                             "branch in a build of all branches ≤ 1.0 × one soffice --convert-to "
                             "pdf of the handbook.docx",
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
            "peak_pss_tree_sum_mb": None if self.pss_tree_sum_kb is None else round(self.pss_tree_sum_kb / 1024, 1),
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
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env,
                                    cwd=ROOT, start_new_session=True)
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
            argv=[str(a) for a in argv], wall_s=wall, returncode=proc.returncode, stdout=stdout, stderr=stderr,
            cpu_s=usage.ru_utime + usage.ru_stime,
            largest_process_kb=max(usage.ru_maxrss, hwm),  # ru_maxrss is in kB on Linux
            rss_tree_sum_kb=sampler.rss_sum_kb if sampler else 0,
            pss_tree_sum_kb=(sampler.pss_sum_kb if sampler and sampler.has_pss else None),
            max_processes=sampler.max_processes if sampler else 0,
            timed_out=timed_out.is_set(),
        )


# -- the scaled manual ----------------------------------------------------------------------

def dump_yaml(path: Path, data, header: str = "") -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
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
              f"# Generated by bench/bench.py: {n} branches cycling the {len(bundled)} bundled ones.\n")
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
    return {"file": "branches.yaml", "branch": branch_id, "field": "manager", "old": before, "new": record["manager"]}


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
            and text.start_mark.line == text.end_mark.line and ident is not None and ident.value not in avoid):
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
        return {"file": f"chapters/{path.name}", "clause": clause_id, "line": node.start_mark.line + 1,
                "appended": CLAUSE_SUFFIX}
    raise RuntimeError("no clause suitable for the one-clause edit found in chapters/")


# -- output folders -------------------------------------------------------------------------

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
    """Output files written (new, or another inode, mtime or size) and removed between two snapshots."""
    written = sorted(p for p, s in after.items() if before.get(p) != s)
    removed = sorted(p for p in before if p not in after)
    return {"files_written": len(written), "files_removed": len(removed), "written_sample": written[:5]}


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
    return {"pdf_files": files, "pdf_pages": handbook + forms, "pdf_pages_handbooks": handbook, "pdf_pages_forms": forms}


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
    sample_branch: str | None
    groups: set[str]
    workdir: Path
    handbook: list[str]
    keep: bool = False  # --keep: leave every output folder in place
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
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
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


def build_argv(plan: Plan, src: Path, out: Path, formats: list[str], jobs: int | None, *extra: str) -> list[str]:
    argv = [*plan.handbook, "build", "--src", str(src), "--out", str(out), "-q"]
    if jobs is not None and plan.cli_jobs:
        argv += ["--jobs", str(jobs)]
    for fmt in formats:
        argv += ["-f", fmt]
    return argv + list(extra)


def failed(record: dict, run: Run) -> bool:
    if not run.ok:
        ERRORS.append(f"{record['measure']} ({record.get('branches')} branches): exit {run.returncode}")
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
              "wall_s_runs": [rounded(r.wall_s) for r in runs], "wall_s": rounded(statistics.median(r.wall_s for r in runs)),
              **runs[0].memory(), "command": " ".join(runs[0].argv), "message": runs[-1].stdout.strip()[:300]}
    bad = next((r for r in runs if not r.ok), None)
    failed(record, bad or runs[0])
    emit(record)


def build_record(measure: str, n: int, formats: list[str], jobs: int | None, plan: Plan, **extra) -> dict:
    return {"measure": measure, "branches": n, "formats": formats,
            "jobs": jobs if plan.cli_jobs else None, "loadavg_1m": loadavg(), **extra}


def measure_full_and_incremental(plan: Plan, runner: Runner, src: Path, n: int, branch_ids: list[str]) -> None:
    formats = plan.full_formats
    out = plan.workdir / f"out-full-{n}"
    shutil.rmtree(out, ignore_errors=True)
    argv = build_argv(plan, src, out, formats, plan.jobs)

    say(f"full build: {n} branches, formats {','.join(formats)}, jobs {plan.jobs} (fresh output folder)")
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

    if "incremental" not in plan.groups:
        return
    if not plan.cli_force:
        emit({"measure": "incremental", "branches": n, "ok": None,
              "skipped": "handbook build has no --force: no incremental build to measure"})
        return

    def rebuild(measure: str, argv_: list[str], **extra) -> tuple[dict, Run]:
        nonlocal code
        before = snapshot(out)
        rec = build_record(measure, n, formats, plan.jobs, plan, **extra)
        now = code_fingerprint()
        # The cache keys on the builder's code: if someone edited builder/ since the last
        # build, this one rebuilds everything, and says nothing about incremental builds.
        rec["code_changed_since_last_build"] = now != code
        code = now
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
        rec["expected_files"] = f"{n} branches × handbook {[f for f in formats if f in ('docx', 'pdf', 'html')]}"
    emit(rec)

    branch = branch_ids[len(branch_ids) // 2]
    edit = edit_one_branch(src, branch)
    say(f"one-branch edit: manager of {branch}")
    rec, _ = rebuild("branch_edit", argv, edit=edit)
    emit(rec)

    say(f"reference: handbook build --force -b {branch}")
    rec, _ = rebuild("branch_force_build", build_argv(plan, src, out, formats, plan.jobs, "--force", "-b", branch),
                     branch=branch)
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
        shutil.rmtree(out, ignore_errors=True)
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
            shutil.rmtree(out, ignore_errors=True)
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
        emit({"measure": "full_build_jobs", "branches": n, "ok": None, "skipped": "handbook build has no --jobs"})
        return
    for jobs in (1, plan.speedup_jobs):
        out = plan.workdir / f"out-speedup-{n}-j{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        say(f"full build for the --jobs speed-up: {n} branches, formats {','.join(plan.full_formats)}, jobs {jobs}")
        record = build_record("full_build_jobs", n, plan.full_formats, jobs, plan, fresh_output=True)
        run = runner(build_argv(plan, src, out, plan.full_formats, jobs, *(["--force"] if plan.cli_force else [])))
        record.update(run.brief())
        if not failed(record, run):
            record["files"] = len(snapshot(out))
            record["cpu_s_per_branch"] = rounded(run.cpu_s / n, 2)
        emit(record)
        if not plan.keep:
            shutil.rmtree(out, ignore_errors=True)


def measure_pdf_build(plan: Plan, runner: Runner, src: Path, n: int) -> None:
    out = plan.workdir / f"out-pdf-{n}"
    shutil.rmtree(out, ignore_errors=True)
    say(f"handbook-PDF-only build: {n} branches, jobs {plan.jobs} (Python API, no forms)")
    argv = [sys.executable, str(WORKER), "pdf-build", "--src", str(src), "--out", str(out), "--jobs", str(plan.jobs)]
    record = {"measure": "handbook_pdf_build", "branches": n, "formats": ["pdf"], "forms": [], "jobs": plan.jobs,
              "loadavg_1m": loadavg(), "api": "builder.release.build.build_outputs(formats=['pdf'], forms=[], jobs=N)"}
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
        shutil.rmtree(out, ignore_errors=True)


def measure_renderers(plan: Plan, runner: Runner, src: Path, branch: str) -> dict | None:
    work = plan.workdir / "renderers"
    say(f"in-process: our PDF path vs raw WeasyPrint, our DOCX writer; branch {branch}, "
        f"1 warm-up + {plan.reps} repetitions")
    argv = [sys.executable, str(WORKER), "renderers", "--src", str(src), "--branch", branch,
            "--reps", str(plan.reps), "--workdir", str(work)]
    record = {"measure": "renderers", "branch": branch, "reps": plan.reps, "loadavg_1m": loadavg()}
    run = runner(argv)
    if failed(record, run):
        record.update(run.brief())
        emit(record)
        return None
    info = json.loads(run.stdout.strip().splitlines()[-1])
    ours, raw, docx = (statistics.median(info[k]) for k in ("ours_pdf_s", "raw_weasyprint_s", "docx_s"))
    record.update({
        "ours_pdf_s_median": rounded(ours), "raw_weasyprint_s_median": rounded(raw), "pdf_ratio": rounded(ours / raw),
        "ours_pdf_s_runs": [rounded(x) for x in info["ours_pdf_s"]],
        "raw_weasyprint_s_runs": [rounded(x) for x in info["raw_weasyprint_s"]],
        "ours_pdf_pages": info["ours_pdf_pages"], "raw_pdf_pages": info["raw_pdf_pages"],
        "ours_pdf_bytes": info["ours_pdf_bytes"], "raw_pdf_bytes": info["raw_pdf_bytes"],
        "docx_s_median": rounded(docx), "docx_s_runs": [rounded(x) for x in info["docx_s"]],
        "warmup_s": {k: rounded(v) for k, v in info["warmup_s"].items()},
        "pdf_pages_per_s": rounded(info["ours_pdf_pages"] / ours, 2),
        "how": "same process, same HTML string (render_html_string(doc, templates_dir(), for_print=True)); "
               "ours = builder.writers.pdf.handbook.render_pdf, raw = weasyprint.HTML(string, base_url).write_pdf",
        "wall_s_worker": rounded(run.wall_s), **run.memory(),
    })
    emit(record)
    return info


def sample_files(plan: Plan, runner: Runner, src: Path, branch: str, renderers: dict | None) -> tuple[Path, Path, str]:
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
    return (Path(renderers["docx"]), Path(renderers["html"]),
            "written in-process by bench/worker.py (same bytes as a build: builds are reproducible)")


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


def baseline_record(plan: Plan, measure: str, tool: str | None, missing: str, branch: str, source: Path,
                    origin: str) -> dict | None:
    """The record of a baseline measure, or None (and a "skipped" record emitted) without its tool."""
    record = {"measure": measure, "branch": branch, "input": str(source), "input_from": origin,
              "runs": plan.baseline_runs, "loadavg_1m": loadavg()}
    if not tool:
        emit({**record, "ok": None, "skipped": missing})
        return None
    return record


def measure_soffice(plan: Plan, runner: Runner, docx: Path, branch: str, origin: str) -> dict | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    record = baseline_record(plan, "soffice_docx_to_pdf", soffice, "soffice not found (tools/system-deps.sh "
                             "--bench installs libreoffice-writer-nogui)", branch, docx, origin)
    if record is None:
        return None
    work = plan.workdir / "soffice"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    profile = (work / "profile").as_uri()
    argv = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
            "--outdir", str(work / "pdf"), str(docx)]
    say(f"baseline: soffice --headless --convert-to pdf of {branch}'s handbook.docx "
        f"(1 warm-up creating the private profile + {plan.baseline_runs} runs)")
    record["version"] = version_of([soffice, f"-env:UserInstallation={profile}", "--version"], runner.env)
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    from pypdf import PdfReader

    pdf = work / "pdf" / (docx.stem + ".pdf")
    record.update({
        "wall_s": rounded(statistics.median(r.wall_s for r in runs)), "wall_s_runs": [rounded(r.wall_s) for r in runs],
        "warmup_s": rounded(warm.wall_s), "pdf_pages": len(PdfReader(str(pdf)).pages),
        "command": " ".join(runs[0].argv), **max((r.memory() for r in runs), key=lambda m: m["peak_rss_largest_process_mb"]),
        "how": "each run a fresh soffice process with a private, already created profile (as a per-branch pipeline pays it)",
    })
    emit(record)
    return record


def measure_pandoc(plan: Plan, runner: Runner, html: Path, branch: str, origin: str) -> dict | None:
    pandoc = shutil.which("pandoc")
    record = baseline_record(plan, "pandoc_html_to_docx", pandoc, "pandoc not found (tools/system-deps.sh --bench "
                             "installs it)", branch, html, origin)
    if record is None:
        return None
    work = plan.workdir / "pandoc"
    work.mkdir(parents=True, exist_ok=True)
    argv = [pandoc, str(html), "-o", str(work / "out.docx")]
    say(f"baseline: pandoc handbook.html -o out.docx ({branch}; 1 warm-up + {plan.baseline_runs} runs)")
    record["version"] = version_of([pandoc, "--version"], runner.env)
    timed = baseline_runs(plan, runner, argv, record)
    if timed is None:
        return None
    warm, runs = timed
    record.update({
        "wall_s": rounded(statistics.median(r.wall_s for r in runs)), "wall_s_runs": [rounded(r.wall_s) for r in runs],
        "warmup_s": rounded(warm.wall_s), "docx_bytes": (work / "out.docx").stat().st_size,
        "command": " ".join(runs[0].argv), **runs[0].memory(),
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
    return {"target": name, "value": rounded(value), "unit": unit, "op": op, "limit": limit, "pass": passed,
            "what": TARGETS_DOC.get(name, ""), **about}


def find(measure: str, **where) -> list[dict]:
    return [r for r in RECORDS if r.get("measure") == measure and r.get("ok")
            and all(r.get(k) == v for k, v in where.items())]


def summary(plan: Plan) -> dict:
    targets = []

    r = find("renderers")
    targets.append(target("pdf_vs_weasyprint", r[0]["pdf_ratio"] if r else None, 1.15, "<=", "ratio",
                          ours_s=r[0]["ours_pdf_s_median"] if r else None,
                          baseline_s=r[0]["raw_weasyprint_s_median"] if r else None,
                          branch=r[0]["branch"] if r else None))

    pdf_builds = find("handbook_pdf_build")
    office = find("soffice_docx_to_pdf")
    build = max(pdf_builds, key=lambda x: x["branches"]) if pdf_builds else None
    per_branch = build["wall_s_per_branch"] if build else None
    baseline = office[0]["wall_s"] if office else None
    targets.append(target("branch_pdf_vs_soffice", per_branch / baseline if per_branch and baseline else None,
                          1.0, "<=", "ratio", ours_s_per_branch=per_branch, baseline_s=baseline,
                          branches=build["branches"] if build else None, jobs=build["jobs"] if build else None))

    pandoc = find("pandoc_html_to_docx")
    ours = r[0]["docx_s_median"] if r else None
    base = pandoc[0]["wall_s"] if pandoc else None
    targets.append(target("docx_vs_pandoc", ours / base if ours and base else None, 1.0, "<=", "ratio",
                          ours_s=ours, baseline_s=base))

    for n in plan.full_at:
        noop = find("noop_rebuild", branches=n)
        if noop:
            quiet = noop[0]["files_written"] == 0 and noop[0].get("says_no_change", False)
            t = target("noop_rebuild", noop[0]["wall_s"], 0.5, "<=", "s", branches=n,
                       writes_nothing=noop[0]["files_written"] == 0, says_no_change=noop[0].get("says_no_change"))
            t["pass"] = t["pass"] and quiet
        else:
            t = target("noop_rebuild", None, 0.5, "<=", "s", branches=n)
        targets.append(t)

    for n in plan.scales:
        c = find("check", branches=n)
        targets.append(target("check", c[0]["wall_s"] if c else None, 0.5, "<=", "s", branches=n))

    for n in plan.full_at:
        edit, ref = find("branch_edit", branches=n), find("branch_force_build", branches=n)
        if edit and ref:
            t = target("branch_edit", edit[0]["wall_s"], round(ref[0]["wall_s"] + 0.5, 3), "<=", "s", branches=n,
                       reference_s=ref[0]["wall_s"], reference=f"build --force -b {ref[0]['branch']}")
        else:
            t = target("branch_edit", None, None, "<=", "s", branches=n)
        targets.append(t)

    by_jobs = {x["jobs"]: x for x in find("full_build_jobs")}
    one, many = by_jobs.get(1), by_jobs.get(plan.speedup_jobs)
    targets.append(target("jobs_speedup", one["wall_s"] / many["wall_s"] if one and many else None, 1.8, ">=",
                          "×", branches=plan.speedup_branches, formats=plan.full_formats, jobs=[1, plan.speedup_jobs],
                          jobs1_s=one["wall_s"] if one else None, jobsN_s=many["wall_s"] if many else None))

    pages = find("docx_pagination")
    paged = max(pages, key=lambda x: x["branches"]) if pages else None
    per_branch = paged["wall_s_per_branch"] if paged else None
    ratio = per_branch / baseline if per_branch and baseline else None
    targets.append(target("pagination_vs_soffice", ratio, 1.0, "<=", "ratio",
                          ours_s_per_branch=per_branch, baseline_s=baseline,
                          cpu_s_per_branch=paged["cpu_s_per_branch"] if paged else None,
                          branches=paged["branches"] if paged else None,
                          jobs=paged["jobs"] if paged else None))

    largest = max(plan.scales)
    builds = [x for x in RECORDS if x.get("ok") and x.get("branches") == largest
              and x.get("measure") in ("full_build", "handbook_pdf_build", "clause_edit")]
    if builds:
        key = "peak_pss_tree_sum_mb" if all(x.get("peak_pss_tree_sum_mb") for x in builds) else "peak_rss_tree_sum_mb"
        worst = max(builds, key=lambda x: x[key])
        targets.append(target("peak_memory", worst[key], 600, "<=", "MB", branches=largest, metric=key,
                              measured_on=worst["measure"], jobs=worst.get("jobs"), formats=worst.get("formats"),
                              largest_process_mb=worst["peak_rss_largest_process_mb"],
                              rss_tree_sum_mb=worst["peak_rss_tree_sum_mb"]))
    else:
        targets.append(target("peak_memory", None, 600, "<=", "MB", branches=largest))

    info = {}
    for measure in ("full_build", "handbook_pdf_build", "clause_edit", "docx_pagination"):
        for x in find(measure):
            info[f"{measure}_{x['branches']}"] = {k: x.get(k) for k in (
                "wall_s", "jobs", "formats", "pdf_pages_per_s", "wall_s_per_branch",
                "cpu_s_per_branch", "files_written")
                if x.get(k) is not None}
    code = code_fingerprint()
    if code != plan.code:
        info["warning"] = ("builder/ or templates/ changed during the run (code fingerprint "
                           f"{plan.code} → {code}): the build cache keys on them, so rebuilds measured after "
                           "the change rebuilt everything; run again on a quiet tree")
    return {"measure": "summary", "targets": targets, "passed": sum(t["pass"] is True for t in targets),
            "failed": sum(t["pass"] is False for t in targets), "not_measured": sum(t["pass"] is None for t in targets),
            "informational": info, "errors": ERRORS}


def print_table(result: dict) -> None:
    say("summary")
    for t in result["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        where = f" [{t['branches']} branches]" if t.get("branches") else ""
        value = "—" if t["value"] is None else f"{t['value']}"
        print(f"  {mark}  {t['target']:<22} {value:>9} {t['unit']:<5} {t['op']} {t['limit']}{where}",
              file=sys.stderr)
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the handbook builder on a scaled copy of manual_src/ against WeasyPrint, "
                    "LibreOffice and pandoc; JSON lines on stdout, progress on stderr. See bench/README.md.")
    parser.add_argument("--quick", action="store_true",
                        help="a short try-out: 12 branches, --speedup-branches 6, --reps 2, --baseline-runs 2")
    parser.add_argument("--branches", type=int_list, default=None, metavar="N,N",
                        help="scales (branch counts) to generate; default 50,200 (quick: 12)")
    parser.add_argument("--full-at", type=int_list, default=None, metavar="N,N",
                        help="scales at which to run the full build and the incremental measurements "
                             "(default: the smallest scale)")
    parser.add_argument("--pdf-at", type=int_list, default=None, metavar="N,N",
                        help="scales at which to run the handbook-PDF-only build (default: the largest scale)")
    parser.add_argument("--full-formats", type=name_list, default=list(ALL_FORMATS), metavar="F,F",
                        help="formats of the full build, as handbook build -f (default: docx,pdf,html,xlsx)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="--jobs of the builds (default: CPU cores)")
    parser.add_argument("--speedup-branches", type=int, default=None, metavar="N",
                        help="branches of the --jobs 1 vs --jobs 2 full builds; 0 skips them (default 12; quick: 6)")
    parser.add_argument("--speedup-jobs", type=int, default=2, help="the jobs compared with --jobs 1 (default 2)")
    parser.add_argument("--reps", type=int, default=None, help="in-process repetitions after the warm-up (default 3)")
    parser.add_argument("--baseline-runs", type=int, default=None, help="runs of soffice and pandoc (default 3)")
    parser.add_argument("--sample-branch", default=None, metavar="ID",
                        help="branch of the scaled manual for the per-document comparisons (default: the first, hq-001)")
    parser.add_argument("--only", type=name_list, default=None, metavar="G,G",
                        help=f"run only these groups: {','.join(GROUPS)} (incremental needs full)")
    parser.add_argument("--skip", type=name_list, default=[], metavar="G,G", help="skip these groups")
    parser.add_argument("--workdir", type=Path, default=None, help="work folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (scaled sources, outputs)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds before one command is killed")
    parser.add_argument("--interval", type=float, default=0.05, help="memory sampling interval in seconds")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
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
    bundled = len(yaml.safe_load((ROOT / "manual_src" / "branches.yaml").read_text(encoding="utf-8"))["branches"])
    for n in args.branches + ([args.speedup_branches] if args.speedup_branches else []):
        if n < bundled:
            parser.error(f"{n} branches: every scale needs at least the {bundled} bundled branches")
    args.reps = args.reps if args.reps is not None else (2 if quick else 3)
    args.baseline_runs = args.baseline_runs if args.baseline_runs is not None else (2 if quick else 3)
    return args


def _interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    # Ctrl-C or a kill: end the running command too (it runs in a session of its own), print
    # the summary of what was measured, remove the work folder.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    groups = set(args.only or GROUPS) - set(args.skip)
    env = dict(os.environ, HANDBOOK_SOURCE_REVISION="bench")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    plan = Plan(scales=args.branches, full_at=args.full_at, pdf_at=args.pdf_at, full_formats=args.full_formats,
                jobs=args.jobs, speedup_branches=args.speedup_branches, speedup_jobs=args.speedup_jobs,
                reps=args.reps, baseline_runs=args.baseline_runs, sample_branch=args.sample_branch,
                groups=groups, workdir=workdir.resolve(), handbook=handbook_command(), keep=args.keep)
    runner = Runner(env, args.timeout, args.interval)
    help_text = subprocess.run([*plan.handbook, "build", "--help"], capture_output=True, text=True, env=env,
                               cwd=ROOT).stdout
    plan.cli_jobs, plan.cli_force = "--jobs" in help_text, "--force" in help_text
    plan.cli_pages = "--no-docx-page-numbers" in help_text
    plan.code = code_fingerprint()
    try:
        import weasyprint

        weasyprint_version = weasyprint.__version__
    except Exception:  # noqa: BLE001 - only reported
        weasyprint_version = None
    emit({
        "measure": "env", "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "cpus_usable": default_jobs(), "loadavg_1m": loadavg(),
        "handbook": version_of([*plan.handbook, "--version"], env), "weasyprint": weasyprint_version,
        "code_fingerprint": plan.code, "cli_has_jobs": plan.cli_jobs, "cli_has_force": plan.cli_force,
        "plan": {"branches": plan.scales, "full_build_at": plan.full_at if "full" in groups else [],
                 "handbook_pdf_build_at": plan.pdf_at if "pdf" in groups else [], "full_formats": plan.full_formats,
                 "jobs": plan.jobs, "speedup_branches": plan.speedup_branches if "speedup" in groups else 0,
                 "speedup_jobs": [1, plan.speedup_jobs], "reps": plan.reps, "baseline_runs": plan.baseline_runs,
                 "groups": sorted(groups)},
        "workdir": str(plan.workdir), "env": {"HANDBOOK_SOURCE_REVISION": "bench"},
        "memory_fields": RSS_METHOD,
    })

    interrupted = False
    try:
        sources: dict[int, tuple[Path, list[str]]] = {}
        for n in plan.scales:
            src = plan.workdir / f"src-{n}"
            sources[n] = (src, scale_sources(ROOT / "manual_src", src, n))
        first_src, first_ids = sources[plan.scales[0]]
        branch = plan.sample_branch or first_ids[0]
        if branch not in first_ids:
            raise ValueError(f"--sample-branch {branch} is not a branch of the scaled manual ({first_ids[:6]}…)")

        # The per-document comparisons first: minutes, where the builds take most of an hour.
        renderers = measure_renderers(plan, runner, first_src, branch) if "renderers" in groups else None
        if groups & {"soffice", "pandoc"}:
            docx, html, origin = sample_files(plan, runner, first_src, branch, renderers)
            if "soffice" in groups:
                measure_soffice(plan, runner, docx, branch, origin)
            if "pandoc" in groups:
                measure_pandoc(plan, runner, html, branch, origin)
        for n in plan.scales:
            src, ids = sources[n]
            if "check" in groups:
                measure_check(plan, runner, src, n)
            if "pdf" in groups and n in plan.pdf_at:
                measure_pdf_build(plan, runner, src, n)
            if "full" in groups and n in plan.full_at:
                measure_full_and_incremental(plan, runner, src, n, ids)
            if "pagination" in groups and n in plan.full_at:
                measure_pagination(plan, runner, src, n)
        if "speedup" in groups and plan.speedup_branches > 0:
            measure_speedup(plan, runner)
    except Exception as exc:  # noqa: BLE001 - reported, and the summary of what was measured still printed
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
    if args.strict and result["failed"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
