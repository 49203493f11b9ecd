"""Form templates found in a manual: a table titled …表/…单/…登记簿/…记录 (in the paragraph
before it or in its first row) becomes forms/<id>.yaml with typed fields; a 修订记录/更新记录
table becomes revisions.yaml."""

from __future__ import annotations

import re

from builder.document.ids import IdMaker
from builder.readers.importer.text import Line, simplified

_FORM_TITLE = re.compile(
    r"^[^，。；：:]{2,24}(?:表|单|單|登记簿|登記簿|记录|記錄|纪要|紀要)(?:（[^）]*）)?$"
)
_REVISION = re.compile(r"(修订|修訂|更新|变更|變更)(记录|記錄)")


def field_type(label: str, values: list[str]) -> tuple[str, list[str]]:
    plain = simplified(label)
    options = []
    for value in values:
        options += [o.strip() for o in re.findall(r"[□☐]\s*([^□☐\s]+)", value)]
    if options:
        return "choice", list(dict.fromkeys(options))
    if re.search(r"签字|签名|签章|盖章", plain):
        return "signature", []
    if re.search(r"时间$", plain) and not re.search(r"期限|时长", plain):
        return "datetime", []
    if re.search(r"日期|时间", plain):
        return "date", []
    if re.search(r"金额|费用|价格|预算|单价|总价", plain):
        return "money", []
    if re.search(r"数量|人数|天数|次数|得分|分数|成绩|满意度", plain):
        return "number", []
    if re.search(r"意见|说明|内容|描述|情况|原因|建议|纪要|事项|记录|议程|清单", plain):
        return "textarea", []
    if re.search(
        r"(申请|负责|责任|经办|审批|审核|批准|借阅|记录|填表|联系|主持)人$|讲师|姓名", plain
    ):
        return "person", []
    return "text", []


def _field(ids: IdMaker, label: str, values: list[str], ordinal: int) -> dict:
    kind, options = field_type(label, values)
    data = {"id": ids.from_title(label, "field", ordinal), "label": label, "type": kind}
    if options:
        data["options"] = options
    return data


def is_revision_table(rows: list[list[str]]) -> bool:
    header = simplified("".join(rows[0])) if rows else ""
    return "版本" in header and ("日期" in header or "时间" in header) and len(rows[0]) >= 3


def find_revisions(lines: list[Line]) -> list[dict]:
    """The rows of a 修订记录 table (version, date, author, approver, summary)."""
    out = []
    for line in lines:
        if line.table is None or not is_revision_table(line.table):
            continue
        header = [simplified(c) for c in line.table[0]]

        def col(*names, header=header):
            for i, h in enumerate(header):
                if any(n in h for n in names):
                    return i
            return None

        v, d = col("版本"), col("日期", "时间")
        a, p, s = (
            col("修订人", "编制", "作者", "修改人"),
            col("批准", "审批", "审核"),
            col("内容", "摘要", "说明"),
        )
        for row in line.table[1:]:

            def cell(i, row=row):
                return row[i].strip() if i is not None and i < len(row) else ""

            m = re.search(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", cell(d))
            if not cell(v) or not m:
                continue
            out.append(
                {
                    "version": re.sub(r"^[Vv]", "", cell(v)),
                    "date": f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}",
                    "author": cell(a) or "（待填写）",
                    "approver": cell(p) or "（待填写）",
                    "summary": cell(s) or "（待填写）",
                }
            )
        line.notes.append("修订记录表 → revisions.yaml")
    return out


def form_from_table(title: str, rows: list[list[str]], ids: IdMaker, code: str) -> dict | None:
    fids = IdMaker()
    fields = []
    header = [c.strip() for c in rows[0]]
    if (
        len(rows) >= 2
        and header
        and all(header)
        and len(set(header)) == len(header)
        and len(header) >= 2
    ):
        if (
            any("序号" in simplified(h) for h in header)
            or len(rows) >= 3
            or all(not c.strip() for c in rows[1])
        ):
            # a 序号 row table: one field of kind rows
            cids = IdMaker()
            columns = [
                _field(cids, h, [r[i] for r in rows[1:] if i < len(r)], i)
                for i, h in enumerate(header)
            ]
            example_rows = [r for r in rows[1:] if any(c.strip() for c in r)]
            fields.append(
                {
                    "id": "rows",
                    "label": title,
                    "type": "rows",
                    "rows": max(5, len(rows) - 1),
                    "columns": columns,
                }
            )
            del example_rows
        else:
            for i, label in enumerate(header):
                fields.append(_field(fids, label, [r[i] for r in rows[1:] if i < len(r)], i))
    else:
        # label cells followed by cells to fill: 申请人 | | 日期 | |
        for row in rows:
            cells = [c.strip() for c in row]
            for i, cell in enumerate(cells):
                if not cell or len(cell) > 16 or cell in cells[:i]:
                    continue
                following = cells[i + 1] if i + 1 < len(cells) else ""
                if following == "" or "□" in following or i == len(cells) - 1:
                    fields.append(_field(fids, cell.rstrip("：:"), [following], len(fields) + 1))
    if not fields:
        return None
    return {
        "id": ids.from_title(title, "form", 1),
        "code": code,
        "title": title,
        "purpose": f"{title}（由原手册导入，请补充用途说明）",
        "fields": fields,
    }


