"""The `handbook` command: check, build, serve, list, schema, diff, verify, manifest.

Heavy libraries (WeasyPrint, python-docx) are imported only by the writers a build needs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from builder import __version__
from builder.cli.apply import apply
from builder.cli.collect import collect
from builder.cli.common import (
    _setup_logging,
    load_sources,
    out_option,
    src_option,
    templates_option,
)
from builder.cli.compare import diff, load_version
from builder.cli.importer import import_
from builder.cli.output import manifest_, verify
from builder.document import script as scripts
from builder.errors import BuildError, HandbookError, SourceErrors, display_path, os_error_text

log = logging.getLogger("handbook")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook")
def main() -> None:
    """运营管理手册生成工具：检查 YAML 源文件，为每个分支机构生成 DOCX、PDF 和 HTML 手册。

    The handbook builder: validates the manual's YAML and renders every branch's handbook.
    """
    _setup_logging()


@main.command()
@src_option
@click.option(
    "--review",
    is_flag=True,
    help="同时列出所有待确认标记（{待确认:…}）及其位置 / also list every 待确认 mark",
)
def check(src: Path, review: bool) -> None:
    """检查源文件，一次列出全部问题（文件:行:列）。 / Validate the sources."""
    manual = load_sources(src)
    click.echo(
        f"检查通过：{len(manual.chapters)} 章，{len(manual.forms)} 个表单，"
        f"{len(manual.branch_ids)} 个分支机构，版本 {manual.meta.version}。"
    )
    if review:
        from builder.sources.review import marks

        found = marks(manual)
        for mark in found:
            click.echo(f"{mark.where}：待确认“{mark.value}”　{mark.context}")
        click.echo(
            f"共 {len(found)} 处待确认的取值"
            + ("；发布前请逐项确认后删除标记，只保留取值。" if found else "。")
        )


@main.command("list")
@src_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
def list_(src: Path, as_json: bool) -> None:
    """列出分支机构、章节和表单。 / List branches, chapters and forms."""
    manual = load_sources(src)
    data = {
        "version": manual.meta.version,
        "branches": [
            {
                "id": b.id,
                "name": b.name,
                "kind": b.kind,
                "region": b.region,
                "script": scripts.canonical(b.script),
            }
            for b in manual.branches.branches
        ],
        "chapters": [{"id": c.id, "title": c.title} for c in manual.chapters],
        "forms": [
            {
                "id": f.id,
                "code": f.code,
                "title": f.title,
                "fields": [
                    {
                        "id": fld.id,
                        "label": fld.label,
                        "type": fld.type,
                        **(
                            {
                                "columns": [
                                    {"id": c.id, "label": c.label, "type": c.type}
                                    for c in fld.columns
                                ]
                            }
                            if fld.columns
                            else {}
                        ),
                    }
                    for fld in f.fields
                ],
            }
            for f in manual.forms
        ],
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo("分支机构：")
    for b in data["branches"]:
        script = "" if b["script"] == "zh-Hans" else f"，繁体 {b['script']}"
        click.echo(f"  {b['id']:<12} {b['name']}（{b['kind']}，{b['region']}{script}）")
    click.echo("章节：")
    for c in data["chapters"]:
        click.echo(f"  {c['id']:<16} {c['title']}")
    click.echo("表单：")
    for f in data["forms"]:
        fields = "、".join(f"{x['label']}({x['type']})" for x in f["fields"])
        click.echo(f"  {f['id']:<20} {f['code']} {f['title']}：{fields}")


@main.command()
def schema() -> None:
    """输出源文件的 JSON Schema（供编辑器补全与校验）。 / Print the JSON Schema."""
    from builder.sources.schema import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def _jobs(value: str) -> int:
    """--jobs: "auto" or a positive number, at most the number of cores (more workers than
    cores only cost memory)."""
    from builder.release.plan import default_jobs

    if value == "auto":
        return default_jobs()
    try:
        jobs = int(value)
    except ValueError:
        raise click.BadParameter(f"应为正整数或 auto，而不是“{value}”") from None
    if jobs < 1:
        raise click.BadParameter("应至少为 1")
    return min(jobs, default_jobs())


@main.command()
@src_option
@click.option(
    "--branch",
    "-b",
    "branches",
    multiple=True,
    metavar="ID",
    help="只生成这些分支机构（可重复） / only these branches",
)
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice(["docx", "pdf", "html", "xlsx"]),
    help="只生成这些格式（可重复）：手册 docx/pdf/html，表单 docx/xlsx/pdf / only these formats",
)
@click.option(
    "--form",
    "forms",
    multiple=True,
    metavar="ID",
    help="只生成这些表单，不生成手册（可重复） / only these forms",
)
@out_option
@templates_option
@click.option(
    "--jobs",
    "-j",
    "jobs",
    default="auto",
    show_default=True,
    metavar="N",
    help="并行进程数，最多为 CPU 核数（auto：每核一个） / worker processes, at most one per core",
)
@click.option(
    "--force",
    is_flag=True,
    help="忽略缓存，重新生成所有请求的文件 / ignore the cache, render everything",
)
@click.option(
    "--shard",
    "shard_spec",
    metavar="K/N",
    default=None,
    help="只生成第 K 份（共 N 份）分支机构，供 CI 分机并行 / "
    "only the K-th of N slices of the branches",
)
@click.option(
    "--docx-page-numbers/--no-docx-page-numbers",
    default=True,
    show_default=True,
    help="用 LibreOffice 排版 Word 手册，把页码填入其目录（需要 soffice；"
    "未安装时目录有链接、没有页码） / fill the Word contents' page numbers "
    "from a LibreOffice layout (needs soffice)",
)
@click.option(
    "--change-marks/--no-change-marks",
    default=True,
    show_default=True,
    help="在页边标示本版修订的章节和条款（revisions.yaml 最新版本的 changes） / "
    "mark what this version changed",
)
@click.option(
    "--compare",
    "compare_spec",
    metavar="REV",
    default=None,
    help="同时生成每个分支机构与版本 REV（git 标签、提交或源文件夹）相比的修订对照表，"
    "下载页提供下载 / "
    "also write each branch's comparison with revision REV",
)
@click.option(
    "--draft",
    is_flag=True,
    help="生成草稿：以黄色底纹标示待确认的取值（{待确认:…}），封面注明草稿；"
    "默认输出到 output-draft/，不影响正式输出 / "
    "a draft: highlight the values still to be confirmed (default folder output-draft)",
)
@click.option(
    "--sign",
    "sign_p12",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="HANDBOOK_SIGN_P12",
    help="用 PKCS#12 证书（密码取自环境变量 HANDBOOK_SIGN_PASSWORD）为每个 PDF 与 manifest.json "
    "签名 / sign every PDF and manifest.json with this PKCS#12 key",
)
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
def build(
    src: Path,
    branches: tuple[str, ...],
    formats: tuple[str, ...],
    forms: tuple[str, ...],
    out: Path,
    templates: Path | None,
    jobs: str,
    force: bool,
    shard_spec: str | None,
    docx_page_numbers: bool,
    change_marks: bool,
    compare_spec: str | None,
    draft: bool,
    sign_p12: Path | None,
    quiet: bool,
) -> None:
    """生成各分支机构的手册与表单；只重新生成输入有变化的文件。 / Build handbooks and forms.

    \b
    output/manifest.json                 每个文件的 SHA-256（用 handbook verify 校验）
    output/<分支机构>/handbook.{docx,pdf,html}
    output/<分支机构>/forms.xlsx
    output/<分支机构>/forms/<表单>.{docx,xlsx,pdf}
    output/index.html, output/<分支机构>/index.html   下载页（可离线打开）
    output/<分支机构>/comparison.{pdf,docx,json}       修订对照表（--compare REV 时）

    \b
    增量构建：每个文件只在其输入（该分支机构的文档内容、模板、字体、程序版本、选项）变化时
    重新生成；没有变化时不写任何文件。--force 忽略缓存。
    PDF 手册的各章分别排版，保存在输出文件夹旁的 .output.parts/：改一个条款只重排那一章。
    Incremental: a file is rewritten only when its inputs changed; --force ignores the cache.
    The PDF handbook's chapters are laid out apart and kept in .output.parts/ beside the output.
    """
    from builder.release import cache
    from builder.release.plan import FORMATS, parse_shard

    jobs_n = _jobs(jobs)
    if draft and (
        click.get_current_context().get_parameter_source("out")
        == click.core.ParameterSource.DEFAULT
    ):
        out = Path("output-draft")  # a draft never lands in the published folder by default
    try:
        shard_kn = parse_shard(shard_spec) if shard_spec else None
    except ValueError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    if shard_kn and branches:
        click.echo("错误：--shard 与 --branch 不能同时使用", err=True)
        sys.exit(2)
    if compare_spec and forms:
        click.echo("错误：--compare 与 --form 不能同时使用（修订对照表比较的是整本手册）", err=True)
        sys.exit(2)
    if templates is None:
        templates = Path("templates") if Path("templates/handbook.html.j2").is_file() else None
    from builder.release.vcs import source_revision
    from builder.writers.templates import templates_dir

    revision = source_revision([src, templates or templates_dir()])
    key = None
    if sign_p12 is not None:
        from builder.release.sign import SignError, load_key

        try:
            key = load_key(sign_p12)
        except SignError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(1)
    options = cache.build_options(
        change_marks=change_marks,
        docx_page_numbers=docx_page_numbers,
        draft=draft,
        signer=key.fingerprint if key is not None else "",
    )
    env = cache.environment(templates=templates, source_revision=revision, options=options)
    request = cache.request_id(
        branches=sorted(set(branches)) or None,
        shard=shard_spec,
        formats=sorted(set(formats)) or None,
        forms=sorted(set(forms)) or None,
    )
    if not force and not compare_spec and src.is_dir() and (out / "manifest.json").is_file():
        # The no-op check, before the manual is even loaded: same request, same bytes, files
        # untouched.
        count = cache.State.read(out).up_to_date(
            out, request, cache.sources_key(cache.file_digests(src), env)
        )
        if count is not None:
            click.echo(f"无变化：{count} 个文件都是最新的（{out}/）。")
            return

    from builder.errors import did_you_mean
    from builder.release.build import build_outputs
    from builder.release.plan import shard

    manual = load_sources(src)
    unknown = [b for b in branches if b not in manual.branch_ids]
    if unknown:
        for b in unknown:
            click.echo(
                f"错误：未知的分支机构“{b}”{did_you_mean(b, manual.branch_ids)}"
                f"（可用：{', '.join(manual.branch_ids)}）",
                err=True,
            )
        sys.exit(1)
    form_ids = [f.id for f in manual.forms]
    unknown = [f for f in forms if f not in form_ids]
    if unknown:
        for f in unknown:
            click.echo(f"错误：未知的表单“{f}”{did_you_mean(f, form_ids)}", err=True)
        sys.exit(1)
    selected = list(dict.fromkeys(branches)) or manual.branch_ids
    if shard_kn:
        selected = shard(manual.branch_ids, *shard_kn)
        if not selected:
            click.echo(
                f"第 {shard_kn[0]}/{shard_kn[1]} 份没有分支机构"
                f"（共 {len(manual.branch_ids)} 个），无需生成。"
            )
            return
    compare = None
    if compare_spec:  # the earlier version, loaded whole before its exported copy goes
        from builder.release import vcs
        from builder.release.build import Comparison

        try:
            with vcs.export(compare_spec, src) as earlier:
                compare = Comparison(
                    load_version(earlier), earlier.label, earlier.revision, str(src)
                )
        except BuildError as exc:
            click.echo(f"错误：--compare {compare_spec}：{exc}", err=True)
            sys.exit(1)
    try:
        result = build_outputs(
            manual,
            out=out,
            branches=selected,
            formats=list(formats) or list(FORMATS),
            forms=list(forms) or None,
            handbook=not forms,
            docx_page_numbers=docx_page_numbers,
            change_marks=change_marks,
            templates=templates,
            progress=not quiet,
            source_revision=revision,
            jobs=jobs_n,
            force=force,
            env=env,
            request=request,
            compare=compare,
            draft=draft,
            sign=key,
        )
    except HandbookError as exc:
        click.echo(f"构建失败：{exc}；原有输出保持不变。", err=True)
        sys.exit(1)
    except OSError as exc:  # the output folder cannot be made or written: not a bug of ours
        named = isinstance(exc.filename, (str, os.PathLike))
        where = f" {display_path(Path(exc.filename))}" if named else ""
        click.echo(f"构建失败：无法写入{where}：{os_error_text(exc)}；原有输出保持不变。", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("构建已中断；原有输出保持不变。", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: say so plainly, keep the output, no traceback
        if os.environ.get("HANDBOOK_DEBUG"):
            raise
        click.echo(
            f"构建失败（程序内部错误：{type(exc).__name__}: {exc}）；原有输出保持不变。"
            "请设置 HANDBOOK_DEBUG=1 重试以查看详情，并报告给维护者。",
            err=True,
        )
        sys.exit(1)
    rendered = [p for p in result.written if p.name != "manifest.json"]
    if not rendered and not result.removed:
        click.echo(f"无变化：{result.kept} 个文件都是最新的（{out}/）。")
        return
    parts = [
        f"重新生成 {len(rendered)} 个文件",
        f"{result.kept} 个未变" if result.kept else "",
        f"删除 {len(result.removed)} 个已不存在的分支机构或表单的文件" if result.removed else "",
    ]
    click.echo(
        ("草稿" if draft else "")
        + f"完成：{'，'.join(p for p in parts if p)}，输出在 {out}/"
        + (f"（源修订 {revision}）" if revision else "")
        + "。"
    )


@main.command()
@src_option
@click.option(
    "--branch",
    "-b",
    "branches",
    multiple=True,
    metavar="ID",
    help="只预览这些分支机构（可重复；默认全部） / only these branches",
)
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=click.Choice(["docx", "pdf", "html", "xlsx"]),
    help="只生成这些格式（可重复；默认全部） / only these formats",
)
@out_option
@templates_option
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="端口，只在 127.0.0.1 上提供（0：任选空闲端口） / port on 127.0.0.1 (0: any free port)",
)
def serve(
    src: Path,
    branches: tuple[str, ...],
    formats: tuple[str, ...],
    out: Path,
    templates: Path | None,
    port: int,
) -> None:
    """生成并在本机预览下载页与手册；保存源文件或模板即重新生成并刷新页面。 / Live preview.

    \b
    生成后在 http://127.0.0.1:PORT/ 提供输出文件夹（下载页 index.html），并监视 --src 与
    模板文件夹：每次保存只重新生成有变化的文件（先 HTML，再其他格式），打开的页面随之刷新；
    源文件有问题时，问题同时显示在终端和页面上，输出保持上次成功的内容。按 Ctrl+C 退出。
    Builds, serves the output folder on 127.0.0.1, rebuilds on every saved change of the
    sources or templates and reloads the open pages; problems show in the terminal and on the page.
    """
    from builder.preview.serve import Builds
    from builder.preview.serve import serve as run

    if not src.is_dir():
        click.echo(f"错误：找不到手册源文件夹 {src}", err=True)
        sys.exit(1)
    if branches:
        from builder.errors import did_you_mean
        from builder.sources.load import load_manual

        try:
            ids = load_manual(src).branch_ids
        except SourceErrors:
            ids = None  # the first build reports the problems, on the page too
        unknown = [b for b in branches if ids is not None and b not in ids]
        for b in unknown:
            click.echo(
                f"错误：未知的分支机构“{b}”{did_you_mean(b, ids)}（可用：{', '.join(ids)}）",
                err=True,
            )
        if unknown:
            sys.exit(1)
    if templates is None and Path("templates/handbook.html.j2").is_file():
        templates = Path("templates")
    watch = [src] + ([templates] if templates is not None else [])
    run(
        Builds(
            src=src,
            out=out,
            templates=templates,
            branches=tuple(dict.fromkeys(branches)),
            formats=tuple(dict.fromkeys(formats)),
        ),
        port,
        watch,
    )


for _command in (apply, diff, manifest_, verify, import_, collect):
    main.add_command(_command)
