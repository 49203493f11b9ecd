"""import-report.md and the terminal summary: counts per level and scheme, forms, placeholders
to fill, low-confidence decisions, and every source line accounted for."""

from __future__ import annotations

from builder.readers.importer.text import han_count

SCHEME_NAMES = {
    "outline": "outline（一、（一）1.（1）①）",
    "law": "law（第一章、第一节、第一条）",
    "decimal": "decimal（1、1.1、1.1.1）",
}


def write(lines, outline, mapper, forms, placeholders, scheme, script, region, counts):
    dropped = [line for line in lines if line.dropped and line.dropped != "空行"]
    merged = [line for line in lines if line.merged]
    placed = [line for line in lines if not line.dropped and not line.merged]
    doubtful = outline.doubtful + mapper.doubtful
    script_text = script if not region else f"{script}（繁体；用词接近 {region}）"
    summary = [
        f"编号方式：{SCHEME_NAMES[scheme]}；文字：{script_text}",
        f"{counts['chapters']} 章，{counts['sections']} 节，{counts['clauses']} 条，"
        f"{counts['items']} 个列表项，{counts['tables']} 个表格，{counts['forms']} 个表单",
        f"源文件 {len(lines)} 行/段：放入 {len(placed)}，并入上一行 {len(merged)}，"
        f"丢弃 {len(dropped)}（页眉页脚、页码、目录、网站附加内容），空行 "
        f"{sum(1 for line in lines if line.dropped == '空行')}",
        f"待人工核对的判断 {len(doubtful)} 处，待填写项 {len(placeholders)} 项"
        "（见 import-report.md）",
    ]
    out = ["# 导入报告", "", "## 概要", ""]
    out += [f"- {s}" for s in summary]
    out += ["", "## 表单", ""]
    out += [
        f"- forms/{f['id']}.yaml：{f['title']}（{len(f['fields'])} 个字段）" for f in forms
    ] or ["- 未发现表单模板"]
    out += ["", "## 待填写", ""] + [f"- {p}" for p in placeholders]
    if region:
        out += [
            "",
            "## 文字",
            "",
            f"原文为繁体字，已保留原文。branches.yaml 暂写 `script: zh-Hant`；"
            f"按用词判断更接近 `{region}`。",
        ]
    out += ["", "## 需要核对的判断", ""] + ([f"- {d}" for d in doubtful] or ["- 无"])
    out += ["", "## 丢弃的内容", ""]
    out += [
        f"- {line.source}:{line.number}（{line.dropped}，{han_count(line.raw)} 个汉字）："
        f"{' '.join(line.raw.split())}"
        for line in dropped
    ] or ["- 无"]
    out += ["", "## 逐行去向", ""]
    for line in lines:
        if line.dropped == "空行":
            continue
        where = f"{line.source}:{line.number}"
        if line.dropped:
            what = f"丢弃（{line.dropped}）"
        elif line.merged:
            what = "；".join(line.notes) if line.notes else "并入上一行（原文在句中断行）"
        elif line.table is not None:
            what = "表格" + ("；" + "；".join(line.notes) if line.notes else "")
        else:
            what = "放入"
            extra = [n for n in line.notes]
            if extra:
                what += "（" + "；".join(extra) + "）"
        out.append(f"- {where}：{what}：{_short(line.raw)}")
    return "\n".join(out) + "\n", summary


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
