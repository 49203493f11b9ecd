"""Hypothesis strategies for tests/sources/test_fuzz.py: whole manual source folders (manual.yaml,
branches.yaml, revisions.yaml, chapters/*.yaml, forms/*.yaml), valid by construction, then
sometimes mutated at the data level or the byte level.

`sources()` draws a `Sources`: the files as bytes by relative path, plus what the test needs to
know about them (whether they may be invalid, and every text a spreadsheet could take for a
formula).

Valid sources are made in two passes: first the skeleton (ids, nesting, field types) with a
sentinel where prose goes, then every sentinel is replaced by drawn text, so that text can hold
placeholders that refer to any chapter, section, clause or form of the same manual.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml
from hypothesis import strategies as st

from builder.document import placeholders
from builder.sources.schema import BRANCH_KINDS, FIELD_TYPES

# --- text -------------------------------------------------------------------------------------

CJK = [
    "运营管理",
    "会议",
    "审批流程",
    "分公司",
    "总经理",
    "（一）",
    "，",
    "。",
    "、",
    "“引号”",
    "《表单》",
    "繁體中文",
    "臺灣",
    "𠀀𪚥",
    "〇",
    "　",
    "囧",
    "鑫",
]
ASCII = [
    "abc",
    "Hello world",
    "x",
    "0",
    "1.5",
    "2023-09-05",
    "true",
    "null",
    "~",
    "yes",
    "no",
    "- item",
    "# not a comment",
    "key: value",
    "'",
    '"',
    "\\",
    "|",
    ">",
    "%",
    "@",
    "`",
    "*a",
    "&a",
    "!tag",
    "---",
    "...",
    "0x1F",
    ".inf",
    "1e3",
    "007",
    "  ",
    " leading",
    "trailing ",
    "a\nb",
    "\t",
]
PUNCT = [
    "!",
    "?",
    "…",
    "—",
    "：",
    "；",
    ",",
    ".",
    "&",
    "&amp;",
    "&#60;",
    "<",
    ">",
    "$",
    "#",
    "%",
    "\\n",
]
# Looks like a template, but written with the documented escapes, so it is literal text.
TEMPLATE_LIKE = [
    "{{",
    "}}",
    "{{{{ 7*7 }}}}",
    "{{% if true %}}x{{% endif %}}",
    "{{{{ self.__init__ }}}}",
    "{{}}",
    "${{HOME}}",
]
MARKUP = [
    "<script>alert('x')</script>",
    "<SCRIPT src=//evil>",
    "<img src=x onerror=alert(1)>",
    "</p></body>",
    "<!-- c -->",
    "]]>",
    "<![CDATA[x]]>",
    "<w:t>",
    "<?xml ?>",
    "&lt;b&gt;",
]
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","点击")',
    "+SUM(1,2)",
    "-1+1",
    "@SUM(A1)",
    "=1+1",
    "=A1",
    "\t=1",
]
EMOJI = ["😀", "👨\u200d👩\u200d👧\u200d👦", "🇨🇳", "❤️", "🀄"]
COMBINING = ["e\u0301", "\u0301", "Z\u0336\u0337", "\u0e01\u0e34\u0e4a", "\u302a"]
RTL = ["\u202eabc", "مرحبا", "שלום", "\u200f", "\u202b", "\u2066x\u2069"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"]
SPACES = [" ", "\u3000", "\u00a0", "\r\n", "\n\n", "\u2003"]
ODD = [
    "\ufdd0",
    "\U0010ffff",
    "\U0001fffe",
    "\ue000",
    "\ufffd",
    "\u0085",
    "\u2028",
    "\u2029",
    "\x7f",
    "\x80",
    "\x9f",
]
CONTROL = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff", "\ud800"]

FORMULA_PREFIXES = ("=", "+", "-", "@")

_SAFE_ATOMS = (
    CJK * 3
    + ASCII
    + PUNCT
    + TEMPLATE_LIKE
    + MARKUP
    + FORMULAS
    + EMOJI
    + COMBINING
    + RTL
    + ZERO_WIDTH
    + SPACES
    + ODD
)


class _T:
    """A sentinel: prose to be drawn once every id of the manual is known."""

    def __init__(self, kind: str = "text"):
        # "text": checked for placeholders; "title": no {form:}/{clause:} references there;
        # "option": no placeholders (an option is the value a form keeps); "plain": anything goes
        self.kind = kind


# Strategies are built once: building one per draw costs more than drawing from it.
_INTS: dict[tuple[int, int], st.SearchStrategy] = {}
_RANDOM_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="{}"), min_size=1, max_size=6
)
_LONG_SIZE = st.integers(200, 12_000)
LONG_UNITS = ["长", "a ", "測試，", "😀"]
LOOSE = [
    "{",
    "}",
    "{x}",
    "{branch.name}",
    "{%",
    "%}",
]  # text never parsed for placeholders may hold these


class R:
    """Cheap draws over hypothesis' `draw`: integers, choices, chances."""

    def __init__(self, draw):
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        key = (lo, hi)
        if key not in _INTS:
            _INTS[key] = st.integers(lo, hi)
        return self.draw(_INTS[key])

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def chance(self, n: int) -> bool:
        """True about once in n draws (shrinks to True)."""
        return self.int(0, n - 1) == 0

    def bool(self) -> bool:
        return self.int(0, 1) == 1

    def some(self, seq, lo: int, hi: int, unique: bool = False) -> list:
        if unique:
            pool = list(seq)
            out = []
            for _ in range(min(self.int(lo, hi), len(pool))):
                out.append(pool.pop(self.int(0, len(pool) - 1)))
            return out
        return [self.pick(seq) for _ in range(self.int(lo, hi))]


