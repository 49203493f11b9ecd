"""The build cache: which outputs are already up to date, so a rebuild writes only what changed.

Every output is a function of its inputs: the part of the resolved branch document its writer
is given, the template files the writer reads, the options that reach it (for a Word handbook:
which LibreOffice laid out its contents' page numbers), and the environment (this builder's
code, Python and the libraries, the installed fonts and fontconfig, the system packages). A file
is rewritten only when a hash of those inputs differs from the one recorded when it was written.
Three keys, cheapest first:

  sources (L0)  the environment, templates, options, source revision and the bytes of every source
                file. When it equals what the last identical request recorded and every file
                is untouched, the build is a no-op decided without loading the manual (and
                without importing YAML, pydantic or any writer library).
  branch (L1)   the same, but with branches.yaml reduced to its shared part plus one branch's
                record: editing one branch's record leaves every other branch current without
                resolving it.
  output (L2)   the environment the writer depends on, its template files and options, and the
                pickled document view its writer receives (builder.release.build.view): editing one
                form changes the keys of that form's files and of what includes it (the handbook and
                forms.xlsx), and nothing else. Computed by whoever resolves the branch.

The state lives in the output folder as `.handbook-cache.json`, so it is published atomically
together with the files it describes and can never disagree with them; manifest.json and
`handbook verify` leave it out. Each file's entry also records its size, mtime and inode: a file
changed or replaced by hand no longer matches and is rebuilt, and its SHA-256 (for the
manifest) is reused only while it matches. The cache is only ever an optimisation: a missing,
unreadable or foreign state file means "nothing is known" and everything is rebuilt.

The source revision is printed in every document, so the first uncommitted edit after a commit
(which adds "-dirty") and every commit change every output once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from builder.document.fonts import installed_font_files
from builder.release.publish import safe_relative
from builder.sources import files as sources

STATE = ".handbook-cache.json"
FORMAT = 2  # bump when the meaning of a key or the state file changes
_MAX_REQUESTS = 32
_PACKAGE = Path(__file__).resolve().parents[1]
_BUILTIN_TEMPLATES = _PACKAGE.parent / "templates"


def _sha(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))  # framed: ("ab","c") never equals ("a","bc")
        digest.update(data)
    return digest.hexdigest()


def digest_of(value) -> str:
    """A hash of a value made of dataclasses, tuples, strings, numbers and dates (a resolved
    Document or a part of it). Pickled without the memo, so equal values give equal bytes
    whatever objects they happen to share."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return _sha(buffer.getvalue())


def _tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, subfolders included, by POSIX path."""
    found = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found[path.relative_to(folder).as_posix()] = _sha(path.read_bytes())
    return found


def _code() -> str:
    """This builder's own code: every module of the package."""
    parts = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        parts += [path.relative_to(_PACKAGE).as_posix(), path.read_bytes()]
    return _sha(*parts)


