"""The field names of the bundled forms, derived from the YAML in manual_src/ by the convention
the README states ("Fillable forms"), without the builder: the expected values of the form tests.

    <field-id>                                a field (choice, score and computed ones too)
    <field-id>.<n>                            the n-th option box of a multichoice (from 1)
    <field-id>.<row>.<column-id>              a cell of a table (`rows` field), rows from 1
    <field-id>.<row>.<column-id>.<n>          an option box of a multichoice column
    approval_chain.<step>.opinion|signature|date
                                              the approval block of a form with `approval: true`,
                                              one step per entry of the branch's approval_chain

Excel has one cell per multichoice and names ranges instead (see `xlsx_names`).
"""

from __future__ import annotations

from functools import cache

import yaml

from tests.conftest import SRC

APPROVAL_PARTS = ("opinion", "signature", "date")


@cache
def form_sources() -> dict[str, dict]:
    """Every forms/*.yaml, as plain data, by form id."""
    forms = {}
    for path in sorted((SRC / "forms").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        forms[data["id"]] = data
    return forms


@cache
def approval_steps(branch_id: str) -> int:
    """How many steps the branch's approval chain has (branches.yaml)."""
    branches = yaml.safe_load((SRC / "branches.yaml").read_text(encoding="utf-8"))["branches"]
    return len(next(b for b in branches if b["id"] == branch_id)["approval_chain"])


def _inputs(field: dict, name: str) -> list[str]:
    if field["type"] == "multichoice":
        return [f"{name}.{n}" for n in range(1, len(field["options"]) + 1)]
    return [name]


def field_names(form_id: str, branch_id: str) -> list[str]:
    """The names of a form's inputs in the DOCX and PDF, in reading order."""
    form = form_sources()[form_id]
    names: list[str] = []
    for field in form["fields"]:
        if field["type"] != "rows":
            names += _inputs(field, field["id"])
            continue
        for row in range(1, field["rows"] + 1):  # every bundled table states its rows
            for column in field["columns"]:
                names += _inputs(column, f"{field['id']}.{row}.{column['id']}")
    if form.get("approval"):
        for step in range(1, approval_steps(branch_id) + 1):
            names += [f"approval_chain.{step}.{part}" for part in APPROVAL_PARTS]
    return names


def _xlsx(ident: str) -> str:
    return "f_" + ident.replace("-", "_")


def xlsx_names(form_id: str, branch_id: str) -> dict[str, int]:
    """The defined names of a form's Excel sheet, with how many rows each covers: `f_<id>` for a
    field (one cell, '-' written '_'), for a table (its input block) and `f_<id>.<column>` for
    each column of a table; `approval.opinion|signature|date` for the approval block's columns."""
    form = form_sources()[form_id]
    names = {}
    for field in form["fields"]:
        rows = field["rows"] if field["type"] == "rows" else 1
        names[_xlsx(field["id"])] = rows
        for column in field.get("columns", []):
            names[_xlsx(f"{field['id']}.{column['id']}")] = rows
    if form.get("approval"):
        names.update({f"approval.{part}": approval_steps(branch_id) for part in APPROVAL_PARTS})
    return names


def computed(form_id: str) -> set[str]:
    """The ids of the computed fields and table columns (`compute:`), which take no input."""
    found = set()
    for field in form_sources()[form_id]["fields"]:
        if field.get("compute"):
            found.add(field["id"])
        columns = field.get("columns", [])
        found.update(f"{field['id']}.{c['id']}" for c in columns if c.get("compute"))
    return found
