from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "manual_src"


@pytest.fixture(scope="session")
def manual():
    from builder.sources.load import load_manual

    return load_manual(SRC)


@pytest.fixture
def src(tmp_path) -> Path:
    """A private copy of the bundled manual that a test may break."""
    dest = tmp_path / "manual_src"
    shutil.copytree(SRC, dest)
    return dest


ROOTS = Path(__file__).resolve().parent / "roots"


@pytest.fixture
def root(tmp_path):
    """root(name): a private copy of a small fixture manual, tests/roots/<name>/, for tests that
    need a valid source tree but not the bundled 110-page manual."""

    def copy(name: str = "minimal") -> Path:
        dest = tmp_path / f"{name}_src"
        shutil.copytree(ROOTS / name, dest)
        return dest

    return copy


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Run the `handbook` CLI in tmp_path, in this process; returns the click Result. An uncaught
    exception is raised into the test (so it fails), never printed: to check what a user sees
    of a failure (no traceback), use `run_process`."""
    from builder.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def run_process(tmp_path):
    """Run `handbook` as a user does, in its own process (`python -m builder`) in tmp_path (or
    `cwd`); returns the CompletedProcess, text. Unlike the `run` fixture's CliRunner, which
    raises an uncaught exception into the test, this shows what the user sees: a traceback, if
    any, is printed to stderr."""

    def invoke(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return handbook_process(*args, cwd=cwd or tmp_path)

    return invoke


def handbook_process(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """`python -m builder ARGS` in `cwd`, this checkout first on the path, `env` added to the
    environment (HANDBOOK_DEBUG left out): what run_process runs, for module-scoped fixtures."""
    environ = {k: v for k, v in os.environ.items() if k != "HANDBOOK_DEBUG"}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="session")
def built_hq(tmp_path_factory) -> Path:
    """The head office's handbook built once per session, in every format."""
    from builder.release.build import build_outputs
    from builder.sources.load import load_manual

    out = tmp_path_factory.mktemp("out") / "output"
    build_outputs(
        load_manual(SRC),
        out=out,
        branches=["hq"],
        formats=["pdf", "html"],
        forms=[],
        progress=False,
    )
    return out / "hq"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through playwright (tests/browser.py): once per session.
    Fails the tests that use it, with what to install, when Chromium or playwright is missing."""
    from tests.browser import browser_fixture

    yield from browser_fixture()