@dataclass
class Context:
    value_keys: list[str]
    branch_ids: list[str]
    regions: list[str]
    flags: list[str]
    form_ids: list[str] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)  # chapters, sections, clauses
    controls: bool = False  # may draw control characters (the sources are then invalid)
    long: bool = False  # may draw very long texts
    _placeholders: list[str] | None = None

    def placeholders(self) -> list[str]:
        if self._placeholders is None:
            out = [f"{{branch.{n}}}" for n in placeholders.BRANCH_FIELDS]
            out += [f"{{branch.{k}}}" for k in self.value_keys]
            out += [f"{{manual.{n}}}" for n in placeholders.MANUAL_FIELDS]
            out += [f"{{form:{i}}}" for i in self.form_ids]
            out += [f"{{clause:{i}}}" for i in self.node_ids]
            out += ["{ branch.name }"]  # spaces inside the braces are allowed
            self._placeholders = out
        return self._placeholders


def draw_text(r: R, ctx: Context, with_placeholders: bool = True, text_kind: str = "text") -> str:
    kinds = ["safe"] * 6 + ["random", "placeholder", "placeholder"]
    if ctx.controls:
        kinds.append("control")
    if ctx.long:
        kinds.append("long")
    parts = []
    for _ in range(r.int(1, 4)):
        kind = r.pick(kinds)
        if kind == "safe":
            parts.append(r.pick(_SAFE_ATOMS))
        elif kind == "random":
            parts.append(r.draw(_RANDOM_TEXT))
        elif kind == "placeholder":
            if not with_placeholders:
                parts.append(r.pick(LOOSE))
            elif text_kind == "option":
                parts.append(r.pick(_SAFE_ATOMS))
            elif text_kind == "title":
                fields = [p for p in ctx.placeholders() if not p.startswith(("{form:", "{clause:"))]
                parts.append(r.pick(fields))
            else:
                parts.append(r.pick(ctx.placeholders()))
        elif kind == "control":
            parts.append(r.pick(CONTROL))
        else:
            parts.append(r.pick(LONG_UNITS) * r.draw(_LONG_SIZE))
    return "".join(parts)


# --- skeleton ---------------------------------------------------------------------------------

