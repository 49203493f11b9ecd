"""What a build writes: the jobs of one branch (kind, format, path), the part of the resolved
document each job's writer is given (`view`, all its cache key covers), and shards."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader (YAML, pydantic) is not imported until a build needs it
    from builder.sources.load import Manual

HANDBOOK_FORMATS = ("docx", "pdf", "html")
FORM_FORMATS = ("docx", "xlsx", "pdf")
FORMATS = ("docx", "pdf", "html", "xlsx")


@dataclass(frozen=True)
class Job:
    kind: str  # handbook, form or workbook
    fmt: str
    relative: Path  # inside the branch folder
    form_id: str | None = None


def plan(
    manual: Manual, formats: list[str], forms: list[str] | None, handbook: bool = True
) -> list[Job]:
    """What to write for one branch: the handbook (and forms.xlsx) unless `handbook` is false,
    and the forms named in `forms` (None: every form)."""
    jobs: list[Job] = []
    if handbook:
        jobs += [
            Job("handbook", f, Path(f"handbook.{f}")) for f in HANDBOOK_FORMATS if f in formats
        ]
        if "xlsx" in formats:
            jobs.append(Job("workbook", "xlsx", Path("forms.xlsx")))
    for form in manual.forms:
        if forms is None or form.id in forms:
            jobs += [
                Job("form", f, Path("forms") / f"{form.id}.{f}", form.id)
                for f in FORM_FORMATS
                if f in formats
            ]
    return jobs


def view(job: Job, document):
    """The part of the resolved document `job`'s writer is given, and so all its cache key
    covers: the handbooks get everything; forms.xlsx everything but the chapters; a form only
    itself, with the manual's and the branch's details."""
    if job.kind == "handbook":
        return document
    if job.kind == "workbook":
        return replace(document, chapters=())
    form = next(f for f in document.forms if f.id == job.form_id)
    return replace(document, chapters=(), forms=(form,))


def view_name(job: Job) -> str:
    return f"form:{job.form_id}" if job.kind == "form" else job.kind


def parse_shard(spec: str) -> tuple[int, int]:
    """ "K/N" → (K, N) with 1 ≤ K ≤ N; ValueError (message in Chinese) otherwise."""
    try:
        k, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard 应写作 K/N（如 2/4），而不是“{spec}”") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {spec}：K 应在 1 到 N 之间")
    return k, n


def shard(branch_ids: list[str], k: int, n: int) -> list[str]:
    """The K-th of N shards: every N-th branch in the order of branches.yaml, starting at the
    K-th, so the shards differ in size by one branch at most and every branch is in exactly one."""
    return [b for i, b in enumerate(branch_ids) if i % n == k - 1]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
