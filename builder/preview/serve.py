"""`handbook serve`: a live preview for editors.

It builds, serves the output folder on 127.0.0.1, watches the sources and the templates, and
on every saved change rebuilds (the build cache makes that "what changed") and reloads the open
pages that the rebuild changed. When the sources have a problem, the build's messages go to the
terminal and over the open pages, and the output keeps its last good state.

- Each build is a `handbook build` child process. Its messages are exactly the command's, a
  crash cannot take the server down, and the parent never forks with its server threads running
  (the build forks workers of its own).
- A change is built in two steps when more than HTML was asked for: first the HTML handbook and
  the portal pages, which take a second or two and are what an editor reads, then the rest.
- The files in output/ are never altered for the preview: the few lines of builder/live.js are
  added to HTML pages as they are served, and the pages listen for Server-Sent Events.
- The server is the standard library's http.server (one thread per request), which is enough
  for one editor's browser; watching uses watchfiles (inotify, or polling with
  WATCHFILES_FORCE_POLLING=1).
"""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click

from builder.release.plan import FORMATS

LIVE = "/__handbook__/"
LIVE_SCRIPT = Path(__file__).with_name("live.js")
HISTORY = 200  # builds whose changed files a page that is behind can still be told about
HEARTBEAT = 15.0  # seconds between keep-alive comments on an idle event stream


# -- the state the builds publish and the pages follow ---------------------------------------


@dataclass
class Hub:
    """What the open pages are told: the build generation, whether a build runs, the problems of
    the last build, and which output files each build changed."""

    generation: int = 0
    building: bool = False
    problems: list[str] = field(default_factory=list)
    history: collections.deque = field(default_factory=lambda: collections.deque(maxlen=HISTORY))
    closed: bool = False
    version: int = 0  # bumped on every change of the above
    lock: threading.Condition = field(default_factory=threading.Condition)

    def update(
        self,
        *,
        building: bool | None = None,
        problems: list[str] | None = None,
        changed: set[str] | None = None,
    ) -> None:
        with self.lock:
            if building is not None:
                self.building = building
            if problems is not None:
                self.problems = problems
            if changed:
                self.generation += 1
                self.history.append((self.generation, frozenset(changed)))
            self.version += 1
            self.lock.notify_all()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def state(self, since: int) -> dict:
        """The state for a page served at generation `since`: every URL path changed after it
        ("*" when that is further back than the history)."""
        with self.lock:
            if since < self.generation and (not self.history or self.history[0][0] > since + 1):
                changed = ["*"]
            else:
                changed = sorted({p for g, paths in self.history if g > since for p in paths})
            return {
                "generation": self.generation,
                "building": self.building,
                "problems": self.problems,
                "changed": changed,
            }

    def wait(self, version: int, timeout: float) -> int | None:
        """The new version once it differs from `version`; None on timeout or when closed."""
        with self.lock:
            self.lock.wait_for(lambda: self.version != version or self.closed, timeout)
            return None if self.closed or self.version == version else self.version


# -- the HTTP server ---------------------------------------------------------------------------

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