def find_forms(lines: list[Line], chapters: list[dict], ids: IdMaker, doc_number: str | None):
    forms = []
    previous = ""
    base = doc_number
    for line in lines:
        if line.dropped or line.merged:
            continue
        if line.table is None:
            previous = line.text.strip()
            continue
        rows = line.table
        title = None
        if _FORM_TITLE.match(previous):
            title = previous
        elif (
            rows
            and len({c for c in rows[0] if c.strip()}) == 1
            and _FORM_TITLE.match(rows[0][0].strip())
        ):
            title = rows[0][0].strip()
            rows = rows[1:]
        if not title or not rows or is_revision_table(rows) or _REVISION.search(simplified(title)):
            continue
        form = form_from_table(title, rows, ids, f"{base}F{len(forms) + 1:02d}")
        if form:
            forms.append(form)
            line.notes.append(f"表单模板 → forms/{form['id']}.yaml")

    return forms


# Labels that form templates use, for reading a template whose cells were flattened into one
# run of text ("会议通知表会议主题时间地点/线上参会人员议程材料清单…"); compared in Simplified.
LABELS = sorted(
    {
        "会议主题",
        "时间",
        "地点/线上",
        "地点",
        "参会人员",
        "议程",
        "材料清单",
        "会议时间",
        "决议事项",
        "待办任务",
        "责任人",
        "内容",
        "完成时间",
        "项目名称",
        "里程碑节点",
        "计划完成时间",
        "实际完成时间",
        "进度偏差",
        "风险说明",
        "客户名称",
        "联系人",
        "沟通时间",
        "沟通目的",
        "需求记录",
        "解决方案",
        "跟进时间",
        "文件名称",
        "文件类型",
        "申请人",
        "申请日期",
        "审批层级",
        "审批意见栏",
        "审批意见",
        "培训主题",
        "讲师",
        "满意度（1-5分）",
        "满意度",
        "考核成绩",
        "建议收集",
        "序号",
        "姓名",
        "部门",
        "岗位",
        "日期",
        "签字",
        "签名",
        "备注",
        "金额",
        "数量",
        "事由",
        "原因",
        "负责人",
        "联系电话",
        "电话",
        "编号",
        "主持人",
        "记录人",
        "出席人员",
        "缺席人员",
        "审核人",
        "批准人",
        "经办人",
        "借阅人",
        "借阅日期",
        "归还日期",
        "版本号",
        "更新日期",
        "更新内容",
        "更新人",
    },
    key=len,
    reverse=True,
)
_TEXT_FORM_END = re.compile(r"(?:表|纪要|登记簿)(?:模板)?")
_TITLE_CUT = re.compile(r"(?:模板|报告|[、，。；：:（）()\sA-Za-z0-9*/-])")


def _labels_at(plain: str, pos: int) -> tuple[list[tuple[int, int]], str]:
    """Consecutive labels from `pos` ("grid"), or `label：value` pairs ("pairs")."""
    spans = []
    start = pos
    while pos < len(plain):
        for label in LABELS:
            if plain.startswith(label, pos):
                spans.append((pos, pos + len(label)))
                pos += len(label)
                break
        else:
            break
    if len(spans) >= 3:
        return spans, "grid"
    pos = start
    pairs = []
    for m in re.finditer(r"([一-鿿]{2,6})[：:]", plain[pos : pos + 400]):
        word = m.group(1)
        label = next((lab for lab in LABELS if word.endswith(lab)), None)
        if label:
            end = pos + m.end(1)
            pairs.append((end - len(label), end))
    if len(pairs) >= 3 and pairs[0][0] == pos:
        return pairs, "pairs"
    return [], ""