BRANCH_IDS = ["hq", "beijing", "sh-1", "b2", "x", "office-a"]
VALUE_KEYS = ["doc_controller", "hr_owner", "x", "a_1", "petty_cash_limit", "reimburse_days"]
FLAGS = ["warehouse", "vehicles", "production", "f-1"]
REGIONS = ["华东", "华北", "港澳台", "East", "区域 1", "-", "😀"]
FONTS = ["Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", "宋体", "Some Font 1.0", "a-b+c_d", "x"]
FORM_IDS = ["meeting-notice", "expense", "leave-request", "zz"]
CONDITION_KEYS = ["branch", "region", "kind", "flag"]


def condition(r: R, ctx: Context) -> dict | None:
    if not r.chance(4):
        return None
    pools = {
        "branch": ctx.branch_ids,
        "region": ctx.regions,
        "kind": list(BRANCH_KINDS),
        "flag": ctx.flags,
    }
    out = {}
    for key in r.some(CONDITION_KEYS, 1, 2, unique=True):
        if pools[key]:
            out[key] = r.some(pools[key], 0, 2)
    return out or None


def _conditional(r: R, ctx: Context, node: dict) -> dict:
    when = condition(r, ctx)
    if when is not None:
        node["when"] = when
    unless = condition(r, ctx)
    if unless is not None:
        node["unless"] = unless
    return node


class _Ids:
    def __init__(self):
        self.n = 0

    def __call__(self, kind: str) -> str:
        self.n += 1
        return f"{kind}-{self.n}"


CLAUSE_PARTS = ["title", "text", "texts", "items", "clauses", "table", "chain", "note"]


def clause(r: R, ctx: Context, ids: _Ids, depth: int, budget: list[int]) -> dict:
    budget[0] -= 1
    node = {"id": ids("cl")}
    ctx.node_ids.append(node["id"])
    parts = r.some(CLAUSE_PARTS, 1, 3, unique=True)
    if depth >= 5:
        parts = [p for p in parts if p not in ("items", "clauses")] or ["text"]
    if "items" in parts and "clauses" in parts:
        parts.remove("clauses")
    if "title" in parts:
        node["title"] = _T("title")
    if "text" in parts:
        node["text"] = _T()
    elif "texts" in parts:
        node["text"] = [_T() for _ in range(r.int(1, 3))]
    if "items" in parts:
        node["items"] = [
            _T() if r.bool() else _conditional(r, ctx, {"text": _T()}) for _ in range(r.int(1, 3))
        ]
    if "clauses" in parts and budget[0] > 0:
        node["clauses"] = [clause(r, ctx, ids, depth + 1, budget) for _ in range(r.int(1, 2))]
    if "chain" in parts:
        node["table"] = {"from": "approval_chain"}
    elif "table" in parts:
        width = r.int(1, 3)
        node["table"] = {
            "columns": [_T() for _ in range(width)],
            "rows": [[_T() for _ in range(width)] for _ in range(r.int(0, 3))],
        }
    if "note" in parts:
        node["note"] = _T()
    if not any(k in node for k in ("title", "text", "items", "clauses", "table")):
        node["text"] = _T()
    return _conditional(r, ctx, node)


def section(
    r: R, ctx: Context, ids: _Ids, depth: int, budget: list[int], kind: str = "sec"
) -> dict:
    budget[0] -= 1
    node = {"id": ids(kind), "title": _T("title")}
    ctx.node_ids.append(node["id"])
    if r.chance(4):
        node["title_en"] = _T("title")
    if r.chance(3):
        node["intro"] = _T() if r.bool() else [_T(), _T()]
    n = r.int(0 if depth > 1 else 1, 3)
    if depth < 5 and budget[0] > 0 and n:
        if depth < 4 and r.bool():
            node["sections"] = [section(r, ctx, ids, depth + 1, budget) for _ in range(n)]
        else:
            node["clauses"] = [clause(r, ctx, ids, depth + 1, budget) for _ in range(n)]
    return _conditional(r, ctx, node)


NON_ROWS = tuple(t for t in FIELD_TYPES if t != "rows")


