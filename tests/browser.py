"""Headless Chromium for the tests: Debian's `chromium` driven through Playwright's sync API.

The tests never download a browser (no `playwright install`): they launch the system's
Chromium, found as $HANDBOOK_CHROMIUM or `chromium` on the PATH. `make setup-test`
(tools/system-deps.sh --test, and the venv's `.[test]` extra) installs both. When either is
missing the tests that need a browser FAIL, with a message saying so; they are never skipped.

    browser            the session's Browser (fixture in tests/conftest.py)
    open_page(...)     a fresh page at a given viewport (DESKTOP, PHONE) that records what
                       went wrong while it was open: console errors and warnings, uncaught
                       exceptions, failed requests and HTTP errors; `visit.assert_clean()`

    with open_page(browser, url, PHONE) as visit:
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= PHONE.width + 1
        visit.assert_clean()

Nothing here knows about the portal: the same helpers serve the tests of any page the
builder writes or serves (file://, or http:// from a local server).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

SETUP_HINT = (
    "run `make setup-test` (installs the venv's test extra, with playwright, and runs "
    "`tools/system-deps.sh --test`, which installs Debian's chromium)"
)

# Quiet, reproducible and offline: nothing phones home while a test runs.
ARGS = (
    "--no-sandbox",  # root in containers / CI
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

TIMEOUT_MS = 30_000  # per action and per wait (generous: CI machines are slow and shared)
NAVIGATION_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool = False
    scale: float = 1

    def context_options(self) -> dict:
        options = {
            "viewport": {"width": self.width, "height": self.height},
            "device_scale_factor": self.scale,
        }
        if self.mobile:
            options |= {"is_mobile": True, "has_touch": True}
        return options


DESKTOP = Viewport("desktop", 1280, 900)
PHONE = Viewport("phone", 390, 844, mobile=True, scale=2)  # an iPhone 12–15 sized screen
VIEWPORTS = (DESKTOP, PHONE)


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium is missing, or Chromium does not start."""


def chromium_path() -> str:
    """The Chromium to launch: $HANDBOOK_CHROMIUM, else `chromium` on the PATH."""
    configured = os.environ.get("HANDBOOK_CHROMIUM")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise BrowserUnavailable(
                f"HANDBOOK_CHROMIUM={configured} is not an executable file; "
                f"unset it to use `chromium` from the PATH, or {SETUP_HINT}"
            )
        return configured
    found = shutil.which("chromium")
    if not found:
        raise BrowserUnavailable(
            f"Chromium not found (no `chromium` on the PATH, HANDBOOK_CHROMIUM unset): {SETUP_HINT}"
        )
    return found


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable(
            f"the Python package playwright is not installed ({exc}): {SETUP_HINT}"
        ) from None
    return sync_playwright


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (a playwright Browser) for the duration of the block."""
    executable = chromium_path()
    with _sync_playwright()() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                args=list(ARGS),
                timeout=NAVIGATION_TIMEOUT_MS,
            )
        except Exception as exc:  # playwright's Error: Chromium crashed or is not a Chromium
            raise BrowserUnavailable(f"could not start {executable}: {exc}\n{SETUP_HINT}") from exc
        from playwright.sync_api import expect

        expect.set_options(timeout=TIMEOUT_MS)  # expect(...) waits as long as the other actions
        try:
            yield browser
        finally:
            browser.close()


def browser_fixture() -> Iterator:
    """The body of the session-scoped `browser` fixture: fails (not skips) when unavailable."""
    problem = None
    try:
        with chromium() as browser:
            yield browser
    except BrowserUnavailable as exc:
        problem = str(exc)
    if problem:  # outside the handler: the message alone, no chained traceback
        pytest.fail(f"headless Chromium unavailable: {problem}", pytrace=False)


@dataclass
class Visit:
    """A page and what went wrong while it was open."""

    page: object  # playwright.sync_api.Page
    viewport: Viewport
    console: list[str] = field(default_factory=list)  # console errors and warnings
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions ("pageerror")
    failed_requests: list[str] = field(
        default_factory=list
    )  # "requestfailed", and HTTP status >= 400

    @property
    def problems(self) -> list[str]:
        return (
            [f"console {m}" for m in self.console]
            + [f"page error: {e}" for e in self.page_errors]
            + [f"request failed: {r}" for r in self.failed_requests]
        )

    def assert_clean(self) -> None:
        assert not self.problems, (
            f"{self.page.url} at {self.viewport.name} width:\n  " + "\n  ".join(self.problems)
        )

    def goto(self, url: str, wait_until: str = "load"):
        """Navigate, and fail on an HTTP error status (file:// has none)."""
        response = self.page.goto(url, wait_until=wait_until)
        if response is not None and response.status >= 400:
            raise AssertionError(f"{url}: HTTP {response.status}")
        return response


def _location(message) -> str:
    where = message.location or {}
    url = where.get("url")
    return f" ({url}:{where.get('lineNumber', 0) + 1})" if url else ""


@contextmanager
def open_page(
    browser,
    url: str | None = None,
    viewport: Viewport = DESKTOP,
    *,
    wait_until: str = "load",
    **context_options,
) -> Iterator[Visit]:
    """A page in a new browser context (own viewport, cookies, cache) with the recorders attached
    before anything loads; navigates to `url` when given. Closed after the block."""
    context = browser.new_context(**(viewport.context_options() | context_options))
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        page = context.new_page()
        visit = Visit(page, viewport)
        page.on(
            "console",
            lambda m: (
                visit.console.append(f"{m.type}: {m.text}{_location(m)}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
        page.on("crash", lambda _: visit.page_errors.append("the page crashed"))
        page.on(
            "requestfailed",
            lambda r: visit.failed_requests.append(f"{r.method} {r.url}: {r.failure}"),
        )
        page.on(
            "response",
            lambda r: (
                visit.failed_requests.append(f"{r.request.method} {r.url}: HTTP {r.status}")
                if r.status >= 400
                else None
            ),
        )
        if url is not None:
            visit.goto(url, wait_until=wait_until)
        yield visit
    finally:
        context.close()


def file_path(url: str) -> Path:
    """The local path of a file:// URL (without its query or fragment)."""
    parts = urlparse(url)
    if parts.scheme != "file":
        raise ValueError(f"not a file:// URL: {url}")
    return Path(unquote(parts.path))