class _Handler(SimpleHTTPRequestHandler):
    """output/ as files, HTML pages with the live script added, and the event stream."""

    hub: Hub
    script: bytes

    def log_message(self, format: str, *args) -> None:  # the terminal is for the builds
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == LIVE + "live.js":
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", self.script, head)
        if path == LIVE + "events" and not head:
            return self._events(urlsplit(self.path).query)
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not path.endswith("/"):
                return super().do_HEAD() if head else super().do_GET()  # the redirect to ".../"
            target = target / "index.html"
        generation = self.hub.generation  # before reading: a page read later is never older
        if target.suffix == ".html" and target.is_file():
            try:
                page = target.read_bytes()
            except OSError:
                page = None
            if page is not None:
                return self._send(
                    HTTPStatus.OK, "text/html; charset=utf-8", self._live(page, generation), head
                )
        if not target.exists():
            return self._send(
                HTTPStatus.NOT_FOUND,
                "text/html; charset=utf-8",
                self._missing(path, generation),
                head,
            )
        return super().do_HEAD() if head else super().do_GET()

    @staticmethod
    def _live(page: bytes, generation: int) -> bytes:
        tag = f'<script src="{LIVE}live.js" data-generation="{generation}"></script>\n'.encode()
        ends = list(_BODY_END.finditer(page))
        if not ends:
            return page + tag
        at = ends[-1].start()
        return page[:at] + tag + page[at:]

    def _missing(self, path: str, generation: int) -> bytes:
        from html import escape

        from builder.writers.templates import FAVICON

        if self.hub.building or self.hub.generation == 0:
            text = "正在生成，完成后本页会自动刷新。"
        else:
            text = (
                f"找不到 {escape(path)}：这个文件没有生成（可能不在本次预览的分支机构或格式中）。"
            )
        body = (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>手册预览</title>"
            f'<link rel="icon" href="{FAVICON}"></head>'
            f'<body style="font-family: sans-serif; margin: 2em"><h1>手册预览</h1><p>{text}</p>'
            '<p><a href="/index.html">全部分支机构</a></p></body></html>'
        )
        return self._live(body.encode("utf-8"), generation)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, query: str) -> None:
        """Server-Sent Events: the state at once, then on every change; a comment when idle
        so that a closed tab is noticed."""
        try:
            since = int(parse_qs(query).get("since", ["0"])[0])
        except ValueError:
            since = 0
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        version = -1
        try:
            while True:
                with self.hub.lock:
                    version, closed = self.hub.version, self.hub.closed
                if closed:
                    return
                data = json.dumps(self.hub.state(since), ensure_ascii=False)
                self.wfile.write(f"event: state\ndata: {data}\n\n".encode())
                self.wfile.flush()
                while self.hub.wait(version, HEARTBEAT) is None:
                    if self.hub.closed:
                        return
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def make_server(out: Path, hub: Hub, port: int) -> _Server:
    """The server of `out` on 127.0.0.1:port (0: any free port). Raises OSError."""
    handler = type("Handler", (_Handler,), {"hub": hub, "script": LIVE_SCRIPT.read_bytes()})

    class Bound(_Server):
        def finish_request(self, request, client_address):
            handler(request, client_address, self, directory=str(out))

    return Bound(("127.0.0.1", port), handler)


# -- the builds ----------------------------------------------------------------------------------