def form_field(r: R, ctx: Context, fid: str, allow_rows: bool, col_ids: list[str]) -> dict:
    kind = r.pick(FIELD_TYPES if allow_rows else NON_ROWS)
    node = {"id": fid, "label": _T(), "type": kind}
    if r.chance(3):
        node["required"] = r.bool()
    if r.chance(4):
        node["help"] = _T()
    if kind in ("choice", "multichoice"):
        node["options"] = [_T("option") for _ in range(r.int(1, 4))]
    if kind == "rows":
        columns = []
        for j in range(r.int(1, 4)):
            cid = f"{fid}-c{j}"
            col_ids.append(cid)
            columns.append(form_field(r, ctx, cid, False, col_ids))
        node["columns"] = columns
        if r.bool():
            node["rows"] = r.int(0, 12)
        if r.chance(3):
            node["example"] = [
                {c["id"]: _T() for c in columns if r.bool()} for _ in range(r.int(0, 3))
            ]
    elif r.chance(4):
        node["example"] = _T()
    return node


COMPUTE_OPS = ["sum", "average", "days_between", "capitals"]


def form(r: R, ctx: Context, form_id: str, code: str) -> dict:
    node = {"id": form_id, "code": code, "title": _T("title"), "purpose": _T()}
    if r.chance(4):
        node["title_en"] = _T("title")
    if r.bool():
        node["instructions"] = [_T() for _ in range(r.int(0, 3))]
    if r.bool():
        node["approval"] = r.bool()
    col_ids: list[str] = []
    fields = [form_field(r, ctx, f"{form_id[:1]}f{i}", True, col_ids) for i in range(r.int(1, 5))]
    node["fields"] = fields
    # computed fields, referring to what validate.check_form allows
    scalars = [f["id"] for f in fields if f["type"] != "rows"] + col_ids
    targets = fields + [c for f in fields for c in f.get("columns", [])]
    for target in targets:
        others = [i for i in scalars if i != target["id"]]
        if not others or not r.chance(3):
            continue
        op = r.pick(COMPUTE_OPS)
        if op == "capitals":
            target["compute"] = {"capitals": r.pick(others)}
        elif op == "days_between":
            target["compute"] = {"days_between": r.some(others, 2, 2)}
        else:
            target["compute"] = {op: r.some(others, 1, 3)}
    return node


def _fill(r: R, data, ctx: Context, with_placeholders: bool):
    """Replace every _T sentinel in data by drawn text."""
    if isinstance(data, _T):
        return draw_text(r, ctx, with_placeholders and data.kind != "plain", data.kind)
    if isinstance(data, dict):
        return {k: _fill(r, v, ctx, with_placeholders) for k, v in data.items()}
    if isinstance(data, list):
        return [_fill(r, v, ctx, with_placeholders) for v in data]
    return data


def _versions(r: R, n: int) -> list[str]:
    if r.chance(5):  # not numeric: no order check applies
        return [f"第{i + 1}版" for i in range(n)]
    out, major, minor = [], 1, 0
    for _ in range(n):
        out.append(f"{major}.{minor}")
        if r.bool():
            minor += 1
        else:
            major, minor = major + 1, 0
    return out


MARGINS = ["margin_top_mm", "margin_bottom_mm", "margin_left_mm", "margin_right_mm"]
PLAIN_META = ["title_en", "company_en", "confidentiality", "xlsx_password"]


