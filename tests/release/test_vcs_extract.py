"""Unpacking a git version of the sources (builder.release.vcs._extract) with and without
Python's tar "data" filter (Debian 12's Python 3.11.2 has none)."""

from __future__ import annotations

import io
import tarfile

import pytest

from builder.release import vcs


def _tar(
    members: dict[str, bytes | None], symlink: tuple[str, str] | None = None
) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink[0])
            info.type, info.linkname = tarfile.SYMTYPE, symlink[1]
            tar.addfile(info)
    buffer.seek(0)
    return tarfile.open(fileobj=buffer)


@pytest.mark.parametrize("python_has_filter", [True, False])
def test_sources_unpack_with_or_without_the_data_filter(tmp_path, monkeypatch, python_has_filter):
    if not python_has_filter:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    tar = _tar({"manual_src/": None, "manual_src/manual.yaml": "title: 手册\n".encode()})
    vcs._extract(tar, tmp_path)
    assert (tmp_path / "manual_src" / "manual.yaml").read_text(encoding="utf-8") == "title: 手册\n"


def test_nothing_lands_outside_the_folder_without_the_filter(tmp_path, monkeypatch):
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    target = tmp_path / "inside"
    target.mkdir()
    tar = _tar({"../escaped.yaml": b"x", "ok.yaml": b"y"}, symlink=("link", "/etc/passwd"))
    vcs._extract(tar, target)
    assert sorted(p.name for p in target.iterdir()) == ["ok.yaml"]
    assert not (tmp_path / "escaped.yaml").exists()
