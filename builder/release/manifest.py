"""manifest.json: what a build published, and checking a copy of the output against it.

`write_manifest(root, meta, source_revision)` runs last in a build, on the staging folder (see
builder.release.build): it lists EVERY file under the output root — a partial build
(`--branch hq`) keeps the other branches' previous files, and they are listed too — with its size
and SHA-256:

    {"manual": title, "company": …, "doc_number": …, "version": …, "effective_date": "2026-12-01",
     "source_revision": "<commit>[-dirty]" or "", "generator": "handbook <version>",
     "files": [{"path": "hq/handbook.pdf", "sha256": "…", "size": 123}, …]}

Paths are POSIX and relative to the root, sorted; manifest.json itself and the build cache's
state (.handbook-cache.json, builder.release.cache) are left out. The file is
UTF-8 (ensure_ascii off), indented by 2, with a trailing newline and no timestamp or machine
detail, so the same outputs always give the same bytes.

`verify(root, partial=...)` reads root/manifest.json and compares the files on disk (size, then
SHA-256, read in 1 MiB chunks): which differ, which are missing, which are there but not listed.
A bad or missing manifest raises ManifestError with a message in Chinese.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from builder import __version__
from builder.errors import ManifestError
from builder.release.cache import STATE
from builder.release.publish import safe_relative

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


MANIFEST_SIGNATURE = "manifest.json.p7s"  # its detached signature (builder.release.sign)


def _files(root: Path) -> list[str]:
    """Every regular file below `root` (symlinks not followed), as sorted POSIX paths."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                relative = path.relative_to(root).as_posix()
                if relative not in (MANIFEST, MANIFEST_SIGNATURE, STATE):
                    found.append(relative)
    return sorted(found)


def manifest_data(
    root: Path, meta, source_revision: str = "", known: dict[str, str] | None = None
) -> dict:
    """The manifest of the folder `root` (a build's staging folder or a published output).
    `known`: SHA-256 already computed (by the build, as it wrote or confirmed each file)."""
    root = Path(root)
    known = known or {}
    return {
        "manual": meta.title,
        "company": meta.company,
        "doc_number": meta.doc_number,
        "version": meta.version,
        "effective_date": meta.effective_date.isoformat(),
        "source_revision": source_revision,
        "generator": f"handbook {__version__}",
        "files": [
            {
                "path": relative,
                "sha256": known.get(relative) or sha256_file(root / relative),
                "size": (root / relative).stat().st_size,
            }
            for relative in _files(root)
        ],
    }


def manifest_bytes(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_manifest(
    root: Path,
    meta,
    source_revision: str = "",
    target: Path | None = None,
    known: dict[str, str] | None = None,
) -> Path:
    """Write root/manifest.json (or `target`, e.g. a Staging path with its old link removed)."""
    target = Path(target) if target is not None else Path(root) / MANIFEST
    data = manifest_bytes(manifest_data(root, meta, source_revision, known))
    if target.exists() or target.is_symlink():
        target.unlink()  # never write through a hard link into a previous output
    target.write_bytes(data)
    return target


# -- verification ---------------------------------------------------------------------------


@dataclass
class Report:
    manifest: dict
    checked: int = 0  # listed files found and compared
    matched: int = 0
    differ: list[tuple[str, str]] = field(default_factory=list)  # (path, why, in Chinese)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def listed(self) -> int:
        return len(self.manifest["files"])


def read_manifest(root: Path) -> dict:
    path = Path(root) / MANIFEST
    if not Path(root).is_dir():
        raise ManifestError(f"文件夹 {root} 不存在")
    if not path.is_file():
        raise ManifestError(
            f"{path} 不存在：该文件夹没有清单文件，无法校验（清单由 handbook build 生成）"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ManifestError(f"{path} 不是 UTF-8 文本，无法作为清单读取") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
        ) from None
    except OSError as exc:
        raise ManifestError(f"无法读取 {path}：{exc.strerror or exc}") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        raise ManifestError(f"{path} 不是手册清单：缺少文件列表“files”")
    for index, entry in enumerate(files, 1):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int)
            and safe_relative(entry["path"])
        )
        if not ok:
            raise ManifestError(
                f"{path} 的第 {index} 个文件条目无效（需要 path、sha256、size，且路径在该文件夹内）"
            )
    return data


def verify(root: Path, *, partial: bool = False) -> Report:
    """Compare the files under `root` with root/manifest.json. `partial`: missing files are
    expected (a branch office that downloaded only its own folder) and not reported."""
    root = Path(root)
    data = read_manifest(root)
    report = Report(data)
    listed = set()
    for entry in data["files"]:
        relative = entry["path"]
        listed.add(relative)
        path = root / relative
        if not path.is_file():
            if not partial:
                report.missing.append(relative)
            continue
        report.checked += 1
        try:
            size = path.stat().st_size
            if size != entry["size"]:
                report.differ.append((relative, f"大小 {size} 字节，清单记录 {entry['size']} 字节"))
            elif sha256_file(path) != entry["sha256"].lower():
                report.differ.append((relative, "内容的 SHA-256 与清单不符"))
            else:
                report.matched += 1
        except OSError as exc:
            report.differ.append((relative, f"无法读取：{exc.strerror or exc}"))
    report.extra = [p for p in _files(root) if p not in listed]
    return report