@st.composite
def manual_data(draw) -> dict[str, object]:
    """A valid manual as plain data: {relative path: YAML data}."""
    r = R(draw)
    value_keys = r.some(VALUE_KEYS, 0, 3, unique=True)
    branch_ids = r.some(BRANCH_IDS, 1, 3, unique=True)
    regions = [r.pick(REGIONS) for _ in branch_ids]
    flag_sets = [r.some(FLAGS, 0, 2, unique=True) for _ in branch_ids]
    ctx = Context(
        value_keys=value_keys,
        branch_ids=branch_ids,
        regions=sorted(set(regions)),
        flags=sorted({f for s in flag_sets for f in s}),
        controls=r.chance(20),
        long=r.chance(30),
    )

    files: dict[str, object] = {}
    ids = _Ids()
    budget = [r.int(3, 12)]
    chapters = [section(r, ctx, ids, 1, budget, kind="ch") for _ in range(r.int(1, 3))]
    ctx.form_ids = form_ids = r.some(FORM_IDS, 0, 2, unique=True)
    clause_like = [i for i in ctx.node_ids if not i.startswith("ch-")]
    forms = []
    for k, fid in enumerate(form_ids):
        f = form(r, ctx, fid, r.pick([f"HC-YY-F{k + 1:02d}", f"F-{k}", f"表{k}"]))
        if clause_like and r.bool():
            f["clause"] = r.pick(clause_like)
        forms.append(f)

    versions = _versions(r, r.int(1, 3))
    day = dt.date(2020, 1, 1) + dt.timedelta(days=r.int(0, 3000))
    revisions = []
    for version in versions:
        rev = {
            "version": version,
            "date": day,
            "author": _T("plain"),
            "approver": _T("plain"),
            "summary": _T("plain"),
        }
        if r.bool():
            rev["changes"] = r.some(ctx.node_ids, 0, 3)
        revisions.append(rev)
        day += dt.timedelta(days=r.int(0, 400))

    manual = {
        "title": _T("plain"),
        "company": _T("plain"),
        "doc_number": _T("plain"),
        "version": versions[-1],
        "effective_date": day,
        "issuer": _T("plain"),
        "approver": _T("plain"),
    }
    for key in PLAIN_META:
        if r.chance(3):
            manual[key] = _T("plain")
    if r.chance(4):
        manual["page"] = {
            k: r.pick([5, 60, 25, 12.5, 59.99]) for k in r.some(MARGINS, 0, 4, unique=True)
        }
    if r.chance(4):
        manual["fonts"] = {
            "body": r.pick(FONTS),
            "heading": r.pick(FONTS),
            "size_pt": r.pick([7, 10.5, 16, 12.25]),
        }

    branches = []
    for bid, region, flags in zip(branch_ids, regions, flag_sets):
        b = {
            "id": bid,
            "name": _T("plain"),
            "kind": r.pick(BRANCH_KINDS),
            "region": region,
            "address": _T("plain"),
            "phone": _T("plain"),
            "manager": _T("plain"),
            "manager_title": _T("plain"),
            "approval_chain": [
                {"role": _T("plain"), "days": r.int(1, 30)} for _ in range(r.int(1, 4))
            ],
        }
        if r.bool():
            b["name_en"] = _T("plain")
        if r.chance(4):
            b["script"] = r.pick(["zh-Hans", "zh-Hant"])
        if flags:
            b["flags"] = flags
        overrides = r.some(value_keys, 0, len(value_keys), unique=True)
        if overrides:
            b["values"] = {k: _T("plain") for k in overrides}
        branches.append(b)
    branches_file: dict = {"branches": branches}
    if value_keys or r.bool():
        branches_file["defaults"] = {"values": {k: _T("plain") for k in value_keys}}

    files["manual.yaml"] = _fill(r, manual, ctx, False)
    files["branches.yaml"] = _fill(r, branches_file, ctx, False)
    files["revisions.yaml"] = _fill(r, revisions, ctx, False)
    for n, chapter in enumerate(chapters, 1):
        files[f"chapters/{n:02d}-{chapter['id']}.yaml"] = _fill(r, chapter, ctx, True)
    for f in forms:
        files[f"forms/{f['id']}.yaml"] = _fill(r, f, ctx, True)
    files["_controls"] = ctx.controls  # not a file: lets the test know the text may be invalid
    return files


# --- mutations --------------------------------------------------------------------------------


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def _set(data, path, value):
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


