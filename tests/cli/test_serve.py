"""`handbook serve`: the live preview. The server's pieces alone, the command's errors, and the
whole loop in a real Chromium: a saved change reloads the open page, a broken source shows its
problem on the page (and in the terminal) while the output stays as it was, the fix clears it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from builder.preview.serve import Builds, Hub, _Handler, make_server

ROOT = Path(__file__).resolve().parents[2]


# -- the pieces ---------------------------------------------------------------------------------


def test_hub_tells_a_page_every_page_changed_since_it_was_served():
    hub = Hub()
    hub.update(building=True)
    hub.update(building=False, changed={"/hq/index.html"})
    hub.update(changed={"/hq/handbook.html"})
    assert hub.state(0)["changed"] == ["/hq/handbook.html", "/hq/index.html"]
    assert hub.state(1)["changed"] == ["/hq/handbook.html"]
    assert hub.state(2)["changed"] == []
    hub.update(problems=["manual_src/x.yaml:1:2: 问题"])  # a failed build changes nothing
    state = hub.state(2)
    assert state == {
        "generation": 2,
        "building": False,
        "problems": ["manual_src/x.yaml:1:2: 问题"],
        "changed": [],
    }


def test_hub_asks_a_page_further_behind_than_its_history_to_reload():
    hub = Hub()
    for i in range(hub.history.maxlen + 3):
        hub.update(changed={f"/p{i}.html"})
    assert hub.state(0)["changed"] == ["*"]
    assert hub.state(hub.generation - 1)["changed"] == [f"/p{hub.generation - 1}.html"]


def test_the_live_script_goes_before_the_last_closing_body_tag():
    page = "<html><body><p>&lt;/body&gt; 不是标签</p></BODY ></html>".encode()
    live = _Handler._live(page, 7)
    assert live.endswith(
        b'<script src="/__handbook__/live.js" data-generation="7"></script>\n</BODY ></html>'
    )
    assert _Handler._live(b"<p>x</p>", 1).startswith(b"<p>x</p><script")


def test_a_change_builds_the_html_first_when_more_was_asked_for(tmp_path):
    everything = Builds(
        src=tmp_path / "src", out=tmp_path / "out", templates=None, branches=("hq",), formats=()
    )
    assert everything.steps() == [("html",), ("docx", "pdf", "html", "xlsx")]
    assert "-f" not in everything.command(("docx", "pdf", "html", "xlsx"))
    argv = everything.command(("html",))
    assert argv[argv.index("-f") + 1] == "html" and argv[argv.index("-b") + 1] == "hq"
    html = Builds(src=tmp_path, out=tmp_path, templates=None, branches=(), formats=("html",))
    assert html.steps() == [("html",)]
    assert Builds(
        src=tmp_path, out=tmp_path, templates=None, branches=(), formats=("pdf",)
    ).steps() == [("pdf",)]


def _get(url: str, timeout: float = 10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_server_adds_the_script_to_pages_only_and_streams_the_state(tmp_path):
    out = tmp_path / "output"
    (out / "hq").mkdir(parents=True)
    (out / "hq" / "index.html").write_text("<html><body>分公司</body></html>", encoding="utf-8")
    (out / "hq" / "forms.xlsx").write_bytes(b"PK\x03\x04 not really")
    hub = Hub()
    server = make_server(out, hub, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, headers, body = _get(base + "/hq/")
        assert status == 200 and "分公司".encode() in body and b"/__handbook__/live.js" in body
        assert headers["Cache-Control"] == "no-store"
        assert (out / "hq" / "index.html").read_text(
            encoding="utf-8"
        ) == "<html><body>分公司</body></html>"
        status, _, body = _get(base + "/hq/forms.xlsx")
        assert status == 200 and body == b"PK\x03\x04 not really"
        status, headers, body = _get(base + "/__handbook__/live.js")
        assert (
            status == 200
            and headers["Content-Type"].startswith("text/javascript")
            and b"EventSource" in body
        )
        status, _, body = _get(base + "/beijing/index.html")
        assert status == 404 and "正在生成".encode() in body and b"live.js" in body
        status, _, _ = _get(base + "/../../etc/passwd")
        assert status == 404

        events = urllib.request.urlopen(base + "/__handbook__/events?since=0", timeout=10)
        assert events.headers["Content-Type"].startswith("text/event-stream")
        assert _next_state(events)["changed"] == []
        hub.update(building=True)
        assert _next_state(events)["building"] is True
        hub.update(building=False, problems=["源文件:1:1: 错误"], changed={"/hq/index.html"})
        assert _next_state(events) == {
            "generation": 1,
            "building": False,
            "problems": ["源文件:1:1: 错误"],
            "changed": ["/hq/index.html"],
        }
        hub.close()
        assert events.read() == b""  # the stream ends when the server stops
    finally:
        hub.close()
        server.shutdown()
        server.server_close()


def _next_state(stream) -> dict:
    lines = []
    while True:
        line = stream.readline().decode("utf-8")
        if line.startswith(":"):
            continue
        if line == "\n" and lines:
            break
        lines.append(line.rstrip("\n"))
    assert lines[0] == "event: state"
    return json.loads(lines[1].removeprefix("data: "))


# -- the command's errors ------------------------------------------------------------------------


def test_serve_names_an_unknown_branch_and_exits_1(run, src):
    result = run("serve", "--src", str(src), "-b", "hqq", "--port", "0")
    assert result.exit_code == 1
    assert "未知的分支机构“hqq”" in result.output and "hq" in result.output


def test_serve_says_when_the_port_is_taken(run_process, src):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_process("serve", "--src", str(src), "--port", str(port))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"错误：无法在 127.0.0.1:{port} 上启动预览服务"), result.stderr
    assert "该端口可能已被占用，请用 --port 指定其他端口" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_help_names_the_options(run):
    result = run("serve", "--help")
    assert result.exit_code == 0
    for option in ("--port", "--branch", "--format", "--src", "--out", "--templates"):
        assert option in result.output


# -- the whole loop, in Chromium -----------------------------------------------------------------


class Serving:
    """`handbook serve` in a child process; its terminal output is collected."""

    def __init__(self, *args: str, cwd: Path):
        env = dict(os.environ, HANDBOOK_SOURCE_REVISION="test", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "builder", "serve", "--port", "0", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.done = False  # the child closed its output
        self.seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"预览地址：(http://127\.0\.0\.1:\d+/\S*)", timeout=60).group(1)

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.seen:
                self.lines.append(line.rstrip("\n"))
                self.seen.notify_all()
        with self.seen:
            self.done = True
            self.seen.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120, start: int = 0) -> re.Match:
        deadline = time.monotonic() + timeout
        with self.seen:
            while True:
                for line in self.lines[start:]:
                    found = re.search(pattern, line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or self.done:
                    raise AssertionError(
                        f"serve never printed /{pattern}/; it printed:\n" + "\n".join(self.lines)
                    )
                self.seen.wait(min(left, 1))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def test_a_saved_change_reloads_the_open_page_and_a_problem_shows_on_it(browser, src, tmp_path):
    from tests.browser import open_page

    out = tmp_path / "output"
    chapter = src / "chapters" / "01-general.yaml"
    good = chapter.read_text(encoding="utf-8")
    serving = Serving(
        "--src", str(src), "--out", str(out), "-b", "hq", "-f", "html", "-f", "xlsx", cwd=ROOT
    )
    try:
        assert serving.url.endswith("/hq/index.html")
        serving.wait_for(r"全部格式：完成")  # the HTML step, then the rest
        with open_page(browser, serving.url) as visit:
            page = visit.page
            assert page.title().startswith("瀚川科技总部")
            page.click("text=在线阅读")
            page.wait_for_url("**/hq/handbook.html")
            assert "特制定本手册。" in page.inner_text("body")
            page.evaluate("window.scrollTo(0, 1500); window.notReloaded = true")

            # A saved change: the open page reloads with it, where the reader was.
            chapter.write_text(
                good.replace("特制定本手册。", "特制定本手册（预览）。"), encoding="utf-8"
            )
            page.wait_for_function(
                "document.body.innerText.includes('特制定本手册（预览）')", timeout=90_000
            )
            assert page.evaluate("window.notReloaded") is None
            page.wait_for_function("Math.abs(window.scrollY - 1500) < 5")
            changed = (out / "hq" / "handbook.html").read_bytes()

            # A broken source: the problem, with file:line:column, on the page and in the terminal;
            # the output stays as it was.
            mark = len(serving.lines)
            chapter.write_text(good.replace("title: 总则", "title: 总则: 章"), encoding="utf-8")
            panel = page.wait_for_selector("#handbook-serve-problems", timeout=90_000)
            problem = re.search(r"01-general\.yaml:2:\d+: YAML 语法错误", panel.inner_text())
            assert problem, panel.inner_text()
            serving.wait_for(re.escape(problem.group(0)), start=mark)
            assert (out / "hq" / "handbook.html").read_bytes() == changed

            # Fixed: the problem goes away and the page follows the sources again.
            chapter.write_text(good, encoding="utf-8")
            page.wait_for_function(
                "document.body.innerText.includes('特制定本手册。')", timeout=90_000
            )
            assert page.query_selector("#handbook-serve-problems") is None
            # The event stream of a page is cut when the page reloads: not a broken link.
            problems = [
                p
                for p in visit.problems
                if not re.search(r"/__handbook__/events\S*: net::ERR_ABORTED$", p)
            ]
            assert not problems, problems
    finally:
        code = serving.stop()
    assert code == 0, "\n".join(serving.lines)
    assert serving.lines[-1] == "预览已停止。"


def test_a_newer_change_cuts_the_slow_formats_short_and_the_output_stays_whole(run, src, tmp_path):
    out = tmp_path / "output"
    chapter = src / "chapters" / "01-general.yaml"
    good = chapter.read_text(encoding="utf-8")
    serving = Serving(
        "--src", str(src), "--out", str(out), "-b", "hq", "-f", "html", "-f", "pdf", cwd=ROOT
    )
    try:
        serving.wait_for(r"全部格式：完成", timeout=180)
        mark = len(serving.lines)
        chapter.write_text(good.replace("特制定本手册。", "特制定本手册（一）。"), encoding="utf-8")
        serving.wait_for(r"HTML：完成", start=mark)
        chapter.write_text(
            good.replace("特制定本手册。", "特制定本手册（二）。"), encoding="utf-8"
        )  # while the PDF renders
        serving.wait_for(r"有新的变化，其余格式稍后生成", start=mark)
        serving.wait_for(r"全部格式：完成", start=mark, timeout=180)
        assert "特制定本手册（二）" in (out / "hq" / "handbook.html").read_text(encoding="utf-8")
        verified = run("verify", str(out), "--strict")
        assert verified.exit_code == 0, verified.output
    finally:
        code = serving.stop()
    assert code == 0, "\n".join(serving.lines)