def _libraries() -> str:
    """Python's version and every installed distribution with its version (the names of the
    *.dist-info folders on sys.path), without importing any of them."""
    names = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names += [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
    return _sha(sys.version, *sorted(set(names)))


def _system() -> str:
    """The system libraries WeasyPrint and LibreOffice use (Pango, HarfBuzz, fontconfig…): on
    Debian, any package installed or upgraded changes dpkg's status file."""
    try:
        st = os.stat("/var/lib/dpkg/status")
        return f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return ""


@dataclass(frozen=True)
class Environment:
    """What every output depends on besides its document. `core` covers the builder, Python,
    the libraries, the fonts and the system; `templates` hashes each template file by
    ("html" | "builtin", path), where "html" names the file a writer reading the build's
    templates folder gets (the folder's own, or the built-in one it falls back on);
    `assets` hashes every other file of that folder (what a stylesheet may load);
    `everything` adds the options and the source revision."""

    core: str
    templates: dict[tuple[str, str], str]
    assets: str
    everything: str

    def key(
        self,
        kind: str,
        fmt: str,
        deps: tuple[tuple[str, str], ...],
        options: tuple,
        payload_digest: str,
    ) -> str:
        """The L2 key of one output: its writer, template files, options and document view. A
        writer of HTML (deps in the templates folder) also depends on the folder's other files."""
        assets = self.assets if any(where == "html" for where, _ in deps) else ""
        return _sha(
            str(FORMAT),
            self.core,
            kind,
            fmt,
            repr(options),
            assets,
            *(f"{d}:{self.templates.get(d, 'missing')}" for d in deps),
            payload_digest,
        )[:40]


def build_options(
    *, change_marks: bool, docx_page_numbers: bool, draft: bool = False, signer: str = ""
) -> dict:
    """The options of a build that every output's key includes. "layout": the LibreOffice that
    fills the Word contents' page numbers ("" when none is asked for or installed), so a build
    after LibreOffice is installed or upgraded is not taken for a no-op."""
    from builder.writers.docx.pagination import layout_engine  # the standard library only

    options = {
        "change_marks": change_marks,
        "docx_page_numbers": docx_page_numbers,
        "layout": layout_engine() if docx_page_numbers else "",
    }
    if draft:  # only when set, so the keys of published outputs stay as they were
        options["draft"] = True
    if signer:  # the signing certificate's fingerprint (--sign): never the key itself
        options["signer"] = signer
    return options


def environment(*, templates: Path | None, options: dict, source_revision: str) -> Environment:
    html = Path(templates) if templates is not None else _BUILTIN_TEMPLATES
    builtin = _tree_hashes(_BUILTIN_TEMPLATES)
    own = _tree_hashes(html)
    hashes = {("builtin", name): h for name, h in builtin.items()}
    hashes.update({("html", name): h for name, h in {**builtin, **own}.items()})
    assets = _sha(*(f"{name}:{h}" for name, h in sorted(own.items()) if not _template_file(name)))
    fonts = "\n".join(f"{p}\t{size}\t{mtime}" for p, size, mtime in installed_font_files())
    core = _sha(str(FORMAT), _code(), _libraries(), _system(), fonts)
    everything = _sha(
        core,
        json.dumps(sorted((f"{a}:{b}", h) for (a, b), h in hashes.items())),
        assets,
        json.dumps(options, sort_keys=True),
        source_revision,
    )
    return Environment(core, hashes, assets, everything)


def part_salt(env: Environment) -> str:
    """What every kept part of a PDF handbook (builder.writers.pdf.parts) is keyed by besides
    its own HTML: the code, libraries, system and fonts, and the templates folder's assets
    (images a stylesheet may load). The stylesheet itself is inside the part's HTML."""
    return _sha(env.core, env.assets)


def _template_file(name: str) -> bool:
    """A template or stylesheet at the top of the folder: keyed by name, only for the writers
    that read it (builder.release.build.TEMPLATES); any other file is an asset."""
    return "/" not in name and name.endswith((".j2", ".css", ".docx"))


def file_digests(root: Path) -> list[tuple[str, str]]:
    """(relative path, SHA-256) of every source file as it is on disk now (the no-op check);
    the same pairs as Manual.source_digests() gives for what the loader read."""
    return [
        (path.relative_to(root).as_posix(), _sha_file(path)) for path in sources.source_files(root)
    ]


def _sha_file(path: Path) -> str:
    """SHA-256 of a regular file of sensible size; a marker for anything else (a FIFO would
    block, a device never end: the loader refuses those and reports them)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > sources.MAX_FILE_BYTES:
            return "not-a-source-file"
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read(sources.MAX_FILE_BYTES + 1)).hexdigest()
    except OSError:
        return "unreadable"


def sources_key(digests: list[tuple[str, str]], env: Environment) -> str:
    """L0: the environment plus every source file's bytes."""
    return _sha(env.everything, *(f"{name}:{digest}" for name, digest in digests))[:40]


def branch_keys(manual, env: Environment) -> dict[str, str]:
    """L1 of every branch: every source file but branches.yaml, the shared part of
    branches.yaml (as validated), and the branch's own record. From the bytes the loader read,
    so a file saved while a build runs never lends its key to outputs made from the old text."""
    shared = _sha(
        env.everything,
        *(
            f"{name}:{digest}"
            for name, digest in manual.source_digests()
            if name != sources.BRANCHES
        ),
        manual.branches.model_dump_json(exclude={"branches"}),
    )
    return {b.id: _sha(shared, b.model_dump_json())[:40] for b in manual.branches.branches}


# -- the state file -------------------------------------------------------------------------


@dataclass
class Entry:
    """What the cache knows of one output file."""

    key: str  # L2 when written or last confirmed; "" to be made again (LibreOffice failed)
    branch_key: str  # the branch key it was confirmed under
    sources_key: str  # the sources key it was confirmed under
    sha256: str
    size: int
    mtime_ns: int
    ino: int

    def intact(self, path: Path) -> bool:
        """The file is still the one recorded (not edited, replaced or removed since)."""
        try:
            st = os.lstat(path)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and (st.st_size, st.st_mtime_ns, st.st_ino) == (
            self.size,
            self.mtime_ns,
            self.ino,
        )

    @classmethod
    def of(cls, path: Path, *, key: str, branch_key: str, sources_key: str, sha256: str) -> Entry:
        st = os.lstat(path)
        return cls(key, branch_key, sources_key, sha256, st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class State:
    files: dict[str, Entry] = field(
        default_factory=dict
    )  # by POSIX path relative to the output folder
    requests: dict[str, dict] = field(
        default_factory=dict
    )  # request → {"sources_key": …, "files": [...]}

    @classmethod
    def read(cls, folder: Path) -> State:
        """The state of an output folder; an empty one when it has none or it cannot be used."""
        try:
            data = json.loads((Path(folder) / STATE).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return cls()
            files = {
                path: Entry(*row) for path, row in data["files"].items() if safe_relative(path)
            }
            requests = {
                k: {"sources_key": str(v["sources_key"]), "files": list(v["files"])}
                for k, v in data["requests"].items()
            }
            return cls(files, requests)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def write(self, target: Path) -> None:
        """Write to `target` (a fresh path: a Staging path, never a hard link into an output)."""
        rows = {
            path: [e.key, e.branch_key, e.sources_key, e.sha256, e.size, e.mtime_ns, e.ino]
            for path, e in sorted(self.files.items())
        }
        requests = dict(list(self.requests.items())[-_MAX_REQUESTS:])
        Path(target).write_text(
            json.dumps(
                {"format": FORMAT, "requests": requests, "files": rows},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            encoding="utf-8",
        )

    def remember(self, request: str, sources_key: str, files: list[str]) -> None:
        self.requests.pop(request, None)  # most recent last
        self.requests[request] = {"sources_key": sources_key, "files": sorted(files)}

    def up_to_date(self, folder: Path, request: str, sources_key: str) -> int | None:
        """The number of files when `request` was last built from exactly these sources and
        environment and every one of its files is untouched since; None otherwise."""
        known = self.requests.get(request)
        if not known or known["sources_key"] != sources_key:
            return None
        for relative in known["files"]:
            entry = self.files.get(relative)
            if (
                entry is None
                or not entry.key  # written without something it should have: try again
                or entry.sources_key != sources_key
                or not entry.intact(Path(folder) / relative)
            ):
                return None
        return len(known["files"])


def request_id(**request) -> str:
    """A stable name for what a build was asked to do (branches, formats, forms, options)."""
    return json.dumps(request, sort_keys=True, ensure_ascii=False)