WRONG_VALUES = [
    42,
    3.5,
    True,
    None,
    [],
    {},
    ["x"],
    {"a": "b"},
    dt.date(2020, 1, 1),
    "text",
    "",
    -1,
    10**30,
    [[1]],
    float("inf"),
    "1.0",
    "办事处",
]
UNKNOWN_KEYS = [
    "titel",
    "foo",
    "ID",
    "Title",
    "when_",
    "colums",
    "text ",
    "中文键",
    "<<",
    1,
    None,
    True,
    2.5,
    dt.date(2024, 2, 29),
]
BROKEN_REFS = [
    "{clause:nope-x}",
    "{form:missing}",
    "{branch.nope}",
    "{manual.nope}",
    "{% if x %}",
    "{",
    "}",
    "{{ x }",
    "{branch name}",
    "{clause:}",
    "{form:Bad_Id}",
]


_DELETED = object()  # a file the mutation removes


@st.composite
def data_mutation(draw, files: dict) -> tuple[str, dict]:
    """Break one file's data: (description, files)."""
    names = sorted(n for n in files if n.endswith(".yaml"))
    name = draw(st.sampled_from(names))
    data = files[name]
    op = draw(
        st.sampled_from(
            [
                "drop_key",
                "wrong_type",
                "duplicate_id",
                "break_reference",
                "reorder_revisions",
                "unknown_key",
                "swap",
                "empty_file",
                "delete_file",
            ]
        )
    )
    paths = list(_paths(data))
    if op == "drop_key":
        keyed = [p for p in paths if p and isinstance(_get(data, p[:-1]), dict)]
        if keyed:
            p = draw(st.sampled_from(keyed))
            del _get(data, p[:-1])[p[-1]]
    elif op == "wrong_type":
        p = draw(st.sampled_from(paths))
        files[name] = data = _set(data, p, draw(st.sampled_from(WRONG_VALUES)))
    elif op == "duplicate_id":
        every = [(n, p) for n in names for p in _paths(files[n]) if p and p[-1] == "id"]
        if len(every) >= 2:
            (n1, p1), (n2, p2) = draw(
                st.lists(st.sampled_from(every), min_size=2, max_size=2, unique=True)
            )
            _set(files[n2], p2, _get(files[n1], p1))
    elif op == "break_reference":
        strings = [p for p in paths if p and isinstance(_get(data, p), str)]
        if strings:
            p = draw(st.sampled_from(strings))
            ref = draw(st.sampled_from(BROKEN_REFS + ["nope-x", "Bad Id"]))
            value = _get(data, p)
            _set(data, p, ref if draw(st.booleans()) else value + ref)
    elif op == "reorder_revisions":
        revs = files["revisions.yaml"]
        if isinstance(revs, list) and len(revs) > 1:
            files["revisions.yaml"] = draw(st.permutations(revs))
    elif op == "unknown_key":
        dicts = [p for p in paths if isinstance(_get(data, p), dict)]
        if dicts:
            p = draw(st.sampled_from(dicts))
            _get(data, p)[draw(st.sampled_from(UNKNOWN_KEYS))] = "x"
    elif op == "swap":
        if len(paths) > 2:
            p1, p2 = draw(st.lists(st.sampled_from(paths[1:]), min_size=2, max_size=2, unique=True))
            if p1[: len(p2)] != p2 and p2[: len(p1)] != p1:  # neither inside the other
                v1, v2 = _get(data, p1), _get(data, p2)
                _set(data, p1, v2)
                _set(data, p2, v1)
    elif op == "empty_file":
        files[name] = draw(st.sampled_from([None, "", [], {}]))
    elif op == "delete_file":
        files[name] = _DELETED
    return op, files