def find_text_forms(chapters: list[dict], ids: IdMaker, base: str, start: int) -> list[dict]:
    """Form templates flattened into a clause's text (a scraped or pasted manual)."""
    found = []

    def clauses(items):
        for clause in items:
            yield clause
            yield from clauses(clause.get("clauses", []))

    def units(unit):
        yield from clauses(unit.get("clauses", []))
        for section in unit.get("sections", []):
            yield from units(section)

    for chapter in chapters:
        for clause in units(chapter):
            texts = clause.get("text")
            texts = [texts] if isinstance(texts, str) else list(texts or [])
            texts += [i for i in clause.get("items", []) if isinstance(i, str)]
            for original in texts:
                plain = simplified(original)
                if len(plain) != len(original):
                    continue
                for m in _TEXT_FORM_END.finditer(plain):
                    spans, how = _labels_at(plain, m.end())
                    if not spans:
                        continue
                    title_end = m.start() + (1 if plain[m.start()] == "表" else len("纪要"))
                    head = plain[max(0, title_end - 14) : title_end]
                    cut = max((c.end() for c in _TITLE_CUT.finditer(head)), default=0)
                    title = original[title_end - len(head) + cut : title_end]
                    if len(title) < 3:
                        continue
                    fids = IdMaker()
                    fields = []
                    seen = set()
                    for a, b in spans:
                        label = original[a:b]
                        if label in seen:
                            continue
                        seen.add(label)
                        fields.append(_field(fids, label, [], len(fields) + 1))
                    form = {
                        "id": ids.from_title(title, "form", 1),
                        "code": f"{base}F{start + len(found) + 1:02d}",
                        "title": title,
                        "clause": clause["id"],
                        "purpose": f"{title}（由原手册导入，请补充用途说明）",
                        "fields": fields,
                    }
                    found.append(form)
    return found


_CODED_TITLE = re.compile(r"^(.+?)[（(]([A-Za-z0-9][A-Za-z0-9\-_/.]*)[）)]$")


def appendix_forms(lines: list[Line], ids: IdMaker, base: str, start: int) -> list[dict]:
    """The forms of an appendix (附录 表单) as a Word handbook prints them: a heading
    "会议通知表（HC-YY-F01）", 用途/填写说明 lines, a label | value table, tables of rows."""
    found: list[dict] = []
    current: dict | None = None
    caption = ""
    fids = IdMaker()

    def finish():
        if current and current["fields"]:
            found.append(current)

    for line in lines:
        if line.style_level is not None:
            if line.style_level == 0:
                line.notes.append("附录标题（表单见 forms/）")
                continue
            finish()
            m = _CODED_TITLE.match(line.text.strip())
            title, code = (m.group(1), m.group(2)) if m else (line.text.strip(), None)
            fids = IdMaker()
            current = {
                "id": ids.from_title(title, "form", 1),
                "code": code or f"{base}F{start + len(found) + 1:02d}",
                "title": title,
                "purpose": f"{title}（由原手册导入，请补充用途说明）",
                "instructions": [],
                "fields": [],
            }
            title_en = next((n[9:] for n in line.notes if n.startswith("title_en:")), None)
            if title_en:
                current["title_en"] = title_en
            caption = ""
            line.notes.append(f"表单 → forms/{current['id']}.yaml")
            continue
        if current is None:
            continue
        if line.table is None:
            text = line.text.strip()
            plain = simplified(text)
            if plain.startswith("用途"):
                current["purpose"] = re.sub(r"^用途[：:]\s*", "", text) or current["purpose"]
            elif text.startswith(("·", "•")):
                current["instructions"].append(text.lstrip("·• "))
            elif plain.startswith(("表单编号", "填写说明")):
                pass
            else:
                caption = text
            continue
        rows = line.table
        head = [simplified(c.strip()) for c in rows[0]]
        if caption in ("填写示例",) or head[:2] == ["项目", "示例"]:
            caption = ""
            continue
        if simplified(caption).startswith("审批流程") or head[:1] == ["审批环节"]:
            current["approval"] = True
            caption = ""
            continue
        width = max(len(r) for r in rows)
        if width == 2 and all(len(r) == 2 for r in rows) and not any("序号" in h for h in head):
            for label, value in rows:
                label = label.strip()
                if not label:
                    continue
                required = label.endswith("*")
                field = _field(fids, label.rstrip("*").strip(), [value], len(current["fields"]))
                if required:
                    field["required"] = True
                current["fields"].append(field)
        else:
            columns = [
                _field(fids, h.strip().rstrip("*") or f"列{i + 1}", [], i)
                for i, h in enumerate(rows[0])
            ]
            label = caption or current["title"]
            current["fields"].append(
                {
                    "id": fids.from_title(label, "rows", len(current["fields"])),
                    "label": label,
                    "type": "rows",
                    "rows": max(1, min(100, len(rows) - 1)),
                    "columns": columns,
                }
            )
        caption = ""
    finish()
    for form in found:
        if not form["instructions"]:
            del form["instructions"]
    return found
