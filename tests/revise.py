"""A second revision of the bundled manual, for the diff tests: exactly these changes.

- changed: clause `daily-meeting-opening` (90 分钟 → 60 分钟);
- added:   clause `daily-approval-precheck`, first in its section, so every later sibling —
           including `daily-approval-chain`, which another clause refers to — is renumbered;
- removed: clause `daily-meeting-efficiency`;
- moved:   section `daily-meeting-types`, from 会议管理 to the end of 项目管理 (the later
           会议管理 sections are renumbered, which is not a change);
- added:   field `cc` (抄送) of the form `meeting-minutes`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

EXPECTED = {
    ("changed", "daily-meeting-opening"),
    ("added", "daily-approval-precheck"),
    ("removed", "daily-meeting-efficiency"),
    ("moved", "daily-meeting-types"),
    ("added", "meeting-minutes.cc"),
}

CHAPTER = "chapters/07-daily-ops.yaml"
FORM = "forms/meeting-minutes.yaml"


def _find(sections: list, sid: str) -> dict:
    for s in sections:
        if s["id"] == sid:
            return s
        found = _find(s.get("sections", []), sid) if s.get("sections") else None
        if found:
            return found
    return None


def revise(src: Path) -> None:
    """Apply the changes above to the manual in `src` (a copy of manual_src/)."""
    path = Path(src) / CHAPTER
    chapter = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = chapter["sections"]

    types = _find(sections, "daily-meeting-types")
    types["clauses"] = [c for c in types["clauses"] if c["id"] != "daily-meeting-efficiency"]
    opening = next(
        c
        for c in _find(sections, "daily-meeting-during")["clauses"]
        if c["id"] == "daily-meeting-opening"
    )
    assert "90 分钟" in opening["text"]
    opening["text"] = opening["text"].replace("90 分钟", "60 分钟")

    levels = _find(sections, "daily-approval-levels")
    levels["clauses"].insert(
        0,
        {
            "id": "daily-approval-precheck",
            "title": "形式审查",
            "text": (
                "文件进入审批链前，由{branch.name}综合管理岗位进行形式审查，"
                "核对审批单填写是否完整、附件是否齐全。"
            ),
        },
    )

    meeting = _find(sections, "daily-meeting")
    meeting["sections"] = [s for s in meeting["sections"] if s["id"] != "daily-meeting-types"]
    _find(sections, "daily-project")["sections"].append(types)
    path.write_text(
        yaml.safe_dump(chapter, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )

    path = Path(src) / FORM
    form = yaml.safe_load(path.read_text(encoding="utf-8"))
    at = next(i for i, f in enumerate(form["fields"]) if f["id"] == "attendees")
    form["fields"].insert(at + 1, {"id": "cc", "label": "抄送", "type": "text"})
    path.write_text(
        yaml.safe_dump(form, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )
