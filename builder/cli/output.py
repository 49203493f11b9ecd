"""`handbook manifest` and `handbook verify`: an output folder's manifest.json, written over
merged shards and checked against the files."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from builder.cli.common import load_sources, src_option
from builder.errors import os_error_text

log = logging.getLogger("handbook")


@click.command("manifest")
@click.argument(
    "folder",
    metavar="[DIR]",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path("output"),
)
@src_option
@click.option(
    "--templates",
    "templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="模板文件夹（默认 ./templates），用于确定源修订 / "
    "templates folder, for the source revision",
)
def manifest_(folder: Path, src: Path, templates: Path | None) -> None:
    """为 DIR 中的全部文件重新生成 manifest.json（如合并各 --shard 的输出之后）。 /
    Rewrite DIR/manifest.json.

    \b
    CI 分机构建时，每台机器用 --shard K/N 生成一部分分支机构；把各部分的输出合并到一个文件夹后，
    运行本命令重新生成下载页 index.html（列出全部分支机构）和覆盖全部文件的清单，\
再用 handbook verify 校验。
    After merging the outputs of `build --shard` runs: the portal's index.html over every
    branch, and one manifest over every file.
    """
    from builder.release.manifest import MANIFEST, write_manifest
    from builder.release.vcs import source_revision
    from builder.writers.templates import templates_dir

    manual = load_sources(src)
    if templates is None:
        templates = Path("templates") if Path("templates/handbook.html.j2").is_file() else None
    revision = source_revision([src, templates or templates_dir()])
    from builder.release.build import portal_index_html, portal_listing

    # The portal's index.html lists every branch whose folder was merged in; each shard's own
    # listed only the branches it built.
    built = [(branch, bool(files)) for branch, files in portal_listing(manual, folder)]
    written = []
    for name, write in (
        (
            "index.html",
            lambda target: target.write_text(
                portal_index_html(manual, built, templates, revision), encoding="utf-8"
            ),
        ),
        (MANIFEST, lambda target: write_manifest(folder, manual.meta, revision, target=target)),
    ):
        partial = folder / f".{name}.partial"
        partial.unlink(missing_ok=True)
        try:
            write(partial)
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            click.echo(f"错误：无法写入 {folder / name}：{os_error_text(exc)}", err=True)
            sys.exit(1)
        written.append(str(folder / name))
    click.echo(f"已写入 {'、'.join(written)}。")
    from builder.release.manifest import MANIFEST_SIGNATURE

    stale = folder / MANIFEST_SIGNATURE
    if stale.exists():  # it signed a shard's manifest, not this one; `manifest` has no key
        stale.unlink()
        click.echo(f"注意：已删除 {stale}（它是合并前某一部分清单的签名）；新清单没有签名。")


@click.command()
@click.argument(
    "folder",
    metavar="[DIR]",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
)
@click.option(
    "--partial",
    is_flag=True,
    help="只校验在场的文件，缺失的不算错误（如分支机构只下载了本机构的文件夹） / "
    "missing files are fine",
)
@click.option(
    "--strict", is_flag=True, help="清单以外的文件也算错误 / files not in the manifest fail too"
)
@click.option(
    "--trust",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="签名必须来自此证书（或由它签发）的 PEM 文件 / the certificate signatures must chain to",
)
def verify(folder: Path, partial: bool, strict: bool, trust: Path | None) -> None:
    """按 manifest.json 校验输出文件（大小与 SHA-256）。 /
    Check an output folder against its manifest.

    \b
    DIR 默认为 output。退出码：0 全部一致；1 有文件不一致或缺失（--partial 时缺失不计），
    或清单无法读取；清单以外的文件只作警告（--strict 时算错误）。
    有 manifest.json.p7s（build --sign）时还校验清单的签名与每个 PDF 的签名。
    """
    from builder.errors import ManifestError
    from builder.release.manifest import verify as check_files

    try:
        report = check_files(folder, partial=partial)
    except ManifestError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    signed = _check_signatures(folder, report, trust)
    for path, why in report.differ:
        click.echo(f"不一致：{path}（{why}）", err=True)
    for path in report.missing:
        click.echo(f"缺失：{path}", err=True)
    for path in report.extra:
        click.echo(f"{'错误' if strict else '警告'}：{path} 不在清单中", err=True)
    data = report.manifest
    about = f"版本 {data.get('version', '?')}" + (
        f"，源修订 {data['source_revision']}" if data.get("source_revision") else ""
    )
    if partial and report.listed and not report.checked:
        click.echo(f"校验失败：清单中的 {report.listed} 个文件都不在 {folder} 中。", err=True)
        sys.exit(1)
    failed = report.differ or report.missing or (strict and report.extra)
    if failed:
        parts = [
            f"{len(report.differ)} 个文件不一致" if report.differ else "",
            f"{len(report.missing)} 个文件缺失" if report.missing else "",
            f"{len(report.extra)} 个文件不在清单中" if strict and report.extra else "",
        ]
        click.echo(
            f"校验失败：{'，'.join(p for p in parts if p)}"
            f"（清单共 {report.listed} 个文件，{about}）。",
            err=True,
        )
        sys.exit(1)
    absent = report.listed - report.checked
    note = f"，{absent} 个文件不在此文件夹（--partial）" if partial and absent else ""
    extra = f"，另有 {len(report.extra)} 个清单以外的文件" if report.extra else ""
    click.echo(f"校验通过：{report.matched} 个文件与清单一致{note}{extra}（{about}）。{signed}")


def _check_signatures(folder: Path, report, trust: Path | None) -> str:
    """Check manifest.json.p7s and every listed PDF present (build --sign); a failure is
    added to report.differ. Returns the sentence for the success line ('' when unsigned)."""
    from builder.release.manifest import MANIFEST, MANIFEST_SIGNATURE
    from builder.release.sign import (
        SignError,
        load_trust,
        signature_cert,
        verify_manifest,
        verify_pdf,
    )

    signature = folder / MANIFEST_SIGNATURE
    if not signature.is_file():
        if trust is not None:
            report.differ.append((MANIFEST, "没有签名（manifest.json.p7s），但指定了 --trust"))
        return ""
    try:
        anchor = load_trust(trust) if trust is not None else None
        signer = signature_cert(signature.read_bytes())
    except SignError as exc:
        report.differ.append((MANIFEST_SIGNATURE if trust is None else str(trust), str(exc)))
        return ""
    try:
        verify_manifest((folder / MANIFEST).read_bytes(), signature.read_bytes(), anchor)
    except SignError as exc:  # the PDFs are still checked against the signature's certificate
        report.differ.append((MANIFEST, str(exc)))
    pdfs = 0
    for entry in report.manifest.get("files", []):
        path = folder / entry["path"]
        if entry["path"].endswith(".pdf") and path.is_file():
            problem = verify_pdf(path.read_bytes(), signer, anchor)
            if problem:
                report.differ.append((entry["path"], f"签名：{problem}"))
            pdfs += 1
    name = signer.subject.native.get("common_name") or signer.subject.human_friendly
    return f"清单与 {pdfs} 个 PDF 的签名有效（签名者：{name}）。"
