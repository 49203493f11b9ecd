"""A build killed halfway (SIGKILL, so no clean-up code runs) leaves the previous output as it
was; the next build cleans up what the killed one left and publishes normally. Also the
publishing rules on their own: the lock beside (never inside) the output folder, released by
the kernel when its holder dies, and the clean-up of stale staging and parked folders."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.release.cache import STATE
from builder.release.publish import Staging
from tests.conftest import ROOT, SRC

BRANCH = "wuhan"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`: sha256 of each file, "dir" for each folder. The
    build cache's state is left out: it records this machine's inodes and mtimes."""
    return {
        str(p.relative_to(folder)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.name != STATE
    }


def handbook(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "HANDBOOK_SOURCE_REVISION": "test"}
    return subprocess.Popen(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kwargs,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err


def staging_folders(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.staging-")]


def written_in(staging: Path) -> int:
    """Files the build has written so far: the rest are hard links to the previous output."""
    count = 0
    for p in staging.rglob("*"):
        try:
            if p.is_file() and p.stat().st_nlink == 1:
                count += 1
        except FileNotFoundError:  # unlinked just before being rewritten
            pass
    return count


@pytest.mark.slow
def test_sigkill_halfway_leaves_output_identical(tmp_path):
    out = tmp_path / "output"
    code, log = finish(handbook("build", "--src", str(SRC), "--out", str(out), "-b", BRANCH, "-q"))
    assert code == 0, log
    before = snapshot(out)
    assert (
        len([k for k, v in before.items() if v != "dir"]) > 50
    )  # handbook ×3, forms.xlsx, 18 forms ×3, manifest

    build = handbook(
        "build", "--src", str(SRC), "--out", str(out), "-b", BRANCH, "-q", "--force", "-j", "2"
    )
    deadline = time.monotonic() + 240
    staging: Path | None = None
    while time.monotonic() < deadline and build.poll() is None:
        found = staging_folders(out)
        if found and written_in(found[0]) >= 8:  # past the handbook, into the forms
            staging = found[0]
            break
        time.sleep(0.05)
    assert staging is not None, f"the build ended before it was halfway: {finish(build)}"
    os.killpg(build.pid, signal.SIGKILL)
    code, _ = finish(build)
    assert code == -signal.SIGKILL

    # the previous output, byte for byte; what the killed build left is beside it, not in it
    assert snapshot(out) == before
    assert staging.is_dir()
    lock = tmp_path / ".output.lock"
    assert lock.exists() and not list(out.rglob("*.lock"))
    code, log = finish(handbook("verify", str(out), "--strict"))
    assert code == 0, log
    assert "校验通过" in log

    # the kernel released the dead build's lock
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)

    # the next build succeeds and removes the stale staging folder
    code, log = finish(
        handbook("build", "--src", str(SRC), "--out", str(out), "-b", BRANCH, "-f", "html", "-q")
    )
    assert code == 0, log
    assert not staging.exists() and not staging_folders(out)
    code, log = finish(handbook("verify", str(out), "--strict"))
    assert code == 0, log
    after = snapshot(out)
    assert after == before  # the same sources give the same bytes


# --- publish.py on its own -------------------------------------------------------------------


def test_stale_staging_and_parked_folders_are_removed(tmp_path):
    out = tmp_path / "output"
    (out / "hq").mkdir(parents=True)
    (out / "hq" / "handbook.html").write_text("旧", encoding="utf-8")
    for name in (".output.staging-abc123", ".output.old-4242", ".output.staging-x/hq"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "partial.pdf").write_bytes(b"%PDF-")
    (tmp_path / ".other.staging-keep").mkdir()  # another output folder's: not ours to remove

    with Staging(out) as staging:
        (staging.path("hq/forms.xlsx")).write_bytes(b"new")
        staging.publish()

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".other.staging-keep",
        ".output.lock",
        "output",
    ]
    assert (out / "hq" / "handbook.html").read_text(encoding="utf-8") == "旧"
    assert (out / "hq" / "forms.xlsx").read_bytes() == b"new"


def test_output_parked_by_a_build_killed_between_renames_is_put_back(tmp_path):
    """Without renameat2 a build publishes in two renames; killed between them, the output is
    missing and the previous one sits under .output.old-<pid>. The next build puts it back."""
    out = tmp_path / "output"
    parked = tmp_path / ".output.old-999"
    (parked / "hq").mkdir(parents=True)
    (parked / "hq" / "handbook.html").write_text("上一版", encoding="utf-8")
    (tmp_path / ".output.staging-dead").mkdir()

    with Staging(out) as staging:
        assert (staging.root / "hq" / "handbook.html").read_text(encoding="utf-8") == "上一版"
        staging.path("hq/handbook.pdf").write_bytes(b"%PDF-")
        staging.publish()

    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.lock", "output"]
    assert (out / "hq" / "handbook.html").read_text(encoding="utf-8") == "上一版"


def test_a_failed_build_leaves_the_output_and_nothing_beside_it(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    (out / "a.txt").write_text("a", encoding="utf-8")
    before = snapshot(out)
    with pytest.raises(RuntimeError):
        with Staging(out) as staging:
            staging.path("a.txt").write_text("b", encoding="utf-8")
            raise RuntimeError("writer failed")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.lock", "output"]


def test_second_build_is_refused_while_the_lock_is_held(tmp_path):
    out = tmp_path / "output"
    with Staging(out):
        with pytest.raises(BuildError, match="另一个构建正在写入"):
            with Staging(out):
                pass
    assert not out.exists()
    with Staging(out) as staging:  # free again
        staging.path("x").write_text("x", encoding="utf-8")
        staging.publish()
    assert (out / "x").exists()


def test_lock_of_a_killed_holder_is_released(tmp_path):
    out = tmp_path / "output"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom builder.release.publish import Staging\n"
            f"s = Staging({str(out)!r}).__enter__()\nprint('held', flush=True)\ntime.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BuildError):
            Staging(out).__enter__()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.stdout.close()
    with Staging(out) as staging:
        staging.publish()
    assert out.is_dir() and not staging_folders(out)


def test_a_new_output_folder_is_not_private(tmp_path):
    out = tmp_path / "output"
    with Staging(out) as staging:
        staging.path("hq/a.txt").write_text("a", encoding="utf-8")
        staging.publish()
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask


def test_output_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "output"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(BuildError, match="不是文件夹"):
        with Staging(out):
            pass
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_publishing_without_atomic_exchange_leaves_nothing_beside(tmp_path, monkeypatch):
    import builder.release.publish

    monkeypatch.setattr(builder.release.publish, "_exchange", lambda a, b: False)
    out = tmp_path / "output"
    for content in ("一", "二"):
        with Staging(out) as staging:
            staging.path("hq/a.txt").write_text(content, encoding="utf-8")
            staging.publish()
        assert (out / "hq" / "a.txt").read_text(encoding="utf-8") == content
        assert sorted(p.name for p in tmp_path.iterdir()) == [".output.lock", "output"]
