"""A long-lived process does not grow (issue 14): many in-process builds, each of a fresh copy
of the bundled manual into a fresh output folder, must leave behind no more memory than the
first few did.

The builds run in one child process, so that nothing of pytest's (its assertion rewriting, the
other tests' objects) takes part in the measurement. After a few warm-up builds (imports, the
caches of a first build, Jinja's compiled templates), tracemalloc follows every Python
allocation while more builds run; after each, a full collection, then the memory still traced.
Unlike RSS, which moves in whole pages and by what the allocator keeps back, this counts only
objects that are still reachable.

The bound. The YAML constructor's memo once kept every node and mark of every source file ever
read: 2.9 MB of traced memory (3.7 MB RSS) per build of the bundled manual, some ten times the
bytes of its sources; `make fuzz` grew past 4 GB. This test measured 3.4 MB per build then. A
build now leaves 2 to 5 KB behind, most of it click's test runner (click caches each stdout
wrapper the runner installs in a WeakKeyDictionary whose value is the key itself). 0.1 MB per
build is 20 times that, and a thirtieth of the old leak: what the parsed nodes of a 10 KB source
file would weigh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, SRC

WARM_UP = 4
MEASURED = 16
BOUND_MB_PER_BUILD = 0.1

# Run by a fresh interpreter. Most builds use the default pool of forked workers, as `handbook
# build` does; every fourth has one worker, so that the writers run in this process too and their
# caches count (the build process itself never imports the writer libraries).
SCRIPT = textwrap.dedent("""
    import gc, json, os, shutil, sys, tempfile, tracemalloc
    from pathlib import Path
    from click.testing import CliRunner
    from builder.cli import main

    src, warm_up, measured = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

    def rss_mb():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    # forked workers need not trace: only this process is measured
    os.register_at_fork(after_in_child=tracemalloc.stop)
    traced, rss = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(warm_up + measured):
            if i == warm_up:
                tracemalloc.start()
            copy, out = Path(tmp) / f"src{i}", Path(tmp) / f"out{i}"
            shutil.copytree(src, copy)
            jobs = ["-j", "1"] if i % 4 == 3 else []
            args = ["build", "--src", str(copy), "--out", str(out), "-q", "-b", "hq",
                    "-f", "html", "-f", "xlsx", *jobs]
            result = CliRunner().invoke(main, args)
            if result.exit_code:
                sys.exit(f"build {i} failed: {result.output} {result.exception!r}")
            shutil.rmtree(copy)
            shutil.rmtree(out)
            del result
            gc.collect()
            if i >= warm_up:
                traced.append(tracemalloc.get_traced_memory()[0] / 2**20)
                rss.append(rss_mb())
    print(json.dumps({"traced": traced, "rss": rss}))
""")


@pytest.mark.slow
def test_repeated_builds_do_not_grow_the_process(tmp_path):
    # this checkout's builder, whatever the environment has installed
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "HANDBOOK_SOURCE_REVISION": "test", "PYTHONPATH": path}
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SRC), str(WARM_UP), str(MEASURED)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=270,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    traced, rss = found["traced"], found["rss"]
    # from the end of the first measured build to the end of the last one
    per_build = (traced[-1] - traced[0]) / (len(traced) - 1)
    assert per_build < BOUND_MB_PER_BUILD, (
        f"each build left {per_build:.3f} MB behind (traced: "
        f"{', '.join(f'{t:.2f}' for t in traced)} MB; RSS {rss[0]:.0f} → {rss[-1]:.0f} MB)"
    )
