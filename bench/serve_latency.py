#!/usr/bin/env python3
"""How long an editor waits under `handbook serve`: from saving a clause to the server telling the
open handbook page to reload (its Server-Sent Event), against the baseline of running
`handbook build -b BRANCH -f html` by hand after the same save (a fresh process, warm cache).

Prints one JSON line per run and a summary line (medians, and their ratio) on stderr:
    .venv/bin/python bench/serve_latency.py [--runs 5] [--branch hq] [--formats all|html]
With --formats all (the default) the server also renders the other formats after the HTML;
the figure is still the wait for the page, which is what the editor sees.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = "特制定本手册"  # in chapters/01-general.yaml


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--branch", default="hq")
    parser.add_argument("--formats", choices=("all", "html"), default="all")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    try:
        src = work / "manual_src"
        shutil.copytree(ROOT / "manual_src", src)
        by_hand = work / "by-hand"
        shutil.copytree(src, by_hand)
        subprocess.run([sys.executable, "-m", "builder", "build", "--src", str(by_hand), "--out", str(work / "by-hand-out"),
                        "-b", args.branch, "-f", "html", "-q"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, HANDBOOK_SOURCE_REVISION="bench"))  # warm: the cache, the page cache
        chapter = src / "chapters" / "01-general.yaml"
        original = chapter.read_text(encoding="utf-8")
        env = dict(os.environ, HANDBOOK_SOURCE_REVISION="bench", PYTHONUNBUFFERED="1")
        formats = ["-f", "html"] if args.formats == "html" else []
        serve = subprocess.Popen([sys.executable, "-m", "builder", "serve", "--port", "0", "--src", str(src),
                                  "--out", str(work / "output"), "-b", args.branch, *formats], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        threading.Thread(target=lambda: [lines.append(line.rstrip("\n")) for line in serve.stdout], daemon=True).start()
        done = "全部格式：完成" if args.formats == "all" else "完成"

        def wait_for(text: str, start: int = 0) -> None:
            while not any(text in line for line in lines[start:]):
                if serve.poll() is not None:
                    raise SystemExit("serve stopped:\n" + "\n".join(lines))
                time.sleep(0.05)

        wait_for("预览地址")
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", next(line for line in lines if "预览地址" in line)).group(1)
        wait_for(done)  # the first build, every step
        page = f"/{args.branch}/handbook.html"
        served, manual = [], []
        for run in range(args.runs):
            # the server: save, then wait for the event that tells the open page to reload
            with urllib.request.urlopen(base + "/__handbook__/events?since=0", timeout=30) as stream:
                generation = _next(stream)["generation"]
            with urllib.request.urlopen(f"{base}/__handbook__/events?since={generation}", timeout=120) as stream:
                _next(stream)  # the state as it is
                mark = len(lines)
                started = time.monotonic()
                chapter.write_text(original.replace(ANCHOR, f"{ANCHOR}（{run}）", 1), encoding="utf-8")
                while page not in _next(stream)["changed"]:
                    pass
                served.append(time.monotonic() - started)
            wait_for(done, mark)
            # the baseline: the same save in a copy the server does not watch, then `handbook
            # build` by hand (the server is idle meanwhile)
            (by_hand / "chapters" / "01-general.yaml").write_text(
                original.replace(ANCHOR, f"{ANCHOR}（{run}）", 1), encoding="utf-8")
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "builder", "build", "--src", str(by_hand), "--out", str(work / "by-hand-out"),
                            "-b", args.branch, "-f", "html", "-q"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            manual.append(time.monotonic() - started)
            time.sleep(1)
            print(json.dumps({"run": run, "serve_save_to_reload_s": round(served[-1], 3),
                              "build_by_hand_s": round(manual[-1], 3)}), flush=True)
        serve.send_signal(2)
        serve.wait(60)
        s, m = statistics.median(served), statistics.median(manual)
        print(f"serve: save → reload event, median {s:.2f} s; `handbook build -b {args.branch} -f html` by hand, "
              f"median {m:.2f} s; ratio {s / m:.2f} (load average {os.getloadavg()[0]:.2f})", file=sys.stderr)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _next(stream) -> dict:
    data = None
    while True:
        line = stream.readline().decode("utf-8")
        if line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "\n" and data is not None:
            return data


if __name__ == "__main__":
    sys.exit(main())