INSERTS = [
    b"\t",
    b"\x00",
    b"&a ",
    b"*a",
    b"!!python/object/apply:os.system ['echo hi']",
    b"!!binary ",
    b"!!python/name:os.system",
    b": ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"'",
    b'"',
    b"\n",
    b"  ",
    b"#",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"? ",
    b"|",
    b">",
    b"\xef\xbb\xbf",
    b"\r",
    b"<<: *a\n",
    b"\\x00",
    b"\x1b",
    b"\xc3",
    b"\xff\xfe",
    b"\xe2\x80\xa8",
    b"!!set {a, b}",
    b"!custom x",
    b"&x [*x]",
    b"key: &a [1]\nother: *a\n",
    b"&a a: b",
    b'"\\0"',
    b"{{",
    b"{% raw %}",
    b"\xf0\x9f",
    b"[" * 80,
    b"{a: " * 60,
    b"2024-02-30",
    b"9" * 400,
    b"0o777",
    b"=",
    b"!!str ",
    b"!!int ",
    b"!!float ",
    b"!!timestamp ",
    b"!!null ",
    b"!!bool ",
    b"!!map ",
    b"!!seq ",
    b"!!omap ",
    b"!!pairs ",
    b"? [a]\n: b\n",
]


@st.composite
def byte_mutation(draw, raw: dict[str, bytes]) -> tuple[str, dict[str, bytes]]:
    names = sorted(raw)
    name = draw(st.sampled_from(names))
    data = raw[name]
    op = draw(
        st.sampled_from(
            [
                "delete",
                "delete_run",
                "insert_byte",
                "replace_byte",
                "insert_token",
                "value_token",
                "value_token",
                "truncate",
                "gbk",
                "utf16",
                "utf16le",
                "bom",
                "crlf",
                "cr",
            ]
        )
    )
    i = draw(st.integers(0, len(data)))
    if op == "value_token":  # where a value starts: tags, anchors and odd scalars matter most there
        starts = [m.end() for m in re.finditer(rb"(?::|^ *-) ", data, re.M)]
        if starts:
            i = starts[draw(st.integers(0, len(starts) - 1))]
        op = "insert_token"
    if op == "delete":
        data = data[:i] + data[i + 1 :]
    elif op == "delete_run":
        data = data[:i] + data[i + draw(st.integers(1, 12)) :]
    elif op == "insert_byte":
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i:]
    elif op == "replace_byte":
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    elif op == "insert_token":
        data = data[:i] + draw(st.sampled_from(INSERTS)) + data[i:]
    elif op == "truncate":
        data = data[:i]
    elif op == "gbk":
        data = data.decode("utf-8").encode(
            "gb18030" if draw(st.booleans()) else "gbk", errors="replace"
        )
    elif op == "utf16":
        data = data.decode("utf-8").encode("utf-16")
    elif op == "utf16le":
        data = data.decode("utf-8").encode("utf-16-le")
    elif op == "bom":
        data = b"\xef\xbb\xbf" + data
    elif op == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif op == "cr":
        data = data.replace(b"\n", b"\r")
    raw = dict(raw)
    raw[name] = data
    return f"{op}@{name}:{i}", raw


def dump(data) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100).encode("utf-8")


@dataclass
class Sources:
    files: dict[str, bytes]  # relative path → content (a missing file is absent)
    data: dict[str, object]  # relative path → the data before any byte mutation
    mutation: str  # "" for sources valid by construction
    may_be_invalid: bool  # a mutation or control characters: check may fail
    hostile: list[str]  # every text of the sources that a spreadsheet could take for a formula


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


@st.composite
def sources(draw) -> Sources:
    files = draw(manual_data())
    controls = files.pop("_controls")
    mode = draw(st.sampled_from(["valid", "valid", "data", "bytes", "both"]))
    mutation = ""
    if mode in ("data", "both"):
        op, files = draw(data_mutation(files))
        mutation = op
    raw = {name: dump(data) for name, data in files.items() if data is not _DELETED}
    if mode in ("bytes", "both"):
        op, raw = draw(byte_mutation(raw))
        mutation = (mutation + "+" if mutation else "") + op
    hostile = sorted(
        {
            s
            for data in files.values()
            if data is not _DELETED
            for s in _strings(data)
            if s.lstrip().startswith(FORMULA_PREFIXES) and len(s) > 1
        }
    )
    return Sources(
        files=raw,
        data={k: v for k, v in files.items() if v is not _DELETED},
        mutation=mutation,
        may_be_invalid=bool(mutation) or controls,
        hostile=hostile,
    )