def snapshot(out: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under `out` with what changes when a build rewrites it."""
    files = {}
    for folder, _, names in os.walk(out):
        for name in names:
            path = Path(folder) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            files[path.relative_to(out).as_posix()] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return files


@dataclass(frozen=True)
class Builds:
    """How to run `handbook build` for the preview."""

    src: Path
    out: Path
    templates: Path | None
    branches: tuple[str, ...]
    formats: tuple[str, ...]

    def steps(self) -> list[tuple[str, ...]]:
        """The formats of each step: the HTML first when more was asked for."""
        formats = self.formats or FORMATS
        if "html" in formats and len(formats) > 1:
            return [("html",), formats]
        return [formats]

    def command(self, formats: tuple[str, ...]) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "builder",
            "build",
            "--src",
            str(self.src),
            "--out",
            str(self.out),
            "-q",
        ]
        for branch in self.branches:
            argv += ["-b", branch]
        if formats != FORMATS:
            for fmt in formats:
                argv += ["-f", fmt]
        if self.templates is not None:
            argv += ["--templates", str(self.templates)]
        return argv

    def run(self, hub: Hub, newer: threading.Event, stop: threading.Event, echo=click.echo) -> None:
        """Build every step, telling the pages about each. A step after the first is cut short
        when `newer` is set (a newer change: its HTML matters more than this one's PDF), any
        step when `stop` is; an interrupted build leaves the output as it was."""
        steps = self.steps()
        for index, formats in enumerate(steps):
            if stop.is_set() or index and newer.is_set():
                return
            before = snapshot(self.out)
            hub.update(building=True)
            started = time.monotonic()
            process = subprocess.Popen(
                self.command(formats),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            interrupted = False
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    if not interrupted and (stop.is_set() or index and newer.is_set()):
                        process.send_signal(signal.SIGINT)  # the build discards its staging folder
                        interrupted = True
            after = snapshot(self.out)
            changed = {
                "/" + p
                for p in set(before) ^ set(after)
                | {p for p in after if p in before and after[p] != before[p]}
                if p.endswith(".html")
            }  # the pages, which are what reloads
            if interrupted:
                echo(
                    f"{time.strftime('%H:%M:%S')} 有新的变化，其余格式稍后生成。"
                    if not stop.is_set()
                    else "已中止生成。"
                )
                hub.update(building=False, changed=changed)
                return
            label = ("HTML：" if index == 0 else "全部格式：") if len(steps) > 1 else ""
            for line in stdout.splitlines():
                echo(
                    f"{time.strftime('%H:%M:%S')} {label}{line}"
                    f"（{time.monotonic() - started:.1f} 秒）"
                )
            problems = [line for line in stderr.splitlines() if line.strip()]
            for line in problems:
                echo(line, err=True)
            if process.returncode != 0:
                if not problems:
                    problems = [f"handbook build 异常退出（退出码 {process.returncode}）"]
                echo("以上问题也显示在预览页面上；修改源文件并保存后会自动重试。", err=True)
                hub.update(building=False, problems=problems, changed=changed)
                return
            hub.update(building=False, problems=[], changed=changed)


def serve(builds: Builds, port: int, watch_paths: list[Path]) -> None:
    """Serve, build, then rebuild on every change until Ctrl+C (or SIGTERM)."""
    import watchfiles

    hub = Hub()
    try:
        server = make_server(builds.out, hub, port)
    except OSError as exc:
        click.echo(
            f"错误：无法在 127.0.0.1:{port} 上启动预览服务（{exc.strerror or exc}）"
            + (
                "；该端口可能已被占用，请用 --port 指定其他端口（0 表示任选空闲端口）"
                if port
                else ""
            ),
            err=True,
        )
        sys.exit(1)
    threading.Thread(target=server.serve_forever, name="handbook-serve", daemon=True).start()
    page = f"{builds.branches[0]}/index.html" if len(builds.branches) == 1 else ""
    click.echo(f"预览地址：http://127.0.0.1:{server.server_address[1]}/{page}")
    click.echo(f"监视 {'、'.join(str(p) for p in watch_paths)}，保存即重新生成；按 Ctrl+C 退出。")

    changed, stop = threading.Event(), threading.Event()
    changed.set()  # the first build

    def builder() -> None:
        while True:
            changed.wait()
            if stop.is_set():
                return
            changed.clear()
            builds.run(hub, changed, stop)

    building = threading.Thread(target=builder, name="handbook-build", daemon=True)
    building.start()
    signal.signal(signal.SIGTERM, lambda *_: _interrupt())
    # Ctrl+C stops the preview even when it was started where SIGINT is ignored (a background
    # job of a non-interactive shell, a CI runner): Python then installs no handler of its own.
    # Handled here, the builds it starts get the default back on exec, so a newer save can
    # still interrupt them.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for changes in watchfiles.watch(
            *watch_paths, stop_event=stop, debounce=300, step=50, raise_interrupt=True
        ):
            names = sorted({_shown(Path(p), watch_paths) for _, p in changes})
            click.echo(
                f"{time.strftime('%H:%M:%S')} 有变化：{'、'.join(names[:5])}"
                f"{' 等' if len(names) > 5 else ''}"
            )
            changed.set()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        changed.set()
        building.join(60)
        hub.close()
        server.shutdown()
        server.server_close()
    click.echo("预览已停止。")


def _interrupt() -> None:
    raise KeyboardInterrupt


def _shown(path: Path, roots: list[Path]) -> str:
    for root in roots:
        try:
            return (root.name + "/" + path.resolve().relative_to(root.resolve()).as_posix()).rstrip(
                "/"
            )
        except ValueError:
            continue
    return str(path)
